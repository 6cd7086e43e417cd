import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPrometheusProvider, renderQuery } from '../../src/metrics/prometheus';
import { MetricsUnavailableError } from '../../src/metrics/provider';

const queries = {
  requests: 'reqs{svc="{{service}}",env="{{environment}}",track="{{track}}"}[{{interval}}]',
  errorRate: 'errs{track="{{track}}"}',
  p99Ms: 'p99{track="{{track}}"}',
};
const q = { service: 'checkout', environment: 'production', track: 'canary' as const, windowMs: 10_000 };

let server: Server;
let base: string;
const received: string[] = [];
let answer: (query: string) => unknown;
let statusCode = 200;

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    const query = url.searchParams.get('query') ?? '';
    received.push(`${url.pathname} ${query}`);
    res.writeHead(statusCode, { 'content-type': 'application/json' }).end(JSON.stringify(answer(query)));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => new Promise((r) => server.close(r)));
beforeEach(() => {
  received.length = 0;
  statusCode = 200;
});

const vector = (value: string) => ({ status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [1700000000, value] }] } });

describe('Prometheus provider', () => {
  it('renders templates with service, environment, track and the interval', () => {
    expect(renderQuery(queries.requests, q)).toBe('reqs{svc="checkout",env="production",track="canary"}[10s]');
  });

  it('queries /api/v1/query for each signal and parses the values', async () => {
    answer = (query) => vector(query.startsWith('reqs') ? '420' : query.startsWith('errs') ? '0.0125' : '187.5');
    const metrics = await createPrometheusProvider({ baseUrl: base, queries }).trackMetrics(q);
    expect(metrics).toEqual({ requests: 420, errorRate: 0.0125, p99Ms: 187.5 });
    expect(received.sort()).toEqual([
      '/api/v1/query errs{track="canary"}',
      '/api/v1/query p99{track="canary"}',
      '/api/v1/query reqs{svc="checkout",env="production",track="canary"}[10s]',
    ]);
  });

  it('reports an empty result or NaN as no data, never as zero', async () => {
    answer = (query) => (query.startsWith('errs') ? vector('NaN') : { status: 'success', data: { resultType: 'vector', result: [] } });
    const metrics = await createPrometheusProvider({ baseUrl: base, queries }).trackMetrics(q);
    expect(metrics).toEqual({ requests: undefined, errorRate: undefined, p99Ms: undefined });
  });

  it('says when Prometheus rejects a query, quoting its error', async () => {
    statusCode = 400;
    answer = () => ({ status: 'error', errorType: 'bad_data', error: 'parse error at char 5' });
    const failure = createPrometheusProvider({ baseUrl: base, queries }).trackMetrics(q);
    await expect(failure).rejects.toBeInstanceOf(MetricsUnavailableError);
    await expect(createPrometheusProvider({ baseUrl: base, queries }).trackMetrics(q)).rejects.toThrow(/Prometheus query failed \(400\): parse error at char 5/);
  });

  it('says when Prometheus is unreachable', async () => {
    await expect(createPrometheusProvider({ baseUrl: 'http://127.0.0.1:1', queries }).trackMetrics(q)).rejects.toThrow(/Prometheus at http:\/\/127\.0\.0\.1:1 unreachable/);
  });
});
