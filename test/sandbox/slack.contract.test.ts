/** The Slack emulator through the real @slack/web-api WebClient, configured by slackApiUrl only. */
import { ErrorCode, type WebAPIPlatformError } from '@slack/web-api';
import { type Sandbox, type SlackMessage, startSandbox } from '../../src/sandbox';
import { slackClient } from './sandbox-clients';

let sandbox: Sandbox;

beforeEach(async () => {
  sandbox = await startSandbox({ port: 0, services: [] });
});

afterEach(async () => {
  await sandbox.close();
});

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
