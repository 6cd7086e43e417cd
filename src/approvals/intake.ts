/**
 * Where every Slack interaction ends up, whichever way it came: a signed HTTP request to
 * `POST /slack/events`, or an envelope over Socket Mode's WebSocket. The transport does what only
 * it can (HTTP: body size, signature and timestamp window; Socket Mode: the payload's size — the
 * WebSocket itself is authenticated by the app-level token) and hands over the delivery; from here
 * on both are checked alike, in this order:
 *
 *   delivery replay (409: the same signed request, or the same envelope, seen before)
 *   → payload shape and action id (400/415)
 *   → click replay (409: the same click — user, button, action_ts, trigger_id — in another delivery)
 *   → accepted: the Update and the reply run after the transport has acknowledged.
 *
 * So a click re-sent by Slack (a redelivered envelope after a lost ack, whatever its envelope id) is
 * decided once, and a payload that would be refused over HTTP is refused over Socket Mode too.
 */
import { BadInteractionError, type ButtonClick } from './interaction';
import { ReplayGuard } from './replay-guard';

export interface IntakeOutcome {
  status: 200 | 400 | 409 | 413 | 415;
  /** Why it was refused; safe to log and to answer (never the payload or a secret). */
  error?: string;
}

export interface Delivery {
  /** What identifies this delivery: the verified signature (HTTP) or the envelope id (Socket Mode). */
  replayKey: string;
  /** Seconds: the signed timestamp (HTTP), where the replay memory's window starts; without one (Socket Mode) it starts at the first arrival. */
  timestampSec?: number;
  /** What a repeat of this delivery is refused as. */
  replayed: string;
  /** The click in it; throws BadInteractionError. */
  click: () => ButtonClick;
}

export interface InteractionIntakeOptions {
  /** The Update and the reply for an accepted click; never throws (problems are logged by it). */
  decide: (click: ButtonClick) => Promise<void>;
  /** Called when `decide` throws after all. */
  onError: (err: unknown) => void;
  now: () => number;
}

export class InteractionIntake {
  private readonly deliveries = new ReplayGuard();
  private readonly clicks = new ReplayGuard();
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly opts: InteractionIntakeOptions) {}

  /** Checks a delivery and, when every check passes, starts deciding its click (not awaited: the transport acks first). */
  take(delivery: Delivery): IntakeOutcome {
    const now = this.opts.now();
    const first =
      delivery.timestampSec === undefined ? this.deliveries.firstArrival(delivery.replayKey, now) : this.deliveries.firstSeen(delivery.timestampSec, delivery.replayKey, now);
    if (!first) return { status: 409, error: delivery.replayed };
    let click: ButtonClick;
    try {
      click = delivery.click();
    } catch (err) {
      if (err instanceof BadInteractionError) return { status: err.status, error: err.message };
      throw err;
    }
    // Keyed on when it first arrived, not on the payload's own (unsigned in Socket Mode) action_ts.
    if (click.clickKey !== undefined && !this.clicks.firstArrival(click.clickKey, now)) {
      return { status: 409, error: 'replayed click (this click was already taken)' };
    }
    const work: Promise<void> = this.opts
      .decide(click)
      .catch((err: unknown) => this.opts.onError(err))
      .finally(() => this.inFlight.delete(work));
    this.inFlight.add(work);
    return { status: 200 };
  }

  /** Resolves when every accepted click has been decided and answered. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }
}
