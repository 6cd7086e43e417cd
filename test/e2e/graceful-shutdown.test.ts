/**
 * Graceful shutdown: SIGTERM to `runway worker` while a release waits for its staging
 * deployment lets the worker checkpoint that wait (its heartbeat) and exit 0 within its grace
 * time; the wait is handed back to Temporal as a failed attempt at once, not left to time out,
 * and a fresh worker finishes the release.
 */
import type { ReleaseOutcome } from '../../src/domain/release';
import { releaseId } from '../../src/domain/release-id';
import { approveUpdate } from '../../src/messages';
import { runRunway } from '../support/runway-process';
import { randomSha } from '../support/sandbox-stack';
import { untilRelease, useCrashRig } from '../support/worker-fleet';

const rig = useCrashRig({ bake: '500ms' });
/** temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED */
const ACTIVITY_STARTED = 2;

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
  const outcome = (await rig.client.workflow.getHandle(id).result()) as ReleaseOutcome;
  expect({ result: outcome.result, reason: outcome.reason }).toEqual({ result: 'released', reason: undefined });
});
