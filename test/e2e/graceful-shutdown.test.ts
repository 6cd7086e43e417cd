/**
 * Graceful shutdown: SIGTERM to `runway worker` while a release waits for its staging
 * deployment lets the worker checkpoint that wait (its heartbeat) and exit 0 within its grace
 * time; the wait is handed back to Temporal as a failed attempt at once, not left to time out,
 * and a fresh worker finishes the release. SIGTERM while a short ECS call (staging's
 * UpdateService) is in flight lets the call finish and be reported: it is made once, never retried.
 */
import { releaseId } from '../../src/domain/release-id';
import { approveUpdate, statusQuery } from '../../src/domain/release-api';
import { runRunway } from '../support/runway-process';
import { randomSha } from '../support/sandbox-stack';
import { untilRelease, useCrashRig } from '../support/worker-fleet';
import { releaseOutcome } from '../../src/release-client/outcome';
import { releasesInFlight } from '../../src/release-client/releases';
import { describeStuckRelease } from '../support/stuck-release';

// Each test waits for a release through two worker processes' starts and a shutdown: on a loaded CI machine that has taken over two minutes.
jest.setTimeout(360_000);
/** How long a release may take from approval to its end on a loaded CI machine before the test says where it stuck. */
const OUTCOME_WAIT_MS = 200_000;

// No bake: these tests are about shutdown, and a canary held for a human (analysis without data on a
// loaded machine) would leave the release waiting until the test times out.
const rig = useCrashRig({ bake: '0s' });
/** temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED */
const ACTIVITY_STARTED = 2;

/** The release's outcome once it has one, or a failure naming where it stopped (never a silent hang). */
async function outcomeOf(id: string) {
  const ended = await untilRelease(rig.client, id, (s) => s.result !== undefined, OUTCOME_WAIT_MS).catch(async (err: Error) => {
    const status = await rig.client.workflow.getHandle(id).query(statusQuery).catch(() => undefined);
    const waiting = await describeStuckRelease(rig.client, id, { taskQueue: rig.stack.env.RUNWAY_TASK_QUEUE!, service: 'checkout' });
    throw new Error(`${err.message}; last stage ${status?.stage ?? '?'}: ${status?.history.at(-1)?.message ?? '?'}\n${waiting}\n${rig.fleet.outputTails()}`);
  });
  expect(ended.result).toBeDefined();
  return releaseOutcome(rig.client.workflow.getHandle(id));
}

async function pendingWait(id: string) {
  const { raw } = await rig.client.workflow.getHandle(id).describe();
  return raw.pendingActivities?.find((a) => a.activityType?.name === 'waitForDeployment');
}

it('SIGTERM mid-deployment: the worker exits 0, the wait is released without a timeout, a new worker finishes', async () => {
  // A staging rollout that outlasts the worker's shutdown grace time, so the wait is cut short.
  await rig.stack.setScenario({ deploymentDelayMs: 15_000 });
  const worker = await rig.fleet.start();
  const version = randomSha();
  const id = releaseId('checkout', version);
  expect((await runRunway(['start', '--service', 'checkout', '--version', version], rig.stack.env)).code).toBe(0);

  await untilRelease(rig.client, id, (s) => s.stage === 'staging');
  for (let i = 0; i < 300 && (await pendingWait(id))?.state !== ACTIVITY_STARTED; i++) await new Promise((r) => setTimeout(r, 100));
  expect((await pendingWait(id))?.state).toBe(ACTIVITY_STARTED);
  await rig.stack.setScenario({ deploymentDelayMs: 300 });

  worker.child.kill('SIGTERM');
  const exit = await worker.exited;
  expect(exit.code).toBe(0);

  // Handed back by the worker: the attempt failed as cancelled, not by a heartbeat timeout.
  const wait = await pendingWait(id);
  expect(wait?.lastFailure).toBeDefined();
  expect(wait?.lastFailure?.timeoutFailureInfo).toBeFalsy();
  expect(Number(wait?.attempt)).toBeGreaterThanOrEqual(2);

  await rig.fleet.start();
  await untilRelease(rig.client, id, (s) => s.stage === 'awaiting-approval');
  await rig.client.workflow.getHandle(id).executeUpdate(approveUpdate, { args: [{ by: 'alice' }] });
  const outcome = await outcomeOf(id);
  expect({ result: outcome.result, reason: outcome.reason }).toEqual({ result: 'released', reason: undefined });
});

it('SIGTERM during a short ECS call: the call finishes within the grace time, is made once, and the release completes', async () => {
  // The previous test's release must be seen ended first, or `runway start` refuses this one
  // (visibility on a loaded machine can list a closed release as running for a while).
  for (let i = 0; i < 300 && (await releasesInFlight(rig.client, { service: 'checkout', taskQueue: rig.stack.env.RUNWAY_TASK_QUEUE! })).length > 0; i++) {
    await new Promise((r) => setTimeout(r, 200));
  }
  // Only this test's worker on the queue, so the one signalled is the one making the call.
  await rig.fleet.killAll();
  const before = Math.max(0, ...Object.values(await rig.stack.calls()).flatMap((calls: { seq: number }[] | undefined) => (calls ?? []).map((c) => c.seq)));
  const stagingUpdates = async () =>
    (await rig.stack.calls()).ecs.filter((c) => c.seq > before && c.operation === 'UpdateService' && c.status === 200 && (c.request as { cluster?: string }).cluster === 'staging');
  // Staging's UpdateService takes effect at once and answers 3 s later (well within the 5 s grace time).
  await rig.stack.setScenario({ deploymentDelayMs: 300, ecs: { holdResponseAfterEffect: { action: 'UpdateService', ms: 3_000, count: 1 } } });
  const worker = await rig.fleet.start();
  const version = randomSha();
  const id = releaseId('checkout', version);
  const started = await runRunway(['start', '--service', 'checkout', '--version', version], rig.stack.env);
  if (started.code !== 0) throw new Error(`runway start exited ${started.code}: ${started.stderr}${started.stdout}`);

  // The hold is consumed when the update is applied: from then on its answer is in flight.
  for (let i = 0; i < 1200; i++) {
    const scenario = (await (await fetch(`${rig.stack.sandbox.url}/_sandbox/scenario`)).json()) as { ecs?: { holdResponseAfterEffect?: unknown } };
    if (!scenario.ecs?.holdResponseAfterEffect) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  worker.child.kill('SIGTERM');
  // The sandbox logs a call when it answers: the signal arrived while the update was still in flight.
  expect(await stagingUpdates()).toHaveLength(0);
  const exit = await worker.exited;
  expect(exit.code).toBe(0);
  // The worker waited for the answer before exiting, and reported the activity done.
  expect(await stagingUpdates()).toHaveLength(1);
  const history = await rig.client.workflow.getHandle(id).fetchHistory();
  const scheduled = history.events?.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'updateService');
  expect(scheduled).toBeDefined();
  const completed = history.events?.find((e) => String(e.activityTaskCompletedEventAttributes?.scheduledEventId) === String(scheduled!.eventId));
  expect(completed).toBeDefined();

  await rig.fleet.start();
  await untilRelease(rig.client, id, (s) => s.stage === 'awaiting-approval');
  await rig.client.workflow.getHandle(id).executeUpdate(approveUpdate, { args: [{ by: 'alice' }] });
  const outcome = await outcomeOf(id);
  expect({ result: outcome.result, reason: outcome.reason }).toEqual({ result: 'released', reason: undefined });
  // One staging update in the whole release, made by the first attempt: no retry had to find it in place.
  expect(await stagingUpdates()).toHaveLength(1);
  const stagingNotes = outcome.status.history.map((e) => e.message).filter((m) => m.startsWith('staging: '));
  expect(stagingNotes.some((m) => m.startsWith('staging: updated '))).toBe(true);
  expect(stagingNotes.some((m) => m.startsWith('staging: already on '))).toBe(false);
});
