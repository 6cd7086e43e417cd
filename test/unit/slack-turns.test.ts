/**
 * When a Slack call waits for its turn on its messenger's timer instead of heartbeating in an
 * activity (src/domain/slack-turns.ts), and the worker's pacer keeping the bookings
 * (activities/slack-pacer.ts `turn`), on Jest's fake clock.
 */
import { createSlackPacer, POST_ARRIVAL_ALLOWANCE_MS } from '../../activities/slack-pacer';
import { SEND_TIME_MARGIN_MS } from '../../src/domain/slack-budget';
import { nextPace, SLACK_TURN_COME_BACK_LEAD_MS, slackTurn } from '../../src/domain/slack-turns';

describe('slackTurn', () => {
  const line = { queuedUntilMs: 0, promisedUntilMs: 0, paceMs: 1000 };

  it('lets a call go when its turn is near, and books one further off, the next booking a pace later', () => {
    expect(slackTurn({ ...line, queuedUntilMs: 100_000 }, { nowMs: 0, beyondMs: 120_000 })).toEqual({ go: true });
    const told = slackTurn({ ...line, queuedUntilMs: 300_000 }, { nowMs: 0, beyondMs: 120_000 });
    expect(told).toEqual({ go: false, turnAtMs: 300_000, comeBackAtMs: 300_000 - SLACK_TURN_COME_BACK_LEAD_MS, promisedUntilMs: 301_000 });
    // A call arriving after it, with the line itself short, is booked behind it.
    expect(slackTurn({ ...line, queuedUntilMs: 5_000, promisedUntilMs: 301_000 }, { nowMs: 1_000, beyondMs: 120_000 })).toMatchObject({ go: false, turnAtMs: 301_000, promisedUntilMs: 302_000 });
  });

  it('lets a call that came back with its turn, or a final, go ahead of the turns booked after it', () => {
    const booked = { ...line, queuedUntilMs: 10_000, promisedUntilMs: 900_000 };
    expect(slackTurn(booked, { nowMs: 0, beyondMs: 120_000, turnAtMs: 60_000 })).toEqual({ go: true });
    expect(slackTurn(booked, { nowMs: 0, beyondMs: 120_000, final: true })).toEqual({ go: true });
    // Came back to a line still long (the estimate was short): told again, for the line's end, not behind the later bookings.
    expect(slackTurn({ ...booked, queuedUntilMs: 200_000 }, { nowMs: 0, beyondMs: 120_000, turnAtMs: 60_000 })).toMatchObject({ go: false, turnAtMs: 200_000, promisedUntilMs: 900_000 });
  });

  it('never tells a call to come back before now', () => {
    const told = slackTurn({ ...line, queuedUntilMs: 130_000 }, { nowMs: 100_000, beyondMs: 10_000 });
    expect(told).toMatchObject({ go: false, turnAtMs: 130_000, comeBackAtMs: 100_000 });
  });

  it('learns how fast a line goes from the gaps between its calls, never faster than its interval, ignoring idle gaps', () => {
    expect(nextPace(1000, 1000, 500)).toBe(1000);
    expect(nextPace(1000, 1000, 2000)).toBe(1200);
    expect(nextPace(1200, 1000, 10 * 60_000)).toBe(1200);
  });
});

describe("the pacer's turns", () => {
  beforeEach(() => jest.useFakeTimers({ now: 0 }));
  afterEach(() => jest.useRealTimers());

  const PACE = { postIntervalMsPerChannel: 1000, updatesPerMinute: 30 };
  const POST_SPACING_MS = PACE.postIntervalMsPerChannel + POST_ARRIVAL_ALLOWANCE_MS;

  it('books calls behind a long line in order, a pace apart, and lets them in when they come back', async () => {
    const pacer = createSlackPacer({ pace: PACE });
    const made: number[] = [];
    // 150 posts queued in one channel: about 190 s of Slack's pace.
    const queued = Array.from({ length: 150 }, () => pacer.run({ kind: 'post', channel: 'C1', send: async () => made.push(Date.now()) }));
    expect(pacer.turn('post', 'C1', { beyondMs: 300_000 })).toEqual({ go: true });
    const first = pacer.turn('post', 'C1', { beyondMs: 120_000 });
    const second = pacer.turn('post', 'C1', { beyondMs: 120_000 });
    if (first.go || second.go) throw new Error('expected both to be told to come back');
    expect(first.turnAtMs).toBeGreaterThanOrEqual(150 * POST_SPACING_MS);
    expect(second.turnAtMs - first.turnAtMs).toBe(POST_SPACING_MS);
    expect(first.comeBackAtMs).toBe(first.turnAtMs - SLACK_TURN_COME_BACK_LEAD_MS);
    // Another channel is not held up by C1's line.
    expect(pacer.turn('post', 'C2', { beyondMs: 120_000 })).toEqual({ go: true });
    // Come back when told: the line has moved, and the call goes in with its turn.
    await jest.advanceTimersByTimeAsync(first.comeBackAtMs);
    expect(pacer.turn('post', 'C1', { beyondMs: 120_000, turnAtMs: first.turnAtMs })).toEqual({ go: true });
    // A new call now is still booked behind the two turns handed out.
    const later = pacer.turn('post', 'C1', { beyondMs: 10_000 });
    if (later.go) throw new Error('expected the later call to be told to come back');
    expect(later.turnAtMs).toBeGreaterThanOrEqual(second.turnAtMs + POST_SPACING_MS);
    await jest.advanceTimersByTimeAsync(200_000);
    await Promise.all(queued);
    expect(made).toHaveLength(150);
  });

  it('lets a final update go ahead of a long line of other updates, and books it only behind other finals', () => {
    const pacer = createSlackPacer({ pace: PACE });
    // 100 updates queued: over three minutes at 30 a minute.
    for (let i = 0; i < 100; i++) void pacer.run({ kind: 'update', channel: `C${i}`, send: async () => undefined });
    expect(pacer.turn('update', 'C1', { beyondMs: 120_000 })).toMatchObject({ go: false });
    expect(pacer.turn('update', 'C1', { beyondMs: 120_000, final: true })).toEqual({ go: true });
  });

  it('paces its bookings by how fast the line really goes (slower with other workers sharing it)', async () => {
    const pacer = createSlackPacer({ pace: PACE });
    // Each call takes 3 s to answer and the line only goes at one call at a time: a gap of 3 s plus the spacing.
    const slow = () => new Promise<void>((resolve) => setTimeout(resolve, 3000));
    for (let i = 0; i < 60; i++) void pacer.run({ kind: 'post', channel: 'C1', send: slow });
    await jest.advanceTimersByTimeAsync(60_000);
    const first = pacer.turn('post', 'C1', { beyondMs: 1_000 });
    const second = pacer.turn('post', 'C1', { beyondMs: 1_000 });
    if (first.go || second.go) throw new Error('expected both to be told to come back');
    expect(second.turnAtMs - first.turnAtMs).toBeGreaterThan(POST_SPACING_MS + SEND_TIME_MARGIN_MS);
  });
});
