/**
 * Hot standby: with two worker processes on the task queue, SIGKILLing one mid-release lets
 * the other finish it — no restart needed, and still no ECS update made twice.
 */
import { releaseId } from '../../src/domain/release-id';
import { approveUpdate } from '../../src/domain/release-api';
import { runRunway } from '../support/runway-process';
import { randomSha } from '../support/sandbox-stack';
import { untilRelease, useCrashRig } from '../support/worker-fleet';
import { releaseOutcome } from '../../src/release-client/outcome';

const rig = useCrashRig({ bake: '2s' });

it('a standby worker finishes the release when the active one is killed mid-canary', async () => {
  await rig.fleet.start();
  await rig.fleet.start();
  const version = randomSha();
  const id = releaseId('checkout', version);
  expect((await runRunway(['start', '--service', 'checkout', '--version', version], rig.stack.env)).code).toBe(0);
  await untilRelease(rig.client, id, (s) => s.stage === 'awaiting-approval');
  await rig.client.workflow.getHandle(id).executeUpdate(approveUpdate, { args: [{ by: 'alice' }] });
  await untilRelease(rig.client, id, (s) => s.stage === 'canary' && s.canary.step === 1);

  // Kill whichever worker ran the latest workflow task (identity is pid@host); the other must take over.
  const history = await rig.client.workflow.getHandle(id).fetchHistory();
  const lastTask = [...(history.events ?? [])].reverse().find((e) => e.workflowTaskStartedEventAttributes?.identity);
  const activePid = Number(lastTask!.workflowTaskStartedEventAttributes!.identity!.split('@')[0]);
  const active = rig.fleet.workers.find((w) => w.child.pid === activePid)!;
  expect(active).toBeDefined();
  await rig.fleet.kill(active);

  const outcome = await releaseOutcome(rig.client.workflow.getHandle(id));
  expect(outcome.result).toBe('released');
  const updates = (await rig.stack.calls()).ecs.filter((c) => c.operation === 'UpdateService' && c.status === 200);
  expect(updates).toHaveLength(6);
});
