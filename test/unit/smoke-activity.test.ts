/**
 * The smoke test retries a service still warming up until its first passing check or the
 * warm-up timeout, then needs `successes` passing checks in a row; a failure names the last
 * answers. A retry after a worker crash goes on from the heartbeat details.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createSmokeActivities, type SmokeProgress, type SmokeTestInput, type SmokeTestResult } from '../../activities/smoke';
import type { SmokePlan } from '../../src/domain/smoke';
import { failureOf, quietLogger } from '../support/activity-env';

let server: Server;
let url: string;
/** What the service answers, one entry per request; after the last, `then`. */
let answers: { status: number; body: string }[];
let then: { status: number; body: string };
let hits = 0;

const ok = { status: 200, body: '{"status":"ok"}' };
const warming = { status: 503, body: 'starting' };

beforeAll(async () => {
  server = createServer((_req, res) => {
    const answer = answers[hits++] ?? then;
    res.writeHead(answer.status, { 'content-type': 'text/plain' }).end(answer.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/health`;
});
afterAll(() => new Promise((r) => server.close(r)));
beforeEach(() => {
  hits = 0;
  answers = [];
  then = ok;
});

const plan = (over: Partial<SmokePlan> = {}): SmokePlan => ({ url, successes: 3, intervalMs: 1, timeoutMs: 5000, requestTimeoutMs: 2000, ...over });

function run(input: SmokeTestInput, heartbeatDetails?: SmokeProgress): Promise<SmokeTestResult> {
  const env = new MockActivityEnvironment(heartbeatDetails ? { heartbeatDetails } : undefined, { logger: quietLogger });
  return env.run(createSmokeActivities().runSmokeTest, input) as Promise<SmokeTestResult>;
}

describe('runSmokeTest', () => {
  it('retries a service still warming up until it passes, then needs the passing checks in a row', async () => {
    answers = [warming, warming, warming];
    const result = await run(plan());
    expect(result).toEqual({ checks: [expect.objectContaining({ status: 200 }), expect.objectContaining({ status: 200 }), expect.objectContaining({ status: 200 })], failedBeforeFirstPass: 3, warmUpMs: expect.any(Number) });
    expect(hits).toBe(6);
  });

  it('treats a refused connection as warming up too', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const failure = await failureOf(run(plan({ url: `http://127.0.0.1:${port}/health`, timeoutMs: 150 })));
    expect(failure).toMatchObject({ nonRetryable: true, type: 'SmokeTestFailed' });
    expect(failure.message).toMatch(new RegExp(`^smoke test: GET http://127\\.0\\.0\\.1:${port}/health did not pass within 150ms \\(\\d+ check\\(s\\), none passed\\); last answers: no response \\(ECONNREFUSED\\)( ×\\d+)?$`));
  });

  it('fails once the warm-up timeout has passed without a passing check, naming the last answers', async () => {
    then = { status: 503, body: 'database unreachable' };
    const failure = await failureOf(run(plan({ timeoutMs: 300, intervalMs: 50 })));
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ nonRetryable: true, type: 'SmokeTestFailed' });
    expect(failure.message).toMatch(/ did not pass within 300ms \(\d+ check\(s\), none passed\); last answers: 503 "database unreachable" ×\d+$/);
    expect(hits).toBeGreaterThan(1);
  });

  it('fails when a check after the first passing one does not pass', async () => {
    answers = [warming, ok, { status: 500, body: 'oops' }];
    const failure = await failureOf(run(plan()));
    expect(failure.message).toBe(`smoke test: GET ${url} passed 1 check(s) in a row, then answered 500 "oops" (3 in a row needed); last answers: 503 "starting", 200 "{"status":"ok"}", 500 "oops"`);
    expect(hits).toBe(3);
  });

  it('passes only the expected status and a body that contains and matches what is expected', async () => {
    answers = [{ status: 200, body: 'starting' }, { status: 204, body: '' }, { status: 503, body: 'ready' }, { status: 200, body: 'ready v2' }];
    then = { status: 200, body: 'ready v1' };
    const result = await run(plan({ successes: 1, expectStatus: [200], expectBody: 'ready', expectBodyMatches: '^ready v[0-9]$' }));
    expect(result).toMatchObject({ failedBeforeFirstPass: 3, checks: [{ status: 200 }] });

    hits = 0;
    answers = [{ status: 200, body: 'ready' }, { status: 200, body: 'ready!' }];
    then = { status: 200, body: 'starting' };
    const failure = await failureOf(run(plan({ timeoutMs: 100, intervalMs: 20, expectStatus: [204], expectBody: 'ready' })));
    expect(failure.message).toMatch(/last answers: 200, expected 204 "ready", 200, expected 204 "ready!"(, 200, expected 204 "starting"( ×\d+)?)?$/);

    hits = 0;
    answers = [];
    const wrongBody = await failureOf(run(plan({ timeoutMs: 50, intervalMs: 20, expectBodyMatches: 'ready' })));
    expect(wrongBody.message).toMatch(/last answers: 200 not matching \/ready\/: "starting"/);
    const lacking = await failureOf(run(plan({ timeoutMs: 50, intervalMs: 20, expectBody: 'ready' })));
    expect(lacking.message).toMatch(/last answers: 200 without "ready" in the body: "starting"/);
  });

  it('goes on from the heartbeat details after a worker crash: same warm-up deadline, passing checks kept', async () => {
    const past = Date.now() - 60_000;
    const resumedMidStreak: SmokeProgress = {
      startedAt: past,
      deadline: past + 1000,
      checks: 6,
      failedBeforeFirstPass: 4,
      firstPassAt: past + 500,
      streak: [{ status: 200, ms: 3 }, { status: 200, ms: 4 }],
      recent: [],
    };
    const result = await run(plan(), resumedMidStreak);
    expect(result).toEqual({ checks: [{ status: 200, ms: 3 }, { status: 200, ms: 4 }, expect.objectContaining({ status: 200 })], failedBeforeFirstPass: 4, warmUpMs: 500 });
    expect(hits).toBe(1);

    // Lost during the warm-up and taken up after its deadline: one more check, no second warm-up.
    hits = 0;
    then = warming;
    const resumedWarming: SmokeProgress = { startedAt: past, deadline: past + 5000, checks: 9, failedBeforeFirstPass: 9, streak: [], recent: [] };
    const failure = await failureOf(run(plan(), resumedWarming));
    expect(failure.message).toMatch(/did not pass within 5s \(10 check\(s\), none passed\); last answers: 503 "starting"$/);
    expect(hits).toBe(1);
  });

  it('heartbeats its progress', async () => {
    answers = [warming];
    const env = new MockActivityEnvironment(undefined, { logger: quietLogger });
    const beats: SmokeProgress[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(structuredClone(d as SmokeProgress)));
    await env.run(createSmokeActivities().runSmokeTest, plan({ successes: 2 }));
    expect(beats.at(-1)).toMatchObject({ checks: 3, failedBeforeFirstPass: 1, streak: [{ status: 200 }, { status: 200 }] });
    expect(beats.every((b) => b.deadline === beats[0]!.deadline)).toBe(true);
  });
});
