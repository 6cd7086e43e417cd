/**
 * The promise: SIGKILL the worker while the release waits for approval and again mid-canary;
 * a new worker picks the release up where it was, it reaches production, and every ECS
 * UpdateService happened exactly once (counted at the sandbox).
 */
import { releaseId } from '../../src/domain/release-id';
import { approveUpdate } from '../../src/domain/release-api';
import { runRunway } from '../support/runway-process';
import { randomSha } from '../support/sandbox-stack';
import { untilRelease, useCrashRig } from '../support/worker-fleet';
import { releaseOutcome } from '../../src/release-client/outcome';

const rig = useCrashRig({ bake: '3s' });

it('survives SIGKILL during approval and mid-canary without repeating an ECS update', async () => {
  const version = randomSha();
  const id = releaseId('checkout', version);
  let worker = await rig.fleet.start();
  const started = await runRunway(['start', '--service', 'checkout', '--version', version, '--requested-by', 'ci'], rig.stack.env);
  expect(started.code).toBe(0);

  await untilRelease(rig.client, id, (s) => s.stage === 'awaiting-approval');
  await rig.fleet.kill(worker);
  worker = await rig.fleet.start();
  // The decision lands on the new worker: no approval is lost.
  await rig.client.workflow.getHandle(id).executeUpdate(approveUpdate, { args: [{ by: 'alice' }] });

  const midCanary = await untilRelease(rig.client, id, (s) => s.stage === 'canary' && s.canary.step === 1);
  expect(midCanary.canary.weight).toBe(10);
  await rig.fleet.kill(worker);
  await rig.fleet.start();

  const outcome = await releaseOutcome(rig.client.workflow.getHandle(id));
  expect(outcome.result).toBe('released');

  const updates = (await rig.stack.calls()).ecs
    .filter((c) => c.operation === 'UpdateService' && c.status === 200)
    .map((c) => {
      const r = c.request as { service: string; taskDefinition?: string; desiredCount?: number };
      return `${r.service} td=${r.taskDefinition?.split('/').pop() ?? '-'} count=${r.desiredCount ?? '-'}`;
    });
  // staging, canary 10/30/60 % (1, 4, 14 tasks), promotion, canary to 0: six updates, none twice.
  expect(updates).toHaveLength(6);
  expect(new Set(updates).size).toBe(6);
  expect(updates.filter((u) => u.startsWith('checkout-canary')).map((u) => u.split(' ')[2])).toEqual(['count=1', 'count=4', 'count=14', 'count=0']);
});
