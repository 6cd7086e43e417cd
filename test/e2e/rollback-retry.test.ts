/**
 * The rollback path with the real release workflow, worker process and sandbox: a release that
 * fails its smoke test must put staging back even when ECS answers the rollback's update with
 * 5xx several times over (the SDK retries, then Temporal does), and when the undo cannot
 * succeed (access denied) the release ends `failed`, naming the undo that did not happen.
 */
import type { ReleaseOutcome } from '../../src/domain/release';
import { releaseId } from '../../src/domain/release-id';
import { runRunway } from '../support/runway-process';
import { randomSha } from '../support/sandbox-stack';
import { useCrashRig } from '../support/worker-fleet';
import { releaseOutcome } from '../../src/release-client/outcome';

const rig = useCrashRig({ bake: '1s' });

interface StagingState {
  ecs: { clusters: { name: string; services: { serviceName: string; taskDefinition: string }[] }[] };
}

async function stagingTaskDefinition(): Promise<string> {
  const state = (await (await fetch(`${rig.stack.sandbox.url}/_sandbox/state`)).json()) as StagingState;
  return state.ecs.clusters.find((c) => c.name === 'staging')!.services.find((s) => s.serviceName === 'checkout')!.taskDefinition;
}

async function stagingUpdates(): Promise<{ status: number; taskDefinition?: string }[]> {
  return (await rig.stack.calls()).ecs
    .filter((c) => c.operation === 'UpdateService' && (c.request as { cluster?: string }).cluster === 'staging')
    .map((c) => ({ status: c.status, taskDefinition: (c.request as { taskDefinition?: string }).taskDefinition }));
}

/** Starts a release whose image fails the staging smoke test, with `ecsFaults` scripted for the calls after staging's update. */
async function failingRelease(ecsFaults: unknown): Promise<{ outcome: ReleaseOutcome; before: string; updates: () => ReturnType<typeof stagingUpdates> }> {
  const version = randomSha();
  const before = await stagingTaskDefinition();
  const earlier = (await stagingUpdates()).length;
  // Unhealthy: deploys fine, then /health answers 503, so the smoke test fails and the undo runs.
  await rig.stack.setScenario({ images: { [version]: 'unhealthy' }, ecs: ecsFaults });
  const started = await runRunway(['start', '--service', 'checkout', '--version', version], rig.stack.env);
  expect(started.code).toBe(0);
  const outcome = await releaseOutcome(rig.client.workflow.getHandle(releaseId('checkout', version)));
  // Only this release's calls: the log spans the file.
  return { outcome, before, updates: async () => (await stagingUpdates()).slice(earlier) };
}

beforeAll(async () => {
  await rig.fleet.start();
});

it('retries the rollback through repeated 5xx until staging is restored', async () => {
  // The first UpdateService (staging's deploy) passes; the rollback's next six answer 503:
  // four in its first attempt (the SDK's own retries), two more in Temporal's retry.
  const { outcome, before, updates: releaseUpdates } = await failingRelease({ failNext: { operation: 'UpdateService', status: 503, count: 6, skip: 1 } });

  expect(outcome.result).toBe('rolled-back');
  expect(outcome.reason).toMatch(/smoke/i);
  expect(outcome.status.history.map((e) => e.message)).toContainEqual(expect.stringMatching(/^undone: restore staging \(staging\/checkout\)/));
  expect(await stagingTaskDefinition()).toBe(before);
  const updates = await releaseUpdates();
  expect(updates.map((u) => u.status)).toEqual([200, 503, 503, 503, 503, 503, 503, 200]);
  expect(updates[updates.length - 1]!.taskDefinition).toBe(before);
});

it('ends failed, naming the undo, when the rollback cannot succeed', async () => {
  const { outcome, before, updates } = await failingRelease({ accessDenied: { operations: ['UpdateService'], count: 1, skip: 1 } });

  expect(outcome.result).toBe('failed');
  expect(outcome.reason).toMatch(/rollback incomplete: restore staging \(staging\/checkout\) to /);
  expect(outcome.status.history.map((e) => e.message)).toContainEqual(expect.stringMatching(/^undo failed: restore staging .*AccessDeniedException.*ecs:UpdateService/));
  // Not retried: one refused call, and staging is still on the release's revision.
  expect((await updates()).map((u) => [u.status, u.taskDefinition === before])).toEqual([
    [200, false],
    [400, true],
  ]);
  expect(await stagingTaskDefinition()).not.toBe(before);
});
