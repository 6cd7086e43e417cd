/**
 * A verified Slack interaction body → the action it asks for. Slack sends
 * `application/x-www-form-urlencoded` with one field, `payload`, holding JSON. Only
 * `block_actions` clicks on Runway's own buttons are accepted: Approve / Reject on a release
 * awaiting approval, Resume / Promote / Roll back on a held canary, Roll back on a released release.
 */
import { z } from 'zod';
import { type ButtonAction, buttonActionOf, parseButtonValue } from '../shared/slack-button-value';

export interface ButtonClick {
  /** approve / reject, the canary control (resume / promote / abort) the button stands for, or rollback (a released release's Roll back). */
  action: ButtonAction;
  /** From the button's value: the release (workflow) id. */
  releaseId: string;
  /** From the button's value: the run the message was posted for (absent on older messages). */
  runId?: string;
  /** Slack user id of the clicker, e.g. U123ALICE; passed to the Update as the approver. */
  userId: string;
  channelId?: string;
  messageTs?: string;
  /** Where Slack accepts replies to this click (ephemeral or not) for 30 minutes. */
  responseUrl?: string;
  /**
   * What tells this click apart from another click by the same user on the same button: Slack's
   * `action_ts` and `trigger_id`. The replay memory keys on it, so the same click delivered twice
   * (a re-sent request, a redelivered Socket Mode envelope) is decided once. Absent when the
   * payload carries neither.
   */
  clickKey?: string;
}

/** The body is not a click Runway understands; the HTTP status says which way. */
export class BadInteractionError extends Error {
  override name = 'BadInteractionError';
  constructor(
    message: string,
    readonly status: 400 | 415 = 400,
  ) {
    super(message);
  }
}

const payloadSchema = z.object({
  type: z.literal('block_actions'),
  user: z.object({ id: z.string().min(1) }),
  // Slack sends exactly one action per button click.
  actions: z.array(z.object({ action_id: z.string(), value: z.string().min(1).max(255).optional(), action_ts: z.string().max(64).optional() })).length(1),
  trigger_id: z.string().max(255).optional(),
  channel: z.object({ id: z.string() }).optional(),
  container: z.object({ message_ts: z.string().optional(), channel_id: z.string().optional() }).optional(),
  response_url: z.url({ protocol: /^https?$/ }).optional(),
});

export function parseButtonClick(contentType: string | undefined, rawBody: string): ButtonClick {
  if (!(contentType ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    throw new BadInteractionError('expected application/x-www-form-urlencoded', 415);
  }
  const payloads = new URLSearchParams(rawBody).getAll('payload');
  if (payloads.length !== 1) throw new BadInteractionError('malformed form body: expected one "payload" field');
  let json: unknown;
  try {
    json = JSON.parse(payloads[0]!) as unknown;
  } catch {
    throw new BadInteractionError('malformed payload: not JSON');
  }
  return parseButtonClickPayload(json);
}

/**
 * The payload itself, however it arrived: from the form of a signed HTTP request, or as the
 * `payload` of a Socket Mode envelope (which Slack sends as JSON, not form-encoded).
 */
export function parseButtonClickPayload(json: unknown): ButtonClick {
  const parsed = payloadSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new BadInteractionError(`unsupported payload: ${issue ? `${issue.path.join('.') || '(payload)'}: ${issue.message}` : 'invalid'}`);
  }
  const payload = parsed.data;
  const action = payload.actions[0]!;
  const asked = buttonActionOf(action.action_id);
  if (!asked) throw new BadInteractionError(`unknown action id "${action.action_id.slice(0, 64)}"`);
  if (!action.value) throw new BadInteractionError('button has no release id');
  const { releaseId, runId } = parseButtonValue(action.value);
  return {
    action: asked,
    releaseId,
    ...(runId ? { runId } : {}),
    userId: payload.user.id,
    channelId: payload.channel?.id ?? payload.container?.channel_id,
    messageTs: payload.container?.message_ts,
    responseUrl: payload.response_url,
    ...(action.action_ts || payload.trigger_id
      ? { clickKey: [payload.user.id, action.action_id, action.value, action.action_ts ?? '', payload.trigger_id ?? ''].join('|') }
      : {}),
  };
}
