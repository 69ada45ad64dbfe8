// Copies what tsc does not: SQL migrations next to the compiled store module.
import { cpSync, chmodSync } from 'node:fs';

cpSync('src/store/migrations', 'dist/src/store/migrations', { recursive: true });
chmodSync('dist/src/cli/main.js', 0o755);
