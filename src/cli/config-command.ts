import type { Command } from 'commander';
import { configWarnings, describeConfig, describeUnknownSetting, loadConfig, unknownSettings } from '../config/index.js';
import { ExitCode } from './exit-codes.js';
import type { CliIo } from './io.js';
import { checkUserMap, describeUserMapReport } from './user-map-check.js';

export function registerConfigCommands(program: Command, io: CliIo): void {
  const config = program.command('config').description('inspect the configuration');
  config
    .command('check')
    .description('validate the configuration and the user mapping (its names looked up in iRODS), and print them with secrets masked')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const cfg = loadConfig(io.env);
      const warnings = [...unknownSettings(io.env).map(describeUnknownSetting), ...configWarnings(cfg)];
      const userMap = await checkUserMap(cfg);
      const described = describeUserMapReport(userMap);
      const ok = userMap.state !== 'invalid';
      if (opts.json) {
        io.out(JSON.stringify({ ok, config: describeConfig(cfg), warnings: [...warnings, ...described.warnings], user_map: userMap }, null, 2));
      } else {
        io.out(JSON.stringify(describeConfig(cfg), null, 2));
        for (const w of warnings) io.err(`warning: ${w}`);
        for (const line of described.lines) io.err(line);
        for (const w of described.warnings) io.err(`warning: ${w}`);
        io.err(ok ? 'configuration is valid' : 'configuration is invalid');
      }
      io.exitCode = ok ? ExitCode.ok : ExitCode.usage;
    });
}
