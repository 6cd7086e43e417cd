import type { Client } from '@temporalio/client';
import type { Command } from 'commander';
import ms from 'ms';
import { isReleaseRunning, type ReleaseInFlight, releasesInFlight, type ServiceScope, startRelease } from '../../release-client/releases';
import { awaitLaneTurn, readLane } from '../../release-client/lane';
import { durationSchema } from '../../config/duration';
import { releasePlan } from '../../config/plan';
import { freezeNow } from '../../release-client/freeze';
import type { ReleaseInput } from '../../domain/release';
import { releaseOutcome } from '../../release-client/outcome';
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

const describeInFlight = (r: Pick<ReleaseInFlight, 'releaseId' | 'stage'>) => `${r.releaseId} (stage ${r.stage})`;
const human = (millis: number) => ms(Math.round(millis / 1000) * 1000);

/**
 * One release of a service at a time, enforced by the service's lane (workflows/lane.ts): every
 * release waits there for its turn, whoever starts it. Before starting, this tells the person
 * what they would wait behind: in `queue` mode without --queue it refuses (exit 4) while the lane
 * is held, naming the holder; with --queue, or in `supersede` mode, it starts and the lane orders.
 * Starting the release that is already running is not an overlap: the start prints its id again.
 *
 * The check is a courtesy, not the guarantee: two starts in the same instant can both pass it,
 * and the lane then queues the second. A release started on a worker from before lanes holds no
 * lane, so the visibility list query (releasesInFlight) still looks for those.
 */
async function refuseWhileBusy(client: Client, scope: ServiceScope, id: string): Promise<void> {
  const { service } = scope;
  if (await isReleaseRunning(client, id)) return;
  const [lane, inFlight] = await Promise.all([readLane(client, scope.taskQueue, service), releasesInFlight(client, scope, id)]);
  const holder = lane?.holder;
  // The lane names its holder until its watch has seen the run close, which can lag by up to a
  // minute after a worker died: a holder the server says has closed is no reason to refuse (the
  // lane looks at it again when this release is admitted).
  const holderInFlight = holder !== undefined && holder.workflowId !== id && (await isReleaseRunning(client, holder.workflowId, holder.runId));
  const busy: Pick<ReleaseInFlight, 'releaseId' | 'stage'> | undefined = holderInFlight
    ? (inFlight.find((r) => r.releaseId === holder.workflowId) ?? { releaseId: holder.workflowId, stage: holder.kind === 'rollback' ? 'rollback' : 'queued' })
    : inFlight[0];
  if (!busy) return;
  throw refused(
    `not starting ${id}: ${describeInFlight(busy)} is in flight for ${service}. ` +
      `Follow it with \`runway watch ${busy.releaseId}\`, or start with --queue to wait in the ${service} lane.`,
  );
}

/** --queue: the release waits in its lane; so does the CLI, with a line every ~15 s, until its turn. */
async function waitInLane(client: Client, scope: ServiceScope, id: string, queueTimeoutMs: number): Promise<void> {
  const { service } = scope;
  // The release gives up by itself after its queue timeout; the CLI waits a little longer to see it do so.
  const wait = await awaitLaneTurn(client, scope.taskQueue, service, id, {
    timeoutMs: queueTimeoutMs + 60_000,
    onWaiting: (place, waitedMs) => process.stderr.write(`queued: ${id} is ${place} in the ${service} lane (waited ${human(waitedMs)} of up to ${human(queueTimeoutMs)})\n`),
  });
  if (wait.kind === 'turn') {
    if (wait.waitedMs > 2_000) process.stderr.write(`queued: ${id} holds the ${service} lane after ${human(wait.waitedMs)}; it goes on\n`);
    return;
  }
  if (wait.kind === 'timeout') {
    throw refused(`${id} still waits in the ${service} lane after ${human(wait.waitedMs)} (--queue-timeout ${human(queueTimeoutMs)})${wait.place ? `: ${wait.place}` : ''}. Follow it with \`runway watch ${id}\`.`);
  }
  const outcome: { reason?: string } = await releaseOutcome(client.workflow.getHandle(id)).catch((err: Error) => ({ reason: err.message }));
  throw refused(`${id} ended while waiting in the ${service} lane: ${outcome.reason ?? 'no reason given'}`);
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
    .option('--queue', "when another release of the service is in flight, wait in the service's lane for its turn instead of refusing (exit 4)")
    .option('--queue-timeout <duration>', `with --queue: the release gives up (exit 4) after waiting this long in the lane (default ${DEFAULT_QUEUE_TIMEOUT})`)
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
          // No release waits in its lane for ever: with --queue as long as it says, otherwise the default.
          laneTimeoutMs: queueTimeoutMs,
        };
        return withClient(env, async (client) => {
          const scope = { service: opts.service, taskQueue: env.RUNWAY_TASK_QUEUE };
          if (!opts.queue && plan.lane?.mode !== 'supersede') await refuseWhileBusy(client, scope, releaseId(opts.service, opts.version));
          if (opts.waitForFreeze === false) {
            const freeze = await freezeNow(client, env.RUNWAY_TASK_QUEUE, opts.service, plan);
            if (freeze.frozen) throw refused(`not starting ${releaseId(opts.service, opts.version)} (--no-wait-for-freeze): ${opts.service} is ${freeze.text}`);
          }
          const started = await startRelease(client, env.RUNWAY_TASK_QUEUE, input);
          // The id first (CI reads it), then the wait in the lane.
          if (!opts.json) process.stdout.write(started.started ? `${started.releaseId}\n` : `${started.releaseId} (already running)\n`);
          if (opts.queue) await waitInLane(client, scope, started.releaseId, queueTimeoutMs);
          if (opts.json && !opts.wait) process.stdout.write(`${JSON.stringify(started)}\n`);
          if (!opts.wait) return;
          return followAndReport(client, started.releaseId, { events: opts.json ? undefined : process.stderr, result: process.stderr, json: opts.json });
        });
      }),
    );
}
