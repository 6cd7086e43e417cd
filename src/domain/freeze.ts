/**
 * Freeze windows as data, and which one is in force at a given moment. Pure and deterministic:
 * no I/O, no Node built-ins, no clock and no time-zone data — every time is epoch milliseconds
 * and `now` is always an argument, so workflow code can call this.
 *
 * The recurring rules (RFC 5545 RRULE, cron) and time zones of the config are resolved by
 * src/config/freeze-schema.ts (`freezePlanOf`) into plain intervals over a horizon
 * [`resolvedFromMs`, `resolvedUntilMs`); this module only knows those intervals. Past the horizon
 * nothing is known: asking about a moment outside it throws `FreezeHorizonError`, and
 * `nextFreezeChange` says `horizon` rather than pretending nothing changes (resolve again then).
 *
 * Intervals are half-open, [startMs, endMs): a freeze from 16:00 to 08:00 holds at 16:00 and not
 * at 08:00. Intervals that overlap, or chain (one ends exactly when the next starts, so there is
 * no open moment between them), are one freeze: it ends at the end of the last of them and gives
 * every reason.
 *
 * The rule for windows and a release's stages (for the production gate, not built yet):
 * - The gate is checked once, before a release's first production change (migration and canary);
 *   building, staging, smoke and approval are never held.
 * - A release that passed the gate is never stopped by a window that opens after it: a window
 *   opening while a canary bakes does not interrupt the bake, the promotion or the post-release
 *   watch; the release finishes as it would have.
 * - Rollbacks of finished releases, and the compensation of a release in flight, are never frozen.
 */

/** Where a window was configured: the top-level `freeze:` or the service's own. */
export type FreezeScope = 'global' | 'service';

/** One occurrence of a window (or a fixed range), resolved to instants. */
export interface FreezeInterval {
  startMs: number;
  /** Exclusive; always after `startMs`. */
  endMs: number;
  reason: string;
  /** The window's label, when the config gave one. */
  name?: string;
  scope: FreezeScope;
}

/** The intervals of a service's freezes, known between `resolvedFromMs` and `resolvedUntilMs`. */
export interface FreezeSchedule {
  intervals: readonly FreezeInterval[];
  resolvedFromMs: number;
  /** Exclusive: from here on occurrences of recurring rules were not resolved. */
  resolvedUntilMs: number;
}

/** A service's freeze schedule and its break-glass policy: plain, serialisable data. */
export interface FreezePlan extends FreezeSchedule {
  /** Approvals a break-glass start needs to pass a freeze (`freeze.breakGlass.required`). */
  breakGlassRequired: number;
}

/** The freeze in force: the intervals that overlap or chain around `now`, merged. */
export interface ActiveFreeze {
  startMs: number;
  /** When the release may go on; with `endsAfterHorizon`, only as far as the schedule is known. */
  endMs: number;
  /** Every merged interval's reason, once each, in the order the intervals start. */
  reasons: string[];
  intervals: FreezeInterval[];
  /** The merged freeze reaches the end of the resolved horizon: it may go on past `endMs`. */
  endsAfterHorizon: boolean;
}

/** The next change of state after `now`. */
export type FreezeChange =
  /** Open until `atMs`, then frozen by `freeze`. */
  | { kind: 'starts'; atMs: number; freeze: ActiveFreeze }
  /** Frozen until `atMs`, then open. */
  | { kind: 'ends'; atMs: number }
  /** Nothing is known to change before the schedule's horizon `atMs`: resolve the schedule again by then. */
  | { kind: 'horizon'; atMs: number };

/** Asked about a moment the schedule was not resolved for. */
export class FreezeHorizonError extends Error {
  constructor(
    readonly nowMs: number,
    readonly schedule: Pick<FreezeSchedule, 'resolvedFromMs' | 'resolvedUntilMs'>,
  ) {
    super(
      `the freeze schedule is resolved from ${new Date(schedule.resolvedFromMs).toISOString()} until ${new Date(schedule.resolvedUntilMs).toISOString()}, ` +
        `not for ${new Date(nowMs).toISOString()}: resolve it again`,
    );
    this.name = 'FreezeHorizonError';
  }
}

/** The freeze in force at `nowMs`, or undefined when releases may pass the gate. */
export function activeFreeze(schedule: FreezeSchedule, nowMs: number): ActiveFreeze | undefined {
  assertWithinHorizon(schedule, nowMs);
  return mergedFreezes(schedule).find((f) => f.startMs <= nowMs && nowMs < f.endMs);
}

/** When the state (frozen or open) next changes after `nowMs`. */
export function nextFreezeChange(schedule: FreezeSchedule, nowMs: number): FreezeChange {
  assertWithinHorizon(schedule, nowMs);
  const freezes = mergedFreezes(schedule);
  const current = freezes.find((f) => f.startMs <= nowMs && nowMs < f.endMs);
  if (current) {
    return current.endsAfterHorizon ? { kind: 'horizon', atMs: schedule.resolvedUntilMs } : { kind: 'ends', atMs: current.endMs };
  }
  const next = freezes.find((f) => f.startMs > nowMs && f.startMs < schedule.resolvedUntilMs);
  return next ? { kind: 'starts', atMs: next.startMs, freeze: next } : { kind: 'horizon', atMs: schedule.resolvedUntilMs };
}

/** The schedule's intervals merged where they overlap or chain, in order. */
export function mergedFreezes(schedule: FreezeSchedule): ActiveFreeze[] {
  const sorted = schedule.intervals.filter((i) => i.endMs > i.startMs).sort((a, b) => a.startMs - b.startMs || a.endMs - b.endMs);
  const merged: ActiveFreeze[] = [];
  for (const interval of sorted) {
    const last = merged[merged.length - 1];
    if (last && interval.startMs <= last.endMs) {
      last.endMs = Math.max(last.endMs, interval.endMs);
      last.intervals.push(interval);
      if (!last.reasons.includes(interval.reason)) last.reasons.push(interval.reason);
    } else {
      merged.push({ startMs: interval.startMs, endMs: interval.endMs, reasons: [interval.reason], intervals: [interval], endsAfterHorizon: false });
    }
  }
  for (const freeze of merged) freeze.endsAfterHorizon = freeze.endMs >= schedule.resolvedUntilMs;
  return merged;
}

function assertWithinHorizon(schedule: FreezeSchedule, nowMs: number): void {
  if (!(nowMs >= schedule.resolvedFromMs && nowMs < schedule.resolvedUntilMs)) throw new FreezeHorizonError(nowMs, schedule);
}
