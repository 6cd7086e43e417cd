/**
 * How Runway signs a webhook delivery, shared by the sender (activities/webhook.ts) and the
 * sandbox's receiver: `Runway-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`,
 * the scheme Stripe uses. The timestamp is signed with the body, so a receiver that refuses old
 * timestamps refuses a replayed delivery too; it is the time of the attempt, so a delivery
 * retried minutes later is still fresh. `Runway-Delivery` is the same on every attempt of one
 * delivery (a receiver deduplicates on it). README "Release markers and webhooks" shows a
 * receiver's check in a few lines.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const WEBHOOK_HEADERS = {
  signature: 'runway-signature',
  delivery: 'runway-delivery',
  event: 'runway-event',
} as const;

/** How old a signature's timestamp may be before a receiver refuses it. */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

function hmacHex(secret: string, timestampSec: number, rawBody: string): string {
  return createHmac('sha256', secret).update(`${timestampSec}.${rawBody}`).digest('hex');
}

/** The `Runway-Signature` header value for `rawBody` sent at `timestampSec`. */
export function webhookSignature(secret: string, timestampSec: number, rawBody: string): string {
  const t = Math.floor(timestampSec);
  return `t=${t},v1=${hmacHex(secret, t, rawBody)}`;
}

export type SignatureCheck = { valid: true } | { valid: false; reason: string };

/** A receiver's check: a well-formed header, a fresh timestamp, and a v1 signature of this very body (compared in constant time). */
export function verifyWebhookSignature(
  secret: string,
  header: string | undefined,
  rawBody: string,
  nowSec: number,
  toleranceSec = WEBHOOK_TOLERANCE_SECONDS,
): SignatureCheck {
  if (!header) return { valid: false, reason: 'no Runway-Signature header' };
  const parts = header.split(',').map((p) => p.trim().split('=') as [string, string | undefined]);
  const t = Number(parts.find(([k]) => k === 't')?.[1]);
  const signatures = parts.filter(([k, v]) => k === 'v1' && v).map(([, v]) => v!);
  if (!Number.isInteger(t) || signatures.length === 0) return { valid: false, reason: 'malformed Runway-Signature header' };
  if (Math.abs(nowSec - t) > toleranceSec) return { valid: false, reason: `timestamp ${t} is more than ${toleranceSec} s away from now` };
  const expected = Buffer.from(hmacHex(secret, t, rawBody), 'hex');
  const matches = signatures.some((s) => {
    const given = Buffer.from(s, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  return matches ? { valid: true } : { valid: false, reason: 'signature does not match the body' };
}
