/**
 * The production gate's verdict: is a release held now, by what, until when, and when to look
 * again. Pure: configured windows come from the plan (src/domain/freeze.ts), ad hoc freezes from
 * the freeze workflow, `nowMs` is workflow time.
 *
 * Rules (README "Freeze windows"):
 * - The gate is checked once, right before the first production change (migration, canary).
 * - A release past the gate is never held: a window opening while it bakes does not interrupt it.
 * - Past the configured schedule's horizon (resolved for 90 days when the release started) only
 *   ad hoc freezes are known; the gate says so in its text.
 */
import { activeFreeze, type FreezeSchedule, nextFreezeChange } from './freeze';
import type { AdHocFreeze } from './freeze-api';

export interface GateVerdict {
  frozen: boolean;
  reasons: string[];
  /** When the configured freeze ends; absent for an ad hoc freeze (it ends when someone ends it). */
  untilMs?: number;
  /** Held by an ad hoc freeze (the freeze workflow signals its end). */
  adHoc: boolean;
  /** When the configured schedule next changes (look again then), if within its horizon. */
  nextChangeMs?: number;
  /** "frozen until 2026-12-24T09:00Z: year-end freeze" */
  text: string;
}

/** An instant as the gate writes it: minutes, UTC (`2026-12-24T09:00Z`), seconds only when not zero. */
export function gateTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.endsWith(':00.000Z') ? `${iso.slice(0, 16)}Z` : `${iso.slice(0, 19)}Z`;
}

export function gateVerdict(schedule: FreezeSchedule | undefined, adHoc: readonly AdHocFreeze[], nowMs: number): GateVerdict {
  const withinHorizon = schedule !== undefined && nowMs >= schedule.resolvedFromMs && nowMs < schedule.resolvedUntilMs;
  const configured = withinHorizon ? activeFreeze(schedule, nowMs) : undefined;
  const change = withinHorizon ? nextFreezeChange(schedule, nowMs) : undefined;
  const reasons = [...(configured?.reasons ?? []), ...adHoc.map((f) => `${f.reason} (ad hoc, ${f.by}${f.service ? `, ${f.service}` : ', every service'})`)];
  const frozen = configured !== undefined || adHoc.length > 0;
  // The release waits for the later of the two: an ad hoc freeze has no known end.
  const untilMs = adHoc.length === 0 && configured ? configured.endMs : undefined;
  const text = !frozen
    ? 'no freeze in force'
    : untilMs !== undefined
      ? `frozen until ${gateTime(untilMs)}${configured?.endsAfterHorizon ? ' or later' : ''}: ${reasons.join('; ')}`
      : `frozen until the freeze is ended (runway freeze end)${configured ? ` and the window ends at ${gateTime(configured.endMs)}` : ''}: ${reasons.join('; ')}`;
  return { frozen, reasons, ...(untilMs !== undefined ? { untilMs } : {}), adHoc: adHoc.length > 0, ...(change ? { nextChangeMs: change.atMs } : {}), text };
}
