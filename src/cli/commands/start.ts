import os from 'node:os';
import type { Command } from 'commander';
import { startRelease, followRelease } from '../../client/releases';
import { releasePlan } from '../../config/plan';
import type { ReleaseInput } from '../../domain/release';
import { defaultImage, VERSION_PATTERN } from '../../domain/release-id';
import { cliConfig, cliEnv, withClient } from '../context';
import { invalidInput } from '../errors';
import { exitCodeForResult } from '../exit-codes';
import { formatEvent } from '../format';
import { runAction } from '../run-action';

interface StartOptions {
  service: string;
  version: string;
  image?: string;
  reason?: string;
  requestedBy?: string;
  wait?: boolean;
  json?: boolean;
  config?: string;
}

/** Who started the release: explicit flag, CI's actor, or the local user. */
function defaultRequester(env: NodeJS.ProcessEnv): string {
  return env.RUNWAY_REQUESTED_BY || env.GITHUB_ACTOR || env.USER || os.userInfo().username || 'unknown';
}

export function configureStartCommand(program: Command): void {
  program
    .command('start')
    .description('validate and start a release; prints its id')
    .requiredOption('--service <name>', 'service name from the config file')
    .requiredOption('--version <sha>', 'git commit SHA to release (7-40 lower-case hex characters)')
    .option('--image <uri>', 'image to deploy (default: <image repository from config>:<version>)')
    .option('--reason <text>', 'why this release is happening', 'release')
    .option('--requested-by <who>', 'who asks for it (default: $RUNWAY_REQUESTED_BY, $GITHUB_ACTOR or $USER)')
    .option('--wait', 'follow the release; exit 0 only if it reaches production')
    .option('--json', 'print machine-readable JSON')
    .option('--config <path>', 'config file (default: $RUNWAY_CONFIG or ./runway.config.yaml)')
    .action(
      runAction(async (opts: StartOptions) => {
        const env = cliEnv();
        if (!VERSION_PATTERN.test(opts.version)) {
          throw invalidInput(`--version: "${opts.version}" is not a git commit SHA (7-40 lower-case hex characters)`);
        }
        if (opts.image !== undefined && !/^\S+$/.test(opts.image)) throw invalidInput(`--image: "${opts.image}" is not an image reference`);
        const config = await cliConfig(env, opts);
        const requestedBy = opts.requestedBy ?? defaultRequester(process.env);
        const plan = releasePlan(config, opts.service, requestedBy);
        const input: ReleaseInput = {
          service: opts.service,
          version: opts.version,
          image: opts.image ?? defaultImage(plan.imageRepository, opts.version),
          requestedBy,
          reason: opts.reason ?? 'release',
          plan,
        };
        return withClient(env, async (client) => {
          const started = await startRelease(client, env.RUNWAY_TASK_QUEUE, input);
          if (opts.json && !opts.wait) {
            process.stdout.write(`${JSON.stringify(started)}\n`);
          } else if (!opts.json) {
            process.stdout.write(started.started ? `${started.releaseId}\n` : `${started.releaseId} (already running)\n`);
          }
          if (!opts.wait) return;
          const final = await followRelease(client, started.releaseId, {
            onEvent: (event) => {
              if (!opts.json) process.stderr.write(`${formatEvent(event)}\n`);
            },
          });
          if (opts.json) process.stdout.write(`${JSON.stringify(final)}\n`);
          else process.stderr.write(`${final.releaseId}: ${final.result}${final.outcomeReason ? ` — ${final.outcomeReason}` : ''}\n`);
          return exitCodeForResult(final.result);
        });
      }),
    );
}
