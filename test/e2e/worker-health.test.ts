/**
 * Issue 15, part 1: `runway worker` serves /healthz (200 once it polls) and the Temporal SDK's
 * metrics on its own port; `runway healthcheck worker` asks that port (what the image's
 * HEALTHCHECK runs); a malformed RUNWAY_METRICS_PORT stops the worker at start, exit 2, naming it.
 */
import { runRunway, spawnRunway } from '../support/runway-process';
import { freeLoopbackPort } from '../../src/temporal/worker-health';
import { testTemporalAddress, uniqueId } from '../support/temporal';

const HEALTH_LINE = /runway worker: health (http:\/\/127\.0\.0\.1:(\d+))\/healthz/;

it('answers /healthz 200 once polling and /metrics with temporal_ metrics; healthcheck exits 0, and 1 once the worker is gone', async () => {
  const env = { TEMPORAL_ADDRESS: testTemporalAddress(), RUNWAY_TASK_QUEUE: uniqueId('health'), RUNWAY_WORKER_VERSIONING: 'off' };
  const worker = spawnRunway(['worker'], env);
  try {
    await worker.waitFor(/polling task queue/);
    const [, url, port] = HEALTH_LINE.exec(worker.output())!;
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    // The worker's own gauges, from the SDK's core exporter.
    expect(metrics).toMatch(/^temporal_\w+\{.*task_queue=".*health/m);
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

it('stops with exit 1 naming TEMPORAL_ADDRESS, without a stack trace, when no Temporal server answers there', async () => {
  const address = `127.0.0.1:${await freeLoopbackPort()}`;
  const result = await runRunway(['worker'], { TEMPORAL_ADDRESS: address, RUNWAY_TASK_QUEUE: uniqueId('nowhere') });
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(new RegExp(`^runway: cannot reach Temporal: .*${address.replace(/\./g, '\\.')}.*is TEMPORAL_ADDRESS right\\?`));
  expect(result.stderr).not.toMatch(/\n\s+at /);
});
