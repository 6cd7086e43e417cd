/**
 * A rollback of a finished release survives its worker: the sandbox applies the rollback's
 * UpdateService of production and holds its answer back (`holdResponseAfterEffect`), the worker
 * is SIGKILLed inside that window, and a new worker takes over. The retried activity reads the
 * service first and finds the change in place, so each ECS UpdateService of the rollback happened
 * once, and the rollback completes with production on the first release's task definition.
 */
import { rollbackId } from '../../src/domain/rollback';
import { serviceServing } from '../../src/stack/sandbox-production';
import { releaseToProduction, untilRecorded } from '../support/releases-to-production';
import { runRunway } from '../support/runway-process';
import { uniqueId } from '../support/temporal';
import { useCrashRig } from '../support/worker-fleet';
import { releaseOutcome } from '../../src/release-client/outcome';

// The killed attempt of the UpdateService is retried after its 10 s start-to-close timeout.
jest.setTimeout(240_000);

const SERVICE = uniqueId('rbcrash');
const rig = useCrashRig({ bake: '1s', service: SERVICE });
/** Long enough to kill the worker inside it, shorter than the 10 s start-to-close timeout (as in ecs-idempotency). */
const HOLD_MS = 5_000;

interface EcsCall {
  operation: string;
  status: number;
  request: Record<string, unknown>;
}

/** The hold is consumed when the sandbox applies the change: from then on the answer is in flight. */
async function untilChangeApplied(): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    const scenario = (await (await fetch(`${rig.stack.sandbox.url}/_sandbox/scenario`)).json()) as { ecs?: { holdResponseAfterEffect?: unknown } };
    if (!scenario.ecs?.holdResponseAfterEffect) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the rollback\'s UpdateService never reached the sandbox');
}

it('each ECS UpdateService of a rollback happens once when its worker dies after ECS applied it', async () => {
  let worker = await rig.fleet.start();
  const first = await releaseToProduction(rig.client, rig.stack.env, SERVICE);
  const second = await releaseToProduction(rig.client, rig.stack.env, SERVICE);
  await untilRecorded(rig.client, SERVICE, 2);
  const callsBefore = (await rig.stack.calls()).ecs.length;

  await rig.stack.setScenario({ ecs: { holdResponseAfterEffect: { action: 'UpdateService', ms: HOLD_MS, count: 1 } } });
  const started = await runRunway(['rollback', '--service', SERVICE, '--reason', 'crash test'], rig.stack.env);
  expect(started.code).toBe(0);
  const id = rollbackId(second.releaseId);
  expect(started.stdout).toMatch(new RegExp(`^${id}: `));

  // Production's update is applied; the worker dies before it hears so, and another takes over.
  await untilChangeApplied();
  await rig.fleet.kill(worker);
  worker = await rig.fleet.start();

  const outcome = await releaseOutcome(rig.client.workflow.getHandle(id));
  expect(outcome.result).toBe('released');
  // The retry found production already on the target.
  expect(outcome.status.history.map((e) => e.message)).toContain(`production: already on ${first.status.deployed!.production}`);
  const updates = ((await rig.stack.calls()).ecs as EcsCall[]).slice(callsBefore).filter((c) => c.operation === 'UpdateService');
  expect(updates.map((c) => [c.request.cluster, c.request.service, c.request.taskDefinition, c.status])).toEqual([
    ['production', SERVICE, first.status.deployed!.production, 200],
  ]);
  expect(serviceServing(rig.stack.sandbox.state(), 'production', SERVICE)).toMatchObject({
    taskDefinition: first.status.deployed!.production,
    runningCount: 9,
    othersRunning: 0,
  });
});
