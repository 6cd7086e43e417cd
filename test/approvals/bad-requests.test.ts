/**
 * Requests the approvals server must refuse before anything reaches a workflow. One release waits
 * for approval throughout; after every refused request it must still be waiting with an unchanged
 * history, and the server must not even have looked a workflow up. Once per transport: signed HTTP
 * requests and Socket Mode envelopes go through the same payload and replay checks; the signature,
 * form and body-size checks exist only over HTTP (Socket Mode's WebSocket is authenticated by its token).
 */
import { request as httpRequest } from 'node:http';
import type { WorkflowHandle } from '@temporalio/client';
import type { ReleaseStatus } from '../../src/domain/release';
import { statusQuery } from '../../src/domain/release-api';
import { blockActionsPayload, messageButtons, type SlackMessage, signedInteraction, slackSignatureHeaders } from '../../src/sandbox';
import { APPROVE_ACTION_ID } from '../../src/slack/release-message';
import { ALICE, APP_TOKEN, type ApprovalsRig, MALLORY, repliesTo, SIGNING_SECRET, startApprovalsRig, TRANSPORTS } from '../support/approvals-rig';

const FORM = 'application/x-www-form-urlencoded';
const nowSec = () => Date.now() / 1000;

describe.each(TRANSPORTS)('refused requests (%s)', (transport) => {
  let rig: ApprovalsRig;
  let handle: WorkflowHandle;
  let before: ReleaseStatus;
  /** Signatures, form bodies and body sizes: HTTP only. */
  const httpOnly = transport === 'http' ? it : it.skip;

  beforeAll(async () => {
    rig = await startApprovalsRig({ transport });
    handle = await rig.startAwaitingRelease();
  });
  afterAll(async () => rig.stop());

  let lookupsBefore: number;
  beforeEach(async () => {
    before = await handle.query(statusQuery);
    lookupsBefore = rig.serverHandleLookups();
  });

  /** The release is exactly as it was, and nothing was sent its way. */
  async function expectUntouched(): Promise<void> {
    await rig.server.settled();
    const after = await handle.query(statusQuery);
    expect(after.stage).toBe('awaiting-approval');
    expect(after.history).toEqual(before.history);
    expect(after.approval).toEqual(before.approval);
    expect(rig.serverHandleLookups()).toBe(lookupsBefore);
  }

  /** A click payload exactly as Slack would send it for the release's Approve button. */
  function clickPayload(user = ALICE, responseUrl = 'http://127.0.0.1:1/unused'): Record<string, unknown> {
    const messages = (rig.sandbox.state() as { slack: { messages: SlackMessage[] } }).slack.messages;
    const message = messages.find((m) => JSON.stringify(m.posted.blocks ?? []).includes(handle.workflowId))!;
    const button = messageButtons(message.posted).find((b) => b.actionId === APPROVE_ACTION_ID)!;
    return blockActionsPayload({ message, button, user, responseUrl, nowSec: nowSec() });
  }

  /** A raw body, correctly signed: these requests pass the signature check and fail later. */
  function signedRaw(body: string, contentType = FORM): { body: string; headers: Record<string, string> } {
    return { body, headers: { 'content-type': contentType, ...slackSignatureHeaders(SIGNING_SECRET, nowSec(), body) } };
  }

  async function post(req: { body: string; headers: Record<string, string> }): Promise<{ status: number; error?: string }> {
    const res = await fetch(rig.server.eventsUrl, { method: 'POST', headers: req.headers, body: req.body });
    const body = (await res.json().catch(() => ({}))) as { error?: string };
    return { status: res.status, error: body.error };
  }

  it('sanity: the same payload, correctly signed, does reach the release', async () => {
    // Without this, every "untouched" below could pass because nothing ever works.
    const response = await rig.sandbox.clickButton({ ...rig.via, user: MALLORY, action: 'approve', releaseId: handle.workflowId });
    expect(response.status).toBe(200);
    await rig.server.settled();
    expect(rig.serverHandleLookups()).toBeGreaterThan(lookupsBefore);
    expect(repliesTo(rig.sandbox, response.responseUrl)[0]?.text).toMatch(/not an allowed approver/);
  });

  httpOnly('refuses a request without a signature (401)', async () => {
    const req = signedInteraction(SIGNING_SECRET, clickPayload(), nowSec());
    delete req.headers['x-slack-signature'];
    expect(await post(req)).toEqual({ status: 401, error: 'missing X-Slack-Signature header' });
    await expectUntouched();
  });

  httpOnly('refuses a request without a timestamp (401)', async () => {
    const req = signedInteraction(SIGNING_SECRET, clickPayload(), nowSec());
    delete req.headers['x-slack-request-timestamp'];
    expect(await post(req)).toMatchObject({ status: 401 });
    await expectUntouched();
  });

  httpOnly('refuses a request signed with another secret (401)', async () => {
    const req = signedInteraction('not-the-signing-secret', clickPayload(), nowSec());
    expect(await post(req)).toEqual({ status: 401, error: expect.stringMatching(/signature mismatch/) });
    await expectUntouched();
  });

  httpOnly('refuses a signed request whose body was changed afterwards (401)', async () => {
    const req = signedInteraction(SIGNING_SECRET, clickPayload(MALLORY), nowSec());
    // Mallory turns her own signed click into Alice's.
    const tampered = { ...req, body: req.body.replaceAll(MALLORY, ALICE) };
    expect(tampered.body).not.toBe(req.body);
    expect(await post(tampered)).toMatchObject({ status: 401, error: expect.stringMatching(/signature mismatch/) });
    await expectUntouched();
  });

  httpOnly('refuses a stale timestamp, even correctly signed (401)', async () => {
    const req = signedInteraction(SIGNING_SECRET, clickPayload(), nowSec() - 6 * 60);
    expect(await post(req)).toMatchObject({ status: 401, error: expect.stringMatching(/stale/) });
    await expectUntouched();
  });

  httpOnly('refuses a timestamp from the future, even correctly signed (401)', async () => {
    const req = signedInteraction(SIGNING_SECRET, clickPayload(), nowSec() + 10 * 60);
    expect(await post(req)).toMatchObject({ status: 401, error: expect.stringMatching(/future/) });
    await expectUntouched();
  });

  httpOnly('refuses a replayed request (409) after acting on the original once', async () => {
    const original = signedInteraction(SIGNING_SECRET, clickPayload(MALLORY, `${rig.sandbox.url}/slack/response/replay-test`), nowSec());
    expect(await post(original)).toMatchObject({ status: 200 });
    await rig.server.settled();
    const lookupsAfterOriginal = rig.serverHandleLookups();
    expect(lookupsAfterOriginal).toBe(lookupsBefore + 1);

    expect(await post(original)).toEqual({ status: 409, error: expect.stringMatching(/replayed/) });
    await rig.server.settled();
    expect(rig.serverHandleLookups()).toBe(lookupsAfterOriginal);
    expect((await handle.query(statusQuery)).history).toEqual(before.history);
  });

  httpOnly('refuses a replay with a suffix added to its signature (401), and nothing reaches the release', async () => {
    // Bolt compares only what follows "v0=" up to the next "=": `v0=<hash>=x` verifies, and a
    // replay memory keyed on the raw header would take each new suffix for a new request.
    const original = signedInteraction(SIGNING_SECRET, clickPayload(MALLORY, `${rig.sandbox.url}/slack/response/suffix-test`), nowSec());
    expect(await post(original)).toMatchObject({ status: 200 });
    await rig.server.settled();
    const lookupsAfterOriginal = rig.serverHandleLookups();
    expect(lookupsAfterOriginal).toBe(lookupsBefore + 1);

    for (const suffix of ['=x', '=y', '=']) {
      const replay = { ...original, headers: { ...original.headers, 'x-slack-signature': `${original.headers['x-slack-signature']}${suffix}` } };
      expect(await post(replay)).toEqual({ status: 401, error: expect.stringMatching(/^malformed X-Slack-Signature header/) });
    }
    await rig.server.settled();
    expect(rig.serverHandleLookups()).toBe(lookupsAfterOriginal);
    expect((await handle.query(statusQuery)).history).toEqual(before.history);
  });

  httpOnly('checks the signature before the body: an unsigned malformed body is 401, not 400', async () => {
    expect(await post({ body: 'payload={nope', headers: { 'content-type': FORM } })).toMatchObject({ status: 401 });
    await expectUntouched();
  });

  httpOnly('refuses a signed body that is not a form with one payload field (400)', async () => {
    expect(await post(signedRaw('this is not a form'))).toEqual({ status: 400, error: expect.stringMatching(/malformed form body/) });
    const twice = `payload=${encodeURIComponent(JSON.stringify(clickPayload()))}&payload=${encodeURIComponent(JSON.stringify(clickPayload()))}`;
    expect(await post(signedRaw(twice))).toMatchObject({ status: 400, error: expect.stringMatching(/malformed form body/) });
    await expectUntouched();
  });

  httpOnly('refuses a signed payload that is not JSON (400)', async () => {
    expect(await post(signedRaw(`payload=${encodeURIComponent('{"type":"block_actions",')}`))).toEqual({ status: 400, error: 'malformed payload: not JSON' });
    await expectUntouched();
  });

  it('refuses payloads that are not button clicks (400)', async () => {
    const notAClick = { ...clickPayload(), type: 'view_submission' };
    expect(await rig.deliver(notAClick)).toMatchObject({ status: 400, error: expect.stringMatching(/^unsupported payload: type/) });
    const noUser = { ...clickPayload(), user: undefined };
    expect(await rig.deliver(noUser)).toMatchObject({ status: 400, error: expect.stringMatching(/^unsupported payload: user/) });
    const twoActions = { ...clickPayload(), actions: [...(clickPayload().actions as unknown[]), ...(clickPayload().actions as unknown[])] };
    expect(await rig.deliver(twoActions)).toMatchObject({ status: 400, error: expect.stringMatching(/^unsupported payload: actions/) });
    expect(await rig.deliver('payload')).toMatchObject({ status: 400 });
    await expectUntouched();
  });

  it('refuses an unknown action id (400)', async () => {
    const payload = clickPayload();
    const [action] = payload.actions as Record<string, unknown>[];
    const unknown = { ...payload, actions: [{ ...action, action_id: 'runway_promote_everything' }] };
    expect(await rig.deliver(unknown)).toEqual({ status: 400, error: 'unknown action id "runway_promote_everything"' });
    await expectUntouched();
  });

  it('takes the same click once, however often it is delivered (409 for the repeat)', async () => {
    // Over HTTP a fresh signature (a re-sent request); over Socket Mode a new envelope: the click
    // itself (user, button, action_ts, trigger_id) is what the replay memory knows.
    const payload = clickPayload(MALLORY, `${rig.sandbox.url}/slack/response/same-click`);
    expect(await rig.deliver(payload)).toEqual({ status: 200 });
    await rig.server.settled();
    const lookupsAfterOriginal = rig.serverHandleLookups();
    expect(lookupsAfterOriginal).toBe(lookupsBefore + 1);
    await new Promise((r) => setTimeout(r, 1100)); // a new signed timestamp, so the HTTP request differs
    expect(await rig.deliver(payload)).toEqual({ status: 409, error: 'replayed click (this click was already taken)' });
    await rig.server.settled();
    expect(rig.serverHandleLookups()).toBe(lookupsAfterOriginal);
    expect((await handle.query(statusQuery)).history).toEqual(before.history);
  });

  httpOnly('refuses a signed body that is not form-encoded (415)', async () => {
    expect(await post(signedRaw(JSON.stringify(clickPayload()), 'application/json'))).toMatchObject({ status: 415 });
    await expectUntouched();
  });

  httpOnly('refuses an oversized body before checking anything else (413)', async () => {
    const huge = `payload=${'x'.repeat(70 * 1024)}`;
    expect(await post(signedRaw(huge))).toMatchObject({ status: 413 });
    // Unsigned too: the size check comes first, so an attacker cannot make the server hash megabytes.
    expect(await post({ body: huge, headers: { 'content-type': FORM } })).toMatchObject({ status: 413 });
    // Without a Content-Length (chunked), the limit applies while reading.
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(rig.server.eventsUrl, { method: 'POST', headers: { 'content-type': FORM, 'transfer-encoding': 'chunked' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      for (let i = 0; i < 10; i++) req.write('x'.repeat(10 * 1024));
      req.end();
    });
    expect(status).toBe(413);
    await expectUntouched();
  });

  httpOnly('answers other methods and paths without touching anything', async () => {
    expect((await fetch(rig.server.eventsUrl)).status).toBe(405);
    expect((await fetch(`${rig.server.url}/slack/commands`, { method: 'POST', body: 'x' })).status).toBe(404);
    await expectUntouched();
  });

  it('logs each refusal without the secret or the app token', () => {
    const refusals = rig.logs.filter((l) => l.startsWith('approvals: refused'));
    expect(refusals.length).toBeGreaterThanOrEqual(transport === 'http' ? 10 : 5);
    expect(rig.logs.join('\n')).not.toContain(SIGNING_SECRET);
    expect(rig.logs.join('\n')).not.toContain(APP_TOKEN);
  });
});
