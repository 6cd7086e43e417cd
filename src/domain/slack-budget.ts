/**
 * One Slack budget for every worker of an installation (issue 20): Slack's limits are the
 * workspace's (one post a second per channel, about 50 chat.update a minute), so workers each
 * pacing themselves to them go, together, as many times too fast as there are workers. The
 * installation's Slack budget workflow hands out send times instead, line by line (a channel's
 * posts; the workspace's updates), each the line's interval after the one before; a 429 that
 * reaches a worker anyway (another app, a limit lower than Slack publishes) holds the line for
 * everyone until Slack's Retry-After. Pure rules; the workflow applies them.
 */

/**
 * The heartbeat timeout of a messenger's Slack calls unless RUNWAY_SLACK_CALL_HEARTBEAT_TIMEOUT
 * says otherwise: how long a call lost with its worker waits before another worker takes it up.
 * A call waiting its turn behind Slack's limits heartbeats at most every 0.8 × this (the SDK's
 * throttle), each heartbeat a database write for the server: with 2,000 releases in one channel,
 * those waits were about half of the server's calls (README "Running many releases").
 */
export const SLACK_CALL_HEARTBEAT_TIMEOUT_MS = 10_000;

export interface SlackBudgetLine {
  /** The next send time not yet handed out (epoch ms). */
  nextAtMs: number;
}

export interface SlackBudgetState {
  lines: Record<string, SlackBudgetLine>;
  /** Send times handed out since the budget began (across continue-as-new). */
  granted: number;
  /** 429s workers reported. */
  rateLimited: number;
}

export function newSlackBudget(): SlackBudgetState {
  return { lines: {}, granted: 0, rateLimited: 0 };
}

/** The line a Slack write waits in: `chat.update` for the workspace, `chat.postMessage <channel>` per channel. */
export function slackLineOf(kind: 'post' | 'update', channel: string): string {
  return kind === 'update' ? 'chat.update' : `chat.postMessage ${channel}`;
}

/**
 * How far ahead of the budget's idea of the time (workflows/slack-budget.ts) a send time is set, for
 * the answer to reach its asker in time: a time already past when the answer arrives is spent (the
 * asker asks again). An answer comes after the budget's workflow task has run and been completed,
 * seconds under load: with half a second, 18 of 1,285 answers came late at 500 releases on four
 * workers (2026-12-06). The lead adds to each call's wait, not to a line's spacing: the next call
 * asks while this one waits.
 */
export const SEND_TIME_LEAD_MS = 1500;

/**
 * The lead an asker may ask for (`leadMs` in src/domain/slack-budget-api.ts): it knows how long the
 * budget's answers take to reach it (activities/slack-send-times.ts), and the budget takes its word
 * within these bounds. At least half a second, for the answer's way back however quick the last
 * ones were; at most 5 s, so a worker whose answers crawl (a GC pause, an overloaded server)
 * holds no idle line for long — its answer comes late and is asked again instead.
 */
export const ASKED_LEAD_BOUNDS_MS = { min: 500, max: 5000 } as const;

/** `leadMs` within ASKED_LEAD_BOUNDS_MS. */
export function boundedLead(leadMs: number): number {
  return Math.min(ASKED_LEAD_BOUNDS_MS.max, Math.max(ASKED_LEAD_BOUNDS_MS.min, Math.ceil(leadMs)));
}

/** The lead of budget runs from before the `slack-budget-answers-in-time` patch. */
export const SEND_TIME_LEAD_BEFORE_PATCH_MS = 500;

/**
 * Added to a line's interval: the asker's timer fires a few milliseconds late, and a send early by
 * as much against the one before it is over Slack's limit by as much.
 */
export const SEND_TIME_MARGIN_MS = 50;

/**
 * A send time for one call on `line`, asked at `nowMs` (the budget's best idea of the time: see
 * workflows/slack-budget.ts): the line's next free time, and no sooner than the answer can arrive;
 * the line then moves on by `intervalMs`.
 */
export function grantSendTime(state: SlackBudgetState, line: string, intervalMs: number, nowMs: number, leadMs = SEND_TIME_LEAD_MS): { state: SlackBudgetState; atMs: number } {
  const atMs = Math.max(nowMs + leadMs, state.lines[line]?.nextAtMs ?? 0);
  const live = pruned(state, nowMs);
  return { state: { ...live, lines: { ...live.lines, [line]: { nextAtMs: atMs + intervalMs + SEND_TIME_MARGIN_MS } }, granted: state.granted + 1 }, atMs };
}

/** Slack refused a call on `line` until `untilMs`: no send time before it is handed out. */
export function holdLine(state: SlackBudgetState, line: string, untilMs: number): SlackBudgetState {
  const nextAtMs = Math.max(untilMs, state.lines[line]?.nextAtMs ?? 0);
  return { ...state, lines: { ...state.lines, [line]: { nextAtMs } }, rateLimited: state.rateLimited + 1 };
}

/** Lines whose next time has passed hold nothing: dropped, so the state stays as small as the lines in use. */
function pruned(state: SlackBudgetState, nowMs: number): SlackBudgetState {
  const lines = Object.fromEntries(Object.entries(state.lines).filter(([, l]) => l.nextAtMs > nowMs));
  return { ...state, lines };
}
