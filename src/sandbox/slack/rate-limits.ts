/**
 * Slack's rate limits on the two methods Runway writes with, as the sandbox enforces them when
 * the scenario's `rateLimits` asks (issue 20):
 * - `chat.postMessage`: about one message a second per channel (Slack's "special" limit);
 * - `chat.update`: Web API tier 3, about 50 calls a minute per workspace.
 * A call over a limit is refused as Slack refuses it — HTTP 429, `ratelimited`, a `Retry-After`
 * in seconds — and does not count. Refusals are counted, so a test can show what the limits did.
 */
export interface SlackRateLimits {
  /** Least time between two accepted chat.postMessage calls to one channel. */
  postIntervalMsPerChannel: number;
  /** Most chat.update calls accepted in any rolling minute. */
  updatesPerMinute: number;
}

/** Slack's published figures. */
export const SLACK_RATE_LIMITS: SlackRateLimits = { postIntervalMsPerChannel: 1000, updatesPerMinute: 50 };

const MINUTE_MS = 60_000;

/** Refusals of one method: how many, and the most any refused call came early by (how much sooner than the limit allowed it arrived). */
export interface SlackRefusals {
  count: number;
  mostEarlyMs: number;
}

export interface SlackLimitCounts {
  accepted: number;
  refused: number;
  /** By method, so a bench can tell which limit its callers ran into and by how much. */
  refusedBy: Record<string, SlackRefusals>;
}

export class SlackRateLimiter {
  private readonly lastPostByChannel = new Map<string, number>();
  private updates: number[] = [];
  private acceptedCount = 0;
  private refusedCount = 0;
  private readonly refusedBy: Record<string, SlackRefusals> = {};

  /**
   * Whether `method` on `channel` at `nowMs` is within `limits`: undefined if so (and it counts),
   * else the seconds Slack would ask the caller to wait. Other methods are not limited here.
   */
  admit(limits: SlackRateLimits, method: string, channel: string | undefined, nowMs: number): number | undefined {
    let waitMs: number | undefined;
    if (method === 'chat.postMessage' && channel !== undefined) {
      const last = this.lastPostByChannel.get(channel);
      if (last !== undefined && nowMs - last < limits.postIntervalMsPerChannel) waitMs = last + limits.postIntervalMsPerChannel - nowMs;
      else this.lastPostByChannel.set(channel, nowMs);
    } else if (method === 'chat.update') {
      this.updates = this.updates.filter((t) => t > nowMs - MINUTE_MS);
      if (this.updates.length >= limits.updatesPerMinute) waitMs = this.updates[this.updates.length - limits.updatesPerMinute]! + MINUTE_MS - nowMs;
      else this.updates.push(nowMs);
    } else {
      return undefined;
    }
    if (waitMs !== undefined) {
      this.refusedCount++;
      const byMethod = (this.refusedBy[method] ??= { count: 0, mostEarlyMs: 0 });
      byMethod.count++;
      byMethod.mostEarlyMs = Math.max(byMethod.mostEarlyMs, waitMs);
      return Math.max(1, Math.ceil(waitMs / 1000));
    }
    this.acceptedCount++;
    return undefined;
  }

  /** Limited calls accepted and refused since the sandbox started. */
  counts(): SlackLimitCounts {
    return { accepted: this.acceptedCount, refused: this.refusedCount, refusedBy: structuredClone(this.refusedBy) };
  }
}
