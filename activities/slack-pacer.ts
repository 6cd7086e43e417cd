/**
 * One worker's Slack calls, paced to Slack's own limits (issue 20): with hundreds of releases
 * announcing in one channel, calling Slack as each release asks gets most calls refused (429), and
 * a release's few retries run out before its turn — a final state lost. Here every write waits its
 * turn instead:
 * - `chat.postMessage` (release messages and thread replies): one at a time per channel, at most
 *   one a second per channel (Slack's limit for posting);
 * - `chat.update`: one at a time for the whole workspace, spaced to Slack's tier 3 (about 50 a
 *   minute), a release's final state before any other update.
 * With several workers a call also asks the installation's Slack budget (workflows/slack-budget.ts)
 * for its send time, so the workers together keep to Slack's limits. A 429 all the same (another
 * app, a lower limit) holds that line for the `Retry-After` Slack named — here and, told, in the
 * shared budget — and the call goes again first when it is over: a rate limit is a wait, never a
 * failure. Other errors go to the caller unchanged. A caller's abort takes its call off the line.
 */
import { WebAPIRateLimitedError } from '@slack/web-api';
import { slackLineOf } from '../src/domain/slack-budget';

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
}

interface Waiting {
  final: boolean;
  go: () => Promise<void>;
  /** Set once Slack was called for it: an abort then changes nothing (the call is made). */
  sent: boolean;
  leave: () => void;
}

interface Line {
  intervalMs: number;
  waiting: Waiting[];
  busy: boolean;
  /** Not before this (the previous call's spacing, or Slack's Retry-After). */
  nextAtMs: number;
  timer?: NodeJS.Timeout;
}

export interface SlackPacerStats {
  /** Calls Slack refused with 429 and that went again after its Retry-After. */
  rateLimited: number;
  /** Calls waiting now, by line. */
  waiting: Record<string, number>;
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

  const lineFor = (kind: SlackWriteKind, channel: string): [string, Line] => {
    const key = slackLineOf(kind, channelNames.get(channel) ?? channel);
    let line = lines.get(key);
    if (!line) {
      const intervalMs = kind === 'update' ? Math.ceil(60_000 / pace.updatesPerMinute) : pace.postIntervalMsPerChannel;
      line = { intervalMs, waiting: [], busy: false, nextAtMs: 0 };
      lines.set(key, line);
    }
    return [key, line];
  };

  const pump = (key: string, line: Line): void => {
    if (line.busy || line.timer) return;
    if (line.waiting.length === 0) {
      // An idle line is forgotten once its spacing has passed: channels come and go.
      if (line.nextAtMs <= now()) lines.delete(key);
      return;
    }
    const delayMs = line.nextAtMs - now();
    if (delayMs > 0) {
      line.timer = setTimeout(() => {
        line.timer = undefined;
        pump(key, line);
      }, delayMs);
      return;
    }
    const index = Math.max(0, line.waiting.findIndex((w) => w.final));
    const next = line.waiting.splice(index, 1)[0]!;
    line.busy = true;
    next.sent = true;
    void next.go().finally(() => {
      line.busy = false;
      pump(key, line);
    });
  };

  return {
    /** Makes the call when its turn comes; resolves or rejects with Slack's answer (never with a rate limit). */
    run<T>({ kind, channel, final = false, send, signal, shared }: PacedSlackCall<T>): Promise<T> {
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
          sent: false,
          leave: () => signal?.removeEventListener('abort', onAbort),
          go: async () => {
            try {
              if (shared) {
                // The budget every worker shares says when; not knowing (it cannot be reached), this worker's own pace stands.
                const atMs = await shared.sendTime(key, line.intervalMs, signal).catch(() => now());
                await sleepUntil(atMs, now, signal);
              }
              const answer = await send();
              line.nextAtMs = now() + line.intervalMs;
              waiting.leave();
              resolve(answer);
            } catch (err) {
              if (err instanceof WebAPIRateLimitedError) {
                // Slack's word on when to come back; the call goes first then, unless its caller gave up meanwhile.
                rateLimited++;
                line.nextAtMs = now() + Math.max(1, err.retryAfter) * 1000;
                void shared?.rateLimited(key, line.nextAtMs).catch(() => undefined);
                waiting.sent = false;
                if (signal?.aborted) {
                  waiting.leave();
                  reject(signal.reason);
                } else line.waiting.unshift(waiting);
                return;
              }
              line.nextAtMs = now() + line.intervalMs;
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

    /** Slack answered a post to `name` from channel `id`: posts to either name are one line from now on. */
    learnChannel(name: string, id: string): void {
      if (name !== id && !channelNames.has(id)) channelNames.set(id, name);
    },

    stats(): SlackPacerStats {
      return { rateLimited, waiting: Object.fromEntries([...lines].filter(([, l]) => l.waiting.length > 0).map(([k, l]) => [k, l.waiting.length])) };
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
