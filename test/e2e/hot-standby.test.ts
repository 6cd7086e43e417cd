/**
 * Hot standby: with two worker processes on the task queue, SIGKILLing one mid-release lets
 * the other finish it — no restart needed, and still no ECS update made twice.
 */
import type { Client } from '@temporalio/client';
import type { ReleaseOutcome } from '../../src/domain/release';
import { releaseId } from '../../src/domain/release-id';
import { approveUpdate } from '../../src/messages';
import { testClient } from '../harness/temporal';
import { runRunway } from '../support/runway-process';
import { randomSha, type SandboxStack, startSandboxStack } from '../support/sandbox-stack';
import { untilRelease, WorkerFleet } from '../support/worker-fleet';

let client: Client;
let closeClient: () => Promise<void>;
let stack: SandboxStack;
let fleet: WorkerFleet;

beforeAll(async () => {
  ({ client, close: closeClient } = await testClient());
  stack = await startSandboxStack({ bake: '2s' });
  fleet = new WorkerFleet(stack.env);
});
afterAll(async () => {
  await fleet?.killAll();
  await stack?.sandbox.close();
  await closeClient();
});

it('a standby worker finishes the release when the active one is killed mid-canary', async () => {
  await fleet.start();
  await fleet.start();
  const version = randomSha();
  const id = releaseId('checkout', version);
  expect((await runRunway(['start', '--service', 'checkout', '--version', version], stack.env)).code).toBe(0);
  await untilRelease(client, id, (s) => s.stage === 'awaiting-approval');
  await client.workflow.getHandle(id).executeUpdate(approveUpdate, { args: [{ by: 'alice' }] });
  await untilRelease(client, id, (s) => s.stage === 'canary' && s.canary.step === 1);

  // Kill whichever worker ran the latest workflow task (identity is pid@host); the other must take over.
  const history = await client.workflow.getHandle(id).fetchHistory();
  const lastTask = [...(history.events ?? [])].reverse().find((e) => e.workflowTaskStartedEventAttributes?.identity);
  const activePid = Number(lastTask!.workflowTaskStartedEventAttributes!.identity!.split('@')[0]);
  const active = fleet.workers.find((w) => w.child.pid === activePid)!;
  expect(active).toBeDefined();
  await fleet.kill(active);

  const outcome = (await client.workflow.getHandle(id).result()) as ReleaseOutcome;
  expect(outcome.result).toBe('released');
  const updates = (await stack.calls()).ecs.filter((c) => c.operation === 'UpdateService' && c.status === 200);
  expect(updates).toHaveLength(6);
});
