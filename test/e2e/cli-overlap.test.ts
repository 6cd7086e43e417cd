/**
 * One release of a service at a time, end to end: the real `runway start` against the dev
 * server. Mostly no worker polls the tests' task queues, so a started release simply stays
 * Running — the "in flight" release; the --queue tests run a worker, since a release waits in its
 * service's lane (a workflow) there. Each test has its own service (and task queue), so parallel tests
 * never see each other's releases. Visibility (the list query) is eventually consistent: the
 * tests wait, with a bound, until a release they started is listed before relying on it.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { releasesInFlight } from '../../src/release-client/releases';
import { releaseId } from '../../src/domain/release-id';
import { Worker } from '@temporalio/worker';
import { statusQuery } from '../../src/domain/release-api';
import { laneQuery, laneWorkflowId } from '../../src/domain/lane-api';
import { createFakeActivities } from '../support/fake-activities';
import { testClient, testNativeConnection, testTemporalAddress, uniqueId, workflowBundle, workflowExists } from '../support/temporal';
import { untilStage } from '../support/workflow-runner';
import { MINIMAL_CONFIG_YAML } from '../support/minimal-config';
import { runRunway, spawnRunway } from '../support/runway-process';
import { randomSha } from '../support/sandbox-stack';

let client: Client;
let closeClient: () => Promise<void>;
const started: string[] = [];

beforeAll(async () => {
  ({ client, close: closeClient } = await testClient());
});

afterAll(async () => {
  for (const id of started) await client.workflow.getHandle(id).terminate('test cleanup').catch(() => {});
  await closeClient();
});

/** A service of its own (in a config file of its own) and a task queue no worker polls. */
function isolatedService(): { service: string; env: Record<string, string> & { RUNWAY_TASK_QUEUE: string } } {
  const service = uniqueId('ovl');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'runway-overlap-'));
  const configFile = path.join(dir, 'runway.config.yaml');
  writeFileSync(configFile, MINIMAL_CONFIG_YAML.replace('  api:\n', `  ${service}:\n`));
  return { service, env: { TEMPORAL_ADDRESS: testTemporalAddress(), RUNWAY_TASK_QUEUE: uniqueId('no-worker'), RUNWAY_CONFIG: configFile } };
}

const start = (service: string, version: string, env: Record<string, string>, ...extra: string[]) =>
  runRunway(['start', '--service', service, '--version', version, '--requested-by', 'ci', ...extra], env);

/** Starts a release through the CLI and waits (bounded) until the visibility store lists it as running. */
async function startInFlight(service: string, env: Record<string, string>): Promise<string> {
  const version = randomSha();
  const id = releaseId(service, version);
  const result = await start(service, version, env);
  expect(result).toMatchObject({ code: 0, stdout: `${id}\n` });
  started.push(id);
  for (let i = 0; i < 100; i++) {
    if ((await releasesInFlight(client, { service, taskQueue: env.RUNWAY_TASK_QUEUE })).some((r) => r.releaseId === id)) return id;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${id} never appeared in the visibility store`);
}

const exists = (id: string) => workflowExists(client, id);

/**
 * A worker (fake activities, so releases wait for approval) polling `taskQueue` while `fn` runs: the
 * lane needs one. With `watchLost`, the lane's watch on its holder never answers, as when the worker
 * running it was killed and the server has not yet timed out its heartbeat.
 */
async function withLaneWorker(taskQueue: string, fn: () => Promise<void>, { watchLost = false } = {}): Promise<void> {
  const { activities } = createFakeActivities();
  const lostWatch: typeof activities.awaitRunClosed = async (input) => {
    if (input.forMs === 0) return activities.awaitRunClosed(input);
    const signal = Context.current().cancellationSignal;
    return new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
  };
  const worker = await Worker.create({
    connection: await testNativeConnection(),
    taskQueue,
    workflowBundle: workflowBundle(),
    activities: watchLost ? { ...activities, awaitRunClosed: lostWatch } : activities,
  });
  await worker.runUntil(fn());
}

describe('runway start with another release of the service in flight', () => {
  it('refuses with exit 4, naming the release in flight, its stage and how to follow it; starts nothing', async () => {
    const { service, env } = isolatedService();
    const first = await startInFlight(service, env);
    const version = randomSha();

    const result = await start(service, version, env);

    expect(result.code).toBe(4);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`${first} (stage queued) is in flight for ${service}`);
    expect(result.stderr).toContain(`runway watch ${first}`);
    expect(result.stderr).toContain('--queue');
    expect(await exists(releaseId(service, version))).toBe(false);
  });

  it('starting the release already in flight again prints its id, as before', async () => {
    const { service, env } = isolatedService();
    const first = await startInFlight(service, env);
    const version = first.slice(`release-${service}-`.length);

    const again = await start(service, version, env);
    expect(again).toMatchObject({ code: 0, stdout: `${first} (already running)\n` });
    const json = await start(service, version, env, '--json');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ releaseId: first, started: false });
  });

  it('with --queue starts the release, which waits in the lane; the CLI reports its place and goes on once the holder has ended', async () => {
    const { service, env } = isolatedService();
    await withLaneWorker(env.RUNWAY_TASK_QUEUE, async () => {
      const first = await startInFlight(service, env);
      await untilStage(client.workflow.getHandle(first), 'awaiting-approval');
      // Without --queue the lane's holder is named, with its stage.
      const refusedVersion = randomSha();
      const refusal = await start(service, refusedVersion, env);
      expect(refusal.code).toBe(4);
      expect(refusal.stderr).toContain(`${first} (stage awaiting-approval) is in flight for ${service}`);
      expect(await exists(releaseId(service, refusedVersion))).toBe(false);

      const version = randomSha();
      const second = releaseId(service, version);
      started.push(second);
      const queued = spawnRunway(['start', '--service', service, '--version', version, '--requested-by', 'ci', '--queue'], env);
      await queued.waitFor(new RegExp(`queued: ${second} is queued \\(1st, behind ${first}\\) in the ${service} lane`), 30_000);
      // It runs, waiting in the lane: nothing of it has started.
      expect((await client.workflow.getHandle(second).query(statusQuery)).stage).toBe('queued');
      // status and list show its place.
      const status = await runRunway(['status', second], env);
      expect(status.stdout).toContain(`lane      queued (1st, behind ${first})`);
      expect(JSON.parse((await runRunway(['status', second, '--json'], env)).stdout).lane).toBe(`queued (1st, behind ${first})`);
      const list = await runRunway(['list', '--service', service], env);
      expect(list.stdout).toMatch(new RegExp(`queued +${second}  queued \\(1st, behind ${first}\\)`));
      expect(list.stdout).toMatch(new RegExp(`awaiting-approval +${first}  holds the lane`));

      await client.workflow.getHandle(first).terminate('test: the release holding the lane ends');
      const result = await queued.exited;
      expect(result.code).toBe(0);
      expect(result.stdout).toBe(`${second}\n`);
      expect(result.stderr).toMatch(new RegExp(`queued: ${second} holds the ${service} lane after`));
      await untilStage(client.workflow.getHandle(second), 'awaiting-approval');
    });
  });

  it('starts a release while the lane still names a holder the server says has closed (its watch lost with a worker)', async () => {
    const { service, env } = isolatedService();
    await withLaneWorker(
      env.RUNWAY_TASK_QUEUE,
      async () => {
        const first = await startInFlight(service, env);
        await untilStage(client.workflow.getHandle(first), 'awaiting-approval');
        await client.workflow.getHandle(first).terminate('test: the release holding the lane ends');
        const lane = await client.workflow.getHandle(laneWorkflowId(env.RUNWAY_TASK_QUEUE, service)).query(laneQuery);
        expect(lane.holder?.workflowId).toBe(first);

        const version = randomSha();
        const second = releaseId(service, version);
        started.push(second);
        expect(await start(service, version, env)).toMatchObject({ code: 0, stdout: `${second}\n` });
        // And the lane lets it through at once, not after the lost watch is taken up again.
        await untilStage(client.workflow.getHandle(second), 'awaiting-approval');
      },
      { watchLost: true },
    );
  });

  it('with --queue the release gives up after --queue-timeout and the CLI exits 4, naming why', async () => {
    const { service, env } = isolatedService();
    await withLaneWorker(env.RUNWAY_TASK_QUEUE, async () => {
      const first = await startInFlight(service, env);
      await untilStage(client.workflow.getHandle(first), 'awaiting-approval');
      const version = randomSha();
      started.push(releaseId(service, version));

      const result = await start(service, version, env, '--queue', '--queue-timeout', '1s');

      expect(result.code).toBe(4);
      expect(result.stdout).toBe(`${releaseId(service, version)}\n`);
      expect(result.stderr).toContain(`ended while waiting in the ${service} lane: gave up after waiting 1 s in the ${service} lane (its queue timeout)`);
      expect((await client.workflow.getHandle(releaseId(service, version)).describe()).status.name).toBe('FAILED'); // not released: the workflow fails, carrying its outcome
    });
  });

  it('does not count a release of the same service on another task queue (another set of workers)', async () => {
    const { service, env } = isolatedService();
    await startInFlight(service, env);
    const version = randomSha();
    const elsewhere = await start(service, version, { ...env, RUNWAY_TASK_QUEUE: uniqueId('other-queue') });
    started.push(releaseId(service, version));
    expect(elsewhere).toMatchObject({ code: 0, stdout: `${releaseId(service, version)}\n` });
  });

  it('rejects a bad --queue-timeout, or one without --queue, as invalid input (exit 2)', async () => {
    const { service, env } = isolatedService();
    const bad = await start(service, randomSha(), env, '--queue', '--queue-timeout', 'soon');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--queue-timeout: "soon" is not a duration');
    const alone = await start(service, randomSha(), env, '--queue-timeout', '1h');
    expect(alone.code).toBe(2);
    expect(alone.stderr).toContain('--queue-timeout: only applies with --queue');
  });
});
