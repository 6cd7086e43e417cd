/**
 * When a Slack call should not wait its turn inside an activity (issue 20). A call queued behind
 * Slack's limits heartbeats every 0.8 × its heartbeat timeout, each heartbeat a database write for
 * the Temporal server: at 2,000 releases on two workers, with approval posts queued up to 40
 * minutes in one channel, heartbeats were 344 of the server's 705 calls a second (README "Running
 * many releases"). A call whose turn is far off is told instead when to come back (a turn), and
 * its messenger waits for it on a durable timer, which costs the server nothing while it runs.
 *
 * A turn is booked: each one handed out is a line's pace after the one before, so calls told to
 * come back return spread out, in the order they were told, and a call that comes back with its
 * turn goes before every turn handed out after its own. Pure rules; the worker's Slack pacer
 * (activities/slack-pacer.ts) keeps the bookings, which are only an estimate: a worker that
 * restarts forgets them, and a call that comes back to a line still long is told again.
 */

/**
 * A call whose turn is further off than this is told to come back. Coming back costs the server
 * about what 10 heartbeats do (the activity's completion, a timer, two workflow tasks, the next
 * activity's start), and a call heartbeats every 8 s after its first 5 s: so waits under about a
 * minute and a half are cheaper inside the activity. Two minutes leaves room for estimates that are
 * short.
 */
export const SLACK_TURN_DEFER_BEYOND_MS = 2 * 60_000;

/**
 * How long before its turn a call told to come back is scheduled again: its way back — the
 * activity's completion, the timer's, two workflow tasks and the next activity's start — took up
 * to a minute on a saturated server (workflow tasks waited 27 s on average for a worker at 2,000
 * on two workers). A call that arrives early waits the rest of its turn in the activity.
 */
export const SLACK_TURN_COME_BACK_LEAD_MS = 60_000;

/** Gaps between calls longer than this say the line was idle, not how fast it goes. */
const LONGEST_PACE_GAP_MS = 60_000;

export interface SlackTurnLine {
  /** When this worker's line would start a new call queued now (its queue, the calls in flight, a Retry-After). */
  queuedUntilMs: number;
  /** The end of the turns already handed out on this line (0: none). */
  promisedUntilMs: number;
  /** How long one call takes its line, as the line goes (its interval, or slower with other workers sharing it). */
  paceMs: number;
}

export interface SlackTurnAsk {
  nowMs: number;
  /** Tell the call to come back when its turn is further off than this. */
  beyondMs: number;
  /** The turn this call was told before (it has come back): it goes before every turn handed out after it. */
  turnAtMs?: number;
  /** A release's final state: it goes before every other update, booked or not. */
  final?: boolean;
}

export type SlackTurnAnswer =
  | { go: true }
  /** Come back at `comeBackAtMs`, for the turn at `turnAtMs`; the line's bookings now end at `promisedUntilMs`. */
  | { go: false; turnAtMs: number; comeBackAtMs: number; promisedUntilMs: number };

/** Whether a call goes into the line now or is told to come back for a booked turn. */
export function slackTurn(line: SlackTurnLine, ask: SlackTurnAsk): SlackTurnAnswer {
  // A call with a turn, or a final, is owed its place ahead of turns booked after it; any other call queues behind them all.
  const behindBookings = ask.turnAtMs === undefined && !ask.final;
  const startsAtMs = Math.max(ask.nowMs, line.queuedUntilMs, behindBookings ? line.promisedUntilMs : 0);
  if (startsAtMs - ask.nowMs <= ask.beyondMs) return { go: true };
  return {
    go: false,
    turnAtMs: startsAtMs,
    comeBackAtMs: Math.max(ask.nowMs, startsAtMs - SLACK_TURN_COME_BACK_LEAD_MS),
    promisedUntilMs: Math.max(line.promisedUntilMs, startsAtMs + line.paceMs),
  };
}

/** The line's pace after one more gap between two calls made while others waited: a moving average, never faster than the line's interval. */
export function nextPace(paceMs: number, intervalMs: number, gapMs: number): number {
  if (gapMs > LONGEST_PACE_GAP_MS) return paceMs;
  return Math.max(intervalMs, 0.8 * paceMs + 0.2 * gapMs);
}
