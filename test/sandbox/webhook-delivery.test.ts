/**
 * Webhook deliveries (activities/webhook.ts) as a receiver sees them: signed so that the README's
 * few lines of receiver code accept them and refuse a tampered body or an old timestamp; the
 * same delivery id on a retry; and, against the sandbox's receivers, which failures Temporal
 * retries and which are final.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createWebhookActivities } from '../../activities/webhook';
import { type ReleaseWebhookPayload, WebhookEvent } from '../../src/domain/release-webhook';
import { type Sandbox, startSandbox, type WebhookDelivery } from '../../src/sandbox';
import { failureOf } from '../support/activity-env';

const SECRET = 'whsec-delivery-test';

/** The receiver's check exactly as the README shows it (section "Release markers and webhooks"). */
function readmeVerifier(): (secret: string, header: string | null, rawBody: string, toleranceSeconds?: number) => boolean {
  const readme = readFileSync(path.join(__dirname, '../../README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Release markers and webhooks'));
  const code = /```js\n([\s\S]*?)```/.exec(section)?.[1];
  if (!code) throw new Error('no js snippet in the README section');
  return new Function('require', `${code}\nreturn verifyRunwayWebhook;`)(require) as ReturnType<typeof readmeVerifier>;
}

const payload: ReleaseWebhookPayload = {
  id: 'run-1:release.approved',
  event: WebhookEvent.approved,
  at: '2026-01-01T00:00:00.000Z',
  release: { id: 'release-checkout-abc', runId: 'run-1', service: 'checkout', version: 'abc', image: 'r/checkout:abc', requestedBy: 'carol', reason: 'fix' },
  stage: 'awaiting-approval',
  approvedBy: ['alice'],
};

/** A fetch that answers 204 and keeps what was sent. */
function capturingFetch() {
  const sent: { url: string; headers: Headers; body: string }[] = [];
  const fetchFn = (async (url: string, init: RequestInit) => {
    sent.push({ url, headers: new Headers(init.headers), body: String(init.body) });
    return new Response(null, { status: 204 });
  }) as unknown as typeof fetch;
  return { sent, fetchFn };
}

describe('the signature, checked by the README receiver', () => {
  const verify = readmeVerifier();

  it('holds for the body as sent, and the delivery id and event are in the headers', async () => {
    const { sent, fetchFn } = capturingFetch();
    await createWebhookActivities({ secret: SECRET, fetch: fetchFn }).deliverWebhook({ url: 'http://127.0.0.1:1/hook', payload });
    const [request] = sent;
    expect(request!.headers.get('runway-delivery')).toBe(payload.id);
    expect(request!.headers.get('runway-event')).toBe('release.approved');
    expect(request!.headers.get('content-type')).toBe('application/json');
    expect(JSON.parse(request!.body)).toEqual(payload);
    expect(verify(SECRET, request!.headers.get('runway-signature'), request!.body)).toBe(true);
  });

  it('refuses a tampered body, another secret and an old timestamp', async () => {
    const { sent, fetchFn } = capturingFetch();
    await createWebhookActivities({ secret: SECRET, fetch: fetchFn }).deliverWebhook({ url: 'http://127.0.0.1:1/hook', payload });
    const tenMinutesAgo = Date.now() - 10 * 60_000;
    await createWebhookActivities({ secret: SECRET, fetch: fetchFn, now: () => tenMinutesAgo }).deliverWebhook({ url: 'http://127.0.0.1:1/hook', payload });
    const [fresh, old] = sent;
    const signature = fresh!.headers.get('runway-signature');
    expect(verify(SECRET, signature, fresh!.body.replace('"alice"', '"mallory"'))).toBe(false);
    expect(verify('another secret', signature, fresh!.body)).toBe(false);
    expect(verify(SECRET, old!.headers.get('runway-signature'), old!.body)).toBe(false);
    expect(verify(SECRET, 'garbage', fresh!.body)).toBe(false);
  });

  it('sends nothing without a secret', async () => {
    const { sent, fetchFn } = capturingFetch();
    const failure = await failureOf(createWebhookActivities({ fetch: fetchFn }).deliverWebhook({ url: 'http://127.0.0.1:1/hook', payload }));
    expect([failure.nonRetryable, failure.type]).toEqual([true, 'WebhookNotConfigured']);
    expect(sent).toHaveLength(0);
  });
});

describe('against the sandbox receivers', () => {
  let sandbox: Sandbox;
  beforeEach(async () => {
    sandbox = await startSandbox({ port: 0, services: [], webhookSecret: SECRET });
  });
  afterEach(async () => sandbox.close());

  const deliveries = () => (sandbox.state() as { webhooks: { deliveries: WebhookDelivery[] } }).webhooks.deliveries;
  const url = () => `${sandbox.url}/webhooks/ops?team=payments`;

  it('records the delivery with a valid signature; a retry carries the same id and is seen as a duplicate', async () => {
    const acts = createWebhookActivities({ secret: SECRET });
    await expect(acts.deliverWebhook({ url: url(), payload })).resolves.toEqual({ status: 200 });
    await acts.deliverWebhook({ url: url(), payload });
    const calls = sandbox.calls().webhook;
    expect(calls.map((c) => [c.operation, c.status, (c.request as { signature: string }).signature])).toEqual([
      ['POST /webhooks/ops', 200, 'valid'],
      ['POST /webhooks/ops', 200, 'valid'],
    ]);
    expect(deliveries()).toEqual([expect.objectContaining({ id: payload.id, receiver: 'ops', event: 'release.approved', attempts: 2, accepted: 2, body: payload })]);
  });

  it('retries what a receiver may take later, never a refusal', async () => {
    const acts = createWebhookActivities({ secret: SECRET });
    sandbox.setScenario({ webhooks: { failNext: [{ status: 503 }, { status: 429 }, { status: 410 }] } });
    const down = await failureOf(acts.deliverWebhook({ url: url(), payload }));
    expect([down.nonRetryable, down.type]).toEqual([false, 'WebhookUnavailable']);
    const limited = await failureOf(acts.deliverWebhook({ url: url(), payload }));
    expect([limited.nonRetryable, limited.nextRetryDelay]).toEqual([false, 1000]);
    const gone = await failureOf(acts.deliverWebhook({ url: url(), payload }));
    expect([gone.nonRetryable, gone.type]).toEqual([true, 'WebhookRefused']);
    // The receiver's own query (its token) never shows in a failure.
    expect(gone.message).toBe(`delivering release.approved (${payload.id}) to ${sandbox.url}/webhooks/ops: the receiver answered 410`);
  });

  it('is refused, for good, when signed with another secret', async () => {
    const failure = await failureOf(createWebhookActivities({ secret: 'not the shared one' }).deliverWebhook({ url: url(), payload }));
    expect([failure.nonRetryable, failure.type]).toEqual([true, 'WebhookRefused']);
    expect(failure.message).toContain('(does its secret match RUNWAY_WEBHOOK_SECRET?)');
    expect((sandbox.calls().webhook[0]!.request as { signature: string }).signature).toBe('invalid: signature does not match the body');
    expect(deliveries()[0]).toMatchObject({ attempts: 1, accepted: 0 });
  });
});
