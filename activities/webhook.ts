/**
 * Webhook deliveries: a release's event POSTed as JSON to a receiver, signed with the worker's
 * RUNWAY_WEBHOOK_SECRET (src/shared/webhook-signature.ts). The body and the Runway-Delivery id
 * come from the workflow, so every attempt of one delivery carries the same bytes and id (the
 * receiver deduplicates on it); the signature's timestamp is the attempt's. Temporal retries
 * what a receiver may accept later (5xx, 429, no answer) with backoff; a refusal (4xx) is final.
 * The secret lives in this factory's closure: never in an input, result or log line.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { ReleaseWebhookPayload } from '../src/domain/release-webhook';
import { WEBHOOK_HEADERS, webhookSignature } from '../src/shared/webhook-signature';
import { nonRetryable } from './errors';

export const WebhookFailureType = {
  notConfigured: 'WebhookNotConfigured',
  /** The receiver answered 4xx (other than 408/425/429): retrying the same bytes will not change its mind. */
  refused: 'WebhookRefused',
  unavailable: 'WebhookUnavailable',
} as const;

export interface WebhookDeliveryInput {
  url: string;
  payload: ReleaseWebhookPayload;
}

export interface WebhookOptions {
  /** RUNWAY_WEBHOOK_SECRET; without it nothing is sent (an unsigned delivery cannot be trusted). */
  secret?: string;
  fetch?: typeof fetch;
  now?: () => number;
  /** Per attempt. @default 8000 */
  timeoutMs?: number;
}

export function createWebhookActivities(options: WebhookOptions) {
  const doFetch = options.fetch ?? fetch;
  const now = options.now ?? Date.now;
  const timeoutMs = options.timeoutMs ?? 8000;
  const { secret } = options;

  return {
    /** POSTs one event to one receiver; 2xx is delivered. */
    async deliverWebhook(input: WebhookDeliveryInput): Promise<{ status: number }> {
      const { payload } = input;
      const where = `delivering ${payload.event} (${payload.id}) to ${displayUrl(input.url)}`;
      if (!secret) throw nonRetryable(`${where}: no RUNWAY_WEBHOOK_SECRET on the worker, so nothing is sent`, WebhookFailureType.notConfigured);
      const body = JSON.stringify(payload);
      let res: Response;
      try {
        res = await doFetch(input.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': 'runway-webhooks',
            [WEBHOOK_HEADERS.delivery]: payload.id,
            [WEBHOOK_HEADERS.event]: payload.event,
            [WEBHOOK_HEADERS.signature]: webhookSignature(secret, now() / 1000, body),
          },
          body,
          // A signed body goes where it was configured to go, not wherever a redirect points.
          redirect: 'manual',
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (err) {
        throw ApplicationFailure.retryable(`${where}: no answer (${(err as Error).message})`, WebhookFailureType.unavailable);
      }
      await res.body?.cancel().catch(() => undefined);
      if (res.ok) return { status: res.status };
      const message = `${where}: the receiver answered ${res.status}`;
      if (res.status === 429) {
        const after = Number(res.headers.get('retry-after'));
        throw ApplicationFailure.create({ message, type: WebhookFailureType.unavailable, ...(Number.isFinite(after) && after > 0 ? { nextRetryDelay: after * 1000 } : {}) });
      }
      if (res.status >= 500 || res.status === 408 || res.status === 425) throw ApplicationFailure.retryable(message, WebhookFailureType.unavailable);
      const hint = res.status === 401 || res.status === 403 ? ' (does its secret match RUNWAY_WEBHOOK_SECRET?)' : res.status >= 300 && res.status < 400 ? ' (redirects are not followed)' : '';
      throw nonRetryable(`${message}${hint}`, WebhookFailureType.refused);
    },
  };
}

export type WebhookActivities = ReturnType<typeof createWebhookActivities>;

/** Scheme, host and path only: a URL's query may carry a token of the receiver's. */
function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '(an invalid URL)';
  }
}
