import type { Command } from 'commander';
import { decideRelease, ReleaseRefusedError } from '../../release-client/releases';
import { cliEnv, withClient } from '../context';
import { CliError, invalidInput } from '../errors';
import { ExitCode } from '../exit-codes';
import { runAction } from '../run-action';
import { sayStillAsking } from '../still-asking';
import { SIGN_WITH_FLAG, SIGN_WITH_HELP, signingKeyPath, sshSigner } from '../signing';

async function decide(id: string, decision: 'approve' | 'reject', by: string, note: string | undefined, signWith: string | undefined): Promise<void> {
  if (!by.trim()) throw invalidInput('--as: an approver identity is required');
  const keyPath = signingKeyPath(signWith);
  await withClient(cliEnv(), async (client) => {
    try {
      const sign = keyPath ? sshSigner(client, id, decision, by, note, keyPath) : undefined;
      const ack = await decideRelease(client, id, decision, by, note, sign, { onLostAnswer: sayStillAsking(`${id} ${decision}`) });
      process.stdout.write(`${ack.releaseId}: ${ack.decision} by ${ack.by}\n`);
    } catch (err) {
      if (err instanceof ReleaseRefusedError) throw new CliError(err.message, ExitCode.refused);
      throw err;
    }
  });
}

export function configureDecisionCommands(program: Command): void {
  program
    .command('approve')
    .description('approve a release waiting for approval (same rules as the Slack button)')
    .argument('<id>', 'release id')
    .requiredOption('--as <user>', 'who approves; must be an allowed approver')
    .option('--comment <text>', 'note kept in the release history')
    .option(SIGN_WITH_FLAG, SIGN_WITH_HELP)
    .action(runAction(async (id: string, opts: { as: string; comment?: string; signWith?: string }) => decide(id, 'approve', opts.as, opts.comment, opts.signWith)));

  program
    .command('reject')
    .description('reject a release waiting for approval; staging is rolled back')
    .argument('<id>', 'release id')
    .requiredOption('--as <user>', 'who rejects; an allowed approver or the requester')
    .option('--reason <text>', 'why; kept in the release history')
    .option(SIGN_WITH_FLAG, SIGN_WITH_HELP)
    .action(runAction(async (id: string, opts: { as: string; reason?: string; signWith?: string }) => decide(id, 'reject', opts.as, opts.reason, opts.signWith)));
}
