import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createSmokeActivities, type SmokeTestResult } from '../../activities/smoke';
import { quietLogger } from '../support/activity-env';

let server: Server;
let url: string;
let answers: number[];
let hits = 0;

beforeAll(async () => {
  server = createServer((_req, res) => {
    const status = answers[hits++] ?? 200;
    res.writeHead(status).end(status === 200 ? 'ok' : 'database unreachable');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/health`;
});
afterAll(() => new Promise((r) => server.close(r)));
beforeEach(() => {
  hits = 0;
});

const run = (attempts: number) =>
  new MockActivityEnvironment(undefined, { logger: quietLogger }).run(createSmokeActivities().runSmokeTest, { url, attempts, intervalMs: 1, timeoutMs: 2000 });

describe('runSmokeTest', () => {
  it('passes when every check answers 2xx', async () => {
    answers = [200, 200, 200];
    const result = (await run(3)) as SmokeTestResult;
    expect(result.checks.map((c) => c.status)).toEqual([200, 200, 200]);
    expect(hits).toBe(3);
  });

  it('fails at the first bad answer, quoting it, without retrying', async () => {
    answers = [200, 503, 200];
    const failure = await run(3).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ nonRetryable: true, type: 'SmokeTestFailed', message: `smoke check 2/3 GET ${url} → 503: database unreachable` });
    expect(hits).toBe(2);
  });

  it('counts an unreachable endpoint as a failed check', async () => {
    const failure = await new MockActivityEnvironment(undefined, { logger: quietLogger })
      .run(createSmokeActivities().runSmokeTest, { url: 'http://127.0.0.1:1/health', attempts: 1, intervalMs: 1, timeoutMs: 2000 })
      .catch((err: unknown) => err);
    expect(failure).toMatchObject({ type: 'SmokeTestFailed', message: expect.stringMatching(/^smoke check 1\/1 GET http:\/\/127\.0\.0\.1:1\/health → no response/) });
  });
});
