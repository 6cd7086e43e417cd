/**
 * Issue 15, part 1: `runway worker` serves /healthz (200 once it polls) and the Temporal SDK's
 * metrics on its own port; `runway healthcheck worker` asks that port (what the image's
 * HEALTHCHECK runs); a malformed RUNWAY_METRICS_PORT stops the worker at start, exit 2, naming it.
 */
import path from 'node:path';
import { runRunway, spawnRunway } from '../support/runway-process';
import { freeLoopbackPort } from '../../src/temporal/worker-health';
import { testTemporalAddress, uniqueId } from '../support/temporal';
import { until } from '../support/poll';

/** The SDK's gauge of open polls of one kind (`workflow_task`, `sticky_workflow_task`, …), or undefined. */
function pollers(metrics: string, pollerType: string): number | undefined {
  const match = new RegExp(`^temporal_num_pollers\\{[^}]*poller_type="${pollerType}"[^}]*\\} (\\d+)$`, 'm').exec(metrics);
  return match ? Number(match[1]) : undefined;
}

const HEALTH_LINE = /runway worker: health (http:\/\/127\.0\.0\.1:(\d+))\/healthz/;

it('answers /healthz 200 once polling and /metrics with temporal_ metrics; healthcheck exits 0, and 1 once the worker is gone', async () => {
  const env = { TEMPORAL_ADDRESS: testTemporalAddress(), RUNWAY_TASK_QUEUE: uniqueId('health'), RUNWAY_WORKER_VERSIONING: 'off', RUNWAY_WORKER_ACTIVITY_SLOTS: '1234', RUNWAY_WORKER_WORKFLOW_POLLS: '3' };
  const worker = spawnRunway(['worker'], env);
  try {
    await worker.waitFor(/polling task queue/);
    expect(worker.output()).toContain('1234 activity slots, 500 cached workflows, 3 workflow-task polls; workflows bundled at start');
    const [, url, port] = HEALTH_LINE.exec(worker.output())!;
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    // The worker's own gauges, from the SDK's core exporter.
    expect(metrics).toMatch(/^temporal_\w+\{.*task_queue=".*health/m);
    // The worker runs as many activities at once as RUNWAY_WORKER_ACTIVITY_SLOTS says (the SDK's own default is 100).
    expect(metrics).toMatch(/^temporal_worker_task_slots_available\{[^}]*worker_type="ActivityWorker"[^}]*\} 1234$/m);
    // Workflow-task polls: as many on the task queue itself as RUNWAY_WORKER_WORKFLOW_POLLS says (the
    // SDK's default is 2), 8 on the worker's sticky queue. Idle, every poll stays open.
    await until(async () => {
      const now = await (await fetch(`${url}/metrics`)).text();
      return pollers(now, 'workflow_task') === 3 && pollers(now, 'sticky_workflow_task') === 8;
    }, 'the worker to hold 3 task-queue and 8 sticky workflow-task polls open');
    // Workflow-task time in the worker is bucketed past the SDK's 1 s, up to the 5 s it warns at and
    // Temporal's 10 s task timeout (the worker's own delivery ledger runs the first task).
    await until(async () => {
      const now = await (await fetch(`${url}/metrics`)).text();
      return ['1000', '5000', '10000', '30000'].every((le) => new RegExp(`^temporal_workflow_task_execution_latency_bucket\\{[^}]*le="${le}"[^}]*\\} [1-9]`, 'm').test(now));
    }, 'workflow task latency buckets up to 30 s, each counting the ledger task');
    const check = await runRunway(['healthcheck', 'worker'], { ...env, RUNWAY_METRICS_PORT: port! });
    expect(check.code).toBe(0);
    expect(check.stdout).toContain(`http://127.0.0.1:${port}/healthz answered 200`);
    worker.child.kill('SIGTERM');
    expect((await worker.exited).code).toBe(0);
    const after = await runRunway(['healthcheck', 'worker'], { ...env, RUNWAY_METRICS_PORT: port! });
    expect(after.code).toBe(1);
    expect(after.stderr).toContain(`worker not healthy: http://127.0.0.1:${port}/healthz did not answer`);
  } finally {
    worker.child.kill('SIGKILL');
  }
});

it('stops at start with exit 2 naming RUNWAY_METRICS_PORT when it is not a port, without a stack trace', async () => {
  const result = await runRunway(['worker'], { TEMPORAL_ADDRESS: testTemporalAddress(), RUNWAY_METRICS_PORT: 'abc' });
  expect(result.code).toBe(2);
  expect(result.stderr).toMatch(/^runway: invalid environment: RUNWAY_METRICS_PORT: /);
  expect(result.stderr).not.toMatch(/\n\s+at /);
});

it.each([
  ['RUNWAY_WORKER_ACTIVITY_SLOTS', 'lots'],
  ['RUNWAY_WORKER_ACTIVITY_SLOTS', '5'],
  ['RUNWAY_WORKER_CACHED_WORKFLOWS', '-1'],
  ['RUNWAY_WORKER_WORKFLOW_POLLS', '0'],
  ['RUNWAY_WORKER_WORKFLOW_POLLS', '25'],
  ['RUNWAY_WORKFLOW_BUNDLE', '/nonexistent/workflow-bundle.js'],
])('stops at start with exit 2 naming %s when it is %s', async (name, value) => {
  const result = await runRunway(['worker'], { TEMPORAL_ADDRESS: testTemporalAddress(), [name]: value });
  expect(result.code).toBe(2);
  expect(result.stderr).toMatch(new RegExp(`^runway: invalid environment: ${name}: `));
  expect(result.stderr).not.toMatch(/\n\s+at /);
});

it('stops with exit 1 naming TEMPORAL_ADDRESS, without a stack trace, when no Temporal server answers there', async () => {
  const address = `127.0.0.1:${await freeLoopbackPort()}`;
  const result = await runRunway(['worker'], { TEMPORAL_ADDRESS: address, RUNWAY_TASK_QUEUE: uniqueId('nowhere') });
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(new RegExp(`^runway: cannot reach Temporal: .*${address.replace(/\./g, '\\.')}.*is TEMPORAL_ADDRESS right\\?`));
  expect(result.stderr).not.toMatch(/\n\s+at /);
});

it('asks the approvals server\'s /healthz on RUNWAY_APPROVALS_PORT with healthcheck approvals, and either process without an argument', async () => {
  const env = { RUNWAY_CONFIG: path.join(__dirname, '../../runway.config.yaml'), SLACK_SIGNING_SECRET: 'x', TEMPORAL_ADDRESS: testTemporalAddress() };
  const approvals = spawnRunway(['approvals', '--port', '0'], env);
  try {
    await approvals.waitFor(/listening on http:\/\/127\.0\.0\.1:\d+/);
    const port = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(approvals.output())![1]!;
    const named = await runRunway(['healthcheck', 'approvals'], { ...env, RUNWAY_APPROVALS_PORT: port });
    expect(named).toMatchObject({ code: 0, stdout: expect.stringContaining(`runway healthcheck: approvals healthy (http://127.0.0.1:${port}/healthz answered 200`) });
    // The image's HEALTHCHECK: no argument; nothing listens on the worker's port here.
    const either = await runRunway(['healthcheck'], { ...env, RUNWAY_APPROVALS_PORT: port, RUNWAY_METRICS_PORT: String(await freeLoopbackPort()) });
    expect(either).toMatchObject({ code: 0, stdout: expect.stringContaining('approvals healthy') });
    // Named, only that process's port counts.
    const worker = await runRunway(['healthcheck', 'worker'], { ...env, RUNWAY_APPROVALS_PORT: port, RUNWAY_METRICS_PORT: String(await freeLoopbackPort()) });
    expect(worker.code).toBe(1);
  } finally {
    approvals.child.kill('SIGTERM');
    await approvals.exited;
  }
});
