/**
 * Webhook receivers: `POST /webhooks/<name>` takes a delivery as a receiver a team would write:
 * it checks the Runway-Signature over the raw body with the shared secret and refuses (401) a
 * bad or stale one, and it notes each delivery id once however many times it is retried. Every
 * attempt is in the call log (system `webhook`, with whether its signature held); `/_sandbox/state`
 * lists the deliveries. Scenario `webhooks` makes receivers fail (down, or the next answers).
 */
import { z } from 'zod';
import { verifyWebhookSignature, WEBHOOK_HEADERS } from '../shared/webhook-signature';
import { takeFromFaultList } from './fault-list';
import { BadJsonError, parseJsonBody, type SandboxRequest, type SandboxResponse } from './http/route';

/** What `runway dev`, the demo and the history recorder give both the worker (RUNWAY_WEBHOOK_SECRET) and the sandbox. */
export const SANDBOX_WEBHOOK_SECRET = 'runway-sandbox-webhook-secret';

const faultSchema = z.strictObject({
  /** The receiver's name (`/webhooks/<name>`), or `*` for any. @default * */
  receiver: z.string().min(1).optional(),
  /** The HTTP status it answers (429 comes with Retry-After: 1). */
  status: z.number().int().min(400).max(599),
  /** How many deliveries it hits before it is used up. @default 1 */
  count: z.number().int().min(1).max(10_000).optional(),
});
export type WebhookFault = z.output<typeof faultSchema>;

export const webhookScenarioSchema = z.strictObject({
  /** Every receiver answers 503 until set back to false. */
  down: z.boolean().optional(),
  /** Faults for the next deliveries, consumed in order; a new list replaces what is left of the old. */
  failNext: z.array(faultSchema).max(100).optional(),
});
export type WebhookScenario = z.output<typeof webhookScenarioSchema>;

export function takeWebhookFault(scenario: WebhookScenario, receiver: string): { fault?: WebhookFault; remaining: WebhookScenario } {
  if (scenario.down) return { fault: { status: 503 }, remaining: scenario };
  const { fault, rest } = takeFromFaultList(scenario.failNext, (f) => (f.receiver ?? '*') === '*' || f.receiver === receiver);
  return fault ? { fault, remaining: { ...scenario, failNext: rest } } : { remaining: scenario };
}

/** One delivery as the receivers saw it: its attempts counted, the last one's body kept. */
export interface WebhookDelivery {
  id: string;
  receiver: string;
  event?: string;
  attempts: number;
  /** Attempts the receiver accepted (2xx); more than one would be a receiver's duplicate to drop. */
  accepted: number;
  firstAt: string;
  lastAt: string;
  body: unknown;
}

export class WebhookReceivers {
  private readonly deliveries = new Map<string, WebhookDelivery>();

  constructor(
    private readonly options: {
      now: () => number;
      /** The shared secret; without one signatures are not checked (and the call log says so). */
      secret?: string;
      takeFault: (receiver: string) => WebhookFault | undefined;
    },
  ) {}

  handle(receiver: string, req: SandboxRequest): SandboxResponse {
    const delivery = req.headers[WEBHOOK_HEADERS.delivery];
    const event = req.headers[WEBHOOK_HEADERS.event];
    const check = this.options.secret
      ? verifyWebhookSignature(this.options.secret, req.headers[WEBHOOK_HEADERS.signature], req.body, this.options.now() / 1000)
      : undefined;
    const signature = !check ? 'not checked (no secret)' : check.valid ? 'valid' : `invalid: ${check.reason}`;
    let body: unknown;
    try {
      body = parseJsonBody(req.body);
    } catch (err) {
      if (!(err instanceof BadJsonError)) throw err;
      body = { unparsedBody: req.body.slice(0, 500) };
    }
    const respond = (status: number, answer?: unknown, headers?: Record<string, string>): SandboxResponse => ({
      status,
      body: answer,
      headers,
      call: { system: 'webhook', operation: `${req.method} /webhooks/${receiver}`, request: { delivery, event, signature, body } },
    });
    if (req.method !== 'POST') return respond(405, { message: 'receivers take POST' }, { allow: 'POST' });
    const entry = delivery ? this.attempt(delivery, receiver, event, body) : undefined;
    const fault = this.options.takeFault(receiver);
    if (fault) return respond(fault.status, { message: 'scripted failure' }, fault.status === 429 ? { 'retry-after': '1' } : undefined);
    if (check && !check.valid) return respond(401, { message: `signature refused: ${check.reason}` });
    if (!entry) return respond(400, { message: 'no Runway-Delivery header' });
    entry.accepted += 1;
    return respond(200, { received: delivery, duplicate: entry.accepted > 1 });
  }

  state(): { deliveries: WebhookDelivery[] } {
    return structuredClone({ deliveries: [...this.deliveries.values()] });
  }

  /** Counts an attempt of delivery `id` at `receiver`; the entry keeps the latest body. */
  private attempt(id: string, receiver: string, event: string | undefined, body: unknown): WebhookDelivery {
    const at = new Date(this.options.now()).toISOString();
    const key = `${receiver} ${id}`;
    const entry = this.deliveries.get(key) ?? { id, receiver, event, attempts: 0, accepted: 0, firstAt: at, lastAt: at, body };
    entry.attempts += 1;
    entry.lastAt = at;
    entry.body = body;
    this.deliveries.set(key, entry);
    return entry;
  }
}
