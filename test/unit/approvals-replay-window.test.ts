/**
 * One window for freshness and for the replay memory. Bolt's `verifySlackRequest` compares the
 * timestamp with the clock rounded down to the second, so on its own it accepts a request for up
 * to a second after `timestamp + 5 min`, when the replay memory has already forgotten it: an
 * exact copy of a signed click sent then would be accepted a second time. With a clock injected,
 * the approvals server must refuse every copy at and after the end of the window.
 */
import type { Client } from '@temporalio/client';
import { verifySlackRequest } from '@slack/bolt';
import { ReplayGuard } from '../../src/approvals/replay-guard';
import { type ApprovalsServer, startApprovalsServer } from '../../src/approvals/server';
import { SIGNATURE_WINDOW_MS, UnverifiedRequestError, verifySignedRequest } from '../../src/approvals/verify-request';
import { signedInteraction } from '../../src/sandbox';
import { slackSignatureHeaders } from '../../src/sandbox/slack/signing';
import { APPROVE_ACTION_ID, buttonValue } from '../../src/shared/slack-button-value';

const SECRET = 'replay-window-secret';
const TS = 1_700_000_000;
const SIGNED_AT = TS * 1000;
/** The last millisecond the request is fresh, and the first it is not. */
const LAST_FRESH = SIGNED_AT + SIGNATURE_WINDOW_MS;
const STALE = LAST_FRESH + 1;
/** Inside the second Bolt alone still accepts. */
const BOLT_GAP = LAST_FRESH + 999;

describe('the signature check and the replay memory share one window', () => {
  const body = 'payload=%7B%7D';
  const headers = slackSignatureHeaders(SECRET, TS, body);
  const req = { rawBody: body, signature: headers['x-slack-signature'], timestamp: headers['x-slack-request-timestamp'] };

  it('Bolt on its own accepts the request up to a second after the window (why the check exists)', () => {
    expect(() =>
      verifySlackRequest({ signingSecret: SECRET, body, headers: { 'x-slack-signature': req.signature, 'x-slack-request-timestamp': TS }, nowMilliseconds: BOLT_GAP }),
    ).not.toThrow();
  });

  it('accepts the request until the last millisecond of the window and refuses it from the next', () => {
    expect(verifySignedRequest(SECRET, req, LAST_FRESH)).toEqual({ timestamp: TS, signature: req.signature });
    for (const now of [STALE, BOLT_GAP]) {
      expect(() => verifySignedRequest(SECRET, req, now)).toThrow(new UnverifiedRequestError('X-Slack-Request-Timestamp is more than 5 minutes old (stale request)'));
    }
  });

  it('the memory still holds a request at the last fresh millisecond, and vouches for none after it', () => {
    const guard = new ReplayGuard();
    expect(guard.firstSeen(TS, req.signature, SIGNED_AT)).toBe(true);
    expect(guard.firstSeen(TS, req.signature, LAST_FRESH)).toBe(false);
    // Past the window the memory may have forgotten it, so it never counts as first seen again.
    expect(guard.firstSeen(TS, req.signature, STALE)).toBe(false);
    expect(guard.firstSeen(TS, req.signature, BOLT_GAP)).toBe(false);
    expect(new ReplayGuard().firstSeen(TS, 'v0=never-seen', STALE)).toBe(false);
    expect(guard.size).toBe(0);
  });
});

describe('the approvals server with an injected clock', () => {
  let now = SIGNED_AT;
  let lookups = 0;
  let server: ApprovalsServer;
  /** Stands in for Temporal: counts every use of the client (a click that got past the checks), then fails it. */
  const client = new Proxy(
    {},
    {
      get: () => {
        lookups++;
        throw new Error('no Temporal in this test');
      },
    },
  ) as Client;

  beforeAll(async () => {
    server = await startApprovalsServer({ port: 0, signingSecret: SECRET, client, now: () => now, decisionTimeoutMs: 100 });
  });
  afterAll(() => server.close());

  it('takes a click once, refuses its copy as a replay until the window ends, and as stale from then on', async () => {
    const payload = {
      type: 'block_actions',
      user: { id: 'U01ALICE' },
      actions: [{ action_id: APPROVE_ACTION_ID, value: buttonValue({ releaseId: 'release-checkout-abc' }) }],
      channel: { id: 'C0DEPLOYS' },
    };
    const click = signedInteraction(SECRET, payload, TS);
    const send = async (at: number) => {
      now = at;
      const res = await fetch(server.eventsUrl, { method: 'POST', headers: click.headers, body: click.body });
      await server.settled();
      return { status: res.status, error: ((await res.json().catch(() => ({}))) as { error?: string }).error };
    };

    expect(await send(SIGNED_AT)).toEqual({ status: 200, error: undefined });
    const afterFirst = lookups;
    expect(afterFirst).toBeGreaterThan(0);
    expect(await send(LAST_FRESH)).toEqual({ status: 409, error: 'replayed request (this signature was already used)' });
    expect(await send(STALE)).toEqual({ status: 401, error: 'X-Slack-Request-Timestamp is more than 5 minutes old (stale request)' });
    expect(await send(BOLT_GAP)).toEqual({ status: 401, error: 'X-Slack-Request-Timestamp is more than 5 minutes old (stale request)' });
    // Only the first click ever reached a release.
    expect(lookups).toBe(afterFirst);
  });
});
