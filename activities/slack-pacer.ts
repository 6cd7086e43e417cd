/**
 * One worker's Slack calls, paced to Slack's own limits (issue 20): with hundreds of releases
 * announcing in one channel, calling Slack as each release asks gets most calls refused (429), and
 * a release's few retries run out before its turn — a final state lost. Here every write waits its
 * turn instead:
 * - `chat.postMessage` (release messages and thread replies): per channel, at most one a second
 *   (Slack's limit for posting);
 * - `chat.update`: for the whole workspace, spaced to Slack's tier 3 (about 50 a minute), a
 *   release's final state before any other update.
 * Calls are spaced from when they are made, not from Slack's answer. A worker with a Temporal
 * client (every deployed one) asks the installation's Slack budget (workflows/slack-budget.ts) for
 * each call's send time, so the workers together keep to Slack's limits; the next call of a line
 * asks while the one before waits for its time (`SHARED_IN_FLIGHT`). A 429 all the same (another
 * app, a lower limit) holds that line for the `Retry-After` Slack named — here and, told, in the
 * shared budget — and the call goes again first when it is over: a rate limit is a wait, never a
 * failure. Other errors go to the caller unchanged. A caller's abort takes its call off the line.
 * A budget's answer that arrives after the time it names is asked again, and one that does not
 * come within the ask's deadline leaves the line to this worker's own pace for a while; the worker's
 * /metrics count both (`runway_slack_budget_answer_ms`, activities/slack.ts).
 */
import { WebAPIRateLimitedError } from '@slack/web-api';
import { SEND_TIME_MARGIN_MS, slackLineOf } from '../src/domain/slack-budget';
import { nextPace, slackTurn, type SlackTurnAnswer, type SlackTurnAsk } from '../src/domain/slack-turns';

export interface SlackPace {
  /** Least time between two posts to one channel. */
  postIntervalMsPerChannel: number;
  /** Most `chat.update` calls in a minute, across the workspace. */
  updatesPerMinute: number;
}

/** Slack's published limits: https://api.slack.com/docs/rate-limits (posting: one a second per channel; chat.update: tier 3). */
export const SLACK_PACE: SlackPace = { postIntervalMsPerChannel: 1000, updatesPerMinute: 50 };

export type SlackWriteKind = Parameters<typeof slackLineOf>[0];

/** The installation's Slack budget, shared by every worker (activities/slack-send-times.ts). */
export interface SharedSlackBudget {
  /** When (epoch ms) one call on `line` may be made. */
  sendTime(line: string, intervalMs: number, signal?: AbortSignal): Promise<number>;
  /** Slack refused a call on `line` until `untilMs`. */
  rateLimited(line: string, untilMs: number): Promise<void>;
}

export interface PacedSlackCall<T> {
  kind: SlackWriteKind;
  /** The channel posted to (its id where known); updates share one line whatever their channel. */
  channel: string;
  /** A release's final state: sent before any other update waiting. */
  final?: boolean;
  send: () => Promise<T>;
  signal?: AbortSignal;
  /** With several workers: the budget they share, asked for a send time before the call. */
  shared?: SharedSlackBudget;
  /** Told how the shared budget answered each of this call's asks, and how long the answer took (the worker's /metrics count them). */
  onSharedAnswer?: (answer: SharedBudgetAnswer, tookMs: number) => void;
}

/**
 * How the shared budget answered an ask: `in-time`, before the send time it named (with the
 * margin); `late`, after it, so the time is spent and the call asks again (going late only after
 * SHARED_ASKS such answers, where it may meet the next worker's call at Slack); `missed`, not within
 * the ask's deadline (or refused), so the call kept this worker's own pace;
 * `overslept`, in time, but the call woke past its turn (its timer fired late on a busy worker, or
 * this worker's call before it went late and was owed its spacing), so it asked for another.
 */
export type SharedBudgetAnswer = 'in-time' | 'late' | 'missed' | 'overslept';

interface Waiting {
  final: boolean;
  shared?: SharedSlackBudget;
  go: () => Promise<void>;
  /** Set once taken off the line for its call: an abort then changes nothing (the call is made, or its send time is spent). */
  sent: boolean;
  leave: () => void;
}

interface Line {
  intervalMs: number;
  waiting: Waiting[];
  /** Calls taken off the line and not yet answered. */
  inFlight: number;
  /** Taken calls asking the shared budget for their send time: the next waits for their answers, so send times are handed out in the line's order. */
  asking: number;
  /** This worker's own pace: no call before this (the previous call's send time plus the spacing). */
  nextAtMs: number;
  /** No call before this: Slack's Retry-After. */
  heldUntilMs: number;
  /** When this worker last made a call on the line. */
  lastSentAtMs: number;
  /** Until then the line keeps this worker's own pace without asking the shared budget: it missed an answer. */
  soloUntilMs: number;
  /** The end of the turns handed out to calls told to come back (src/domain/slack-turns.ts). */
  promisedUntilMs: number;
  /** How long a call takes this line as it goes: its interval, or longer when other workers share it. */
  paceMs: number;
  timer?: NodeJS.Timeout;
}

/**
 * How many calls of one line may be between their turn and Slack's answer when the shared budget
 * hands out send times. The next call asks for its time while the one before waits for its own and
 * is made, so the ask and Slack's answer no longer add to every interval: one at a time, they held
 * `chat.update` to about 36 calls a minute against Slack's 50 (2,000-release bench, 2026-12-05: the
 * budget's 500 ms lead, then the call, then the full spacing). Two, not more, so a final that
 * arrives later waits behind at most one update already given its time.
 */
const SHARED_IN_FLIGHT = 2;

/**
 * Added to the spacing of posts to one channel, beyond the margin every line has: Slack holds
 * posts to one a second as they arrive, and two calls made a second apart arrive closer when the
 * first is slower on its way (a worker's busy event loop, the network). With four workers and 500
 * releases, 4 of 1,271 calls kept to their turns and still arrived up to 115 ms early; with 100 ms
 * for it, at 1,000 releases, 2 of 2,583 still arrived up to 74 ms early (2026-12-06): a call's way
 * out of a busy worker varies by about 175 ms there. A quarter second covers that with room; posts
 * go out at one per 1.3 s, below the pace updates set for releases (about 0.5 a second).
 * Updates need none: Slack counts them over a rolling minute, where the margin adds up to seconds.
 */
export const POST_ARRIVAL_ALLOWANCE_MS = 250;

/**
 * How many times one call asks the shared budget while its answers come too late to keep: with the
 * budget's workflow tasks queued behind thousands of releases' (four workers, 2,000 releases), an
 * answer can take seconds, and each ask costs the server an Update.
 */
const SHARED_ASKS = 3;

/**
 * How long a line keeps its own pace after the shared budget missed an answer (the ask's deadline
 * is in activities/slack-send-times.ts): long against that deadline, so a budget that cannot be
 * reached costs a line one deadline's wait every few minutes, not every call; short enough that
 * the workers are back within Slack's limits together soon after it answers again.
 */
const SOLO_AFTER_MISS_MS = 2 * 60_000;

export interface SlackPacerStats {
  /** Calls Slack refused with 429 and that went again after its Retry-After. */
  rateLimited: number;
  /** Calls waiting now, by line. */
  waiting: Record<string, number>;
  /** Asks of the shared budget since the pacer began, by how their answer came; `overslept`: turns given up because the call woke past them. */
  sharedAnswers: Record<SharedBudgetAnswer, number>;
}

export function createSlackPacer({ pace = SLACK_PACE, now = Date.now }: { pace?: SlackPace; now?: () => number } = {}) {
  const lines = new Map<string, Line>();
  /**
   * A channel's id to the name releases post to (`#deploys`), once a post has told: replies go to
   * the id, and one channel is one line. Keyed by id, so posts already waiting under the name stay
   * in their line.
   */
  const channelNames = new Map<string, string>();
  let rateLimited = 0;
  const sharedAnswers: Record<SharedBudgetAnswer, number> = { 'in-time': 0, late: 0, missed: 0, overslept: 0 };

  const lineFor = (kind: SlackWriteKind, channel: string): [string, Line] => {
    const key = slackLineOf(kind, channelNames.get(channel) ?? channel);
    let line = lines.get(key);
    if (!line) {
      const intervalMs = kind === 'update' ? Math.ceil(60_000 / pace.updatesPerMinute) : pace.postIntervalMsPerChannel + POST_ARRIVAL_ALLOWANCE_MS;
      line = { intervalMs, waiting: [], inFlight: 0, asking: 0, nextAtMs: 0, heldUntilMs: 0, lastSentAtMs: -Infinity, soloUntilMs: 0, promisedUntilMs: 0, paceMs: intervalMs };
      lines.set(key, line);
    }
    return [key, line];
  };

  /**
   * A send time from the shared budget that this call can keep. An answer that arrives after the
   * time it names is spent: the budget has handed out the next time meanwhile, and going now would
   * meet that call at Slack (a 429, the next one's turn spoiled too), so the line asks again, up to
   * SHARED_ASKS times, then goes late. A budget that does not answer within the ask's deadline
   * leaves the line to this worker's own pace for SOLO_AFTER_MISS_MS: asking on would hold Slack to
   * one call per deadline while the budget cannot be reached.
   */
  const sharedSendTime = async (key: string, line: Line, shared: SharedSlackBudget, signal: AbortSignal | undefined, report?: PacedSlackCall<unknown>['onSharedAnswer']): Promise<{ atMs: number; kept: boolean }> => {
    line.asking++;
    try {
      for (let ask = 1; ; ask++) {
        const askedAtMs = now();
        let atMs: number;
        let answer: SharedBudgetAnswer;
        try {
          atMs = await shared.sendTime(key, line.intervalMs, signal);
          answer = now() > atMs + SEND_TIME_MARGIN_MS ? 'late' : 'in-time';
        } catch {
          atMs = Math.max(now(), line.nextAtMs);
          answer = 'missed';
          if (!signal?.aborted) line.soloUntilMs = now() + SOLO_AFTER_MISS_MS;
        }
        sharedAnswers[answer]++;
        report?.(answer, now() - askedAtMs);
        if (answer !== 'late' || ask >= SHARED_ASKS || signal?.aborted) return { atMs, kept: answer === 'in-time' };
      }
    } finally {
      line.asking--;
    }
  };

  /**
   * Waits for a turn from the shared budget, then for it to come. A call that wakes past its turn
   * would meet the next worker's call at Slack just the same, so it asks for another turn
   * (`overslept`, reported with how far past it woke), up to SHARED_ASKS turns.
   */
  const takeSharedTurn = async (key: string, line: Line, shared: SharedSlackBudget, signal: AbortSignal | undefined, report?: PacedSlackCall<unknown>['onSharedAnswer']): Promise<void> => {
    for (let turn = 1; ; turn++) {
      const { atMs, kept } = await sharedSendTime(key, line, shared, signal, report);
      line.nextAtMs = Math.max(line.nextAtMs, atMs + line.intervalMs + SEND_TIME_MARGIN_MS);
      pump(key, line);
      await sleepUntil(atMs, now, signal);
      // The call before this one, if it went late (its timer fired late on a busy worker), still gets its spacing.
      await sleepUntil(line.lastSentAtMs + line.intervalMs + SEND_TIME_MARGIN_MS, now, signal);
      const pastTurnMs = now() - atMs;
      if (!kept || pastTurnMs <= SEND_TIME_MARGIN_MS || turn >= SHARED_ASKS) return;
      sharedAnswers.overslept++;
      report?.('overslept', pastTurnMs);
    }
  };

  /** Whether this call keeps to the shared budget: it has one, and the line has not gone solo after a missed answer. */
  const asksShared = (line: Line, shared: SharedSlackBudget | undefined): shared is SharedSlackBudget => shared !== undefined && now() >= line.soloUntilMs;

  const pump = (key: string, line: Line): void => {
    if (line.asking > 0 || line.timer) return;
    if (line.waiting.length === 0) {
      // An idle line is forgotten once its spacing has passed: channels come and go.
      if (line.inFlight === 0 && Math.max(line.nextAtMs, line.heldUntilMs, line.promisedUntilMs) <= now()) lines.delete(key);
      return;
    }
    const index = Math.max(0, line.waiting.findIndex((w) => w.final));
    const next = line.waiting[index]!;
    // With the shared budget, its send times space the calls; alone, this worker's pace does.
    const pipelined = asksShared(line, next.shared);
    if (line.inFlight >= (pipelined ? SHARED_IN_FLIGHT : 1)) return;
    const delayMs = (pipelined ? line.heldUntilMs : Math.max(line.heldUntilMs, line.nextAtMs)) - now();
    if (delayMs > 0) {
      line.timer = setTimeout(() => {
        line.timer = undefined;
        pump(key, line);
      }, delayMs);
      return;
    }
    line.waiting.splice(index, 1);
    line.inFlight++;
    next.sent = true;
    void next.go().finally(() => {
      line.inFlight--;
      pump(key, line);
    });
  };

  return {
    /** Makes the call when its turn comes; resolves or rejects with Slack's answer (never with a rate limit). */
    run<T>({ kind, channel, final = false, send, signal, shared, onSharedAnswer }: PacedSlackCall<T>): Promise<T> {
      const [key, line] = lineFor(kind, channel);
      return new Promise<T>((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        const onAbort = () => {
          if (waiting.sent) return;
          const at = line.waiting.indexOf(waiting);
          if (at >= 0) line.waiting.splice(at, 1);
          reject(signal!.reason);
        };
        const waiting: Waiting = {
          final,
          ...(shared ? { shared } : {}),
          sent: false,
          leave: () => signal?.removeEventListener('abort', onAbort),
          go: async () => {
            try {
              if (asksShared(line, shared)) {
                await takeSharedTurn(key, line, shared, signal, onSharedAnswer);
              } else {
                // Spaced from when a call is made, not from its answer, with the budget's margin: Slack
                // counts calls as they arrive, and one that travels faster than the call before it arrives early.
                line.nextAtMs = now() + line.intervalMs + SEND_TIME_MARGIN_MS;
              }
              // A gap between two calls while others wait is how fast the line goes.
              if (line.waiting.length > 0 && Number.isFinite(line.lastSentAtMs)) line.paceMs = nextPace(line.paceMs, line.intervalMs, now() - line.lastSentAtMs);
              line.lastSentAtMs = now();
              const answer = await send();
              waiting.leave();
              resolve(answer);
            } catch (err) {
              if (err instanceof WebAPIRateLimitedError) {
                // Slack's word on when to come back; the call goes first then, unless its caller gave up meanwhile.
                rateLimited++;
                line.heldUntilMs = Math.max(line.heldUntilMs, now() + Math.max(1, err.retryAfter) * 1000);
                void shared?.rateLimited(key, line.heldUntilMs).catch(() => undefined);
                waiting.sent = false;
                if (signal?.aborted) {
                  waiting.leave();
                  reject(signal.reason);
                } else line.waiting.unshift(waiting);
                return;
              }
              waiting.leave();
              reject(signal?.aborted ? signal.reason : err);
            }
          },
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        line.waiting.push(waiting);
        pump(key, line);
      });
    },

    /**
     * Whether a call should go into its line now, or come back for a turn booked for it (a wait
     * longer than `ask.beyondMs` costs the server less on a durable timer than in a heartbeating
     * activity). A call told to come back is booked: turns handed out later come after its own.
     */
    turn(kind: SlackWriteKind, channel: string, ask: Omit<SlackTurnAsk, 'nowMs'>): SlackTurnAnswer {
      const [, line] = lineFor(kind, channel);
      const final = ask.final === true;
      const ahead = (final ? line.waiting.filter((w) => w.final).length : line.waiting.length) + line.inFlight;
      const queuedUntilMs = Math.max(now(), line.heldUntilMs, line.nextAtMs) + ahead * line.paceMs;
      const answer = slackTurn({ queuedUntilMs, promisedUntilMs: line.promisedUntilMs, paceMs: line.paceMs }, { ...ask, nowMs: now() });
      if (!answer.go) line.promisedUntilMs = answer.promisedUntilMs;
      return answer;
    },

    /** Slack answered a post to `name` from channel `id`: posts to either name are one line from now on. */
    learnChannel(name: string, id: string): void {
      if (name !== id && !channelNames.has(id)) channelNames.set(id, name);
    },

    stats(): SlackPacerStats {
      return {
        rateLimited,
        waiting: Object.fromEntries([...lines].filter(([, l]) => l.waiting.length > 0).map(([k, l]) => [k, l.waiting.length])),
        sharedAnswers: { ...sharedAnswers },
      };
    },
  };
}

export type SlackPacer = ReturnType<typeof createSlackPacer>;

/** Resolves at `atMs`, or rejects with the signal's own reason once it aborts (a cancellation stays one). On the global timers, which tests can fake. */
function sleepUntil(atMs: number, now: () => number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  const delayMs = atMs - now();
  if (delayMs <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(done, delayMs);
    function done() {
      signal?.removeEventListener('abort', aborted);
      resolve();
    }
    function aborted() {
      clearTimeout(timer);
      reject(signal!.reason);
    }
    signal?.addEventListener('abort', aborted, { once: true });
  });
}
