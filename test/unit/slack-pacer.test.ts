/**
 * The worker's Slack pacer (activities/slack-pacer.ts), on Jest's fake clock: posts spaced per
 * channel, updates spaced across the workspace with final states first, a 429 turned into a wait
 * of Slack's Retry-After (the call made again, never failed), and an abandoned call never made.
 */
import { WebAPIRateLimitedError } from '@slack/web-api';
import { createSlackPacer, POST_ARRIVAL_ALLOWANCE_MS, type SharedSlackBudget } from '../../activities/slack-pacer';
import { grantSendTime, newSlackBudget, SEND_TIME_MARGIN_MS } from '../../src/domain/slack-budget';

// Updates 2 s apart; this worker's own pace adds the shared budget's 50 ms margin (SEND_TIME_MARGIN_MS) to each interval.
const PACE = { postIntervalMsPerChannel: 1000, updatesPerMinute: 30 };
// Posts one a second, with time for their arrival and the margin.
const POST_SPACING_MS = PACE.postIntervalMsPerChannel + POST_ARRIVAL_ALLOWANCE_MS + SEND_TIME_MARGIN_MS;

/** The budget's lead in these tests: half a second, less than any spacing, so the times below are the pacer's doing. */
const TEST_LEAD_MS = 500;

beforeEach(() => jest.useFakeTimers({ now: 0 }));
afterEach(() => jest.useRealTimers());

/** A Slack call that records the (fake) time it was made and answers with its name (after `answerMs`). */
function recorder(answerMs = 0) {
  const made: Array<{ name: string; at: number }> = [];
  const call = (name: string) => async () => {
    made.push({ name, at: Date.now() });
    if (answerMs > 0) await new Promise((resolve) => setTimeout(resolve, answerMs));
    return name;
  };
  return { made, call };
}

it('posts to one channel one a second, in order, while another channel is not held up', async () => {
  const pacer = createSlackPacer({ pace: PACE });
  const { made, call } = recorder();
  const answers = Promise.all([
    pacer.run({ kind: 'post', channel: 'C1', send: call('a') }),
    pacer.run({ kind: 'post', channel: 'C1', send: call('b') }),
    pacer.run({ kind: 'post', channel: 'C2', send: call('x') }),
    pacer.run({ kind: 'post', channel: 'C1', send: call('c') }),
  ]);
  await jest.advanceTimersByTimeAsync(5000);
  expect(await answers).toEqual(['a', 'b', 'x', 'c']);
  expect(made).toEqual([
    { name: 'a', at: 0 },
    { name: 'x', at: 0 },
    { name: 'b', at: POST_SPACING_MS },
    { name: 'c', at: 2 * POST_SPACING_MS },
  ]);
});

it('spaces updates across channels to the minute allowance, a final state before the others waiting', async () => {
  const pacer = createSlackPacer({ pace: PACE });
  const { made, call } = recorder();
  const all = Promise.all([
    pacer.run({ kind: 'update', channel: 'C1', send: call('first') }),
    pacer.run({ kind: 'update', channel: 'C2', send: call('canary 10%') }),
    pacer.run({ kind: 'update', channel: 'C1', send: call('canary 50%') }),
    pacer.run({ kind: 'update', channel: 'C2', final: true, send: call('released') }),
  ]);
  await jest.advanceTimersByTimeAsync(10_000);
  await all;
  expect(made).toEqual([
    { name: 'first', at: 0 },
    { name: 'released', at: 2050 },
    { name: 'canary 10%', at: 4100 },
    { name: 'canary 50%', at: 6150 },
  ]);
});

it("spaces calls from when each is made, not from Slack's answer: a slow answer does not slow the line", async () => {
  const pacer = createSlackPacer({ pace: PACE });
  const { made, call } = recorder(1500);
  const all = Promise.all(['a', 'b', 'c'].map((name) => pacer.run({ kind: 'update', channel: 'C1', send: call(name) })));
  await jest.advanceTimersByTimeAsync(10_000);
  await all;
  // Spaced from the answers, these were made at 0, 3500 and 7000: 2 s apart (and the margin) is the allowance.
  expect(made).toEqual([
    { name: 'a', at: 0 },
    { name: 'b', at: 2050 },
    { name: 'c', at: 4100 },
  ]);
});

it("takes a 429 as a wait of Slack's Retry-After: the call is made again first and its caller never sees the limit", async () => {
  const pacer = createSlackPacer({ pace: PACE });
  const { made, call } = recorder();
  let refusals = 1;
  const limited = async () => {
    made.push({ name: 'limited', at: Date.now() });
    if (refusals-- > 0) throw new WebAPIRateLimitedError(7);
    return 'limited';
  };
  const first = pacer.run({ kind: 'update', channel: 'C1', send: limited });
  const second = pacer.run({ kind: 'update', channel: 'C1', send: call('second') });
  await jest.advanceTimersByTimeAsync(6000);
  expect(made.map((m) => m.name)).toEqual(['limited']);
  expect(pacer.stats()).toEqual({ rateLimited: 1, waiting: { 'chat.update': 2 }, sharedAnswers: { 'in-time': 0, late: 0, missed: 0, overslept: 0 } });
  await jest.advanceTimersByTimeAsync(4000);
  await expect(first).resolves.toBe('limited');
  await expect(second).resolves.toBe('second');
  expect(made).toEqual([
    { name: 'limited', at: 0 },
    { name: 'limited', at: 7000 },
    { name: 'second', at: 9050 },
  ]);
});

it("hands Slack's other errors to the caller, and the line goes on", async () => {
  const pacer = createSlackPacer({ pace: PACE });
  const { made, call } = recorder();
  const failing = pacer.run({
    kind: 'post',
    channel: 'C1',
    send: async () => {
      throw new Error('channel_not_found');
    },
  });
  const rejected = expect(failing).rejects.toThrow('channel_not_found');
  const next = pacer.run({ kind: 'post', channel: 'C1', send: call('next') });
  await jest.advanceTimersByTimeAsync(2000);
  await rejected;
  await expect(next).resolves.toBe('next');
  expect(made).toEqual([{ name: 'next', at: POST_SPACING_MS }]);
});

it('a call whose caller gave up while it waited is never made', async () => {
  const pacer = createSlackPacer({ pace: PACE });
  const { made, call } = recorder();
  const abandon = new AbortController();
  const first = pacer.run({ kind: 'update', channel: 'C1', send: call('first') });
  const abandoned = pacer.run({ kind: 'update', channel: 'C1', send: call('abandoned'), signal: abandon.signal });
  const rejected = expect(abandoned).rejects.toThrow('activity cancelled');
  const last = pacer.run({ kind: 'update', channel: 'C1', send: call('last') });
  abandon.abort(new Error('activity cancelled'));
  await jest.advanceTimersByTimeAsync(5000);
  await rejected;
  await Promise.all([first, last]);
  expect(made).toEqual([
    { name: 'first', at: 0 },
    { name: 'last', at: 2050 },
  ]);
  expect(pacer.stats().waiting).toEqual({});
});

it("posts to a channel's name and to its id share one line once Slack has said which id the name is", async () => {
  const pacer = createSlackPacer({ pace: PACE });
  const { made, call } = recorder();
  pacer.learnChannel('#deploys', 'C1');
  await jest.advanceTimersByTimeAsync(0);
  const both = Promise.all([pacer.run({ kind: 'post', channel: '#deploys', send: call('message') }), pacer.run({ kind: 'post', channel: 'C1', send: call('reply') })]);
  await jest.advanceTimersByTimeAsync(2000);
  await both;
  expect(made).toEqual([
    { name: 'message', at: 0 },
    { name: 'reply', at: POST_SPACING_MS },
  ]);
});

it("with a shared budget, waits for the send time it hands out and tells it of a 429", async () => {
  const pacer = createSlackPacer({ pace: PACE });
  const { made, call } = recorder();
  const asked: string[] = [];
  const held: Array<{ line: string; untilMs: number }> = [];
  // Another worker has the next 5 s of updates.
  let nextAtMs = 5000;
  const shared: SharedSlackBudget = {
    sendTime: async (line, intervalMs) => {
      asked.push(line);
      const at = nextAtMs;
      nextAtMs += intervalMs + SEND_TIME_MARGIN_MS;
      return at;
    },
    rateLimited: async (line, untilMs) => {
      held.push({ line, untilMs });
      nextAtMs = Math.max(nextAtMs, untilMs);
    },
  };
  let refusals = 1;
  const limited = async () => {
    made.push({ name: 'limited', at: Date.now() });
    if (refusals-- > 0) throw new WebAPIRateLimitedError(3);
    return 'limited';
  };
  const first = pacer.run({ kind: 'update', channel: 'C1', send: call('first'), shared });
  const second = pacer.run({ kind: 'update', channel: 'C1', send: limited, shared });
  await jest.advanceTimersByTimeAsync(20_000);
  await Promise.all([first, second]);
  expect(made).toEqual([
    { name: 'first', at: 5000 },
    { name: 'limited', at: 7050 },
    // Asked again once Slack's 3 s are over: the budget holds the line until then too.
    { name: 'limited', at: 10_050 },
  ]);
  expect(asked).toEqual(['chat.update', 'chat.update', 'chat.update']);
  expect(held).toEqual([{ line: 'chat.update', untilMs: 10_050 }]);
});

it("with a shared budget, the next call asks for its send time while the one before waits for its own, one call ahead at most", async () => {
  const pacer = createSlackPacer({ pace: PACE });
  const { made, call } = recorder(300);
  const asked: number[] = [];
  // The budget workflow's own rule with a half-second lead, each answer taking 400 ms to arrive (an Update under load).
  let state = newSlackBudget();
  const shared: SharedSlackBudget = {
    sendTime: async (line, intervalMs) => {
      asked.push(Date.now());
      const granted = grantSendTime(state, line, intervalMs, Date.now(), TEST_LEAD_MS);
      state = granted.state;
      await new Promise((resolve) => setTimeout(resolve, 400));
      return granted.atMs;
    },
    rateLimited: async () => undefined,
  };
  const all = Promise.all(['a', 'b', 'c'].map((name) => pacer.run({ kind: 'update', channel: 'C1', send: call(name), shared })));
  await jest.advanceTimersByTimeAsync(10_000);
  await all;
  // b asks once a has its time (400), not once a is answered (800); c only once a is answered: one ahead.
  expect(asked).toEqual([0, 400, 800]);
  // The budget's spacing (2 s + its 50 ms margin) and nothing more. One at a time, b and c were made at 3300 and 6100.
  expect(made).toEqual([
    { name: 'a', at: 500 },
    { name: 'b', at: 2550 },
    { name: 'c', at: 4600 },
  ]);
});

it("with a shared budget, a send time closer to this worker's previous call than Slack's spacing waits for the spacing (that call went late)", async () => {
  const pacer = createSlackPacer({ pace: PACE });
  const { made, call } = recorder();
  // Times 500 ms apart: as a busy worker sees them when the first one's timer fired late.
  let nextAtMs = 0;
  const shared: SharedSlackBudget = {
    sendTime: async () => (nextAtMs += 500),
    rateLimited: async () => undefined,
  };
  const all = Promise.all(['a', 'b'].map((name) => pacer.run({ kind: 'update', channel: 'C1', send: call(name), shared })));
  await jest.advanceTimersByTimeAsync(5000);
  await all;
  expect(made).toEqual([
    { name: 'a', at: 500 },
    { name: 'b', at: 2550 },
  ]);
});

it('a shared budget that cannot be reached leaves the line to its own pace for two minutes, then it asks again', async () => {
  const pacer = createSlackPacer({ pace: PACE });
  const { made, call } = recorder();
  let asks = 0;
  const down: SharedSlackBudget = {
    sendTime: async () => {
      asks++;
      throw new Error('connection refused');
    },
    rateLimited: async () => undefined,
  };
  const both = Promise.all([pacer.run({ kind: 'update', channel: 'C1', send: call('a'), shared: down }), pacer.run({ kind: 'update', channel: 'C1', send: call('b'), shared: down })]);
  await jest.advanceTimersByTimeAsync(5000);
  await both;
  expect(made).toEqual([
    { name: 'a', at: 0 },
    { name: 'b', at: 2050 },
  ]);
  // b did not ask: one deadline's wait per call would hold the line to its pace.
  expect(asks).toBe(1);
  expect(pacer.stats().sharedAnswers).toEqual({ 'in-time': 0, late: 0, missed: 1, overslept: 0 });
  await jest.advanceTimersByTimeAsync(2 * 60_000);
  const later = pacer.run({ kind: 'update', channel: 'C1', send: call('c'), shared: down });
  await jest.advanceTimersByTimeAsync(1000);
  await later;
  expect(asks).toBe(2);
});

/** A budget whose answers take `delaysMs[i]` to arrive, handing out times by the workflow's own rule (a half-second lead) from when it was asked. */
function slowBudget(delaysMs: number[]) {
  let state = newSlackBudget();
  const asked: number[] = [];
  const budget: SharedSlackBudget = {
    sendTime: async (line, intervalMs) => {
      asked.push(Date.now());
      const granted = grantSendTime(state, line, intervalMs, Date.now(), TEST_LEAD_MS);
      state = granted.state;
      await new Promise((resolve) => setTimeout(resolve, delaysMs[asked.length - 1] ?? 0));
      return granted.atMs;
    },
    rateLimited: async () => undefined,
  };
  return { budget, asked };
}

it('with a shared budget, an answer that arrives after the time it names is spent: the call asks again and goes at a time it can keep', async () => {
  const pacer = createSlackPacer({ pace: PACE });
  const { made, call } = recorder();
  // The first answer takes 3 s (queued behind other workflow tasks): its time, 500, is long past.
  const { budget, asked } = slowBudget([3000, 100]);
  const answers: string[] = [];
  const done = pacer.run({ kind: 'post', channel: 'C1', send: call('a'), shared: budget, onSharedAnswer: (a) => answers.push(a) });
  await jest.advanceTimersByTimeAsync(10_000);
  await done;
  expect(asked).toEqual([0, 3000]);
  // The second time: the line's next after the spent one (1550), or the lead after the ask (3500).
  expect(made).toEqual([{ name: 'a', at: 3500 }]);
  expect(answers).toEqual(['late', 'in-time']);
  expect(pacer.stats().sharedAnswers).toEqual({ 'in-time': 1, late: 1, missed: 0, overslept: 0 });
});

it('with a shared budget always late, a call asks three times and then goes (late) rather than waiting on for ever', async () => {
  const pacer = createSlackPacer({ pace: PACE });
  const { made, call } = recorder();
  const { budget, asked } = slowBudget([2000, 2000, 2000, 2000]);
  const done = pacer.run({ kind: 'post', channel: 'C1', send: call('a'), shared: budget });
  await jest.advanceTimersByTimeAsync(10_000);
  await done;
  expect(asked).toEqual([0, 2000, 4000]);
  expect(made).toEqual([{ name: 'a', at: 6000 }]);
  expect(pacer.stats().sharedAnswers).toEqual({ 'in-time': 0, late: 3, missed: 0, overslept: 0 });
});

it("with a shared budget, a call that wakes past its turn (owed spacing after this worker's late call) asks for another turn rather than go in someone else's", async () => {
  const pacer = createSlackPacer({ pace: PACE });
  const { made, call } = recorder();
  // a's three answers each take 3 s, past the times they name, so a goes late (9000); b's come at once.
  const { budget } = slowBudget([3000, 3000, 3000]);
  const turns: Array<[string, number]> = [];
  const report = (answer: string, ms: number) => turns.push([answer, ms]);
  const all = Promise.all(['a', 'b'].map((name) => pacer.run({ kind: 'update', channel: 'C1', send: call(name), shared: budget, onSharedAnswer: report })));
  await jest.advanceTimersByTimeAsync(20_000);
  await all;
  // b's first turn (9500) is 500 ms after a: it waits for the spacing (11,050), past its turn, and asks again.
  // Going at 11,050 would have been 500 ms before the next turn the budget handed out (11,550), another worker's.
  expect(made).toEqual([
    { name: 'a', at: 9000 },
    { name: 'b', at: 11_550 },
  ]);
  expect(turns).toEqual([
    ['late', 3000],
    ['late', 3000],
    ['late', 3000],
    // (a timer of 0 ms is 1 ms on Jest's clock)
    ['in-time', 1],
    ['overslept', 1550],
    ['in-time', 1],
  ]);
  expect(pacer.stats().sharedAnswers).toEqual({ 'in-time': 2, late: 3, missed: 0, overslept: 1 });
});
