/**
 * Is this request really from Slack, and fresh? Slack signs `v0:<timestamp>:<raw body>` with the
 * app's signing secret; Bolt's `verifySlackRequest` checks the HMAC in constant time and refuses
 * timestamps older than five minutes. We add the checks Bolt leaves to its callers, and hold
 * freshness to one window shared with the replay memory (`signatureExpiresAtMs`): Bolt's own
 * check rounds the clock down to the second, so it accepts a timestamp for up to a second after
 * the memory of it may be gone.
 */
import { verifySlackRequest } from '@slack/bolt';

/** Slack's documented window; the replay memory must cover the same span. */
export const SIGNATURE_WINDOW_MS = 5 * 60 * 1000;

/**
 * The last moment (epoch ms) a request signed at `timestampSec` is accepted: a request is fresh
 * while `nowMs <= signatureExpiresAtMs(timestamp)`. The signature check and the replay memory
 * both use this, so nothing is accepted that the memory no longer remembers.
 */
export function signatureExpiresAtMs(timestampSec: number, windowMs = SIGNATURE_WINDOW_MS): number {
  return timestampSec * 1000 + windowMs;
}

/** A request that is not provably Slack's. The message is safe to log: it never contains the secret. */
export class UnverifiedRequestError extends Error {
  override name = 'UnverifiedRequestError';
}

export interface SignedRequest {
  rawBody: string;
  signature: string | undefined;
  timestamp: string | undefined;
}

/**
 * Exactly what Slack sends. Bolt splits the header on "=" and compares only the second part, so
 * `v0=<hash>=anything` verifies too; a replay memory keyed on the raw header would then take
 * every new suffix for a new request. Refusing all but the exact form closes that.
 */
const SIGNATURE_FORMAT = /^v0=[0-9a-f]{64}$/;

export interface VerifiedRequest {
  /** Seconds, from X-Slack-Request-Timestamp. */
  timestamp: number;
  /** The signature in its only accepted form: what the replay memory keys on. */
  signature: string;
}

/** Returns the verified request's timestamp and signature, or throws UnverifiedRequestError. */
export function verifySignedRequest(signingSecret: string, req: SignedRequest, nowMs: number): VerifiedRequest {
  if (!req.signature) throw new UnverifiedRequestError('missing X-Slack-Signature header');
  if (!SIGNATURE_FORMAT.test(req.signature)) throw new UnverifiedRequestError('malformed X-Slack-Signature header (expected v0= and 64 hex digits)');
  // Bolt turns the header into a number itself; "", "1e3" or "12abc" would slip through Number().
  if (!req.timestamp || !/^\d{1,12}$/.test(req.timestamp)) {
    throw new UnverifiedRequestError('missing or malformed X-Slack-Request-Timestamp header');
  }
  const timestamp = Number(req.timestamp);
  // Bolt only refuses old timestamps; one far in the future would stay valid longer than the
  // replay memory keeps it.
  if (timestamp * 1000 > nowMs + SIGNATURE_WINDOW_MS) throw new UnverifiedRequestError('X-Slack-Request-Timestamp is in the future');
  if (nowMs > signatureExpiresAtMs(timestamp)) {
    throw new UnverifiedRequestError(`X-Slack-Request-Timestamp is more than ${SIGNATURE_WINDOW_MS / 60_000} minutes old (stale request)`);
  }
  try {
    verifySlackRequest({
      signingSecret,
      body: req.rawBody,
      headers: { 'x-slack-signature': req.signature, 'x-slack-request-timestamp': timestamp },
      nowMilliseconds: nowMs,
    });
  } catch (err) {
    throw new UnverifiedRequestError((err as Error).message);
  }
  return { timestamp, signature: req.signature };
}
