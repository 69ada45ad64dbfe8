import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const SCRIPT = new URL('../../../scripts/copy-assets.mjs', import.meta.url).pathname;

describe('the build copies the migrations', () => {
  it('replaces dist/src/store/migrations: a migration renamed in src leaves no stale copy the built agent would apply', () => {
    const tree = mkdtempSync(join(tmpdir(), 'ioa-build-'));
    try {
      mkdirSync(join(tree, 'src/store/migrations'), { recursive: true });
      mkdirSync(join(tree, 'dist/src/store/migrations'), { recursive: true });
      mkdirSync(join(tree, 'dist/src/cli'), { recursive: true });
      writeFileSync(join(tree, 'src/store/migrations/0007_renamed.sql'), '-- Up Migration\n');
      writeFileSync(join(tree, 'dist/src/store/migrations/0006_renamed.sql'), '-- Up Migration\n');
      writeFileSync(join(tree, 'dist/src/cli/main.js'), '#!/usr/bin/env node\n');
      execFileSync(process.execPath, [SCRIPT], { cwd: tree });
      expect(readdirSync(join(tree, 'dist/src/store/migrations'))).toEqual(['0007_renamed.sql']);
      expect(statSync(join(tree, 'dist/src/cli/main.js')).mode & 0o777).toBe(0o755);
    } finally {
      rmSync(tree, { recursive: true, force: true });
    }
  });
});
