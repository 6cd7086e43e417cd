/**
 * `runway rollback`: puts production back on what an earlier release ran there, through its own
 * durable workflow (workflows/rollback.ts). The target is resolved from Runway's records before
 * anything starts, so a refusal (nothing to roll back to, a release that never reached
 * production) changes nothing; running it twice finds the rollback already running.
 */
import type { Command } from 'commander';
import { releasePlan } from '../../config/plan';
import { resolveRollback, RollbackRefusedError, startRollback } from '../../release-client/rollback';
import { cliConfig, cliEnv, withClient } from '../context';
import { invalidInput, refused } from '../errors';
import { followAndReport } from '../follow-report';
import { runAction } from '../run-action';
import { defaultRequester } from '../requester';

interface RollbackOptions {
  service: string;
  to?: string;
  reason?: string;
  as?: string;
  wait?: boolean;
  json?: boolean;
  config?: string;
}

export function configureRollbackCommand(program: Command): void {
  program
    .command('rollback')
    .description('roll production back to what an earlier release ran (by default the previous version); prints the rollback id')
    .requiredOption('--service <name>', 'service name from the config file')
    .option('--to <version or id>', 'the version (7+ hex digits) or release id to go back to (default: the version before the one in production)')
    .option('--reason <text>', 'why (required)')
    .option('--as <who>', 'who asks for it (default: $RUNWAY_REQUESTED_BY, $GITHUB_ACTOR or $USER)')
    .option('--wait', 'follow the rollback; exit 0 only if production runs the target again')
    .option('--json', 'print machine-readable JSON')
    .option('--config <path>', 'config file (default: $RUNWAY_CONFIG or ./runway.config.yaml)')
    .action(
      runAction(async (opts: RollbackOptions) => {
        const env = cliEnv();
        if (!opts.reason?.trim()) throw invalidInput('--reason: required (why production is being rolled back)');
        if (opts.to !== undefined && !/^[0-9a-f]{7,40}$|^[a-z0-9-]+$/.test(opts.to)) throw invalidInput(`--to: "${opts.to}" is neither a version nor a release id`);
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
