/**
 * `runway worker`'s health and metrics port (src/temporal/worker-health.ts): /healthz follows the
 * worker's readiness both ways, /metrics forwards the SDK exporter's text, and says so when the
 * exporter does not answer.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { freeLoopbackPort, startWorkerHealthServer, type WorkerHealthServer } from '../../src/temporal/worker-health';

const servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(ready: () => boolean, sdkMetricsAddress?: string): Promise<WorkerHealthServer> {
  const server = await startWorkerHealthServer({ host: '127.0.0.1', port: 0, ready, ...(sdkMetricsAddress ? { sdkMetricsAddress } : {}) });
  servers.push(server);
  return server;
}

/** Stands in for the SDK's Prometheus exporter. */
async function fakeExporter(body: string): Promise<string> {
  const server: Server = createServer((req, res) => {
    if (req.url === '/metrics') res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(body);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push({
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  });
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

it('answers /healthz 503 until the worker is ready, 200 while it is, 503 again once it stops', async () => {
  let ready = false;
  const server = await start(() => ready);
  expect((await fetch(`${server.url}/healthz`)).status).toBe(503);
  ready = true;
  const healthy = await fetch(`${server.url}/healthz`);
  expect(healthy.status).toBe(200);
  expect(await healthy.text()).toMatch(/polling/);
  ready = false;
  expect((await fetch(`${server.url}/healthz`)).status).toBe(503);
});

it('serves the SDK exporter\'s metrics on /metrics, with its content type', async () => {
  const text = '# TYPE temporal_worker_task_slots_available gauge\ntemporal_worker_task_slots_available{worker_type="WorkflowWorker"} 100\n';
  const server = await start(() => true, await fakeExporter(text));
  const response = await fetch(`${server.url}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/plain');
  expect(await response.text()).toBe(text);
});

it('answers /metrics 502 naming the problem when the exporter does not answer, and 404 elsewhere', async () => {
  const server = await start(() => true, `127.0.0.1:${await freeLoopbackPort()}`);
  const response = await fetch(`${server.url}/metrics`);
  expect(response.status).toBe(502);
  expect(await response.text()).toMatch(/metrics exporter did not answer/);
  expect((await fetch(`${server.url}/nothing`)).status).toBe(404);
});
