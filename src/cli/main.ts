#!/usr/bin/env -S node --max-semi-space-size=4
import { processIo } from './io.js';
import { runCli } from './program.js';

const io = processIo();
process.exitCode = await runCli(process.argv.slice(2), io);
