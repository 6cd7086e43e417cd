/**
 * Slack's side of request signing, so the sandbox can send interactions exactly as Slack does:
 * `X-Slack-Signature: v0=hex(HMAC-SHA256(secret, "v0:<ts>:<raw body>"))` with the timestamp in
 * `X-Slack-Request-Timestamp`. (Verifying is the approvals server's job, via Bolt.)
 */
import { createHmac } from 'node:crypto';

export interface SlackSignatureHeaders {
  'x-slack-signature': string;
  'x-slack-request-timestamp': string;
}

export function slackSignatureHeaders(signingSecret: string, timestampSec: number, rawBody: string): SlackSignatureHeaders {
  const ts = String(Math.floor(timestampSec));
  const hash = createHmac('sha256', signingSecret).update(`v0:${ts}:${rawBody}`).digest('hex');
  return { 'x-slack-signature': `v0=${hash}`, 'x-slack-request-timestamp': ts };
}
