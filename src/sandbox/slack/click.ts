/**
 * Simulated button clicks: finds one of Runway's buttons on a posted message (Approve / Reject,
 * a held canary's Resume / Promote / Roll back, or a released release's Roll back) and sends the signed `block_actions`
 * interaction to an approvals server, as Slack would, with a response_url pointing back at the
 * sandbox so the app's reply can be read — or, `via: 'socket'`, the same payload as a Socket Mode
 * envelope to the app connected over the WebSocket (no signature there), waiting for its ack.
 */
import { z } from 'zod';
import { BUTTON_ACTION_IDS, BUTTON_ACTIONS, parseButtonValue } from '../../shared/slack-button-value';
import { blockActionsPayload, type MessageButton, messageButtons, signedInteraction } from './interaction-payload';
import type { SlackEmulator, SlackMessage } from './emulator';
import type { SocketEnvelopeRecord, SocketModeHub } from './socket-mode';

/** Slack shows the user an error when an app does not answer within 3 s. */
const SLACK_ACK_TIMEOUT_MS = 3000;

export const clickRequestSchema = z
  .object({
    /** The approvals server's events URL, e.g. http://127.0.0.1:3000/slack/events (HTTP only) */
    url: z.url({ protocol: /^https?$/ }).optional(),
    /** How Slack delivers it: a signed HTTP request to `url` (default), or an envelope over Socket Mode. */
    via: z.enum(['http', 'socket']).default('http'),
    /** Socket Mode: drop this many of the app's acks, so Slack delivers the envelope again. */
    loseAcks: z.number().int().min(0).max(10).optional(),
    /** Slack user id of the clicker. */
    user: z.string().min(1),
    /**
     * The button: approve / reject; on a held canary resume / promote / abort (its "Roll back");
     * on a released release's message rollback (its "Roll back", which rolls the finished release back).
     */
    action: z.enum(BUTTON_ACTIONS),
    /** The release the button decides (its value, without the run id); default: any. */
    releaseId: z.string().min(1).optional(),
    /** Only a button for this run of the release; default: any run. */
    runId: z.string().min(1).optional(),
    /** The message to click; default: the latest message with that button. */
    ts: z.string().min(1).optional(),
  })
  .refine((r) => r.releaseId !== undefined || r.ts !== undefined, { message: 'give releaseId or ts' })
  .refine((r) => (r.via === 'http' ? r.url !== undefined : r.url === undefined), { message: 'give url for a click over HTTP, and none with via: socket' });
export type ClickRequest = z.input<typeof clickRequestSchema>;

export interface ClickResult {
  /** The approvals server's HTTP status and body; over Socket Mode 200 once acked, 504 when no delivery was. */
  status: number;
  body: string;
  /** Where the app's reply lands (`GET /_sandbox/slack/responses`, or slack calls "response_url"). */
  responseUrl: string;
  /** The message and button that were clicked. */
  channel: string;
  ts: string;
  /** Over Socket Mode: the envelope, its deliveries and its ack. */
  envelope?: SocketEnvelopeRecord;
}

/** The click could not be sent; `status` is what the control API answers. */
export class ClickError extends Error {
  override name = 'ClickError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export interface SlackClickerDeps {
  slack: SlackEmulator;
  signingSecret?: string;
  socket: SocketModeHub;
  /** The sandbox's own URL, known only once it listens. */
  baseUrl: () => string;
  now: () => number;
}

export class SlackClicker {
  constructor(private readonly deps: SlackClickerDeps) {}

  async click(input: ClickRequest): Promise<ClickResult> {
    const req = clickRequestSchema.parse(input);
    const { signingSecret } = this.deps;
    if (req.via === 'http' && !signingSecret) throw new ClickError('the sandbox was started without a signingSecret, so it cannot sign clicks', 409);
    if (req.via === 'socket' && this.deps.socket.connections === 0) throw new ClickError('no app is connected over Socket Mode', 409);
    const { message, button } = this.findButton(BUTTON_ACTION_IDS[req.action], req);
    const responseUrl = `${this.deps.baseUrl()}/slack/response/${this.deps.slack.issueResponseId()}`;
    const nowSec = this.deps.now() / 1000;
    const payload = blockActionsPayload({ message, button, user: req.user, responseUrl, nowSec });
    const clicked = { responseUrl, channel: message.channel, ts: message.ts };
    if (req.via === 'socket') {
      const envelope = await this.deps.socket.deliver(payload, { loseAcks: req.loseAcks });
      return { status: envelope.ackedAt ? 200 : 504, body: '', ...clicked, envelope };
    }
    const { body, headers } = signedInteraction(signingSecret!, payload, nowSec);
    const url = req.url!;
    let res: Response;
    try {
      res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(SLACK_ACK_TIMEOUT_MS) });
    } catch (err) {
      throw new ClickError(`the app at ${url} did not answer within ${SLACK_ACK_TIMEOUT_MS / 1000} s: ${(err as Error).message}`, 502);
    }
    return { status: res.status, body: await res.text(), ...clicked };
  }

  /** Latest message first; on each message its current blocks, then older versions (a stale screen). */
  private findButton(actionId: string, req: Pick<ClickRequest, 'releaseId' | 'runId' | 'ts'>): { message: SlackMessage; button: MessageButton } {
    const { releaseId, runId, ts } = req;
    // Buttons carry `<releaseId>/<runId>` (or the release id alone, on older messages).
    const wanted = (value: string | undefined) => {
      const target = value === undefined ? undefined : parseButtonValue(value);
      return (releaseId === undefined || target?.releaseId === releaseId) && (runId === undefined || target?.runId === runId);
    };
    const messages = this.deps.slack.state().messages.filter((m) => ts === undefined || m.ts === ts);
    if (ts !== undefined && messages.length === 0) throw new ClickError(`no message with ts ${ts}`, 404);
    for (const message of messages.reverse()) {
      const versions = [message, ...[...message.updates].reverse(), message.posted];
      for (const version of versions) {
        const button = messageButtons(version).find((b) => b.actionId === actionId && wanted(b.value));
        if (button) return { message, button };
      }
    }
    throw new ClickError(`no message has a ${actionId} button${releaseId ? ` for ${releaseId}` : ''}${ts ? ` (ts ${ts})` : ''}`, 404);
  }
}
