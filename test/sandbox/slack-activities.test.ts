/**
 * The Slack activities through the production Slack client (src/sdk-clients/slack.ts) against the
 * sandbox's Slack emulator: posting is idempotent across retries, even when Slack took the post
 * but the answer was lost, and failures carry the retry decision Temporal acts on.
 */
import { ActivityCancellationDetails, ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createSlackActivities, type SlackApi } from '../../activities/slack';
import { createSlackPacer } from '../../activities/slack-pacer';
import { quietLogger } from '../support/activity-env';
import { createSlackClient } from '../../src/sdk-clients/slack';
import { type Sandbox, type SlackMessage, startSandbox } from '../../src/sandbox';
import { SLACK_RATE_LIMITS } from '../../src/sandbox/slack/rate-limits';
import type { ReleaseMessage } from '../../src/slack/release-message';
import { checkSlackAnswersAfterEach } from '../support/slack-types';

let sandbox: Sandbox;
let slack: SlackApi;

beforeEach(async () => {
  sandbox = await startSandbox({ port: 0, services: [], recordExchanges: true });
  slack = createSlackClient({ SLACK_BOT_TOKEN: 'xoxb-activities-test', SLACK_API_URL: `${sandbox.url}/slack/api/` });
});
afterEach(async () => sandbox.close());
checkSlackAnswersAfterEach(() => sandbox);

const message = (releaseId = 'release-checkout-abc123abc123'): ReleaseMessage => ({
  releaseId,
  service: 'checkout',
  version: 'abc123abc123',
  repo: 'acme/checkout',
  requestedBy: 'carol',
  reason: 'fix checkout',
  headline: 'Waiting for approval',
  lines: [],
  withButtons: true,
});

const messages = () => (sandbox.state() as { slack: { messages: SlackMessage[] } }).slack.messages;
const postCalls = () => sandbox.calls().slack.filter((c) => c.operation === 'chat.postMessage');

async function failureOf(call: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await call.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

describe('postReleaseMessage', () => {
  it('posts once with metadata naming the release, and a retry reuses that message', async () => {
    const acts = createSlackActivities({ slack });
    const first = await acts.postReleaseMessage({ channel: '#deploys', message: message() });
    const retried = await acts.postReleaseMessage({ channel: '#deploys', message: message() });
    expect(retried).toEqual(first);
    expect(postCalls()).toHaveLength(1);
    expect(messages()).toHaveLength(1);
    expect(messages()[0]!.metadata).toEqual({ event_type: 'runway_release', event_payload: { release_id: 'release-checkout-abc123abc123' } });
  });

  it('never posts twice when Slack took the post but the answer was lost', async () => {
    sandbox.setScenario({ slack: { failNext: [{ method: 'chat.postMessage', error: 'lost_response' }] } });
    const acts = createSlackActivities({ slack });
    const lost = await failureOf(acts.postReleaseMessage({ channel: '#deploys', message: message() }));
    // Retryable: Temporal runs the activity again, which must find the message instead of posting.
    expect(lost.nonRetryable).toBe(false);
    const retried = await acts.postReleaseMessage({ channel: '#deploys', message: message() });
    expect(postCalls()).toHaveLength(1);
    expect(messages()).toHaveLength(1);
    expect(retried.ts).toBe(messages()[0]!.ts);
  });

  it('posts a separate message for another release in the same channel', async () => {
    const acts = createSlackActivities({ slack });
    const a = await acts.postReleaseMessage({ channel: '#deploys', message: message('release-checkout-aaaaaaaaaaaa') });
    const b = await acts.postReleaseMessage({ channel: '#deploys', message: message('release-checkout-bbbbbbbbbbbb') });
    expect(a.ts).not.toBe(b.ts);
    expect(messages()).toHaveLength(2);
  });

  it('looks back a bounded time only: a message older than the lookback is not reused', async () => {
    const acts = createSlackActivities({ slack });
    await acts.postReleaseMessage({ channel: '#deploys', message: message() });
    const later = createSlackActivities({ slack, options: { now: () => Date.now() + 25 * 3600_000 } });
    await later.postReleaseMessage({ channel: '#deploys', message: message() });
    expect(postCalls()).toHaveLength(2);
  });
});

describe("Slack's own rate limits (the scenario's rateLimits)", () => {
  const limited = () => (sandbox.state() as { slack: { rateLimited: { accepted: number; refused: number } } }).slack.rateLimited;

  it("posts to one channel at Slack's pace, so Slack refuses none; another channel is not held up", async () => {
    sandbox.setScenario({ slack: { rateLimits: SLACK_RATE_LIMITS } });
    const acts = createSlackActivities({ slack });
    await Promise.all(
      ['aaaaaaaaaaaa', 'bbbbbbbbbbbb', 'cccccccccccc'].map((id, i) => acts.postReleaseMessage({ channel: i === 2 ? '#incidents' : '#deploys', message: message(`release-checkout-${id}`) })),
    );
    // Without the pacer the second post to #deploys came within the second and was refused.
    expect(limited()).toEqual({ accepted: 3, refused: 0, refusedBy: {} });
    expect(messages().map((m) => (m.metadata as { event_payload: { release_id: string } }).event_payload.release_id).sort()).toEqual([
      'release-checkout-aaaaaaaaaaaa',
      'release-checkout-bbbbbbbbbbbb',
      'release-checkout-cccccccccccc',
    ]);
  });

  it("waits out a 429 on chat.update for Slack's Retry-After and updates then: the limit is a wait, not a lost state", async () => {
    // Another worker used the workspace's allowance: Slack refuses the next update, asking for a second.
    sandbox.setScenario({ slack: { failNext: [{ method: 'chat.update', error: 'ratelimited', retryAfter: 1, count: 1 }] } });
    const acts = createSlackActivities({ slack });
    const { channel, ts } = await acts.postReleaseMessage({ channel: '#deploys', message: message() });
    await acts.updateReleaseMessage({ channel, ts, message: { ...message(), headline: 'Released to production' }, final: true });
    expect(sandbox.calls().slack.filter((c) => c.operation === 'chat.update').map((c) => c.status)).toEqual([429, 200]);
    expect(messages()[0]!.text).toContain('Released to production');
  });

  it('is off unless the scenario turns it on', async () => {
    const acts = createSlackActivities({ slack });
    for (const id of ['aaaaaaaaaaaa', 'bbbbbbbbbbbb', 'cccccccccccc']) await acts.postReleaseMessage({ channel: '#deploys', message: message(`release-checkout-${id}`) });
    expect(messages()).toHaveLength(3);
    expect(limited()).toEqual({ accepted: 0, refused: 0, refusedBy: {} });
  });
});

describe('failures carry the retry decision', () => {
  it('a 429 is not a failure: the post goes again after the delay Slack asked for, once', async () => {
    sandbox.setScenario({ slack: { failNext: [{ method: 'chat.postMessage', error: 'ratelimited', retryAfter: 1 }] } });
    const ref = await createSlackActivities({ slack }).postReleaseMessage({ channel: '#deploys', message: message() });
    expect(ref.ts).toBe(messages()[0]!.ts);
    expect(postCalls().map((c) => c.status)).toEqual([429, 200]);
    expect(messages()).toHaveLength(1);
  });

  it('Slack down (HTTP 503) is retryable', async () => {
    sandbox.setScenario({ slack: { down: true } });
    const failure = await failureOf(createSlackActivities({ slack }).postReleaseMessage({ channel: '#deploys', message: message() }));
    expect(failure).toMatchObject({ type: 'SlackUnavailable', nonRetryable: false });
    expect(failure.message).toMatch(/HTTP 503/);
  });

  it('an error no retry can fix fails at once, naming it', async () => {
    sandbox.setScenario({ slack: { failNext: [{ method: 'chat.postMessage', error: 'not_in_channel' }] } });
    const failure = await failureOf(createSlackActivities({ slack }).postReleaseMessage({ channel: '#deploys', message: message() }));
    expect(failure).toMatchObject({ type: 'SlackRejected', nonRetryable: true });
    expect(failure.message).toContain('not_in_channel');
  });

  it('a transient ok:false error is retryable', async () => {
    sandbox.setScenario({ slack: { failNext: [{ method: 'chat.update', error: 'internal_error' }] } });
    const acts = createSlackActivities({ slack });
    const ref = await acts.postReleaseMessage({ channel: '#deploys', message: message() });
    const failure = await failureOf(acts.updateReleaseMessage({ ...ref, message: { ...message(), headline: 'Approved', withButtons: false } }));
    expect(failure.nonRetryable).toBe(false);
    await acts.updateReleaseMessage({ ...ref, message: { ...message(), headline: 'Approved', withButtons: false } });
    expect(messages()[0]!.text).toContain('Approved');
  });

  it('without a token every call fails non-retryably, so the release records it and goes on', async () => {
    const acts = createSlackActivities({ slack: createSlackClient({ SLACK_BOT_TOKEN: undefined, SLACK_API_URL: undefined }) });
    const failure = await failureOf(acts.postReleaseMessage({ channel: '#deploys', message: message() }));
    expect(failure).toMatchObject({ type: 'SlackNotConfigured', nonRetryable: true });
  });
});

describe('postThreadReply', () => {
  it('replies in the thread once, even when retried', async () => {
    const acts = createSlackActivities({ slack });
    const ref = await acts.postReleaseMessage({ channel: '#deploys', message: message() });
    const text = '<@U01CAROL> your release was rolled back: smoke test failed';
    await acts.postThreadReply({ ...ref, text });
    await acts.postThreadReply({ ...ref, text });
    const replies = messages().filter((m) => m.thread_ts === ref.ts);
    expect(replies).toEqual([expect.objectContaining({ text, thread_ts: ref.ts })]);
  });
});

describe('an update withdrawn while it waits its turn', () => {
  /** One update a minute: the second update waits in the pacer until it is withdrawn. */
  async function waitingUpdate() {
    const acts = createSlackActivities({ slack, pacer: createSlackPacer({ pace: { postIntervalMsPerChannel: 1000, updatesPerMinute: 1 } }) });
    const { channel, ts } = await acts.postReleaseMessage({ channel: '#deploys', message: message() });
    await acts.updateReleaseMessage({ channel, ts, message: { ...message(), headline: 'Baking' } });
    const env = new MockActivityEnvironment(undefined, { logger: quietLogger });
    const waiting = env.run(acts.updateReleaseMessage, { channel, ts, message: { ...message(), headline: 'Promoting' } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    return { env, waiting };
  }

  it('ends cancelled, as its workflow asked, not as a Slack failure the release would record', async () => {
    const { env, waiting } = await waitingUpdate();
    env.cancel();
    const err = await waiting;
    expect(err).toBeInstanceOf(CancelledFailure);
    expect(err).not.toBeInstanceOf(ApplicationFailure);
    expect(messages()[0]!.text).toContain('Baking');
  });

  it('stays a retryable failure when the worker shuts down under it, so the next attempt sends it', async () => {
    const { env, waiting } = await waitingUpdate();
    env.cancel('WORKER_SHUTDOWN', new ActivityCancellationDetails({ workerShutdown: true }));
    const err = (await waiting) as ApplicationFailure;
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err.nonRetryable).toBe(false);
    expect(err.message).toMatch(/^updating the release message for release-checkout-abc123abc123: /);
  });
});

describe('sendSlackInTurn', () => {
  it('tells a post whose turn is far off to come back, sending nothing, and posts it when it comes back with its turn', async () => {
    const acts = createSlackActivities({ slack, pacer: createSlackPacer({ pace: { postIntervalMsPerChannel: 1000, updatesPerMinute: 50 } }) });
    // Posts ahead of it in the channel: seconds at one a second.
    const ahead = ['aaaaaaaaaaaa', 'bbbbbbbbbbbb', 'cccccccccccc', 'dddddddddddd', 'eeeeeeeeeeee'].map((id) => acts.postReleaseMessage({ channel: '#deploys', message: message(`release-checkout-${id}`) }));
    // The first posted, the other four waiting in the channel's line (each post looks for an earlier attempt's message first).
    for (let i = 0; i < 100 && messages().length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    const told = await acts.sendSlackInTurn({ deferBeyondMs: 2_000, send: 'post', channel: '#deploys', message: message() });
    if (told.sent) throw new Error('expected the post to be told to come back');
    expect(told.turnAtMs).toBeGreaterThan(Date.now() + 2_000);
    expect(told.comeBackAtMs).toBeLessThanOrEqual(told.turnAtMs);
    await Promise.all(ahead);
    const releaseOf = (m: SlackMessage) => (m.metadata as { event_payload: { release_id: string } }).event_payload.release_id;
    expect(messages().map(releaseOf)).not.toContain('release-checkout-abc123abc123');
    // Back with its turn, the line now short (its next post within a second and a half): posted.
    const back = await acts.sendSlackInTurn({ deferBeyondMs: 2_000, turnAtMs: told.turnAtMs, send: 'post', channel: '#deploys', message: message() });
    expect(back).toEqual({ sent: true, ref: { channel: expect.any(String), ts: messages().find((m) => releaseOf(m) === 'release-checkout-abc123abc123')?.ts } });
    expect(messages()).toHaveLength(6);
  });
});
