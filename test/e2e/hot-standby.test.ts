/**
 * Hot standby: with two worker processes on the task queue, SIGKILLing one mid-release lets
 * the other finish it — no restart needed, and still no ECS update made twice.
 */
import type { Client } from '@temporalio/client';
import type { ReleaseOutcome, ReleaseStatus } from '../../src/domain/release';
import { releaseId } from '../../src/domain/release-id';
import { approveUpdate, statusQuery } from '../../src/messages';
import { testClient } from '../harness/temporal';
import { runRunway, spawnRunway, type RunwayProcess } from '../support/runway-process';
import { randomSha, type SandboxStack, startSandboxStack } from '../support/sandbox-stack';

let client: Client;
let closeClient: () => Promise<void>;
let stack: SandboxStack;
const workers: RunwayProcess[] = [];

beforeAll(async () => {
  ({ client, close: closeClient } = await testClient());
  stack = await startSandboxStack({ bake: '2s' });
});
afterAll(async () => {
  for (const w of workers) w.child.kill('SIGKILL');
  await Promise.all(workers.map((w) => w.exited));
  await stack?.sandbox.close();
  await closeClient();
});

async function until(id: string, predicate: (s: ReleaseStatus) => boolean): Promise<ReleaseStatus> {
  for (let i = 0; i < 900; i++) {
    const status = await client.workflow.getHandle(id).query(statusQuery).catch(() => undefined);
    if (status && predicate(status)) return status;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${id}: condition never met`);
}

it('a standby worker finishes the release when the active one is killed mid-canary', async () => {
  for (let i = 0; i < 2; i++) {
    const worker = spawnRunway(['worker'], stack.env);
    workers.push(worker);
    await worker.waitFor(/polling task queue/);
  }
  const version = randomSha();
  const id = releaseId('checkout', version);
  expect((await runRunway(['start', '--service', 'checkout', '--version', version], stack.env)).code).toBe(0);
  await until(id, (s) => s.stage === 'awaiting-approval');
  await client.workflow.getHandle(id).executeUpdate(approveUpdate, { args: [{ by: 'alice' }] });
  await until(id, (s) => s.stage === 'canary' && s.canary.step === 1);

  // Kill whichever worker ran the latest workflow task; the other one must take over.
  const history = await client.workflow.getHandle(id).fetchHistory();
  const lastTask = [...(history.events ?? [])].reverse().find((e) => e.workflowTaskStartedEventAttributes?.identity);
  const activePid = Number(lastTask!.workflowTaskStartedEventAttributes!.identity!.split('@')[0]);
  const active = workers.find((w) => w.child.pid === activePid)!;
  expect(active).toBeDefined();
  active.child.kill('SIGKILL');
  await active.exited;

  const outcome = (await client.workflow.getHandle(id).result()) as ReleaseOutcome;
  expect(outcome.result).toBe('released');
  const updates = (await stack.calls()).ecs.filter((c) => c.operation === 'UpdateService' && c.status === 200);
  expect(updates).toHaveLength(6);
});
