/**
 * Slack errors at the activity boundary. Outages are retried by Temporal (a 429 is waited out by
 * the worker's Slack pacer before it gets here; one that does still carries Slack's delay as the
 * retry's); errors no retry can fix (bad token, unknown channel,
 * missing scope, invalid blocks) fail at once. Either way the release treats Slack as
 * best-effort: a failed notification is recorded, never fatal.
 */
import { WebAPIHTTPError, WebAPIPlatformError, WebAPIRateLimitedError } from '@slack/web-api';
import { ApplicationFailure } from '@temporalio/common';
import { nonRetryable } from './errors';

export const SlackFailureType = {
  /** Slack refused the call for a reason retrying will not change. */
  rejected: 'SlackRejected',
  rateLimited: 'SlackRateLimited',
  unavailable: 'SlackUnavailable',
} as const;

/** Slack error codes that mean configuration or a bug, not a passing condition. */
const PERMANENT_ERRORS = new Set([
  'not_authed',
  'invalid_auth',
  'account_inactive',
  'token_revoked',
  'token_expired',
  'no_permission',
  'missing_scope',
  'not_allowed_token_type',
  'channel_not_found',
  'not_in_channel',
  'is_archived',
  'invalid_blocks',
  'invalid_metadata_format',
  'invalid_metadata_schema',
  'msg_too_long',
  'no_text',
  'message_not_found',
  'cant_update_message',
  'edit_window_closed',
  'invalid_arguments',
  'no_such_subteam',
  'unknown_method',
]);

/** Turns any error from @slack/web-api into a failure with a retry decision; `context` says what was attempted. */
export function slackFailure(err: unknown, context: string): Error {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof WebAPIRateLimitedError) {
    return ApplicationFailure.create({
      message: `${context}: Slack rate limit, retry after ${err.retryAfter} s`,
      type: SlackFailureType.rateLimited,
      nextRetryDelay: Math.max(1, err.retryAfter) * 1000,
    });
  }
  if (err instanceof WebAPIPlatformError) {
    const code = err.data.error;
    // missing_scope names the scope the app needs: worth putting in the release history.
    const scope = (err.data as { needed?: unknown }).needed;
    const needed = typeof scope === 'string' ? ` (needs scope ${scope})` : '';
    const message = `${context}: Slack answered ${code}${needed}`;
    if (PERMANENT_ERRORS.has(code)) return nonRetryable(message, SlackFailureType.rejected);
    return ApplicationFailure.retryable(message, SlackFailureType.unavailable);
  }
  if (err instanceof WebAPIHTTPError) {
    const message = `${context}: Slack answered HTTP ${err.statusCode}`;
    if (err.statusCode === 429 || err.statusCode >= 500) return ApplicationFailure.retryable(message, SlackFailureType.unavailable);
    return nonRetryable(message, SlackFailureType.rejected);
  }
  // Network errors, timeouts: Slack may be back in a moment.
  return ApplicationFailure.retryable(`${context}: ${(err as Error).message}`, SlackFailureType.unavailable);
}
