import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AGENT_NODE_FLAGS } from '../../src/cli/node-flags.js';

const root = new URL('../../', import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, root), 'utf8');

describe('the V8 flags the agent runs with', () => {
  it('are the same in the shebang of the CLI and in the Docker image', () => {
    const shebang = read('src/cli/main.ts').split('\n')[0];
    expect(shebang).toBe(`#!/usr/bin/env -S node ${AGENT_NODE_FLAGS.join(' ')}`);
    const entrypoint = read('docker/agent/Dockerfile')
      .split('\n')
      .find((line) => line.startsWith('ENTRYPOINT'));
    expect(entrypoint).toBe(`ENTRYPOINT ${JSON.stringify(['node', ...AGENT_NODE_FLAGS, 'dist/src/cli/main.js'])}`.replaceAll('","', '", "'));
  });

  it('reach node through env -S, as the shebang passes them', () => {
    const argv = execFileSync('/usr/bin/env', ['-S', `${process.execPath} ${AGENT_NODE_FLAGS.join(' ')} -p JSON.stringify(process.execArgv)`], { encoding: 'utf8' });
    expect(JSON.parse(argv)).toEqual([...AGENT_NODE_FLAGS, '-p', 'JSON.stringify(process.execArgv)']);
  });
});
