/**
 * `runway worker`'s own HTTP port (RUNWAY_METRICS_PORT, default 9464): `GET /healthz` answers
 * 200 only while the Worker polls its task queue (its state is RUNNING) and 503 otherwise, and
 * `GET /metrics` serves the Temporal SDK's metrics in Prometheus text format. The SDK's Prometheus
 * exporter runs in its native core and binds a port of its own; Runway binds it on a free
 * loopback port (never reachable from outside) and forwards /metrics to it, so one port carries
 * both and its address is Runway's to choose. Runway's own delivery series (runway_*, from the
 * delivery ledger) follow the SDK's in the same response.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export const WORKER_HEALTH_PATH = '/healthz';
export const WORKER_METRICS_PATH = '/metrics';

export interface WorkerHealthOptions {
  host: string;
  port: number;
  /** True while the worker polls its task queue. */
  ready: () => boolean;
  /** The SDK exporter's own address (`127.0.0.1:<port>`); unset (and no `extraMetrics`) → /metrics answers 404. */
  sdkMetricsAddress?: string;
  /** More series in Prometheus text format, appended to the SDK's (Runway's delivery metrics). Must not throw. */
  extraMetrics?: () => Promise<string>;
}

export interface WorkerHealthServer {
  /** `http://<host>:<port>` as bound (port 0 → the port the system chose). */
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startWorkerHealthServer(options: WorkerHealthOptions): Promise<WorkerHealthServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === WORKER_HEALTH_PATH) {
      const ready = options.ready();
      res.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain; charset=utf-8' }).end(ready ? 'ok: polling\n' : 'not ready: not polling its task queue\n');
      return;
    }
    if (path === WORKER_METRICS_PATH && (options.sdkMetricsAddress || options.extraMetrics)) {
      const sdk = options.sdkMetricsAddress ? forwardMetrics(options.sdkMetricsAddress) : Promise.resolve({ status: 200, type: PROMETHEUS_TEXT, body: '' });
      Promise.all([sdk, options.extraMetrics?.() ?? Promise.resolve('')]).then(
        ([{ status, type, body }, extra]) => res.writeHead(status, { 'content-type': type }).end(status === 200 ? joinExpositions(body, extra) : body),
        (err: unknown) => res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8' }).end(`the SDK's metrics exporter did not answer: ${(err as Error).message}\n`),
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
  });
  await listen(server, options.port, options.host);
  const { port } = server.address() as AddressInfo;
  const shownHost = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;
  return {
    url: `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${port}`,
    port,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        // A scraper's keep-alive connection would otherwise hold the close up.
        server.closeAllConnections();
      }),
  };
}

const PROMETHEUS_TEXT = 'text/plain; version=0.0.4; charset=utf-8';

function joinExpositions(a: string, b: string): string {
  if (!a) return b;
  return a.endsWith('\n') ? a + b : `${a}\n${b}`;
}

async function forwardMetrics(address: string): Promise<{ status: number; type: string; body: string }> {
  const response = await fetch(`http://${address}${WORKER_METRICS_PATH}`, { signal: AbortSignal.timeout(5000) });
  return { status: response.status, type: response.headers.get('content-type') ?? 'text/plain; version=0.0.4', body: await response.text() };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** A loopback port free right now, for the SDK's exporter (which cannot report the port it bound). */
export async function freeLoopbackPort(): Promise<number> {
  const probe = createServer();
  await listen(probe, 0, '127.0.0.1');
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}
