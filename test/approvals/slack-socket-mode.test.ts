/**
 * Socket Mode end to end: the approvals server opens Slack's WebSocket with the app-level token
 * (apps.connections.open on the sandbox), takes a click delivered as an envelope and acks it,
 * decides a click once although Slack delivered it again after a lost ack, is healthy only while
 * connected, serves no HTTP events route, and keeps the app token out of logs and the release.
 */
import { startApprovalsServer } from '../../src/approvals';
import { ALICE, APP_TOKEN, type ApprovalsRig, repliesTo, startApprovalsRig } from '../support/approvals-rig';
import { releaseOutcome } from '../../src/release-client/outcome';

describe('Socket Mode', () => {
  let rig: ApprovalsRig;

  beforeAll(async () => {
    rig = await startApprovalsRig({ transport: 'socket' });
  });
  afterAll(async () => rig.stop());

  it('connects with the app-level token: healthy while connected, and no HTTP events route', async () => {
    expect(rig.server.transport).toBe('socket');
    expect(rig.sandbox.socketMode().connections).toBe(1);
    expect(rig.sandbox.calls().slack.filter((c) => c.operation === 'apps.connections.open').map((c) => c.status)).toEqual([200]);
    const health = await fetch(`${rig.server.url}/healthz`);
    expect([health.status, await health.json()]).toEqual([200, { ok: true, socketMode: 'connected' }]);
    // Without a signing secret nothing could verify an HTTP click: the route is not there.
    const events = await fetch(rig.server.eventsUrl, { method: 'POST', body: 'payload=%7B%7D' });
    expect(events.status).toBe(404);
  });

  it('approves from a click delivered as an envelope, acked before the decision', async () => {
    const handle = await rig.startAwaitingRelease();
    const result = await rig.sandbox.clickButton({ ...rig.via, user: ALICE, action: 'approve', releaseId: handle.workflowId });
    expect(result.status).toBe(200);
    expect(result.envelope).toMatchObject({ deliveries: [{ retryAttempt: 0 }], ackedAt: expect.any(String), lostAcks: 0, extraAcks: 0 });
    // Slack wants the ack within 3 s.
    expect(result.envelope!.ackedAfterMs).toBeLessThan(3000);
    await rig.server.settled();
    expect(repliesTo(rig.sandbox, result.responseUrl).map((r) => r.text)).toEqual([expect.stringContaining(`You approved ${handle.workflowId}`)]);
    expect((await releaseOutcome(handle)).status.approval).toMatchObject({ decision: 'approved', by: ALICE });
  });

  it('decides a click once when Slack delivers its envelope again after a lost ack', async () => {
    const handle = await rig.startAwaitingRelease({ requiredApprovals: 2 });
    const lookupsBefore = rig.serverHandleLookups();
    const result = await rig.sandbox.clickButton({ ...rig.via, user: ALICE, action: 'approve', releaseId: handle.workflowId, loseAcks: 1 });
    // The first ack was lost on the way: Slack delivered the same envelope again, which was acked.
    expect(result.status).toBe(200);
    expect(result.envelope).toMatchObject({ lostAcks: 1, deliveries: [{ retryAttempt: 0 }, { retryAttempt: 1 }], ackedAt: expect.any(String) });
    await rig.server.settled();
    expect(rig.logs).toContain(`approvals: refused Socket Mode envelope ${result.envelope!.envelopeId} → 409: replayed envelope (already delivered; retry 1)`);
    // One Update, one reply, one approval recorded (a second would have been answered "already approved").
    expect(rig.serverHandleLookups()).toBe(lookupsBefore + 1);
    expect(repliesTo(rig.sandbox, result.responseUrl).map((r) => r.text)).toEqual([`Your approval of ${handle.workflowId} is recorded. It still needs 1 more approval(s) from someone else.`]);
  });

  it('refuses to start when Slack refuses the token, naming SLACK_APP_TOKEN and not the token', async () => {
    const botToken = 'xoxb-not-an-app-token-91f0';
    const started = startApprovalsServer({ port: 0, client: rig.client, socketMode: { appToken: botToken, slackApiUrl: `${rig.sandbox.url}/slack/api/` } });
    await expect(started).rejects.toThrow(/^SLACK_APP_TOKEN: Slack refused it at apps\.connections\.open \(not_allowed_token_type/);
    await started.catch((err: Error) => expect(err.message).not.toContain(botToken));
  });

  it('keeps the app token out of logs, the sandbox and the release history', async () => {
    const handle = await rig.startAwaitingRelease();
    await rig.sandbox.clickButton({ ...rig.via, user: ALICE, action: 'approve', releaseId: handle.workflowId });
    await rig.server.settled();
    await releaseOutcome(handle);
    const everything = [...rig.logs, JSON.stringify(rig.sandbox.calls()), JSON.stringify(rig.sandbox.socketMode()), JSON.stringify(await handle.fetchHistory())].join('\n');
    expect(everything).toContain(handle.workflowId);
    expect(everything).not.toContain(APP_TOKEN);
  });

  it('is unhealthy while the connection is down', async () => {
    const rig2 = await startApprovalsRig({ transport: 'socket' });
    try {
      await rig2.sandbox.close();
      let status = 0;
      for (let i = 0; i < 50 && status !== 503; i++) {
        await new Promise((r) => setTimeout(r, 100));
        status = (await fetch(`${rig2.server.url}/healthz`)).status;
      }
      expect(status).toBe(503);
    } finally {
      await rig2.stop().catch(() => undefined);
    }
  });
});
