/**
 * The sandbox's simulated Slack clicks, against a bare receiver that verifies them with Bolt's
 * own check: the request is exactly what an app behind Slack receives, and the app's reply at
 * response_url is recorded for tests to read.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifySlackRequest } from '@slack/bolt';
import { type Sandbox, type SandboxCalls, startSandbox } from '../../src/sandbox';
import { APPROVE_ACTION_ID, CANARY_ABORT_ACTION_ID, REJECT_ACTION_ID, releaseMessageBlocks } from '../../src/slack/release-message';
import { slackClient } from '../support/sandbox-clients';
import { checkSlackAnswersAfterEach, interactionPayloadsToCheck, slackViolationReport } from '../support/slack-types';

const SECRET = 'click-test-secret';
const RELEASE = 'release-checkout-abcdef123456';

interface Received {
  headers: Record<string, string | string[] | undefined>;
  body: string;
  verified: boolean;
}

let sandbox: Sandbox;
let app: Server;
let appUrl: string;
let received: Received[];

beforeEach(async () => {
  sandbox = await startSandbox({ port: 0, services: [], signingSecret: SECRET, recordExchanges: true });
  received = [];
  // A minimal Slack app: verifies with Bolt, records, answers 200 at once.
  app = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let verified = true;
      try {
        verifySlackRequest({
          signingSecret: SECRET,
          body,
          headers: { 'x-slack-signature': String(req.headers['x-slack-signature']), 'x-slack-request-timestamp': Number(req.headers['x-slack-request-timestamp']) },
        });
      } catch {
        verified = false;
      }
      received.push({ headers: req.headers, body, verified });
      res.writeHead(verified ? 200 : 401).end(verified ? '' : 'bad signature');
    });
  });
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}/slack/events`;
});

afterEach(async () => {
  await sandbox.close();
  await new Promise<void>((resolve) => app.close(() => resolve()));
});
checkSlackAnswersAfterEach(() => sandbox);
// Every interaction the sandbox sent is what Bolt's types say Slack sends.
afterEach(() => {
  const report = slackViolationReport(interactionPayloadsToCheck(received.map((r) => r.body)));
  if (report) throw new Error(`block_actions payloads that break Bolt's BlockAction type:\n${report}`);
});

async function postReleaseMessage(releaseId = RELEASE): Promise<{ channel: string; ts: string }> {
  const blocks = releaseMessageBlocks({ releaseId, service: 'checkout', version: 'abcdef123456', repo: 'acme/checkout', requestedBy: 'carol', reason: 'r', headline: 'Waiting for approval', lines: [], withButtons: true });
  const res = await slackClient(sandbox).chat.postMessage({ channel: '#deploys', text: 'approve?', blocks });
  return { channel: res.channel!, ts: res.ts! };
}

function controlClick(body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  return fetch(`${sandbox.url}/_sandbox/slack/click`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(async (res) => ({
    status: res.status,
    body: (await res.json()) as Record<string, unknown>,
  }));
}

it('sends a signed, form-encoded block_actions interaction for the release button', async () => {
  const message = await postReleaseMessage();
  const result = await sandbox.clickButton({ url: appUrl, user: 'U_ALICE', action: 'approve', releaseId: RELEASE });
  expect(result).toEqual({ status: 200, body: '', responseUrl: expect.stringMatching(new RegExp(`^${sandbox.url}/slack/response/`)), channel: message.channel, ts: message.ts });

  expect(received).toHaveLength(1);
  const [req] = received;
  expect(req!.verified).toBe(true);
  expect(req!.headers['content-type']).toBe('application/x-www-form-urlencoded');
  expect(Math.abs(Number(req!.headers['x-slack-request-timestamp']) - Date.now() / 1000)).toBeLessThan(60);
  const form = new URLSearchParams(req!.body);
  expect([...form.keys()]).toEqual(['payload']);
  const payload = JSON.parse(form.get('payload')!) as Record<string, unknown>;
  expect(payload).toMatchObject({
    type: 'block_actions',
    user: { id: 'U_ALICE' },
    actions: [{ type: 'button', action_id: APPROVE_ACTION_ID, value: RELEASE, block_id: 'runway_decision' }],
    container: { message_ts: message.ts, channel_id: message.channel },
    channel: { id: message.channel },
    message: { ts: message.ts },
    response_url: result.responseUrl,
  });
});

it("clicks a held canary's Roll back button through the control API, and finds none on a message without it", async () => {
  const approval = await postReleaseMessage();
  expect(await controlClick({ url: appUrl, user: 'U_DAVE', action: 'abort', releaseId: RELEASE })).toMatchObject({
    status: 404,
    body: { message: `no message has a ${CANARY_ABORT_ACTION_ID} button for ${RELEASE}` },
  });
  const blocks = releaseMessageBlocks({ releaseId: RELEASE, runId: 'run-1', service: 'checkout', version: 'abcdef123456', repo: 'acme/checkout', requestedBy: 'carol', reason: 'r', headline: 'Canary held at 10%', lines: [], withButtons: false, withCanaryButtons: true });
  await slackClient(sandbox).chat.update({ channel: approval.channel, ts: approval.ts, text: 'held', blocks });

  const { status, body } = await controlClick({ url: appUrl, user: 'U_DAVE', action: 'abort', releaseId: RELEASE });
  expect({ status, clicked: body.status }).toEqual({ status: 200, clicked: 200 });
  const [req] = received;
  expect(req!.verified).toBe(true);
  expect(JSON.parse(new URLSearchParams(req!.body).get('payload')!)).toMatchObject({
    type: 'block_actions',
    user: { id: 'U_DAVE' },
    actions: [{ type: 'button', action_id: CANARY_ABORT_ACTION_ID, value: `${RELEASE}/run-1`, block_id: 'runway_canary_hold', text: { text: 'Roll back' } }],
    container: { message_ts: approval.ts },
  });
});

it('clicks the latest message with the button by default, or the one named by ts', async () => {
  const first = await postReleaseMessage();
  const second = await postReleaseMessage();
  expect((await sandbox.clickButton({ url: appUrl, user: 'U_BOB', action: 'reject', releaseId: RELEASE })).ts).toBe(second.ts);
  expect((await sandbox.clickButton({ url: appUrl, user: 'U_BOB', action: 'reject', ts: first.ts })).ts).toBe(first.ts);
  const actions = received.map((r) => (JSON.parse(new URLSearchParams(r.body).get('payload')!) as { actions: { action_id: string }[] }).actions[0]!.action_id);
  expect(actions).toEqual([REJECT_ACTION_ID, REJECT_ACTION_ID]);
});

it('still clicks a button that a later chat.update removed (a stale screen)', async () => {
  const message = await postReleaseMessage();
  await slackClient(sandbox).chat.update({ channel: message.channel, ts: message.ts, text: 'approved', blocks: [] });
  expect((await sandbox.clickButton({ url: appUrl, user: 'U_BOB', action: 'approve', releaseId: RELEASE })).status).toBe(200);
});

it('records what the app posts to response_url, in the calls and under /_sandbox/slack/responses', async () => {
  await postReleaseMessage();
  const { status, body } = await controlClick({ url: appUrl, user: 'U_ALICE', action: 'approve', releaseId: RELEASE });
  expect(status).toBe(200);
  expect(body).toMatchObject({ status: 200, body: '' });
  const responseUrl = body.responseUrl as string;

  const reply = { response_type: 'ephemeral', replace_original: false, text: 'You approved it.' };
  const res = await fetch(responseUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(reply) });
  expect(res.status).toBe(200);

  const id = responseUrl.split('/').pop();
  const responses = (await (await fetch(`${sandbox.url}/_sandbox/slack/responses`)).json()) as unknown;
  expect(responses).toEqual([{ id, at: expect.any(String), body: reply }]);
  expect(sandbox.slackResponses()).toEqual(responses);
  const calls = (await (await fetch(`${sandbox.url}/_sandbox/calls`)).json()) as SandboxCalls;
  expect(calls.slack.filter((c) => c.operation === 'response_url')).toEqual([expect.objectContaining({ status: 200, request: { id, ...reply } })]);
});

it('answers 404 for a response_url it never issued', async () => {
  const res = await fetch(`${sandbox.url}/slack/response/R999999`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":"x"}' });
  expect(res.status).toBe(404);
  expect(sandbox.slackResponses()).toEqual([]);
});

it('refuses clicks it cannot make', async () => {
  expect(await controlClick({ url: appUrl, user: 'U_ALICE', action: 'approve', releaseId: RELEASE })).toMatchObject({ status: 404, body: { message: expect.stringMatching(/no message has a runway_approve button/) } });
  await postReleaseMessage();
  expect(await controlClick({ url: appUrl, user: 'U_ALICE', action: 'approve', ts: '1.000000' })).toMatchObject({ status: 404 });
  expect(await controlClick({ url: appUrl, user: 'U_ALICE', action: 'deploy', releaseId: RELEASE })).toMatchObject({ status: 400 });
  expect(await controlClick({ url: appUrl, user: 'U_ALICE', action: 'approve' })).toMatchObject({ status: 400, body: { message: expect.stringMatching(/releaseId or ts/) } });
  expect(await controlClick({ url: 'http://127.0.0.1:1/slack/events', user: 'U_ALICE', action: 'approve', releaseId: RELEASE })).toMatchObject({ status: 502 });
  expect((await fetch(`${sandbox.url}/_sandbox/slack/click`)).status).toBe(405);
  expect(received).toEqual([]);
});

it('refuses to click without a signing secret', async () => {
  const unsigned = await startSandbox({ port: 0, services: [] });
  try {
    await expect(unsigned.clickButton({ url: appUrl, user: 'U_ALICE', action: 'approve', releaseId: RELEASE })).rejects.toThrow(/without a signingSecret/);
  } finally {
    await unsigned.close();
  }
});
