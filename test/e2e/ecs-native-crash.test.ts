/**
 * ECS's own deployments when workers die, with `runway worker` processes against the sandbox:
 * - a worker SIGKILLed while a PAUSE hook awaits action: a new worker picks the release up and
 *   answers that hook (and every other) exactly once, counted at the sandbox; it is released;
 * - a hook that timed out while no worker ran (the sandbox's ECS minute made short, before the
 *   release, so the computed timeouts pass in seconds): ECS rolled the deployment back by itself;
 *   once a worker runs again the release notices, and ends rolled back naming the timed-out hook.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ListServiceDeploymentsCommand } from '@aws-sdk/client-ecs';
import type { Client } from '@temporalio/client';
import type { ReleasePlan } from '../../src/domain/release';
import { releaseId } from '../../src/domain/release-id';
import { approveUpdate } from '../../src/domain/release-api';
import type { Sandbox } from '../../src/sandbox';
import { sandboxClientEnv } from '../../src/stack/sandbox-seed';
import {
  answersPerHook,
  continueCalls,
  describeDeployment,
  hooksSeenAwaiting,
  nativePlan,
  nativeReleaseInput,
  productionTaskDefinition,
  productionWeights,
  STABLE_TD,
  startNativeSandbox,
} from '../support/ecs-native-rig';
import { ecsClient, until } from '../support/sandbox-clients';
import { testClient, testTemporalAddress, uniqueId } from '../support/temporal';
import { untilRelease, WorkerFleet } from '../support/worker-fleet';
import { startReleaseWorkflow } from '../support/workflow-runner';
import { releaseOutcome } from '../../src/release-client/outcome';

jest.setTimeout(180_000);

let client: Client;
let closeClient: () => Promise<void>;
let sandbox: Sandbox;
let config: Awaited<ReturnType<typeof startNativeSandbox>>['config'];
let fleet: WorkerFleet;
let taskQueue: string;

/** The sandbox, a config file pointing at it and a fleet of workers on a fresh task queue; torn down after each test. */
async function startRig(options: { deploymentDelayMs?: number } = {}): Promise<void> {
  ({ sandbox, config } = await startNativeSandbox(options));
  const configFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'runway-native-crash-')), 'runway.config.yaml');
  writeFileSync(configFile, readFileSync(path.join(__dirname, '../../runway.config.yaml'), 'utf8').replaceAll('http://127.0.0.1:4010', sandbox.url));
  taskQueue = uniqueId('native-crash');
  fleet = new WorkerFleet({
    ...sandboxClientEnv(sandbox.url),
    TEMPORAL_ADDRESS: testTemporalAddress(),
    RUNWAY_TASK_QUEUE: taskQueue,
    RUNWAY_CONFIG: configFile,
    RUNWAY_DEPLOY_POLL_INTERVAL: '250ms',
  });
}

beforeEach(async () => {
  ({ client, close: closeClient } = await testClient());
});
afterEach(async () => {
  await fleet?.killAll();
  await sandbox?.close();
  await closeClient?.();
});

/** Starts a release of a new healthy version under `plan` and approves it as alice; resolves with its id and image. */
async function startApproved(plan: ReleasePlan): Promise<{ id: string; image: string }> {
  const input = nativeReleaseInput(plan);
  sandbox.setScenario({ images: { [input.image]: 'healthy' } });
  await startReleaseWorkflow(client, taskQueue, input);
  const id = releaseId(input.service, input.version);
  await untilRelease(client, id, (s) => s.stage === 'awaiting-approval');
  await client.workflow.getHandle(id).executeUpdate(approveUpdate, { args: [{ by: 'alice' }] });
  return { id, image: input.image };
}

/** The service deployment the release started (the one production UpdateService's), once ECS lists a hook of it awaiting action. */
async function untilHookAwaiting(): Promise<{ arn: string; hookId: string }> {
  const found = await until(
    async () => {
      const arn = continueCalls(sandbox)[0]?.serviceDeploymentArn;
      if (!arn) return undefined;
      const sd = await describeDeployment(sandbox, arn);
      const hook = sd.lifecycleHookDetails?.find((h) => h.status === 'AWAITING_ACTION');
      return hook?.hookId ? { arn, hookId: hook.hookId } : undefined;
    },
    (v) => v !== undefined,
    60_000,
  );
  return found!;
}

it('a worker killed while a hook awaits action: the release resumes on a new worker, answers every hook exactly once, and is released', async () => {
  await startRig();
  // ECS linear: 25 %, 50 %, 75 %, 100 %; 3 s bakes, so each step's hook awaits for a while.
  let worker = await fleet.start();
  const { id } = await startApproved(nativePlan(config, sandbox, 'ecs-linear', { bakeMs: 3000 }));

  // At 25 %: the hook before the 50 % shift awaits action while the step is analysed. Kill the worker there.
  await untilRelease(client, id, (s) => s.stage === 'canary' && s.canary.step === 1);
  const first = await untilHookAwaiting();
  expect(continueCalls(sandbox).some((c) => c.hookId === first.hookId)).toBe(false);
  await fleet.kill(worker);
  worker = await fleet.start();

  // And again at 50 %, on the worker that took over.
  await untilRelease(client, id, (s) => s.stage === 'canary' && s.canary.step === 2);
  await fleet.kill(worker);
  await fleet.start();

  const outcome = await releaseOutcome(client.workflow.getHandle(id));
  expect(outcome.result).toBe('released');

  const seen = hooksSeenAwaiting(sandbox);
  expect(seen.map((h) => h.lifecycleStage)).toEqual(['PRODUCTION_TRAFFIC_SHIFT', 'PRODUCTION_TRAFFIC_SHIFT', 'PRODUCTION_TRAFFIC_SHIFT', 'PRODUCTION_TRAFFIC_SHIFT', 'POST_PRODUCTION_TRAFFIC_SHIFT']);
  expect(seen.map((h) => h.hookId)).toContain(first.hookId);
  // Every hook answered, each exactly once, with CONTINUE; the one the first worker died at included.
  expect(answersPerHook(sandbox)).toEqual(Object.fromEntries(seen.map((h) => [h.hookId, 1])));
  expect(continueCalls(sandbox).every((c) => c.action === 'CONTINUE')).toBe(true);
  // One UpdateService of production: the deployment was not started twice.
  const productionUpdates = sandbox.calls().ecs.filter((c) => c.operation === 'UpdateService' && c.status === 200 && (c.request as { cluster?: string }).cluster === 'production');
  expect(productionUpdates).toHaveLength(1);
  expect(await describeDeployment(sandbox, first.arn)).toMatchObject({ status: 'SUCCESSFUL' });
  expect(await productionTaskDefinition(sandbox)).not.toMatch(STABLE_TD);
});

/**
 * One ECS minute lasts 400 ms in the sandbox from the next deployment on (fixed when it starts):
 * the hook timeouts nativeDeploymentPlan computes from the bake (2 s), the decision timeout (20 s)
 * and its 10-minute grace (11 "minutes" here) pass in about 4.4 s. Set before the release.
 */
function shortEcsMinutes(): ReleasePlan {
  sandbox.setScenario({ ecs: { nativeDeployments: { minuteMs: 400 } } });
  const plan = nativePlan(config, sandbox, 'ecs-canary', { bakeMs: 2000, decisionTimeoutMs: 20_000 });
  expect(plan.canary.bakeMs * 3 + plan.canary.analysis.decisionTimeoutMs).toBeLessThan(60_000);
  return plan;
}

/** ECS times the hook out (timeout action ROLLBACK) and rolls the deployment back by itself, with no worker running. */
async function untilEcsRolledBack(arn: string): Promise<{ hookId: string }> {
  const rolledBack = await until(() => describeDeployment(sandbox, arn), (sd) => sd.status === 'ROLLBACK_SUCCESSFUL', 60_000);
  const timedOut = rolledBack.lifecycleHookDetails?.find((h) => h.status === 'TIMED_OUT');
  expect(timedOut?.hookId).toBeDefined();
  expect(rolledBack.statusReason).toContain(`lifecycle hook ${timedOut!.hookId} timed out`);
  return { hookId: timedOut!.hookId! };
}

/** The release ended rolled back naming the timed-out hook; the hook was never answered late; production is back on the stable revision with all its traffic. */
async function expectRolledBackNaming(id: string, arn: string, hookId: string, answeredBefore: number): Promise<void> {
  const outcome = await releaseOutcome(client.workflow.getHandle(id));
  expect(outcome.result).toBe('rolled-back');
  expect(outcome.reason).toContain(`lifecycle hook ${hookId} timed out`);
  expect(continueCalls(sandbox)).toHaveLength(answeredBefore);
  expect(answersPerHook(sandbox)[hookId]).toBeUndefined();
  expect(await describeDeployment(sandbox, arn)).toMatchObject({ status: 'ROLLBACK_SUCCESSFUL' });
  expect(await productionWeights(sandbox)).toEqual([{ taskDefinition: expect.stringMatching(STABLE_TD), production: 100, test: 0 }]);
  expect(await productionTaskDefinition(sandbox)).toMatch(STABLE_TD);
}

/** The production service deployment, once ECS lists it (after the release's UpdateService). */
async function untilDeploymentStarted(): Promise<string> {
  const ecs = ecsClient(sandbox);
  try {
    const listed = await until(
      async () => (await ecs.send(new ListServiceDeploymentsCommand({ cluster: 'production', service: 'checkout' }))).serviceDeployments ?? [],
      (sds) => sds.length > 0,
      60_000,
    );
    return listed[0]!.serviceDeploymentArn!;
  } finally {
    ecs.destroy();
  }
}

it('a hook reached and timed out while no worker ran: ECS rolled back, and the release, once a worker runs again, ends rolled back naming the hook', async () => {
  // Scaling up takes 4 s: the worker is gone before the first hook is reached.
  await startRig({ deploymentDelayMs: 4000 });
  const plan = shortEcsMinutes();
  const worker = await fleet.start();
  const { id } = await startApproved(plan);
  const arn = await untilDeploymentStarted();
  expect((await describeDeployment(sandbox, arn)).lifecycleHookDetails?.some((h) => h.status === 'AWAITING_ACTION') ?? false).toBe(false);
  await fleet.kill(worker);

  const { hookId } = await untilEcsRolledBack(arn);
  const answeredBefore = continueCalls(sandbox).length;
  expect(answeredBefore).toBe(0);
  await fleet.start();
  await expectRolledBackNaming(id, arn, hookId, answeredBefore);
});

/**
 * Once a worker runs again the bake resumes on the new revision, which ECS has taken all traffic
 * from; the release looks at the deployment after every analysis window, so it ends naming the
 * hook ECS timed out rather than holding for a human about a canary that no longer exists (and,
 * after the decision timeout, "no decision within 20 s after: 3 inconclusive measurement(s)…").
 */
it('a hook that timed out during a step\'s bake while no worker ran: the release, once a worker runs again, ends rolled back naming the hook', async () => {
  await startRig();
  const plan = shortEcsMinutes();
  const worker = await fleet.start();
  const { id } = await startApproved(plan);

  // At 10 %: the hook before the 100 % shift awaits action while the step bakes. No worker from here on.
  await untilRelease(client, id, (s) => s.stage === 'canary' && s.canary.step === 1);
  const held = await untilHookAwaiting();
  await fleet.kill(worker);

  const { hookId } = await untilEcsRolledBack(held.arn);
  expect(hookId).toBe(held.hookId);
  const answeredBefore = continueCalls(sandbox).length;
  await fleet.start();
  await expectRolledBackNaming(id, held.arn, hookId, answeredBefore);
});
