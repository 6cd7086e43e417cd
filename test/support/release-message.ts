import type { ReleaseMessage } from '../../src/slack/release-message';

/** A release's Slack message with only its headline mattering: what the messenger's tests hand over. */
export function messageWithHeadline(headline: string): ReleaseMessage {
  return { releaseId: 'release-checkout-abc', service: 'checkout', version: 'abc', repo: 'acme/checkout', requestedBy: 'ci', reason: 'test', headline, lines: [], withButtons: false };
}
