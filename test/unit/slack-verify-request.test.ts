/**
 * The signature header must be exactly `v0=` and 64 hex digits. Bolt's own check compares only
 * what follows the first "=", so a captured request with a suffix added would verify as a new
 * request each time; the approvals server refuses every such variant.
 */
import { verifySlackRequest } from '@slack/bolt';
import { UnverifiedRequestError, verifySignedRequest } from '../../src/approvals/verify-request';
import { slackSignatureHeaders } from '../../src/sandbox/slack/signing';

const SECRET = 'verify-test-secret';
const BODY = 'payload=%7B%7D';
const NOW = 1_700_000_000_000;

function signed(signature?: string) {
  const headers = slackSignatureHeaders(SECRET, NOW / 1000, BODY);
  return { rawBody: BODY, signature: signature ?? headers['x-slack-signature'], timestamp: headers['x-slack-request-timestamp'] };
}

it('accepts Slack\'s exact signature and returns it as the replay key', () => {
  const req = signed();
  expect(verifySignedRequest(SECRET, req, NOW)).toEqual({ timestamp: NOW / 1000, signature: req.signature });
});

it('refuses a signature with anything after the hash, though Bolt alone would accept it', () => {
  const suffixed = `${signed().signature!}=x`;
  // Why the format check exists: this does not throw.
  expect(() =>
    verifySlackRequest({ signingSecret: SECRET, body: BODY, headers: { 'x-slack-signature': suffixed, 'x-slack-request-timestamp': NOW / 1000 }, nowMilliseconds: NOW }),
  ).not.toThrow();
  for (const variant of [suffixed, `${signed().signature!}=`, ` ${signed().signature!}`, signed().signature!.toUpperCase().replace('V0', 'v0'), 'v0=abc']) {
    expect(() => verifySignedRequest(SECRET, signed(variant), NOW)).toThrow(new UnverifiedRequestError('malformed X-Slack-Signature header (expected v0= and 64 hex digits)'));
  }
});
