/** `runway`: the CLI entry point. Commands live one per file in ./commands. */
import { Command, CommanderError } from 'commander';
import { configureApprovalsCommand } from './commands/approvals';
import { configureAuditCommand } from './commands/audit';
import { configureCodecServerCommand } from './commands/codec-server';
import { configureControlCommands } from './commands/controls';
import { configureDecisionCommands } from './commands/decide';
import { configureDemoCommand } from './commands/demo';
import { configureFreezeCommands } from './commands/freeze';
import { configureHealthcheckCommand } from './commands/healthcheck';
import { configureInspectCommands } from './commands/inspect';
import { configureProcessCommands } from './commands/processes';
import { configureRollbackCommand } from './commands/rollback';
import { configureStartCommand } from './commands/start';
import type { RunwayProcesses } from '../stack/release-worker-factory';
import { ExitCode } from './exit-codes';

/** The `runway` program; `processes` comes from the entry point (bin/runway.js), which alone imports workers/. */
export function buildProgram(processes: RunwayProcesses): Command {
  const program = new Command('runway')
    .description('Release orchestrator on Temporal: build → staging → smoke → approval → canary → production, with automatic rollback.')
    .version('0.1.0')
    // `runway --version` is the CLI's version; `runway start --version SHA` is the commit.
    .enablePositionalOptions()
    .showHelpAfterError('(run with --help for usage)')
    // Usage errors (missing flag, unknown option) exit with the invalid-input code, not commander's 1.
    .exitOverride((err: CommanderError) => {
      const code = err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help' ? ExitCode.ok : ExitCode.invalidInput;
      process.exit(code);
    });
  program.addHelpText(
    'after',
    `
Exit codes: 0 released / success, 1 unexpected error, 2 invalid input, 3 not found,
4 refused (by the release, or another release of the service is in flight), 5 rolled back, 6 rejected, 7 failed (rollback incomplete),
8 ended without an outcome (start --wait / watch: terminated, timed out or stuck; staging or production may be left changed).
Environment: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, RUNWAY_TASK_QUEUE, RUNWAY_CONFIG (see README).`,
  );
  // Subcommands created after this point inherit the exit override and help settings.
  configureStartCommand(program);
  configureInspectCommands(program);
  configureAuditCommand(program);
  configureDecisionCommands(program);
  configureControlCommands(program);
  configureRollbackCommand(program);
  configureFreezeCommands(program);
  configureProcessCommands(program, processes);
  configureApprovalsCommand(program);
  configureHealthcheckCommand(program);
  configureCodecServerCommand(program);
  configureDemoCommand(program, processes);
  return program;
}
