/**
 * A service's freezes resolved for a release: the top-level and the service's own windows as
 * plain intervals over a horizon (src/domain/freeze.ts), recurring rules expanded in their time
 * zones (src/config/freeze-rules.ts).
 */
import type { FreezeInterval, FreezePlan, FreezeScope } from '../domain/freeze';
import { DEFAULT_BREAK_GLASS_REQUIRED, type FreezeConfig } from './freeze-schema';
import { occurrencesOf } from './freeze-rules';
import { serviceConfig } from './plan';
import type { RunwayConfig } from './schema';

/** How far ahead `freezePlanOf` resolves recurring windows unless told otherwise. */
export const DEFAULT_FREEZE_HORIZON_MS = 90 * 24 * 3600_000;
/** Occurrences of one window resolved at most; a rule that recurs more often within the horizon shortens it. */
export const MAX_OCCURRENCES_PER_WINDOW = 5000;

export interface FreezeHorizon {
  /** The moment the plan is resolved at; occurrences in force then are included. */
  nowMs: number;
  /** How far after `nowMs` recurring windows are resolved (default 90 days). */
  horizonMs?: number;
}

/**
 * The freezes of `service` (the top level's and its own) as plain intervals from `nowMs` over the
 * horizon, with its break-glass policy (the service's own, else the top level's, else 2). Pure
 * given `nowMs`; the intervals are sorted by start. An unknown service throws UnknownServiceError.
 */
export function freezePlanOf(config: RunwayConfig, service: string, { nowMs, horizonMs = DEFAULT_FREEZE_HORIZON_MS }: FreezeHorizon): FreezePlan {
  const own = serviceConfig(config, service).freeze;
  let untilMs = nowMs + horizonMs;
  const intervals: FreezeInterval[] = [];
  const add = (freeze: FreezeConfig | undefined, scope: FreezeScope) => {
    for (const window of freeze?.windows ?? []) {
      const label = { reason: window.reason, ...(window.name !== undefined ? { name: window.name } : {}), scope };
      if (window.kind === 'range') {
        if (window.toMs > nowMs && window.fromMs < nowMs + horizonMs) intervals.push({ startMs: window.fromMs, endMs: window.toMs, ...label });
        continue;
      }
      const found = occurrencesOf({ kind: window.kind, rule: window.rule, durationMs: window.durationMs, timeZone: window.timeZone }, nowMs, nowMs + horizonMs, MAX_OCCURRENCES_PER_WINDOW);
      untilMs = Math.min(untilMs, found.completeUntilMs);
      for (const o of found.intervals) intervals.push({ ...o, ...label });
    }
  };
  add(config.freeze, 'global');
  add(own, 'service');
  return {
    intervals: intervals.filter((i) => i.startMs < untilMs).sort((a, b) => a.startMs - b.startMs || a.endMs - b.endMs),
    resolvedFromMs: nowMs,
    resolvedUntilMs: untilMs,
    breakGlassRequired: own?.breakGlass?.required ?? config.freeze?.breakGlass?.required ?? DEFAULT_BREAK_GLASS_REQUIRED,
  };
}
