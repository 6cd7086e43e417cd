/**
 * `freeze:` of the config, at the top level (every service) and per service
 * (`services.<name>.freeze`): windows in which releases may not enter production, and how many
 * approvals a break-glass start needs. Each window is exactly one of
 * - `rrule`: an RFC 5545 recurrence (`FREQ=WEEKLY;BYDAY=FR;BYHOUR=16`, optionally after a
 *   `DTSTART:` line) with a `duration` and the `timeZone` it is read in;
 * - `cron`: a five-field cron expression with a `duration` and a `timeZone`;
 * - `from` / `to`: a fixed range, ISO 8601 date-times with an offset (or without one, read in
 *   `timeZone`).
 * Every window has a `reason`. How rules meet DST: src/config/freeze-rules.ts. What a resolved
 * freeze is and how windows merge: src/domain/freeze.ts. `freezePlanOf` (freeze-plan.ts) resolves
 * a service's windows into that plain form; nothing in a release uses it yet (the production gate, `runway
 * freeze` and break-glass are to come).
 */
import { z } from 'zod';
import { durationSchema } from './duration';
import { cronProblem, isTimeZone, parseRRule, wallClockToInstant } from './freeze-rules';

/** Approvals a break-glass start needs when the config does not say. */
export const DEFAULT_BREAK_GLASS_REQUIRED = 2;

const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:\d{2})?$/i;

/** `text` as an instant: with its own offset, or read in `timeZone`; a reason when it is neither. */
function parseDateTime(text: string, timeZone: string | undefined): number | string {
  const m = ISO_DATE_TIME.exec(text.trim());
  if (!m) return `"${text}" is not an ISO 8601 date-time (example: 2026-12-20T00:00:00+01:00)`;
  const [, y, mo, d, h, mi, s = '0', frac = '0', offset] = m;
  const wall = Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, +s, +frac.padEnd(3, '0'));
  const back = new Date(wall);
  if (back.getUTCFullYear() !== +y! || back.getUTCMonth() !== +mo! - 1 || back.getUTCDate() !== +d! || +h! > 23 || +mi! > 59 || +s > 59) {
    return `"${text}" is not a date and time`;
  }
  if (offset) {
    if (offset.toUpperCase() === 'Z') return wall;
    const sign = offset.startsWith('-') ? -1 : 1;
    return wall - sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6))) * 60_000;
  }
  if (timeZone && isTimeZone(timeZone)) return wallClockToInstant(wall, timeZone);
  return `"${text}" needs an offset (such as +01:00 or Z), or the window a timeZone to read it in`;
}

/** YAML may hand a timestamp over as a Date; it is an instant already. */
const dateTime = z.union([z.string().min(1, 'must not be empty'), z.date().transform((d) => d.toISOString())]);

const windowFields = z.strictObject({
  /** A label for messages and the status. */
  name: z.string().min(1, 'must not be empty').optional(),
  rrule: z.string().optional(),
  cron: z.string().optional(),
  /** How long each occurrence of a recurring rule lasts (elapsed time). */
  duration: durationSchema.refine((ms) => ms > 0, 'must be more than 0').optional(),
  /** IANA zone recurring rules (and fixed times without an offset) are read in. */
  timeZone: z.string().optional(),
  from: dateTime.optional(),
  to: dateTime.optional(),
  reason: z.string().trim().min(1, 'a freeze window needs a reason'),
});

type WindowFields = z.output<typeof windowFields>;

/** A window as configured, one of three kinds. */
export type FreezeWindowConfig =
  | { kind: 'rrule' | 'cron'; name?: string; rule: string; durationMs: number; timeZone: string; reason: string }
  | { kind: 'range'; name?: string; fromMs: number; toMs: number; reason: string };

const KINDS = 'rrule, cron or from/to';

function checkWindow(w: WindowFields, ctx: z.RefinementCtx): void {
  const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: path ? [path] : [], message });
  const kinds = [w.rrule !== undefined && 'rrule', w.cron !== undefined && 'cron', (w.from !== undefined || w.to !== undefined) && 'from/to'].filter(Boolean);
  if (kinds.length === 0) return issue('', `a freeze window needs one of ${KINDS}`);
  if (kinds.length > 1) return issue('', `a freeze window is one of ${KINDS}, not ${kinds.join(' and ')}`);
  if (w.timeZone !== undefined && !isTimeZone(w.timeZone)) issue('timeZone', `unknown time zone "${w.timeZone}"`);
  if (w.from !== undefined || w.to !== undefined) {
    if (w.duration !== undefined) issue('duration', 'a fixed range (from/to) has no duration: its end is `to`');
    if (w.from === undefined) issue('from', 'a fixed range needs both from and to');
    if (w.to === undefined) issue('to', 'a fixed range needs both from and to');
    if (w.from === undefined || w.to === undefined) return;
    const from = parseDateTime(w.from, w.timeZone);
    const to = parseDateTime(w.to, w.timeZone);
    if (typeof from === 'string') issue('from', from);
    if (typeof to === 'string') issue('to', to);
    if (typeof from === 'number' && typeof to === 'number' && to <= from) issue('to', `must be after from (${w.from})`);
    return;
  }
  const kind = w.rrule !== undefined ? 'rrule' : 'cron';
  if (w.duration === undefined) issue('duration', `a ${kind} window needs a duration (how long each occurrence lasts, e.g. 14h)`);
  if (w.timeZone === undefined) issue('timeZone', `a ${kind} window needs a timeZone (an IANA zone such as Europe/Berlin or UTC)`);
  if (kind === 'rrule') {
    const parsed = parseRRule(w.rrule!, w.timeZone);
    if (!parsed.ok) issue('rrule', `not an RFC 5545 rule: ${parsed.problem}`);
  } else {
    const problem = cronProblem(w.cron!);
    if (problem) issue('cron', `not a cron expression: ${problem}`);
  }
}

const windowSchema = windowFields.superRefine(checkWindow).transform((w): FreezeWindowConfig => {
  const label = w.name !== undefined ? { name: w.name } : {};
  if (w.rrule !== undefined || w.cron !== undefined) {
    const kind = w.rrule !== undefined ? 'rrule' : 'cron';
    return { kind, ...label, rule: (w.rrule ?? w.cron)!.trim(), durationMs: w.duration!, timeZone: w.timeZone!, reason: w.reason };
  }
  return { kind: 'range', ...label, fromMs: parseDateTime(w.from!, w.timeZone) as number, toMs: parseDateTime(w.to!, w.timeZone) as number, reason: w.reason };
});

export const freezeSchema = z.strictObject({
  windows: z.array(windowSchema).default([]),
  breakGlass: z
    .strictObject({
      /** Distinct approvals a break-glass start needs (for a service: instead of the top level's). */
      required: z.number().int().min(1).max(10).default(DEFAULT_BREAK_GLASS_REQUIRED),
    })
    .optional(),
});

export type FreezeConfig = z.output<typeof freezeSchema>;
