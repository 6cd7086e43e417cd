import os from 'node:os';
import type { Command } from 'commander';
import { controlRelease, ReleaseRefusedError } from '../../release-client/releases';
import type { OperatorAction } from '../../domain/operator-controls';
import { cliEnv, withClient } from '../context';
import { CliError, invalidInput } from '../errors';
import { ExitCode } from '../exit-codes';
import { runAction } from '../run-action';

const CONTROLS: Record<OperatorAction, string> = {
  pause: 'hold the canary at its current weight (the bake clock stops)',
  resume: 'continue a paused canary',
  promote: 'skip the remaining canary steps and promote to all of production',
  abort: 'roll the release back now (canary to 0 first)',
};

export function configureControlCommands(program: Command): void {
  for (const [action, description] of Object.entries(CONTROLS) as [OperatorAction, string][]) {
    program
      .command(action)
      .description(description)
      .argument('<id>', 'release id')
      .option('--as <user>', 'who does it; must be an allowed approver (default: $USER)')
      .option('--reason <text>', 'why; kept in the release history')
      .action(
        runAction(async (id: string, opts: { as?: string; reason?: string }) => {
          const by = opts.as ?? process.env.USER ?? os.userInfo().username;
          if (!by.trim()) throw invalidInput('--as: an operator identity is required');
          await withClient(cliEnv(), async (client) => {
            try {
              const ack = await controlRelease(client, id, action, by, opts.reason);
              process.stdout.write(`${ack.releaseId}: ${ack.action} by ${ack.by}\n`);
            } catch (err) {
              if (err instanceof ReleaseRefusedError) throw new CliError(err.message, ExitCode.refused);
              throw err;
            }
          });
        }),
      );
  }
}
