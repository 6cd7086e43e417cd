/**
 * GitHub's secondary rate limits on content-creating requests (POST, PATCH, PUT, DELETE), as the
 * sandbox enforces them when the scenario's `writeLimits` asks: at least `minIntervalMs` between
 * writes, at most `perMinute` in any rolling minute and `perHour` in any rolling hour. A write
 * over a limit is refused as GitHub does (429, "secondary rate limit", `retry-after`) and does not
 * count; the refusals are counted so a test can show a fleet of workers kept within the limits.
 */
export interface WriteLimits {
  minIntervalMs: number;
  perMinute: number;
  perHour: number;
}

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

export function isContentCreating(method: string): boolean {
  return method === 'POST' || method === 'PATCH' || method === 'PUT' || method === 'DELETE';
}

export class SecondaryLimits {
  /** Arrival times of the writes accepted in the last hour. */
  private accepted: number[] = [];
  private refusedCount = 0;
  private acceptedCount = 0;

  /** Whether a write arriving at `nowMs` is within `limits`: undefined if so (and it is counted), else seconds to wait. */
  admit(limits: WriteLimits, nowMs: number): number | undefined {
    this.accepted = this.accepted.filter((t) => t > nowMs - HOUR_MS);
    const last = this.accepted.at(-1);
    const waits: number[] = [];
    if (last !== undefined && nowMs - last < limits.minIntervalMs) waits.push(last + limits.minIntervalMs - nowMs);
    const inMinute = this.accepted.filter((t) => t > nowMs - MINUTE_MS);
    if (inMinute.length >= limits.perMinute) waits.push(inMinute[inMinute.length - limits.perMinute]! + MINUTE_MS - nowMs);
    if (this.accepted.length >= limits.perHour) waits.push(this.accepted[this.accepted.length - limits.perHour]! + HOUR_MS - nowMs);
    if (waits.length > 0) {
      this.refusedCount++;
      return Math.max(1, Math.ceil(Math.max(...waits) / 1000));
    }
    this.accepted.push(nowMs);
    this.acceptedCount++;
    return undefined;
  }

  /** Writes accepted and refused since the sandbox started (or since the limits were last reset). */
  counts(): { accepted: number; refused: number } {
    return { accepted: this.acceptedCount, refused: this.refusedCount };
  }
}
