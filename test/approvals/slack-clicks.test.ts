/**
 * Approving and rejecting from Slack, end to end: the sandbox clicks a button on the real release
 * message with a correctly signed interaction, the approvals server turns it into the Update, and
 * the clicker gets an ephemeral reply at the click's response_url. Once per transport: signed HTTP
 * requests, and Socket Mode envelopes.
 */
import type { ReleaseStatus } from '../../src/domain/release';
import { releaseMessageBlocks } from '../../src/slack/release-message';
import { statusQuery } from '../../src/domain/release-api';
import { slackClient } from '../support/sandbox-clients';
import { ALICE, APP_TOKEN, type ApprovalsRig, BOB, BOT_TOKEN, MALLORY, repliesTo, SIGNING_SECRET, startApprovalsRig, TRANSPORTS, untilStage } from '../support/approvals-rig';
import { releaseOutcome } from '../../src/release-client/outcome';

// Inside a describe, so the rig (and its worker) stops before the harness closes the worker connection.
describe.each(TRANSPORTS)('Slack clicks (%s)', (transport) => {
  let rig: ApprovalsRig;

  beforeAll(async () => {
    rig = await startApprovalsRig({ transport });
  });
  afterAll(async () => rig.stop());

  async function click(user: string, action: 'approve' | 'reject', releaseId: string) {
    const result = await rig.sandbox.clickButton({ ...rig.via, user, action, releaseId });
    // The ack comes first; the Update and the reply follow it.
    await rig.server.settled();
    return { ...result, replies: repliesTo(rig.sandbox, result.responseUrl) };
  }

  it('answers GET /healthz', async () => {
    const res = await fetch(`${rig.server.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(transport === 'http' ? { ok: true } : { ok: true, socketMode: 'connected' });
  });

  it('releases the workflow on a signed Approve click, with the Slack user as approver', async () => {
    const handle = await rig.startAwaitingRelease();
    const result = await click(ALICE, 'approve', handle.workflowId);
    expect(result.status).toBe(200);
    expect(result.body).toBe('');
    expect(result.replies).toEqual([{ response_type: 'ephemeral', replace_original: false, text: expect.stringContaining(`You approved ${handle.workflowId}`) }]);
    const outcome = await releaseOutcome(handle);
    expect(outcome.result).toBe('released');
    expect(outcome.status.approval).toMatchObject({ decision: 'approved', by: ALICE });
    expect(rig.logs).toContain(`approvals: ${ALICE} approve ${handle.workflowId} → approved`);
  });

  it('refuses a Slack user who is not an approver, politely, and the release keeps waiting', async () => {
    const handle = await rig.startAwaitingRelease();
    const result = await click(MALLORY, 'approve', handle.workflowId);
    expect(result.status).toBe(200);
    expect(result.replies).toHaveLength(1);
    expect(result.replies[0]!.text).toBe(
      `Your approval of ${handle.workflowId} was not recorded: ${MALLORY} is not an allowed approver (allowed: ${ALICE}, ${BOB}). Nothing has changed.`,
    );
    const status = await handle.query(statusQuery);
    expect(status.stage).toBe('awaiting-approval');
    expect(status.approval.decision).toBeUndefined();

    // A refused click does not use up the release: an allowed approver can still decide.
    expect((await click(BOB, 'approve', handle.workflowId)).replies[0]!.text).toContain('You approved');
    expect((await releaseOutcome(handle)).status.approval.by).toBe(BOB);
  });

  it('answers a second click after the decision politely and changes nothing', async () => {
    const handle = await rig.startAwaitingRelease();
    await click(ALICE, 'approve', handle.workflowId);
    // The message lost its buttons when the decision was recorded; the sandbox clicks the copy
    // a slow Slack client may still show.
    const second = await click(BOB, 'reject', handle.workflowId);
    expect(second.status).toBe(200);
    expect(second.replies).toHaveLength(1);
    // Depending on timing the release is still rolling out (already decided) or finished.
    expect(second.replies[0]!.text).toMatch(
      new RegExp(`^Your rejection of ${handle.workflowId} was not recorded: (this release has already been decided|the release is not awaiting approval .*|it has already finished \\(completed\\))\\. Nothing has changed\\.$`),
    );
    const outcome = await releaseOutcome(handle);
    expect(outcome.result).toBe('released');
    expect(outcome.status.approval).toMatchObject({ decision: 'approved', by: ALICE });

    // Once finished, a click on the old message is still answered politely.
    const late = await click(BOB, 'approve', handle.workflowId);
    expect(late.status).toBe(200);
    expect(late.replies[0]!.text).toBe(`Your approval of ${handle.workflowId} was not recorded: it has already finished (completed). Nothing has changed.`);
  });

  it('rolls back on a signed Reject click', async () => {
    const handle = await rig.startAwaitingRelease();
    const result = await click(BOB, 'reject', handle.workflowId);
    expect(result.status).toBe(200);
    expect(result.replies[0]!.text).toContain(`You rejected ${handle.workflowId}`);
    const outcome = await releaseOutcome(handle);
    expect(outcome.result).toBe('rejected');
    expect(outcome.status.approval).toMatchObject({ decision: 'rejected', by: BOB });
  });

  it('answers a well-signed click for a release that does not exist with a polite ephemeral message', async () => {
    // A message with Runway's buttons for a release id no workflow has (e.g. deleted history).
    const ghost = 'release-checkout-0000000000ab';
    const blocks = releaseMessageBlocks({ releaseId: ghost, service: 'checkout', version: '0000000000ab', repo: 'acme/checkout', requestedBy: 'x', reason: 'x', headline: 'Waiting', lines: [], withButtons: true });
    await slackClient(rig.sandbox).chat.postMessage({ channel: '#deploys', text: 'ghost', blocks });
    const lookupsBefore = rig.serverHandleLookups();
    const result = await click(ALICE, 'approve', ghost);
    expect(result.status).toBe(200);
    expect(result.replies).toEqual([
      { response_type: 'ephemeral', replace_original: false, text: `Your approval of ${ghost} was not recorded: this release no longer exists. Nothing has changed.` },
    ]);
    expect(rig.serverHandleLookups()).toBeGreaterThan(lookupsBefore);
  });

  it('replies with chat.postEphemeral when the payload has no response_url', async () => {
    const handle = await rig.startAwaitingRelease();
    const { blockActionsPayload, messageButtons } = await import('../../src/sandbox');
    const message = (rig.sandbox.state() as { slack: { messages: { ts: string; channel: string; blocks?: unknown; updates: []; posted: object }[] } }).slack.messages.find((m) =>
      JSON.stringify(m.blocks ?? []).includes(handle.workflowId),
    )!;
    const button = messageButtons(message).find((b) => b.actionId === 'runway_approve')!;
    const { response_url: _dropped, ...payload } = blockActionsPayload({ message, button, user: MALLORY, responseUrl: 'unused', nowSec: Date.now() / 1000 });
    expect(await rig.deliver(payload)).toEqual({ status: 200 });
    await rig.server.settled();
    const ephemerals = (rig.sandbox.state() as { slack: { ephemerals: { channel: string; user: string; text?: string }[] } }).slack.ephemerals;
    expect(ephemerals).toContainEqual({ channel: message.channel, user: MALLORY, message_ts: expect.any(String), text: expect.stringContaining('is not an allowed approver') });
    expect((await handle.query(statusQuery)).stage).toBe('awaiting-approval');
  });

  it('never logs the signing secret or the bot token', async () => {
    // Exercise every kind of line: refused requests, a refusal by the release, a decision.
    const handle = await rig.startAwaitingRelease();
    if (transport === 'http') {
      await fetch(rig.server.eventsUrl, { method: 'POST', body: 'payload=%7B%7D' });
      await fetch(rig.server.eventsUrl, { method: 'POST', headers: { 'x-slack-signature': `v0=${SIGNING_SECRET}`, 'x-slack-request-timestamp': '1' }, body: SIGNING_SECRET });
    } else {
      await rig.deliver({ type: 'block_actions', token: SIGNING_SECRET });
      await rig.deliver('payload=%7B%7D');
    }
    await click(MALLORY, 'approve', handle.workflowId);
    await click(ALICE, 'approve', handle.workflowId);
    await untilStage(handle, 'released').catch(() => undefined);
    expect(rig.logs.length).toBeGreaterThanOrEqual(4);
    const everything = [...rig.logs, JSON.stringify(rig.sandbox.calls()), JSON.stringify(rig.sandbox.slackResponses())].join('\n');
    expect(everything).not.toContain(SIGNING_SECRET);
    expect(everything).not.toContain(BOT_TOKEN);
    expect(everything).not.toContain(APP_TOKEN);
    const status: ReleaseStatus = await handle.query(statusQuery);
    expect(JSON.stringify(status)).not.toContain(SIGNING_SECRET);
  });
});
