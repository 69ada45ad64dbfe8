import type { Command } from 'commander';
import { configWarnings, describeConfig, describeUnknownSetting, unknownSettings } from '../config/index.js';
import { ExitCode } from './exit-codes.js';
import { withConfig, type CliIo } from './io.js';
import { checkTargetResource, describeTargetResource } from './target-resource-check.js';
import { checkUserMap, describeUserMapReport } from './user-map-check.js';

export function registerConfigCommands(program: Command, io: CliIo): void {
  const config = program.command('config').description('inspect the configuration');
  config
    .command('check')
    .description('validate the configuration, the user mapping and the target resource (looked up in iRODS), and print them with secrets masked')
    .option('--json', 'print JSON')
    .action(withConfig(io, async (cfg, opts: { json?: boolean }) => {
      const warnings = [...unknownSettings(io.env).map(describeUnknownSetting), ...configWarnings(cfg)];
      const userMap = await checkUserMap(cfg);
      const described = describeUserMapReport(userMap);
      const targetResource = await checkTargetResource(cfg);
      const target = describeTargetResource(targetResource);
      const allWarnings = [...warnings, ...described.warnings, ...(target.warning ? [target.warning] : [])];
      const ok = userMap.state !== 'invalid' && !target.invalid;
      if (opts.json) {
        io.out(JSON.stringify({ ok, config: describeConfig(cfg), warnings: allWarnings, user_map: userMap, target_resource: targetResource }, null, 2));
      } else {
        io.out(JSON.stringify(describeConfig(cfg), null, 2));
        for (const w of warnings) io.err(`warning: ${w}`);
        for (const line of described.lines) io.err(line);
        for (const w of described.warnings) io.err(`warning: ${w}`);
        io.err(target.line);
        if (target.warning) io.err(`warning: ${target.warning}`);
        io.err(ok ? 'configuration is valid' : 'configuration is invalid');
      }
      io.exitCode = ok ? ExitCode.ok : ExitCode.usage;
    }));
}
