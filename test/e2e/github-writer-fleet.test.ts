/**
 * One GitHub budget for a fleet (issue 20): four `runway worker` processes on one installation,
 * eight releases of eight services started together and approved together, with the sandbox's
 * GitHub enforcing secondary limits on content-creating requests (scaled down so the test is
 * short: 200 ms apart, 60 a minute) and the workers' RUNWAY_GITHUB_WRITE_BUDGET set to the same.
 * Every release's staging and production records end as GitHub should show them and the sandbox
 * refused no write: the writer paced all four workers as one. Half the services have Runway
 * dispatch their build (build.mode dispatch): those dispatches, sent by whichever worker runs the
 * release, take write slots from the same writer, so they are inside the same limits.
 */
import { writeFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { releasePlan } from '../../src/config/plan';
import { gitHubWriterWorkflowId } from '../../src/domain/github-writer-api';
import { approveUpdate } from '../../src/domain/release-api';
import { releaseId } from '../../src/domain/release-id';
import { untilGitHubRecordsWritten } from '../../src/release-client/github-records';
import { releaseOutcome } from '../../src/release-client/outcome';
import { startRelease } from '../../src/release-client/releases';
import { type GitHubDeployment, type Sandbox, startSandbox } from '../../src/sandbox';
import { sandboxClientEnv, sandboxMetricsTargets, sandboxSeed } from '../../src/stack/sandbox-seed';
import { benchConfig, benchServiceNames } from '../../bench/support/bench-config';
import { randomSha } from '../support/sandbox-stack';
import { testTemporalAddress, uniqueId, useTestClient } from '../support/temporal';
import { untilRelease, WorkerFleet } from '../support/worker-fleet';

jest.setTimeout(300_000);

const temporal = useTestClient();
const WORKERS = 4;
const RELEASES = 8;
const LIMITS = { minIntervalMs: 200, perMinute: 60, perHour: 10_000 };

let sandbox: Sandbox;
let fleet: WorkerFleet | undefined;
afterAll(async () => {
  await fleet?.killAll();
  await sandbox?.close();
});

it('four workers write every release’s records within GitHub’s limits, none lost', async () => {
  const services = benchServiceNames(RELEASES, 'gw');
  // Every other service dispatches its build.
  const timing = { bake: '0s', perService: Object.fromEntries(services.filter((_, i) => i % 2 === 0).map((service) => [service, { build: 'dispatch' as const }])) };
  const placeholder = benchConfig('http://127.0.0.1:1', services, timing).config;
  sandbox = await startSandbox({ port: 0, services: sandboxSeed(placeholder), metricsTargets: sandboxMetricsTargets(placeholder), deploymentDelayMs: 300 });
  sandbox.setScenario({ github: { writeLimits: LIMITS } });
  const { text, config } = benchConfig(sandbox.url, services, timing);
  const configFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'runway-gw-')), 'runway.config.yaml');
  writeFileSync(configFile, text);
  const taskQueue = uniqueId('gw-fleet');
  const env = {
    ...sandboxClientEnv(sandbox.url),
    TEMPORAL_ADDRESS: testTemporalAddress(),
    RUNWAY_TASK_QUEUE: taskQueue,
    RUNWAY_CONFIG: configFile,
    RUNWAY_METRICS_PORT: '0',
    RUNWAY_GITHUB_WRITE_BUDGET: `${LIMITS.minIntervalMs}ms,${LIMITS.perMinute}/min,${LIMITS.perHour}/h`,
  };
  fleet = new WorkerFleet(env);
  await Promise.all(Array.from({ length: WORKERS }, () => fleet!.start()));

  const ids = await Promise.all(
    services.map(async (service) => {
      const plan = releasePlan(config, service);
      const version = randomSha();
      await startRelease(temporal.client, taskQueue, { service, version, image: `${plan.imageRepository}:${version}`, requestedBy: 'ci', reason: 'fleet test', plan });
      return releaseId(service, version);
    }),
  );
  await Promise.all(ids.map((id) => untilRelease(temporal.client, id, (s) => s.stage === 'awaiting-approval')));
  await Promise.all(ids.map((id) => temporal.client.workflow.getHandle(id).executeUpdate(approveUpdate, { args: [{ by: 'alice' }] })));
  const outcomes = await Promise.all(ids.map((id) => releaseOutcome(temporal.client.workflow.getHandle(id))));
  expect(outcomes.map((o) => o.result)).toEqual(ids.map(() => 'released'));

  const writer = await untilGitHubRecordsWritten(temporal.client, taskQueue, { timeoutMs: 120_000 });
  // One write slot per dispatched build.
  expect(writer).toMatchObject({ pending: 0, dropped: 0, slotsGranted: RELEASES / 2 });
  // Two creates and two successes per release.
  expect(writer?.written).toBe(4 * RELEASES);

  const { github } = sandbox.state() as { github: { deployments: GitHubDeployment[]; writes: { accepted: number; refused: number } } };
  for (const service of services) {
    for (const environment of ['staging', 'production']) {
      const mine = github.deployments.filter((d) => d.repo === `acme/${service}` && d.environment === environment);
      expect({ service, environment, states: mine.map((d) => d.statuses.map((s) => s.state)) }).toEqual({ service, environment, states: [['in_progress', 'success']] });
    }
  }
  expect(github.writes.refused).toBe(0);
  // Six record writes per release (a create is two requests), and the dispatches.
  expect(github.writes.accepted).toBeGreaterThanOrEqual(6 * RELEASES + RELEASES / 2);
  const runs = (sandbox.state() as { github: { workflowRuns: { repository?: string; repo?: string }[] } }).github.workflowRuns;
  expect(runs).toHaveLength(RELEASES / 2);
  // The writer's writes ran on several workers: the pace held across processes, not inside one.
  const history = await temporal.client.workflow.getHandle(gitHubWriterWorkflowId(taskQueue)).fetchHistory();
  const identities = new Set((history.events ?? []).flatMap((e) => (e.activityTaskStartedEventAttributes?.identity ? [e.activityTaskStartedEventAttributes.identity] : [])));
  expect(identities.size).toBeGreaterThan(1);
});
