/**
 * `runway rollback`: puts production back on what an earlier release ran there, through its own
 * durable workflow (workflows/rollback.ts). The target is resolved from Runway's records before
 * anything starts, so a refusal (nothing to roll back to, a release that never reached
 * production) changes nothing; running it twice finds the rollback already running.
 */
import type { Command } from 'commander';
import { releasePlan } from '../../config/plan';
import { sshSignedDecision } from '../../release-client/decision-signing';
import { resolveRollback, RollbackRefusedError, rollbackToSign, startRollback } from '../../release-client/rollback';
import type { RollbackInput } from '../../domain/rollback';
import { cliConfig, cliEnv, withClient } from '../context';
import { CliError, invalidInput, refused } from '../errors';
import { ExitCode } from '../exit-codes';
import { followAndReport } from '../follow-report';
import { runAction } from '../run-action';
import { defaultRequester } from '../requester';
import { SIGN_WITH_FLAG, signingKeyPath } from '../signing';

interface RollbackOptions {
  service: string;
  to?: string;
  reason?: string;
  as?: string;
  wait?: boolean;
  json?: boolean;
  config?: string;
  signWith?: string;
}

/** The rollback's input with the requester's SSH signature of it; ssh-keygen's problems become a one-line error. */
async function signed(namespace: string, input: RollbackInput, keyPath: string): Promise<RollbackInput> {
  try {
    return { ...input, decision: await sshSignedDecision(rollbackToSign(namespace, input), keyPath) };
  } catch (err) {
    if (err instanceof RollbackRefusedError) throw refused(`not rolling back ${input.service}: ${err.message}`);
    throw new CliError(`signing the rollback of ${input.from.workflowId} failed: ${(err as Error).message}`, ExitCode.error);
  }
}

export function configureRollbackCommand(program: Command): void {
  program
    .command('rollback')
    .description('roll production back to what an earlier release ran (by default the previous version); prints the rollback id')
    .requiredOption('--service <name>', 'service name from the config file')
    .option('--to <version or id>', 'the version (7+ hex digits) or release id to go back to (default: the version before the one in production)')
    .option('--reason <text>', 'why (required)')
    .option('--as <who>', 'who asks for it (default: $RUNWAY_REQUESTED_BY, $GITHUB_ACTOR or $USER)')
    .option(SIGN_WITH_FLAG, 'sign the request with this SSH key (private key, or its .pub with ssh-agent; default: $RUNWAY_SIGNING_KEY); required when the workers verify decisions')
    .option('--wait', 'follow the rollback; exit 0 only if production runs the target again')
    .option('--json', 'print machine-readable JSON')
    .option('--config <path>', 'config file (default: $RUNWAY_CONFIG or ./runway.config.yaml)')
    .action(
      runAction(async (opts: RollbackOptions) => {
        const env = cliEnv();
        if (!opts.reason?.trim()) throw invalidInput('--reason: required (why production is being rolled back)');
        if (opts.to !== undefined && !/^[0-9a-f]{7,40}$|^[a-z0-9-]+$/.test(opts.to)) throw invalidInput(`--to: "${opts.to}" is neither a version nor a release id`);
        const keyPath = signingKeyPath(opts.signWith);
        const config = await cliConfig(env, opts);
        const requestedBy = opts.as ?? defaultRequester(process.env);
        const plan = releasePlan(config, opts.service, requestedBy);
        return withClient(env, async (client) => {
          let input;
          try {
            input = await resolveRollback(client, { service: opts.service, to: opts.to, reason: opts.reason!.trim(), requestedBy, plan });
          } catch (err) {
            if (err instanceof RollbackRefusedError) throw refused(`not rolling back ${opts.service}: ${err.message}`);
            throw err;
          }
          if (keyPath) input = await signed(client.options.namespace, input, keyPath);
          const started = await startRollback(client, env.RUNWAY_TASK_QUEUE, input);
          const what = `${input.from.version.slice(0, 12)} → ${input.to.version.slice(0, 12)} (${input.to.taskDefinition})`;
          if (opts.json && !opts.wait) process.stdout.write(`${JSON.stringify({ rollbackId: started.rollbackId, started: started.started, from: input.from, to: input.to })}\n`);
          else if (!opts.json) process.stdout.write(`${started.rollbackId}${started.started ? '' : ' (already running)'}: ${what}\n`);
          if (!opts.wait) return;
          return followAndReport(client, started.rollbackId, { events: opts.json ? undefined : process.stderr, result: process.stderr, json: opts.json });
        });
      }),
    );
}
