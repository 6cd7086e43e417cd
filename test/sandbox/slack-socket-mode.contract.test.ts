/**
 * The sandbox's Socket Mode, against a bare WebSocket client (the `ws` package, no Slack SDK), so
 * the protocol itself is what is tested: apps.connections.open takes only app-level tokens and
 * hands out a one-use URL; the connection gets `hello`; a click arrives as an `interactive`
 * envelope whose payload is the same block_actions payload an HTTP click carries (checked against
 * Bolt's types); an ack is recorded with its time; an envelope nobody acks is delivered again with
 * the same envelope_id and retry_attempt 1, 2, 3 and then given up (status 504). Answers are held
 * to @slack/web-api's published types (AppsConnectionsOpenResponse).
 */
import { WebSocket } from 'ws';
import { type Sandbox, startSandbox } from '../../src/sandbox';
import { releaseMessageBlocks } from '../../src/slack/release-message';
import { slackClient } from '../support/sandbox-clients';
import { checkSlackAnswersAfterEach, interactionPayloadsToCheck, slackViolationReport } from '../support/slack-types';

const RELEASE = 'release-checkout-abcdef123456';
const APP_TOKEN = 'xapp-1-A0SANDBOX-contract-1';

let sandbox: Sandbox;
let sockets: WebSocket[];
beforeEach(async () => {
  sandbox = await startSandbox({ port: 0, services: [], recordExchanges: true, socketAckTimeoutMs: 100 });
  sockets = [];
});
afterEach(async () => {
  sockets.forEach((s) => s.terminate());
  await sandbox.close();
});
checkSlackAnswersAfterEach(() => sandbox);

async function connectionsOpen(token: string): Promise<{ ok: boolean; url?: string; error?: string }> {
  const res = await fetch(`${sandbox.url}/slack/api/apps.connections.open`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  return (await res.json()) as { ok: boolean; url?: string; error?: string };
}

/** Connects like Slack's client and collects every message; `ack` answers each envelope. */
async function connect(options: { ack: boolean }): Promise<{ messages: Record<string, unknown>[] }> {
  const { url } = await connectionsOpen(APP_TOKEN);
  const ws = new WebSocket(url!);
  sockets.push(ws);
  const messages: Record<string, unknown>[] = [];
  ws.on('message', (data) => {
    const message = JSON.parse(String(data)) as Record<string, unknown>;
    messages.push(message);
    if (options.ack && typeof message.envelope_id === 'string') ws.send(JSON.stringify({ envelope_id: message.envelope_id }));
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('error', reject);
    const poll = setInterval(() => {
      if (messages.some((m) => m.type === 'hello')) {
        clearInterval(poll);
        resolve();
      }
    }, 10);
  });
  return { messages };
}

async function postRelease(): Promise<void> {
  const blocks = releaseMessageBlocks({ releaseId: RELEASE, service: 'checkout', version: 'abcdef123456', repo: 'acme/checkout', requestedBy: 'x', reason: 'x', headline: 'Waiting', lines: [], withButtons: true });
  await slackClient(sandbox).chat.postMessage({ channel: '#deploys', text: 'release', blocks });
}

it('opens connections for app-level tokens only, each URL once', async () => {
  expect(await connectionsOpen('xoxb-bot-token')).toEqual({ ok: false, error: 'not_allowed_token_type' });
  const { url } = await connectionsOpen(APP_TOKEN);
  expect(url).toMatch(new RegExp(`^ws://127\\.0\\.0\\.1:${sandbox.port}/slack/socket/[0-9a-f-]{36}$`));
  // An app-level token is for Socket Mode only.
  const res = await fetch(`${sandbox.url}/slack/api/chat.postMessage`, { method: 'POST', headers: { authorization: `Bearer ${APP_TOKEN}`, 'content-type': 'application/json' }, body: '{"channel":"#x","text":"hi"}' });
  expect(await res.json()).toEqual({ ok: false, error: 'not_allowed_token_type' });

  const first = new WebSocket(url!);
  sockets.push(first);
  await new Promise((resolve) => first.once('message', resolve));
  const second = new WebSocket(url!);
  sockets.push(second);
  expect(await new Promise((resolve) => second.once('error', (err) => resolve(err.message)))).toMatch(/404/);
  expect(sandbox.socketMode().connections).toBe(1);
});

it('delivers a click as an interactive envelope and records its ack', async () => {
  await postRelease();
  const { messages } = await connect({ ack: true });
  expect(messages[0]).toMatchObject({ type: 'hello', num_connections: 1, connection_info: { app_id: 'A0SANDBOX' } });
  const result = await sandbox.clickButton({ via: 'socket', user: 'U_ALICE', action: 'approve', releaseId: RELEASE });
  expect(result).toMatchObject({ status: 200, envelope: { deliveries: [{ retryAttempt: 0 }], ackedAt: expect.any(String), lostAcks: 0 } });
  const envelope = messages.find((m) => m.type === 'interactive')!;
  expect(envelope).toEqual({ envelope_id: result.envelope!.envelopeId, type: 'interactive', payload: expect.any(Object), accepts_response_payload: false });
  const payload = envelope.payload as { type: string; user: { id: string }; actions: { action_id: string }[]; response_url: string };
  expect([payload.type, payload.user.id, payload.actions[0]!.action_id, payload.response_url]).toEqual(['block_actions', 'U_ALICE', 'runway_approve', result.responseUrl]);
  // The same payload Slack would POST, by Bolt's types.
  expect(slackViolationReport(interactionPayloadsToCheck([new URLSearchParams({ payload: JSON.stringify(payload) }).toString()]))).toBe('');
  expect(sandbox.socketMode().envelopes).toEqual([result.envelope]);
});

it('delivers an unacknowledged envelope again, retry_attempt 1 to 3, then gives up', async () => {
  await postRelease();
  const { messages } = await connect({ ack: false });
  const result = await sandbox.clickButton({ via: 'socket', user: 'U_ALICE', action: 'approve', releaseId: RELEASE });
  expect(result.status).toBe(504);
  const deliveries = messages.filter((m) => m.type === 'interactive');
  expect(deliveries.map((m) => [m.envelope_id, m.retry_attempt, m.retry_reason])).toEqual([
    [result.envelope!.envelopeId, undefined, undefined],
    [result.envelope!.envelopeId, 1, 'timeout'],
    [result.envelope!.envelopeId, 2, 'timeout'],
    [result.envelope!.envelopeId, 3, 'timeout'],
  ]);
  expect(result.envelope).toMatchObject({ deliveries: [{ retryAttempt: 0 }, { retryAttempt: 1 }, { retryAttempt: 2 }, { retryAttempt: 3 }] });
  expect(result.envelope!.ackedAt).toBeUndefined();
});

it('refuses a socket click without a connection, and a socket click with a URL', async () => {
  await postRelease();
  await expect(sandbox.clickButton({ via: 'socket', user: 'U_ALICE', action: 'approve', releaseId: RELEASE })).rejects.toThrow(/no app is connected over Socket Mode/);
  await expect(sandbox.clickButton({ via: 'socket', url: 'http://127.0.0.1:1/slack/events', user: 'U_ALICE', action: 'approve', releaseId: RELEASE })).rejects.toThrow(/give url for a click over HTTP, and none with via: socket/);
});
