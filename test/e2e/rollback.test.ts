/**
 * End to end: `runway rollback` against a `runway worker` process and the sandbox. Two releases
 * reach production, the rollback puts the first one's task definition back (read from the
 * sandbox's ECS) and running it again right after is refused; a rollback while another release
 * of the service waits for approval stops that release (it rolls itself back) before it deploys;
 * a target that never reached production is refused, naming it, and starts nothing.
 *
 * The tests run in order on one service of their own (Runway's production records are per service
 * across the dev server): each starts from what the previous one left in production.
 */
import type { Client } from '@temporalio/client';
import type { ReleaseOutcome } from '../../src/domain/release';
import { releaseId } from '../../src/domain/release-id';
import { ROLLBACK_WORKFLOW_TYPE, stageSearchAttribute } from '../../src/domain/release-api';
import { rollbackId } from '../../src/domain/rollback';
import { serviceServing } from '../../src/stack/sandbox-production';
import { releaseToProduction, untilRecorded } from '../support/releases-to-production';
import { runRunway, spawnRunway } from '../support/runway-process';
import { randomSha } from '../support/sandbox-stack';
import { useSandboxWorker } from '../support/sandbox-worker';
import { testClient, uniqueId } from '../support/temporal';
import { untilRelease } from '../support/worker-fleet';
import { releaseOutcome } from '../../src/release-client/outcome';

jest.setTimeout(240_000);

const SERVICE = uniqueId('rbe2e');
const current = useSandboxWorker({ service: SERVICE });
let client: Client;
let closeClient: () => Promise<void>;

beforeAll(async () => {
  ({ client, close: closeClient } = await testClient());
});
afterAll(async () => closeClient());

/** What the production ECS service's PRIMARY deployment runs, as the sandbox has it. */
const productionRuns = () => serviceServing(current.stack.sandbox.state(), 'production', SERVICE);

/** Rollback workflows of SERVICE that were ever started. */
const rollbacksStarted = async () => (await client.workflow.count(`WorkflowType = '${ROLLBACK_WORKFLOW_TYPE}' AND RunwayService = '${SERVICE}'`)).count;

let first: ReleaseOutcome;
let second: ReleaseOutcome;

describe('runway rollback end to end', () => {
  it('puts production back on the first release\'s task definition, and refuses to roll back again without --to', async () => {
    first = await releaseToProduction(client, current.stack.env, SERVICE);
    second = await releaseToProduction(client, current.stack.env, SERVICE);
    expect(productionRuns()).toMatchObject({ taskDefinition: second.status.deployed!.production, runningCount: 9 });
    expect(first.status.deployed!.production).not.toBe(second.status.deployed!.production);
    await untilRecorded(client, SERVICE, 2);

    const rollback = await runRunway(['rollback', '--service', SERVICE, '--reason', 'errors since the release', '--as', 'bob', '--wait'], current.stack.env);
    const id = rollbackId(second.releaseId);
    expect(rollback.stdout).toContain(`${id}: ${second.status.version.slice(0, 12)} → ${first.status.version.slice(0, 12)} (${first.status.deployed!.production})`);
    expect(rollback.code).toBe(0);
    expect(productionRuns()).toMatchObject({ taskDefinition: first.status.deployed!.production, runningCount: 9, othersRunning: 0 });
    const outcome = await releaseOutcome(client.workflow.getHandle(id));
    expect(outcome).toMatchObject({ result: 'released', status: { requestedBy: 'bob', deployed: { production: first.status.deployed!.production } } });

    await untilRecorded(client, SERVICE, 3);
    const again = await runRunway(['rollback', '--service', SERVICE, '--reason', 'errors since the release', '--wait'], current.stack.env);
    expect(again.stderr).toContain(`not rolling back ${SERVICE}: production runs ${first.status.version.slice(0, 12)} since ${id}; name the version to go back to with --to`);
    expect(again.code).toBe(4);
    expect(await rollbacksStarted()).toBe(1);
    expect(productionRuns()?.taskDefinition).toBe(first.status.deployed!.production);
  });

  it('preempts a release of the service waiting for approval through its lane (it rolls itself back), then rolls production', async () => {
    // Production runs the first release again (by the rollback above); go back to the second's version.
    const version = randomSha();
    const inFlight = releaseId(SERVICE, version);
    const start = spawnRunway(['start', '--service', SERVICE, '--version', version, '--wait'], current.stack.env);
    await untilRelease(client, inFlight, (s) => s.stage === 'awaiting-approval');

    const rollback = await runRunway(['rollback', '--service', SERVICE, '--to', second.status.version, '--reason', 'the second was fine after all', '--wait'], current.stack.env);
    expect(rollback.code).toBe(0);
    // The rollback went to the front of the service's lane: the release holding it was stopped and
    // rolled back through its own compensation, and `start --wait` says so.
    const id = rollbackId(rollbackId(second.releaseId));
    const started = await start.exited;
    expect(started.stderr).toContain(`rolled-back — preempted by rollback ${id}`);
    expect(started.code).toBe(5);
    const description = await client.workflow.getHandle(inFlight).describe();
    expect(description.typedSearchAttributes.get(stageSearchAttribute)).toBe('rolled-back');

    const outcome = await releaseOutcome(client.workflow.getHandle(id));
    expect(outcome.result).toBe('released');
    const history = outcome.status.history.map((e) => e.message);
    // It touched production only once it held the lane, which the lane gives only after the release's run closed.
    const holds = history.indexOf(`holds the ${SERVICE} lane`);
    expect(holds).toBeGreaterThanOrEqual(0);
    expect(holds).toBeLessThan(history.findIndex((m) => m.startsWith('rolling production back to')));
    expect(new Date(outcome.status.history[holds]!.at).getTime()).toBeGreaterThanOrEqual(description.closeTime!.getTime());
    expect(productionRuns()).toMatchObject({ taskDefinition: second.status.deployed!.production, runningCount: 9 });
  });

  it('refuses a target that never reached production (a rejected release), naming it, and starts nothing', async () => {
    const version = randomSha();
    const rejected = releaseId(SERVICE, version);
    const start = spawnRunway(['start', '--service', SERVICE, '--version', version, '--wait'], current.stack.env);
    await untilRelease(client, rejected, (s) => s.stage === 'awaiting-approval');
    expect((await runRunway(['reject', rejected, '--as', 'alice', '--reason', 'not this one'], current.stack.env)).code).toBe(0);
    expect((await start.exited).code).toBe(6);
    const before = await rollbacksStarted();
    const productionBefore = productionRuns()?.taskDefinition;

    const result = await runRunway(['rollback', '--service', SERVICE, '--to', version, '--reason', 'try it'], current.stack.env);
    expect(result.stderr).toContain(`not rolling back ${SERVICE}: ${version} is not a release of ${SERVICE} that reached production (see runway list --service ${SERVICE})`);
    expect(result.code).toBe(4);
    expect(result.stdout).toBe('');
    expect(await rollbacksStarted()).toBe(before);
    expect(productionRuns()?.taskDefinition).toBe(productionBefore);
  });
});
