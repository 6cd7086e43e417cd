/**
 * The GitHub writer (workflows/github-writer.ts, issue 20) on the test server, writing with the
 * real GitHub activities to the sandbox's GitHub through an Octokit that paces nothing itself, with
 * the sandbox enforcing secondary limits: records handed over by several releases are written in
 * order per deployment and never refused; a write GitHub refuses for
 * now is retried until it lands (late, not lost); one it refuses for good is dropped and counted
 * without holding up the rest; the queue and the deployment ids survive continue-as-new.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createGitHubBuildActivities } from '../../activities/github-build';
import { createGitHubRecordActivities, createGitHubWriteSlots } from '../../activities/github-records';
import type { GitHubWriteBudget } from '../../src/domain/github-write-budget';
import { type DeploymentRecordKey, GITHUB_WRITER_TASK_TIMEOUT_MS, type GitHubRecordRequest, gitHubRecordSignal, type GitHubWriterInput, gitHubWriterWorkflowId } from '../../src/domain/github-writer-api';
import { gitHubWriterStatus, untilGitHubRecordsWritten } from '../../src/release-client/github-records';
import { type Sandbox, startSandbox } from '../../src/sandbox';
import type { GitHubDeployment } from '../../src/sandbox/github/emulator';
import { quietLogger } from '../support/activity-env';
import { gitHubClient } from '../support/sandbox-clients';
import { testNativeConnection, testTemporalAddress, uniqueId, useTestClient, workflowBundle } from '../support/temporal';

jest.setTimeout(120_000);

const temporal = useTestClient();
let sandbox: Sandbox;
beforeEach(async () => {
  sandbox = await startSandbox({ port: 0, services: [] });
});
afterEach(() => sandbox.close());

const LIMITS: GitHubWriteBudget = { minIntervalMs: 300, perMinute: 1000, perHour: 1000 };
const REPO = 'acme/checkout';

/** Runs a worker with the real record activities on a fresh task queue while `fn` runs (several workers: test/e2e/github-writer-fleet.test.ts). */
async function withWriterWorkers<T>(fn: (taskQueue: string, activities: ReturnType<typeof createGitHubRecordActivities>) => Promise<T>, budget = LIMITS): Promise<T> {
  const taskQueue = uniqueId('github-writer');
  const activities = createGitHubRecordActivities({ temporal: temporal.client, github: gitHubClient(sandbox), budget });
  const worker = await Worker.create({ connection: await testNativeConnection(), taskQueue, workflowBundle: workflowBundle(), activities });
  return worker.runUntil(fn(taskQueue, activities));
}

/** The four records of a release that reaches production, as the release hands them over. */
function releaseRecords(releaseId: string): GitHubRecordRequest[] {
  const key = (environment: DeploymentRecordKey['environment']): DeploymentRecordKey => ({ releaseId, runId: `${releaseId}-run`, environment });
  const create = (environment: DeploymentRecordKey['environment']): GitHubRecordRequest => ({
    kind: 'create',
    key: key(environment),
    input: { repo: REPO, ref: releaseId.slice(-12), environment, releaseId, runId: `${releaseId}-run`, inProgress: `${releaseId} deploying` },
  });
  const success = (environment: DeploymentRecordKey['environment']): GitHubRecordRequest => ({
    kind: 'status',
    key: key(environment),
    input: { repo: REPO, state: 'success', description: `${releaseId} in ${environment}`, environment, production: environment === 'production' },
  });
  return [create('staging'), success('staging'), create('production'), success('production')];
}

const hand = (taskQueue: string, request: GitHubRecordRequest, input: GitHubWriterInput = {}) =>
  temporal.client.workflow.signalWithStart('githubWriter', {
    workflowId: gitHubWriterWorkflowId(taskQueue),
    taskQueue,
    args: [input],
    signal: gitHubRecordSignal,
    signalArgs: [{ request, budget: LIMITS }],
  });

/**
 * With RUNWAY_RECORD_WRITER_HISTORIES=1, saves the writer run's history to test/histories/ (the
 * replay test replays every file there): how its recorded behaviours were taken.
 */
function recordWriterHistory(taskQueue: string, runId: string, name: string): void {
  if (process.env.RUNWAY_RECORD_WRITER_HISTORIES !== '1') return;
  const json = execFileSync(process.env.TEMPORAL_CLI ?? 'temporal', ['workflow', 'show', '--address', testTemporalAddress(), '--workflow-id', gitHubWriterWorkflowId(taskQueue), '--run-id', runId, '--output', 'json'], { encoding: 'utf8' });
  writeFileSync(path.join(__dirname, '../histories', `${name}.json`), json);
}

const deployments = () => (sandbox.state() as { github: { deployments: GitHubDeployment[] } }).github.deployments;
const writesCount = () => (sandbox.state() as { github: { writes: { accepted: number; refused: number } } }).github.writes;
const statesOf = (releaseId: string, environment: string) =>
  deployments()
    .filter((d) => (d.payload as { releaseId?: string }).releaseId === releaseId && d.environment === environment)
    // In the order written; a later release's success there may have marked it inactive since (GitHub's auto_inactive).
    .map((d) => d.statuses.map((s) => s.state).filter((state) => state !== 'inactive'));

it('writes several releases’ records in order per deployment, within the limits', async () => {
  sandbox.setScenario({ github: { writeLimits: LIMITS } });
  const releases = ['release-checkout-aaaaaaaaaaaa', 'release-checkout-bbbbbbbbbbbb', 'release-checkout-cccccccccccc'];
  await withWriterWorkers(async (taskQueue) => {
    // Interleaved, as releases running side by side hand them over.
    const perRelease = releases.map(releaseRecords);
    for (let step = 0; step < 4; step++) for (const records of perRelease) await hand(taskQueue, records[step]!);
    const status = await untilGitHubRecordsWritten(temporal.client, taskQueue, { timeoutMs: 60_000 });
    expect(status).toMatchObject({ pending: 0, written: 12, dropped: 0 });
  });
  for (const id of releases) {
    expect(statesOf(id, 'staging')).toEqual([['in_progress', 'success']]);
    expect(statesOf(id, 'production')).toEqual([['in_progress', 'success']]);
  }
  // Each release's production success marked the one before inactive: 12 records, 14 or more writes, none refused.
  expect(writesCount().refused).toBe(0);
  expect(writesCount().accepted).toBeGreaterThanOrEqual(18);
});

it('takes many releases’ records handed over at once through queueGitHubRecord in a few updates, and writes them all in order', async () => {
  // No pacing (the server fires even a 10 ms timer about a second late): this is about the hand-over, not GitHub's pace.
  const fast: GitHubWriteBudget = { minIntervalMs: 0, perMinute: 100_000, perHour: 100_000 };
  const releases = Array.from({ length: 30 }, (_, i) => `release-checkout-${String(i).padStart(12, '0')}`);
  await withWriterWorkers(async (taskQueue, activities) => {
    // Side by side, each release handing its next record once the previous one was taken, as the release workflow does.
    await Promise.all(
      releases.map(async (releaseId) => {
        for (const request of releaseRecords(releaseId)) {
          await new MockActivityEnvironment({ taskQueue }, { logger: quietLogger }).run(activities.queueGitHubRecord, { taskQueue, request });
        }
      }),
    );
    const status = await untilGitHubRecordsWritten(temporal.client, taskQueue, { timeoutMs: 60_000 });
    expect(status).toMatchObject({ pending: 0, written: 120, dropped: 0 });
    const history = await temporal.client.workflow.getHandle(gitHubWriterWorkflowId(taskQueue)).fetchHistory();
    const updates = (history.events ?? []).filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === 'githubRecords');
    // 120 records: one signal each before; now each hand-over carries what waited while the one before it was on its way.
    expect(updates.length).toBeGreaterThan(1);
    expect(updates.length).toBeLessThan(releases.length);
    expect((history.events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes)).toHaveLength(0);
    // Started by a hand-over: with the time a loaded worker needs for one of its tasks, not Temporal's 10 s.
    expect(await taskTimeoutSeconds(gitHubWriterWorkflowId(taskQueue))).toBe(GITHUB_WRITER_TASK_TIMEOUT_MS / 1000);
  }, fast);
  for (const id of releases) {
    expect(statesOf(id, 'staging')).toEqual([['in_progress', 'success']]);
    expect(statesOf(id, 'production')).toEqual([['in_progress', 'success']]);
  }
});

it('retries a write GitHub rate-limits until it lands, and drops one GitHub refuses for good without holding up the rest', async () => {
  await withWriterWorkers(async (taskQueue) => {
    // The first deployment creation is refused for good (the repository is not there for this token).
    sandbox.setScenario({ github: { failNext: { count: 1, status: 404, match: 'POST /repos/acme/checkout/deployments' } } });
    const [lostCreate, lostStatus] = releaseRecords('release-checkout-dddddddddddd');
    await hand(taskQueue, lostCreate!);
    await hand(taskQueue, lostStatus!);
    await untilGitHubRecordsWritten(temporal.client, taskQueue, { timeoutMs: 30_000 });
    // Then a secondary rate limit on the next write: retried after GitHub's retry-after, not lost.
    sandbox.setScenario({ github: { rateLimit: { count: 1, kind: 'secondary', resetInS: 1, match: 'POST' } } });
    for (const request of releaseRecords('release-checkout-eeeeeeeeeeee')) await hand(taskQueue, request);
    const status = await untilGitHubRecordsWritten(temporal.client, taskQueue, { timeoutMs: 60_000 });
    expect(status?.written).toBe(4);
    expect(status?.dropped).toBe(2);
    expect(status?.droppedReasons.join('\n')).toMatch(/create .*dddddddddddd\/.*staging: .*404|Not Found/);
    expect(status?.droppedReasons.join('\n')).toMatch(/status .*dddddddddddd.*staging: its deployment was never created/);
  });
  expect(statesOf('release-checkout-dddddddddddd', 'staging')).toEqual([]);
  expect(statesOf('release-checkout-eeeeeeeeeeee', 'staging')).toEqual([['in_progress', 'success']]);
  expect(statesOf('release-checkout-eeeeeeeeeeee', 'production')).toEqual([['in_progress', 'success']]);
});

/**
 * Two releases' records handed to a writer started with `input`, one step of each at a time, all
 * written in order per deployment: returns the writer's runs, to look at how it moved between them.
 */
async function writeTwoReleasesAcrossRuns(releaseIds: [string, string], input: GitHubWriterInput) {
  const runs = await withWriterWorkers(async (taskQueue) => {
    const records = releaseIds.map(releaseRecords);
    for (let step = 0; step < 4; step++) for (const r of records) await hand(taskQueue, r[step]!, input);
    const status = await untilGitHubRecordsWritten(temporal.client, taskQueue, { timeoutMs: 60_000 });
    expect(status).toMatchObject({ written: 8, dropped: 0 });
    const listed = [];
    for await (const run of temporal.client.workflow.list({ query: `WorkflowId = '${gitHubWriterWorkflowId(taskQueue)}'` })) listed.push(run);
    return { taskQueue, listed };
  });
  for (const id of releaseIds) {
    expect(statesOf(id, 'staging')).toEqual([['in_progress', 'success']]);
    expect(statesOf(id, 'production')).toEqual([['in_progress', 'success']]);
  }
  return runs;
}

/** A writer run's workflow task timeout, in seconds. */
async function taskTimeoutSeconds(workflowId: string, runId?: string): Promise<number> {
  const { raw } = await temporal.client.workflow.getHandle(workflowId, runId).describe();
  return Number(raw.executionConfig?.defaultWorkflowTaskTimeout?.seconds ?? 0);
}

it('carries its queue and the deployment ids across continue-as-new', async () => {
  // A tiny history limit: the writer moves to a new run every couple of writes, statuses after their creates.
  const { listed } = await writeTwoReleasesAcrossRuns(['release-checkout-ffffffffffff', 'release-checkout-999999999999'], { historyLimit: 25 });
  expect(listed.length).toBeGreaterThan(2);
  // Started here with Temporal's default (as writers were before it was set), each later run has the writer's own.
  const [first, ...later] = listed.sort((a, b) => a.startTime.getTime() - b.startTime.getTime());
  expect(await taskTimeoutSeconds(first!.workflowId, first!.runId)).toBe(10);
  for (const run of later) expect(await taskTimeoutSeconds(run.workflowId, run.runId)).toBe(GITHUB_WRITER_TASK_TIMEOUT_MS / 1000);
});

it('continues as new once its history has grown by its byte limit, whatever its event count, and still writes every record in order', async () => {
  // The event limit stays at its default (4,000): only the bytes can move it to a new run.
  const { taskQueue, listed } = await writeTwoReleasesAcrossRuns(['release-checkout-aaaabbbbcccc', 'release-checkout-ddddeeeeffff'], { historyBytesLimit: 4_000 });
  expect(listed.filter((run) => run.status.name === 'CONTINUED_AS_NEW').length).toBeGreaterThan(1);
  expect(Math.max(...listed.map((run) => run.historyLength ?? 0))).toBeLessThan(100);
  const first = listed.sort((a, b) => a.startTime.getTime() - b.startTime.getTime())[0]!;
  recordWriterHistory(taskQueue, first.runId, 'github-writer-history-bytes-bounded');
});

it('parks a long backlog in batches outside its own state, and still writes every record in order, across continue-as-new', async () => {
  sandbox.setScenario({ github: { writeLimits: LIMITS } });
  const releases = [1, 2, 3, 4, 5].map((n) => `release-checkout-${String(n).repeat(12)}`);
  const parkBatch = 3;
  await withWriterWorkers(async (taskQueue) => {
    const perRelease = releases.map(releaseRecords);
    // Twenty records handed over faster than they can be written (one write at least 300 ms apart),
    // with batches of three and a history limit that makes the writer move to a new run while some are parked.
    for (let step = 0; step < 4; step++) for (const records of perRelease) await hand(taskQueue, records[step]!, { parkBatch, historyLimit: 60 });
    let parkedSeen = 0;
    for (let i = 0; i < 100 && parkedSeen === 0; i++) {
      parkedSeen = (await gitHubWriterStatus(temporal.client, taskQueue))?.parked ?? 0;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(parkedSeen).toBeGreaterThanOrEqual(parkBatch);
    const status = await untilGitHubRecordsWritten(temporal.client, taskQueue, { timeoutMs: 90_000 });
    expect(status).toMatchObject({ pending: 0, written: 20, dropped: 0 });

    // Every run started with a small carried state: its own share, never the whole backlog.
    const carried: number[] = [];
    for await (const run of temporal.client.workflow.list({ query: `WorkflowId = '${gitHubWriterWorkflowId(taskQueue)}'` })) {
      const history = await temporal.client.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
      const data = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]?.data;
      const input = JSON.parse(Buffer.from(data!).toString()) as GitHubWriterInput;
      if (input.state) carried.push(input.state.queue.length + (input.state.later?.length ?? 0));
      // The first run, started by a record, is the one that parked the backlog.
      else recordWriterHistory(taskQueue, run.runId, 'github-writer-parked-backlog');
    }
    expect(carried.length).toBeGreaterThan(0);
    expect(Math.max(...carried)).toBeLessThan(3 * parkBatch);
    // Each parked batch was fetched back and ended.
    const batches = [];
    for await (const batch of temporal.client.workflow.list({ query: `TaskQueue = '${taskQueue}' AND WorkflowType = 'githubRecordBatch'` })) batches.push(batch);
    expect(batches.length).toBeGreaterThan(0);
    for (const batch of batches) expect((await temporal.client.workflow.getHandle(batch.workflowId).describe()).status.name).toBe('COMPLETED');
  });
  for (const id of releases) {
    expect(statesOf(id, 'staging')).toEqual([['in_progress', 'success']]);
    expect(statesOf(id, 'production')).toEqual([['in_progress', 'success']]);
  }
});

it('grants build dispatches a write slot ahead of the queued records, in the same budget', async () => {
  sandbox.setScenario({ github: { writeLimits: LIMITS } });
  const releases = ['release-checkout-aaaaaaaaaaaa', 'release-checkout-bbbbbbbbbbbb', 'release-checkout-cccccccccccc'];
  await withWriterWorkers(async (taskQueue) => {
    // A backlog of records, then three builds dispatched from elsewhere (other workers' activities) while it is written.
    for (const request of releases.flatMap(releaseRecords)) await hand(taskQueue, request);
    const build = createGitHubBuildActivities({
      github: gitHubClient(sandbox),
      options: { pollIntervalMs: 100 },
      waitForWriteSlot: createGitHubWriteSlots({ temporal: temporal.client, budget: LIMITS }),
    });
    const dispatches = await Promise.all(
      releases.map((releaseId, i) =>
        new MockActivityEnvironment({ taskQueue }, { logger: quietLogger }).run(build.dispatchBuild, {
          repo: REPO,
          workflow: 'build.yml',
          ref: 'main',
          version: `${i}`.repeat(40),
          releaseId,
        }),
      ),
    );
    expect(dispatches.map((d) => (d as { dispatched: boolean }).dispatched)).toEqual([true, true, true]);
    // The dispatches did not wait for the backlog: records were still waiting when the last was answered.
    expect((await gitHubWriterStatus(temporal.client, taskQueue))?.pending).toBeGreaterThan(0);
    const status = await untilGitHubRecordsWritten(temporal.client, taskQueue, { timeoutMs: 60_000 });
    expect(status).toMatchObject({ pending: 0, written: 12, dropped: 0, slotsGranted: 3 });
    const { runId } = await temporal.client.workflow.getHandle(gitHubWriterWorkflowId(taskQueue)).describe();
    recordWriterHistory(taskQueue, runId, 'github-writer-granted-slots');
  });
  // Dispatches and records together kept to the secondary limits the sandbox enforces: nothing refused.
  expect(writesCount().refused).toBe(0);
  expect((sandbox.state() as { github: { workflowRuns: unknown[] } }).github.workflowRuns).toHaveLength(3);
});

it('answers that nothing waits when no record was ever handed over', async () => {
  expect(await gitHubWriterStatus(temporal.client, uniqueId('no-writer'))).toBeUndefined();
});
