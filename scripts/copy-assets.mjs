// Copies what tsc does not: SQL migrations next to the compiled store module. The folder is
// replaced, not merged: a migration renamed or removed in src/ must not linger in dist/, where
// the built agent would apply it too.
import { chmodSync, cpSync, rmSync } from 'node:fs';

rmSync('dist/src/store/migrations', { recursive: true, force: true });
cpSync('src/store/migrations', 'dist/src/store/migrations', { recursive: true });
chmodSync('dist/src/cli/main.js', 0o755);
