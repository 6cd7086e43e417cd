/**
 * GitHub's pace for content-creating requests as pure rules (src/domain/github-write-budget.ts) and
 * the sandbox's enforcement of the same limits (src/sandbox/github/secondary-limits.ts): a writer
 * that follows nextWriteAt is never refused by the emulator, whatever its writes cost, and one that
 * does not is.
 */
import ms from 'ms';
import {
  expectedRequests,
  GITHUB_WRITE_BUDGET,
  type GitHubWriteBudget,
  nextWriteAt,
  NO_WRITE_BUDGET,
  parseGitHubWriteBudget,
  recentWrites,
  type WriteSpent,
} from '../../src/domain/github-write-budget';
import { SecondaryLimits } from '../../src/sandbox/github/secondary-limits';
import { parseEnv } from '../../src/config/env';

const parseMs = (text: string) => {
  const parsed = ms(text as ms.StringValue) as number | undefined;
  return typeof parsed === 'number' ? parsed : undefined;
};

describe('nextWriteAt', () => {
  it('goes at once with nothing spent, and a full interval after the last write ended', () => {
    expect(nextWriteAt([], 5_000)).toBe(5_000);
    expect(nextWriteAt([{ atMs: 4_500, requests: 1 }], 5_000)).toBe(5_500);
    expect(nextWriteAt([{ atMs: 1_000, requests: 1 }], 5_000)).toBe(5_000);
  });

  it('waits for the rolling minute to have room, counting each write by its requests', () => {
    const budget: GitHubWriteBudget = { minIntervalMs: 0, perMinute: 3, perHour: 100 };
    const spent: WriteSpent[] = [
      { atMs: 1_000, requests: 2 },
      { atMs: 2_000, requests: 1 },
    ];
    // Three requests in the minute: the next waits until the oldest write has left it.
    expect(nextWriteAt(spent, 3_000, budget)).toBe(61_000);
    // A write of two requests needs two places: both earlier writes must leave.
    expect(nextWriteAt([{ atMs: 1_000, requests: 1 }, { atMs: 2_000, requests: 1 }], 3_000, budget, 2)).toBe(61_000);
    expect(nextWriteAt([{ atMs: 1_000, requests: 1 }, { atMs: 2_000, requests: 1 }], 3_000, budget, 1)).toBe(3_000);
  });

  it('waits for the rolling hour too', () => {
    const budget: GitHubWriteBudget = { minIntervalMs: 0, perMinute: 1_000, perHour: 2 };
    expect(nextWriteAt([{ atMs: 0, requests: 1 }, { atMs: 120_000, requests: 1 }], 130_000, budget)).toBe(3_600_000);
  });

  it('forgets writes older than an hour', () => {
    expect(recentWrites([{ atMs: 0, requests: 1 }, { atMs: 10, requests: 1 }], 3_600_005)).toEqual([{ atMs: 10, requests: 1 }]);
  });

  it('plans two requests for a create and a production success, one otherwise', () => {
    expect(expectedRequests({ kind: 'create', input: {} })).toBe(2);
    expect(expectedRequests({ kind: 'status', input: { state: 'success', environment: 'production' } })).toBe(2);
    expect(expectedRequests({ kind: 'status', input: { state: 'success', environment: 'staging' } })).toBe(1);
    expect(expectedRequests({ kind: 'restore-previous', input: {} })).toBe(1);
  });
});

describe('a writer pacing itself by nextWriteAt against the sandbox limits', () => {
  /** Writes `count` writes of random cost as early as the budget lets it; returns the refusals and the span. */
  function run(budget: GitHubWriteBudget, limits: GitHubWriteBudget, count: number, paced: boolean) {
    const sandbox = new SecondaryLimits();
    let seed = 7;
    const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    const spent: WriteSpent[] = [];
    let now = 0;
    for (let i = 0; i < count; i++) {
      const requests = 1 + Math.floor(random() * 2);
      if (paced) now = nextWriteAt(recentWrites(spent, now), now, budget, requests);
      // Each request of the write arrives 50–250 ms after the previous (the worker's client paces its own requests a second apart).
      for (let r = 0; r < requests; r++) {
        now += r === 0 ? 50 : Math.max(budget.minIntervalMs, 50);
        sandbox.admit(limits, now);
      }
      now += Math.floor(random() * 200);
      spent.push({ atMs: now, requests });
    }
    return { ...sandbox.counts(), spanMs: now };
  }

  it('is never refused at GitHub’s own figures, over more than an hour of writes', () => {
    const result = run(GITHUB_WRITE_BUDGET, GITHUB_WRITE_BUDGET, 700, true);
    expect(result.refused).toBe(0);
    expect(result.accepted).toBeGreaterThan(700);
    // 500 an hour: over 700 writes (about 1,050 requests) take more than two hours.
    expect(result.spanMs).toBeGreaterThan(2 * 3_600_000);
  });

  it('is refused when it does not pace itself', () => {
    expect(run(GITHUB_WRITE_BUDGET, GITHUB_WRITE_BUDGET, 100, false).refused).toBeGreaterThan(0);
  });
});

describe('RUNWAY_GITHUB_WRITE_BUDGET', () => {
  it('reads github, off and a custom budget', () => {
    expect(parseGitHubWriteBudget('', parseMs)).toEqual(GITHUB_WRITE_BUDGET);
    expect(parseGitHubWriteBudget('GitHub', parseMs)).toEqual(GITHUB_WRITE_BUDGET);
    expect(parseGitHubWriteBudget('off', parseMs)).toEqual(NO_WRITE_BUDGET);
    expect(parseGitHubWriteBudget('250ms, 30/min, 400/h', parseMs)).toEqual({ minIntervalMs: 250, perMinute: 30, perHour: 400 });
  });

  it('names what is wrong', () => {
    expect(parseGitHubWriteBudget('fast', parseMs)).toMatch(/"fast" is not a write budget/);
    expect(parseGitHubWriteBudget('soon,80/min,500/h', parseMs)).toMatch(/"soon" is not an interval/);
    expect(parseGitHubWriteBudget('1s,80/m,500/h', parseMs)).toMatch(/"80\/m" is not a per-minute limit/);
    expect(parseGitHubWriteBudget('1s,80/min,0/h', parseMs)).toMatch(/"0\/h" is not a per-hour limit/);
  });

  it('is checked with the rest of the environment, naming the variable', () => {
    expect(parseEnv({ RUNWAY_GITHUB_WRITE_BUDGET: '2s,10/min,100/h' }).RUNWAY_GITHUB_WRITE_BUDGET).toEqual({ minIntervalMs: 2000, perMinute: 10, perHour: 100 });
    expect(() => parseEnv({ RUNWAY_GITHUB_WRITE_BUDGET: 'fast' })).toThrow(/RUNWAY_GITHUB_WRITE_BUDGET.*"fast" is not a write budget/s);
  });
});
