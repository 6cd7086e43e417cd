import type { Client } from '@temporalio/client';
import type { Command } from 'commander';
import ms from 'ms';
import { isReleaseRunning, type ReleaseInFlight, releasesInFlight, type ServiceScope, startRelease, waitForServiceFree } from '../../release-client/releases';
import { durationSchema } from '../../config/duration';
import { releasePlan } from '../../config/plan';
import { freezeNow } from '../../release-client/freeze';
import type { ReleaseInput } from '../../domain/release';
import { defaultImage, releaseId, VERSION_PATTERN } from '../../domain/release-id';
import { cliConfig, cliEnv, withClient } from '../context';
import { invalidInput, refused } from '../errors';
import { startingRunFromEnv } from '../github-actions-run';
import { followAndReport } from '../follow-report';
import { runAction } from '../run-action';
import { defaultRequester } from '../requester';

interface StartOptions {
  service: string;
  version: string;
  image?: string;
  reason?: string;
  requestedBy?: string;
  wait?: boolean;
  json?: boolean;
  config?: string;
  queue?: boolean;
  queueTimeout?: string;
  /** commander's --no-wait-for-freeze: false when given. */
  waitForFreeze?: boolean;
  breakGlass?: boolean;
}

const DEFAULT_QUEUE_TIMEOUT = '6h';

function parseQueueTimeout(opts: StartOptions): number {
  if (opts.queueTimeout === undefined) return durationSchema.parse(DEFAULT_QUEUE_TIMEOUT);
  if (!opts.queue) throw invalidInput('--queue-timeout: only applies with --queue');
  const parsed = durationSchema.safeParse(opts.queueTimeout);
  if (!parsed.success) throw invalidInput(`--queue-timeout: "${opts.queueTimeout}" is not a duration (examples: 30m, 2h, 6h)`);
  return parsed.data;
}

const describeInFlight = (r: ReleaseInFlight) => `${r.releaseId} (stage ${r.stage})`;
const human = (millis: number) => ms(Math.round(millis / 1000) * 1000);

/**
 * One release of a service at a time. Before starting, look for another running release of the
 * same service on the same task queue (a visibility list query, each hit confirmed by a
 * describe): refuse (exit 4) or, with --queue, wait for it to end.
 * Starting the release that is already running is not an overlap: it goes on to the start,
 * which finds it and prints its id.
 *
 * Not atomic: the visibility store is eventually consistent and the check is separate from the
 * start, so two starts in the same instant can both pass. The concurrency group in the CI example
 * (.github/workflows/release.yml) serialises jobs; this check covers what it cannot (a job that
 * timed out or was cancelled while its release carries on, starts from elsewhere).
 */
async function awaitTurn(client: Client, scope: ServiceScope, id: string, opts: StartOptions, queueTimeoutMs: number): Promise<void> {
  const { service } = scope;
  if (await isReleaseRunning(client, id)) return;
  const [inFlight] = await releasesInFlight(client, scope, id);
  if (!inFlight) return;
  if (!opts.queue) {
    throw refused(
      `not starting ${id}: ${describeInFlight(inFlight)} is in flight for ${service}. ` +
        `Follow it with \`runway watch ${inFlight.releaseId}\`, or start with --queue to wait for it to end.`,
    );
  }
  const outcome = await waitForServiceFree(client, scope, id, {
    timeoutMs: queueTimeoutMs,
    onWaiting: (r, waitedMs) =>
      process.stderr.write(`queued: ${id} waits for ${describeInFlight(r)} to end (waited ${human(waitedMs)} of up to ${human(queueTimeoutMs)})\n`),
  });
  if (!outcome.ready) {
    throw refused(
      `not starting ${id}: ${describeInFlight(outcome.inFlight)} is still in flight for ${service} after ${human(outcome.waitedMs)} (--queue-timeout ${human(queueTimeoutMs)}). ` +
        `Follow it with \`runway watch ${outcome.inFlight.releaseId}\`.`,
    );
  }
  if (outcome.waitedMs > 0) process.stderr.write(`queued: no other release of ${service} in flight after ${human(outcome.waitedMs)}; starting ${id}\n`);
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
    .option('--queue', 'when another release of the service is in flight, wait for it to end instead of refusing (exit 4)')
    .option('--queue-timeout <duration>', `with --queue: give up (exit 4) after this long (default ${DEFAULT_QUEUE_TIMEOUT})`)
    .option('--no-wait-for-freeze', 'when the service is frozen now (configured window or ad hoc freeze), refuse (exit 4) instead of waiting at the production gate')
    .option('--break-glass', 'may pass a freeze at the production gate with freeze.breakGlass.required approvals (runway break-glass approve); needs --reason')
    .option('--json', 'print machine-readable JSON')
    .option('--config <path>', 'config file (default: $RUNWAY_CONFIG or ./runway.config.yaml)')
    .action(
      runAction(async (opts: StartOptions, command: Command) => {
        const env = cliEnv();
        if (!VERSION_PATTERN.test(opts.version)) {
          throw invalidInput(`--version: "${opts.version}" is not a git commit SHA (7-40 lower-case hex characters)`);
        }
        if (opts.image !== undefined && !/^\S+$/.test(opts.image)) throw invalidInput(`--image: "${opts.image}" is not an image reference`);
        const queueTimeoutMs = parseQueueTimeout(opts);
        // --reason has a default; break-glass needs one given on purpose.
        if (opts.breakGlass && (command.getOptionValueSource('reason') !== 'cli' || !opts.reason?.trim())) {
          throw invalidInput('--break-glass: a --reason is required (why the freeze must be broken)');
        }
        const config = await cliConfig(env, opts);
        const requestedBy = opts.requestedBy ?? defaultRequester(process.env);
        const plan = releasePlan(config, opts.service, requestedBy);
        // In a GitHub Actions job: the run this job belongs to, whose own check runs the build gate leaves out.
        const startingRun = startingRunFromEnv(process.env, plan.repo);
        if (startingRun.note) process.stderr.write(`note: ${startingRun.note}\n`);
        const input: ReleaseInput = {
          service: opts.service,
          version: opts.version,
          image: opts.image ?? defaultImage(plan.imageRepository, opts.version),
          requestedBy,
          reason: opts.reason ?? 'release',
          plan,
          ...(startingRun.startedBy ? { startedBy: startingRun.startedBy } : {}),
          ...(opts.breakGlass ? { breakGlass: { reason: opts.reason!.trim() } } : {}),
        };
        return withClient(env, async (client) => {
          await awaitTurn(client, { service: opts.service, taskQueue: env.RUNWAY_TASK_QUEUE }, releaseId(opts.service, opts.version), opts, queueTimeoutMs);
          if (opts.waitForFreeze === false) {
            const freeze = await freezeNow(client, env.RUNWAY_TASK_QUEUE, opts.service, plan);
            if (freeze.frozen) throw refused(`not starting ${releaseId(opts.service, opts.version)} (--no-wait-for-freeze): ${opts.service} is ${freeze.text}`);
          }
          const started = await startRelease(client, env.RUNWAY_TASK_QUEUE, input);
          if (opts.json && !opts.wait) {
            process.stdout.write(`${JSON.stringify(started)}\n`);
          } else if (!opts.json) {
            process.stdout.write(started.started ? `${started.releaseId}\n` : `${started.releaseId} (already running)\n`);
          }
          if (!opts.wait) return;
          return followAndReport(client, started.releaseId, { events: opts.json ? undefined : process.stderr, result: process.stderr, json: opts.json });
        });
      }),
    );
}
