/** The sandbox's Slack rate limits as plain rules (src/sandbox/slack/rate-limits.ts), on a made-up clock. */
import { SLACK_RATE_LIMITS, SlackRateLimiter } from '../../src/sandbox/slack/rate-limits';
import { slackScenarioSchema } from '../../src/sandbox/slack/scenario';

describe('chat.postMessage: one message a second per channel', () => {
  it('refuses a second message to a channel inside the interval with the seconds left, rounded up, and takes it after', () => {
    const limiter = new SlackRateLimiter();
    expect(limiter.admit(SLACK_RATE_LIMITS, 'chat.postMessage', '#deploys', 10_000)).toBeUndefined();
    expect(limiter.admit(SLACK_RATE_LIMITS, 'chat.postMessage', '#deploys', 10_300)).toBe(1);
    expect(limiter.admit(SLACK_RATE_LIMITS, 'chat.postMessage', '#incidents', 10_300)).toBeUndefined();
    expect(limiter.admit(SLACK_RATE_LIMITS, 'chat.postMessage', '#deploys', 11_000)).toBeUndefined();
    // Refused by method, with how early the refused call came: 700 ms before its second.
    expect(limiter.counts()).toEqual({ accepted: 3, refused: 1, refusedBy: { 'chat.postMessage': { count: 1, mostEarlyMs: 700 } } });
  });

  it('does not count a refused message against the channel (its wait runs from the last accepted one)', () => {
    const limiter = new SlackRateLimiter();
    const limits = { ...SLACK_RATE_LIMITS, postIntervalMsPerChannel: 5000 };
    limiter.admit(limits, 'chat.postMessage', 'C1', 0);
    expect(limiter.admit(limits, 'chat.postMessage', 'C1', 4000)).toBe(1);
    expect(limiter.admit(limits, 'chat.postMessage', 'C1', 5000)).toBeUndefined();
  });
});

describe('chat.update: tier 3, a number of calls in any rolling minute', () => {
  it('refuses the call past the allowance until the oldest leaves the minute', () => {
    const limiter = new SlackRateLimiter();
    const limits = { ...SLACK_RATE_LIMITS, updatesPerMinute: 2 };
    expect(limiter.admit(limits, 'chat.update', 'C1', 0)).toBeUndefined();
    expect(limiter.admit(limits, 'chat.update', 'C2', 10_000)).toBeUndefined();
    expect(limiter.admit(limits, 'chat.update', 'C1', 20_000)).toBe(40);
    expect(limiter.admit(limits, 'chat.update', 'C1', 60_001)).toBeUndefined();
    expect(limiter.counts()).toEqual({ accepted: 3, refused: 1, refusedBy: { 'chat.update': { count: 1, mostEarlyMs: 40_000 } } });
  });

  it('leaves other methods alone', () => {
    const limiter = new SlackRateLimiter();
    for (let i = 0; i < 100; i++) expect(limiter.admit({ postIntervalMsPerChannel: 60_000, updatesPerMinute: 1 }, 'conversations.history', 'C1', i)).toBeUndefined();
    expect(limiter.counts()).toEqual({ accepted: 0, refused: 0, refusedBy: {} });
  });
});

describe("the scenario's rateLimits", () => {
  it("takes Slack's figures for what it leaves out, and refuses a limit that is not one, naming it", () => {
    expect(slackScenarioSchema.parse({ rateLimits: {} }).rateLimits).toEqual(SLACK_RATE_LIMITS);
    expect(slackScenarioSchema.parse({ rateLimits: { updatesPerMinute: 5 } }).rateLimits).toEqual({ ...SLACK_RATE_LIMITS, updatesPerMinute: 5 });
    const bad = slackScenarioSchema.safeParse({ rateLimits: { updatesPerMinute: 0 } });
    expect(bad.success).toBe(false);
    expect(JSON.stringify(bad.error?.issues[0]?.path)).toBe('["rateLimits","updatesPerMinute"]');
  });
});
