/** The Slack emulator through the real @slack/web-api WebClient, configured by slackApiUrl only. */
import { ErrorCode, WebClient, type WebAPIPlatformError } from '@slack/web-api';
import { type Sandbox, type SlackMessage, startSandbox } from '../../src/sandbox';
import { slackClient } from '../support/sandbox-clients';
import { checkSlackAnswersAfterEach } from '../support/slack-types';

let sandbox: Sandbox;

beforeEach(async () => {
  sandbox = await startSandbox({ port: 0, services: [], recordExchanges: true });
});

afterEach(async () => {
  await sandbox.close();
});
checkSlackAnswersAfterEach(() => sandbox);

const blocks = [
  { type: 'section', text: { type: 'mrkdwn', text: '*checkout* abc1234 is waiting for approval' } },
  { type: 'actions', elements: [{ type: 'button', action_id: 'approve', value: 'release-checkout-abc1234', text: { type: 'plain_text', text: 'Approve' } }] },
];

function messages(): SlackMessage[] {
  return (sandbox.state() as { slack: { messages: SlackMessage[] } }).slack.messages;
}

async function platformError(call: Promise<unknown>): Promise<string> {
  const err = (await call.then(
    () => undefined,
    (e: unknown) => e,
  )) as WebAPIPlatformError | undefined;
  expect(err?.code).toBe(ErrorCode.PlatformError);
  return err!.data.error;
}

it('posts a message with blocks and updates it by channel and ts', async () => {
  const slack = slackClient(sandbox);
  const posted = await slack.chat.postMessage({ channel: '#deploys', text: 'approve?', blocks });
  expect(posted).toMatchObject({ ok: true, message: { text: 'approve?', blocks } });
  expect(posted.ts).toMatch(/^\d{10}\.\d{6}$/);
  expect(posted.channel).toMatch(/^C[A-Z0-9]{8,}$/);

  const second = await slack.chat.postMessage({ channel: '#deploys', text: 'again', thread_ts: posted.ts });
  expect(second.ts).not.toBe(posted.ts);
  expect(second.channel).toBe(posted.channel);

  const updated = await slack.chat.update({ channel: posted.channel!, ts: posted.ts!, text: 'approved by alice', blocks: [] });
  expect(updated).toMatchObject({ ok: true, channel: posted.channel, ts: posted.ts });

  expect(messages()).toEqual([
    expect.objectContaining({ channel: posted.channel, ts: posted.ts, text: 'approved by alice', blocks: [], updates: [expect.objectContaining({ text: 'approved by alice' })] }),
    expect.objectContaining({ text: 'again', thread_ts: posted.ts }),
  ]);
});

it('answers chat.update of an unknown message with message_not_found', async () => {
  const slack = slackClient(sandbox);
  expect(await platformError(slack.chat.update({ channel: 'C000000001', ts: '1700000000.000100', text: 'x' }))).toBe('message_not_found');
});

it('posts ephemeral messages and answers auth.test', async () => {
  const slack = slackClient(sandbox);
  await expect(slack.auth.test()).resolves.toMatchObject({ ok: true, user_id: expect.any(String) as unknown });
  const eph = await slack.chat.postEphemeral({ channel: '#deploys', user: 'U123', text: 'only you' });
  expect(eph).toMatchObject({ ok: true, message_ts: expect.stringMatching(/^\d+\.\d{6}$/) as unknown });
});

it('refuses calls without a token with not_authed', async () => {
  const slack = slackClient(sandbox, '');
  expect(await platformError(slack.chat.postMessage({ channel: '#deploys', text: 'x' }))).toBe('not_authed');
  expect(messages()).toEqual([]);
});

it('answers unknown methods with unknown_method', async () => {
  expect(await platformError(slackClient(sandbox).apiCall('chat.teleport', { channel: 'C1' }))).toBe('unknown_method');
});

it('records calls by method name without the token', async () => {
  const slack = slackClient(sandbox);
  await slack.chat.postMessage({ channel: '#deploys', text: 'hello', blocks });
  const calls = sandbox.calls().slack;
  expect(calls).toEqual([expect.objectContaining({ operation: 'chat.postMessage', status: 200, request: expect.objectContaining({ channel: '#deploys', text: 'hello', blocks }) as unknown })]);
  expect(JSON.stringify(sandbox.calls())).not.toContain('xoxb-sandbox-token');
});

describe('metadata, history and user groups', () => {
  const metadata = { event_type: 'runway_release', event_payload: { release_id: 'release-checkout-abc1234' } };

  it('keeps message metadata and returns it from conversations.history only with include_all_metadata', async () => {
    const slack = slackClient(sandbox);
    const posted = await slack.chat.postMessage({ channel: '#deploys', text: 'approve?', metadata });
    await slack.chat.postMessage({ channel: '#deploys', text: 'in the thread', thread_ts: posted.ts });
    const later = await slack.chat.postMessage({ channel: '#deploys', text: 'later' });

    const plain = await slack.conversations.history({ channel: posted.channel! });
    // Newest first; thread replies stay in their thread.
    expect(plain.messages?.map((m) => m.text)).toEqual(['later', 'approve?']);
    expect(plain.messages?.[1]).not.toHaveProperty('metadata');
    const withMetadata = await slack.conversations.history({ channel: posted.channel!, include_all_metadata: true, limit: 1, oldest: posted.ts });
    expect(withMetadata.messages?.map((m) => m.ts)).toEqual([later.ts]);
    expect(withMetadata.has_more).toBe(true);
    const next = await slack.conversations.history({ channel: posted.channel!, include_all_metadata: true, limit: 1, cursor: withMetadata.response_metadata?.next_cursor });
    expect(next.messages?.[0]).toMatchObject({ ts: posted.ts, metadata });

    const thread = await slack.conversations.replies({ channel: posted.channel!, ts: posted.ts! });
    expect(thread.messages?.map((m) => m.text)).toEqual(['approve?', 'in the thread']);
    expect((await slack.conversations.list({})).channels).toEqual([expect.objectContaining({ id: posted.channel, name: 'deploys' })]);
  });

  it('refuses malformed metadata and reads of unknown channels', async () => {
    const slack = slackClient(sandbox);
    expect(await platformError(slack.chat.postMessage({ channel: '#deploys', text: 'x', metadata: { event_payload: {} } as never }))).toBe('invalid_metadata_format');
    expect(await platformError(slack.conversations.history({ channel: 'C999999999' }))).toBe('channel_not_found');
  });

  it('lists user group members from the scenario', async () => {
    const res = await fetch(`${sandbox.url}/_sandbox/scenario`, { method: 'PUT', body: JSON.stringify({ slack: { usergroups: { S0DEPLOYERS: ['U1', 'U2'] } } }) });
    expect(res.status).toBe(200);
    const slack = slackClient(sandbox);
    expect((await slack.usergroups.users.list({ usergroup: 'S0DEPLOYERS' })).users).toEqual(['U1', 'U2']);
    expect(await platformError(slack.usergroups.users.list({ usergroup: 'S0NOBODY' }))).toBe('no_such_subteam');
  });
});

describe('injected failures (scenario slack)', () => {
  async function putScenario(body: unknown): Promise<number> {
    return (await fetch(`${sandbox.url}/_sandbox/scenario`, { method: 'PUT', body: JSON.stringify(body) })).status;
  }

  it('answers ok:false with the scripted error, for the scripted number of calls', async () => {
    expect(await putScenario({ slack: { failNext: [{ method: 'chat.postMessage', error: 'channel_not_found', count: 2 }] } })).toBe(200);
    const slack = slackClient(sandbox);
    expect(await platformError(slack.chat.postMessage({ channel: '#deploys', text: 'x' }))).toBe('channel_not_found');
    expect(await platformError(slack.chat.postMessage({ channel: '#deploys', text: 'x' }))).toBe('channel_not_found');
    await expect(slack.chat.postMessage({ channel: '#deploys', text: 'x' })).resolves.toMatchObject({ ok: true });
  });

  it('rate-limits with 429 and Retry-After', async () => {
    await putScenario({ slack: { failNext: [{ method: '*', error: 'ratelimited', retryAfter: 9 }] } });
    const res = await fetch(`${sandbox.url}/slack/api/auth.test`, { method: 'POST', headers: { authorization: 'Bearer xoxb-x' } });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('9');
    const limited = new WebClient('xoxb-x', { slackApiUrl: `${sandbox.url}/slack/api/`, rejectRateLimitedCalls: true, retryConfig: { retries: 0 } });
    await putScenario({ slack: { failNext: [{ method: 'auth.test', error: 'ratelimited', retryAfter: 3 }] } });
    await expect(limited.auth.test()).rejects.toMatchObject({ code: ErrorCode.RateLimitedError, retryAfter: 3 });
  });

  it('is down (HTTP 503) until switched back, recording every call', async () => {
    await putScenario({ slack: { down: true } });
    await expect(slackClient(sandbox).auth.test()).rejects.toMatchObject({ code: ErrorCode.HTTPError, statusCode: 503 });
    await putScenario({ slack: { down: false } });
    await expect(slackClient(sandbox).auth.test()).resolves.toMatchObject({ ok: true });
    expect(sandbox.calls().slack.map((c) => [c.operation, c.status])).toEqual([
      ['auth.test', 503],
      ['auth.test', 200],
    ]);
  });

  it('refuses a malformed fault, naming the field', async () => {
    const res = await fetch(`${sandbox.url}/_sandbox/scenario`, { method: 'PUT', body: JSON.stringify({ slack: { failNext: [{ method: 'chat.update', error: 'Bad Error' }] } }) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toMatch(/slack\.failNext\.0\.error/);
  });
});
