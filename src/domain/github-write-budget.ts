/**
 * GitHub's pace for content-creating requests, shared by every worker writing with one
 * credential (issue 20): GitHub asks integrators to leave about a second between such requests
 * and enforces secondary limits of 80 a minute and 500 an hour per credential. The GitHub writer
 * workflow (workflows/github-writer.ts) keeps the log of its recent writes and asks here when the
 * next one may go. Pure: times are epoch ms handed in.
 */

export interface GitHubWriteBudget {
  /** Least time between the end of one write and the start of the next. */
  minIntervalMs: number;
  /** Content-creating requests in any rolling minute. */
  perMinute: number;
  /** Content-creating requests in any rolling hour. */
  perHour: number;
}

/** GitHub's published figures (docs: "Best practices for using the REST API", secondary rate limits). */
export const GITHUB_WRITE_BUDGET: GitHubWriteBudget = { minIntervalMs: 1000, perMinute: 80, perHour: 500 };

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
/** The longest window a write counts in. */
export const WRITE_WINDOW_MS = HOUR_MS;

/** One finished write activity: when it ended and how many content-creating requests it made. */
export interface WriteSpent {
  atMs: number;
  requests: number;
}

/** The writes that still count against the hourly limit at `nowMs` (older ones are forgotten). */
export function recentWrites(spent: readonly WriteSpent[], nowMs: number): WriteSpent[] {
  return spent.filter((w) => w.atMs > nowMs - HOUR_MS);
}

/**
 * The earliest time the next write (of up to `requests` content-creating requests) may start:
 * a full interval after the last one ended, and late enough that the rolling minute and hour
 * ending at it have room for it. `spent` is in time order.
 */
export function nextWriteAt(spent: readonly WriteSpent[], nowMs: number, budget: GitHubWriteBudget = GITHUB_WRITE_BUDGET, requests = 1): number {
  let at = nowMs;
  const last = spent.at(-1);
  if (last) at = Math.max(at, last.atMs + budget.minIntervalMs);
  at = Math.max(at, earliestWithRoom(spent, MINUTE_MS, budget.perMinute, requests));
  at = Math.max(at, earliestWithRoom(spent, HOUR_MS, budget.perHour, requests));
  return at;
}

/**
 * The earliest time at which the `windowMs` ending then holds at most `limit - requests` of the
 * spent requests: walking back from the newest write, the one that would overflow the window
 * must have left it.
 */
function earliestWithRoom(spent: readonly WriteSpent[], windowMs: number, limit: number, requests: number): number {
  const allowed = Math.max(0, limit - Math.min(requests, limit));
  let counted = 0;
  for (let i = spent.length - 1; i >= 0; i--) {
    counted += spent[i]!.requests;
    if (counted > allowed) return spent[i]!.atMs + windowMs;
  }
  return 0;
}

/**
 * How many content-creating requests a record write makes, planned before it goes: a create also
 * marks the deployment in progress, and a production success also marks the one it replaced inactive.
 */
export function expectedRequests(request: { kind: 'create' | 'status' | 'restore-previous'; input: { state?: string; environment?: string } }): number {
  if (request.kind === 'create') return 2;
  if (request.kind === 'status' && request.input.state === 'success' && request.input.environment === 'production') return 2;
  return 1;
}

/** No pacing at all: for an emulator that enforces nothing (RUNWAY_GITHUB_WRITE_BUDGET=off). */
export const NO_WRITE_BUDGET: GitHubWriteBudget = { minIntervalMs: 0, perMinute: 1_000_000, perHour: 1_000_000 };

/**
 * RUNWAY_GITHUB_WRITE_BUDGET: `github` (GitHub's figures), `off`, or `<interval>,<n>/min,<n>/h`
 * such as `1s,80/min,500/h` (a GitHub Enterprise Server with other limits, or a test). Returns the
 * budget, or why the text is not one.
 */
export function parseGitHubWriteBudget(text: string, parseDurationMs: (value: string) => number | undefined): GitHubWriteBudget | string {
  const value = text.trim().toLowerCase();
  if (value === '' || value === 'github') return GITHUB_WRITE_BUDGET;
  if (value === 'off') return NO_WRITE_BUDGET;
  const parts = value.split(',').map((p) => p.trim());
  const shape = 'github, off, or "<interval>,<n>/min,<n>/h" such as 1s,80/min,500/h';
  if (parts.length !== 3) return `"${text}" is not a write budget (${shape})`;
  const minIntervalMs = parseDurationMs(parts[0]!);
  if (minIntervalMs === undefined || !Number.isFinite(minIntervalMs) || minIntervalMs < 0) return `"${parts[0]}" is not an interval (examples: 1s, 500ms, 0s)`;
  const perMinute = /^(\d+)\/min$/.exec(parts[1]!)?.[1];
  if (perMinute === undefined || Number(perMinute) < 1) return `"${parts[1]}" is not a per-minute limit (example: 80/min)`;
  const perHour = /^(\d+)\/h$/.exec(parts[2]!)?.[1];
  if (perHour === undefined || Number(perHour) < 1) return `"${parts[2]}" is not a per-hour limit (example: 500/h)`;
  return { minIntervalMs, perMinute: Number(perMinute), perHour: Number(perHour) };
}
