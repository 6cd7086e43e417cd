import os from 'node:os';
import type { Command } from 'commander';
import { controlRelease, ReleaseRefusedError } from '../../release-client/releases';
import type { OperatorAction } from '../../domain/operator-controls';
import { cliEnv, withClient } from '../context';
import { CliError, invalidInput } from '../errors';
import { ExitCode } from '../exit-codes';
import { runAction } from '../run-action';
import { sayStillAsking } from '../still-asking';
import { SIGN_WITH_FLAG, SIGN_WITH_HELP, signingKeyPath, sshSigner } from '../signing';

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
      .option(SIGN_WITH_FLAG, SIGN_WITH_HELP)
      .action(
        runAction(async (id: string, opts: { as?: string; reason?: string; signWith?: string }) => {
          const by = opts.as ?? process.env.USER ?? os.userInfo().username;
          if (!by.trim()) throw invalidInput('--as: an operator identity is required');
          const keyPath = signingKeyPath(opts.signWith);
          await withClient(cliEnv(), async (client) => {
            try {
              // Signed for the release's current run and sent to that run.
              const runId = keyPath ? (await client.workflow.getHandle(id).describe()).runId : undefined;
              const signed = keyPath && runId ? await sshSigner(client, id, action, by, opts.reason, keyPath)(runId) : undefined;
              const ack = await controlRelease(client, id, action, by, opts.reason, { runId, signed }, { onLostAnswer: sayStillAsking(`${id} ${action}`) });
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
