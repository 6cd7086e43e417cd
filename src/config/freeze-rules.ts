/**
 * Recurring freeze rules and time zones, through maintained libraries: `rrule` (RFC 5545
 * recurrence), `cron-parser` (cron) and Luxon's IANA zones (on the runtime's Intl data).
 *
 * Both kinds of rule are expanded in *wall-clock* time ("floating": a Date whose UTC fields are
 * the local fields), then each occurrence is placed in the window's zone by `wallClockToInstant`,
 * so rrule and cron follow one DST policy, Runway's own rather than each library's:
 * - a local time that does not exist (the hour skipped when clocks go forward) moves forward by
 *   the gap (02:30 on the last Sunday of March in Europe/Berlin starts at 03:30 CEST);
 * - a local time that happens twice (clocks go back) is its first occurrence (02:30 on the last
 *   Sunday of October in Europe/Berlin starts at 02:30 CEST), so the freeze starts the earlier.
 * A window's duration is elapsed time (as RFC 5545 reads a DURATION in hours): a Friday-16:00
 * window of 64h ends at 07:00 rather than 08:00 on the Monday after clocks went back.
 *
 * rrule's own TZID handling is not used (it depends on the process's time zone); a rule's
 * DTSTART, COUNT and UNTIL are read in the window's zone.
 */
import { CronExpressionParser } from 'cron-parser';
import { IANAZone } from 'luxon';
import { Frequency, RRule, type Options as RRuleOptions } from 'rrule';

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 3600_000;

export function isTimeZone(zone: string): boolean {
  return IANAZone.isValidZone(zone);
}

/** The instant at which the wall clock in `zone` shows the UTC fields of `wallMs` (see the DST policy above). */
export function wallClockToInstant(wallMs: number, zone: string): number {
  const tz = IANAZone.create(zone);
  // Offsets are within ±18h and change at most once a day: the ones a day before and after are the candidates.
  const offsets = [...new Set([tz.offset(wallMs - DAY_MS), tz.offset(wallMs + DAY_MS)])];
  const valid = offsets.map((offset) => wallMs - offset * MINUTE_MS).filter((instant) => tz.offset(instant) * MINUTE_MS === wallMs - instant);
  if (valid.length > 0) return Math.min(...valid);
  // In a gap: read with the offset from before the change, which lands after it, moved on by the gap.
  return wallMs - tz.offset(wallMs - DAY_MS) * MINUTE_MS;
}

/** `instant` as a wall-clock ("floating") time in `zone`. */
function instantToWallClock(instantMs: number, zone: string): number {
  return instantMs + IANAZone.create(zone).offset(instantMs) * MINUTE_MS;
}

// ---- RFC 5545 RRULE --------------------------------------------------------------------------

/**
 * Without DTSTART a rule counts from this wall-clock time: Monday 2001-01-01 00:00 in its zone
 * (so times of day default to 00:00:00, and INTERVAL counts from there).
 */
export const RRULE_DEFAULT_DTSTART = Date.UTC(2001, 0, 1);

const WEEKDAY = '(?:MO|TU|WE|TH|FR|SA|SU)';
const NUMBER_LISTS: Record<string, { min: number; max: number; signed?: boolean }> = {
  BYSECOND: { min: 0, max: 59 },
  BYMINUTE: { min: 0, max: 59 },
  BYHOUR: { min: 0, max: 23 },
  BYMONTH: { min: 1, max: 12 },
  BYMONTHDAY: { min: 1, max: 31, signed: true },
  BYYEARDAY: { min: 1, max: 366, signed: true },
  BYWEEKNO: { min: 1, max: 53, signed: true },
  BYSETPOS: { min: 1, max: 366, signed: true },
};
const FREQUENCIES = ['YEARLY', 'MONTHLY', 'WEEKLY', 'DAILY', 'HOURLY'];

/** A rule checked and ready to expand, or why it is not an RFC 5545 rule Runway takes. */
export type ParsedRRule = { ok: true; rule: RRule } | { ok: false; problem: string };

/**
 * Parses `RRULE` text: the rule (`FREQ=…;…`, optionally prefixed `RRULE:`), optionally after a
 * line `DTSTART:YYYYMMDDTHHMMSS` (local time in `timeZone`; `DTSTART;TZID=<timeZone>:…` is taken
 * when it names the same zone). rrule's own parser lets unknown values through, so every part is
 * checked here first.
 */
export function parseRRule(text: string, timeZone: string | undefined): ParsedRRule {
  const fail = (problem: string): ParsedRRule => ({ ok: false, problem });
  let dtstart = RRULE_DEFAULT_DTSTART;
  let ruleText: string | undefined;
  for (const line of text.trim().split(/\s*\n\s*/)) {
    const start = /^DTSTART(?:;TZID=([^:]+))?:(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(Z?)$/i.exec(line);
    if (/^DTSTART/i.test(line)) {
      if (!start) return fail(`DTSTART must be written DTSTART:YYYYMMDDTHHMMSS (a local time in the window's timeZone), not "${line}"`);
      const [, tzid, y, mo, d, h, mi, s, utc] = start;
      if (utc) return fail('DTSTART must be a local time, read in the window\'s timeZone (no "Z")');
      if (tzid && tzid !== timeZone) return fail(`DTSTART names TZID ${tzid} but the window's timeZone is ${timeZone ?? 'not set'}`);
      dtstart = Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, +s!);
      if (new Date(dtstart).getUTCDate() !== +d! || +h! > 23 || +mi! > 59 || +s! > 59) return fail(`DTSTART ${line.slice(line.indexOf(':') + 1)} is not a date and time`);
      continue;
    }
    if (ruleText !== undefined) return fail('one RRULE per window (and at most a DTSTART line before it)');
    ruleText = line.replace(/^RRULE:/i, '');
  }
  if (!ruleText) return fail('the rule is empty (example: FREQ=WEEKLY;BYDAY=FR;BYHOUR=16)');
  const seen = new Set<string>();
  for (const part of ruleText.split(';')) {
    const [key, value, extra] = part.split('=').map((s) => s.trim().toUpperCase());
    if (!key || value === undefined || value === '' || extra !== undefined) return fail(`"${part}" is not KEY=VALUE`);
    if (seen.has(key)) return fail(`${key} is given twice`);
    seen.add(key);
    const problem = checkRulePart(key, value);
    if (problem) return fail(problem);
  }
  if (!seen.has('FREQ')) return fail('FREQ is required (YEARLY, MONTHLY, WEEKLY, DAILY or HOURLY)');
  if (seen.has('COUNT') && seen.has('UNTIL')) return fail('COUNT and UNTIL cannot both be given');
  try {
    const options: Partial<RRuleOptions> = RRule.parseString(ruleText.toUpperCase());
    // Floating: UNTIL is read in the window's zone like every other time of the rule.
    const rule = new RRule({ ...options, dtstart: new Date(dtstart), tzid: null });
    rule.after(new Date(dtstart), true);
    return { ok: true, rule };
  } catch (err) {
    return fail((err as Error).message);
  }
}

function checkRulePart(key: string, value: string): string | undefined {
  const list = value.split(',');
  switch (key) {
    case 'FREQ':
      if (value === 'MINUTELY' || value === 'SECONDLY') return `FREQ=${value}: a freeze window recurs at most hourly`;
      return FREQUENCIES.includes(value) ? undefined : `FREQ=${value} is not one of ${FREQUENCIES.join(', ')}`;
    case 'INTERVAL':
    case 'COUNT':
      return /^[1-9]\d{0,4}$/.test(value) ? undefined : `${key}=${value} must be a whole number from 1`;
    case 'UNTIL':
      return /^\d{8}(T\d{6}Z?)?$/.test(value) ? undefined : `UNTIL=${value} must be YYYYMMDD or YYYYMMDDTHHMMSS`;
    case 'WKST':
      return new RegExp(`^${WEEKDAY}$`).test(value) ? undefined : `WKST=${value} is not a weekday (MO … SU)`;
    case 'BYDAY': {
      const bad = list.find((d) => !new RegExp(`^([+-]?(?:[1-9]|[1-4]\\d|5[0-3]))?${WEEKDAY}$`).test(d));
      return bad === undefined ? undefined : `BYDAY ${bad} is not a weekday (MO … SU, optionally numbered as in 1FR or -1SU)`;
    }
  }
  const range = NUMBER_LISTS[key];
  if (!range) return `unknown rule part ${key}`;
  for (const item of list) {
    const n = /^[+-]?\d+$/.test(item) ? Number(item) : NaN;
    const magnitude = range.signed ? Math.abs(n) : n;
    if (!(magnitude >= range.min && magnitude <= range.max) || (!range.signed && item.startsWith('-'))) {
      return `${key} ${item} is out of range (${range.signed ? '±' : ''}${range.min}-${range.max})`;
    }
  }
  return undefined;
}

const PERIOD_MS: Partial<Record<Frequency, number>> = { [Frequency.WEEKLY]: 7 * DAY_MS, [Frequency.DAILY]: DAY_MS, [Frequency.HOURLY]: 3600_000 };

/**
 * The same rule counted from a DTSTART a whole number of its periods later, shortly before
 * `wallFrom`, so expanding it does not walk every occurrence since 2001. Only where that changes
 * nothing: fixed-length periods (weekly, daily, hourly; what a rule takes from DTSTART — weekday,
 * time of day — stays the same) and no COUNT (which counts from DTSTART).
 */
function rebased(rule: RRule, wallFrom: number): RRule {
  const { freq, interval, count, dtstart } = rule.options;
  const period = PERIOD_MS[freq];
  if (period === undefined || count !== null) return rule;
  const periods = Math.floor((wallFrom - dtstart.getTime()) / (period * interval)) - 1;
  if (periods < 1) return rule;
  return new RRule({ ...rule.origOptions, dtstart: new Date(dtstart.getTime() + periods * period * interval), tzid: null });
}

// ---- cron ------------------------------------------------------------------------------------

const CRON_MACROS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@hourly'];

/** Why `expression` is not a five-field cron expression (minute hour day-of-month month day-of-week), or undefined. */
export function cronProblem(expression: string): string | undefined {
  const trimmed = expression.trim();
  if (trimmed.startsWith('@')) {
    if (!CRON_MACROS.includes(trimmed.toLowerCase())) return `${trimmed} is not one of ${CRON_MACROS.join(', ')}`;
  } else if (trimmed.split(/\s+/).length !== 5) {
    return 'a cron expression has 5 fields: minute hour day-of-month month day-of-week (example: 0 18 * * 1-5)';
  }
  try {
    CronExpressionParser.parse(trimmed, { currentDate: new Date(RRULE_DEFAULT_DTSTART), tz: 'UTC' }).next();
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

// ---- expansion -------------------------------------------------------------------------------

/** A recurring window as the expansion needs it. */
export interface RecurrenceSpec {
  kind: 'rrule' | 'cron';
  rule: string;
  durationMs: number;
  timeZone: string;
}

/** The occurrences found, and the instant up to which the list is complete (less than `untilMs` when `limit` was reached). */
export interface Occurrences {
  intervals: { startMs: number; endMs: number }[];
  completeUntilMs: number;
}

/**
 * Every occurrence of `spec` in force at some moment of [fromMs, untilMs), as instants; at most
 * `limit` of them (then `completeUntilMs` is where the list stops being complete).
 */
export function occurrencesOf(spec: RecurrenceSpec, fromMs: number, untilMs: number, limit: number): Occurrences {
  // A day of margin either side covers any zone's offset; the exact bounds are applied on instants.
  const wallFrom = instantToWallClock(fromMs - spec.durationMs, spec.timeZone) - DAY_MS;
  const wallUntil = instantToWallClock(untilMs, spec.timeZone) + DAY_MS;
  const { starts, cutShort } = wallClockStarts(spec, wallFrom, wallUntil, limit);
  const intervals: { startMs: number; endMs: number }[] = [];
  let lastStartMs = fromMs;
  for (const wall of starts) {
    const startMs = wallClockToInstant(wall, spec.timeZone);
    const endMs = startMs + spec.durationMs;
    lastStartMs = startMs;
    if (startMs >= untilMs) return { intervals, completeUntilMs: untilMs };
    if (endMs <= fromMs) continue;
    if (intervals.length === limit) return { intervals, completeUntilMs: startMs };
    intervals.push({ startMs, endMs });
  }
  return { intervals, completeUntilMs: cutShort ? Math.min(untilMs, lastStartMs) : untilMs };
}

/**
 * Wall-clock starts in [wallFrom, wallUntil), in order. Cron is read lazily; an RRULE (at most
 * hourly) is expanded up to `limit` plus three days of hourly occurrences for the margins, and
 * `cutShort` says whether that bound cut it short.
 */
function wallClockStarts(spec: RecurrenceSpec, wallFrom: number, wallUntil: number, limit: number): { starts: Iterable<number>; cutShort: boolean } {
  if (spec.kind === 'rrule') {
    const parsed = parseRRule(spec.rule, spec.timeZone);
    if (!parsed.ok) throw new Error(`invalid rule ${spec.rule}: ${parsed.problem}`);
    const max = limit + 3 * 24;
    const dates = rebased(parsed.rule, wallFrom).between(new Date(wallFrom), new Date(wallUntil), true, (_, i) => i < max);
    return { starts: dates.map((d) => d.getTime()), cutShort: dates.length >= max };
  }
  const iterator = CronExpressionParser.parse(spec.rule.trim(), { currentDate: new Date(wallFrom - 1), endDate: new Date(wallUntil - 1), tz: 'UTC' });
  return {
    starts: (function* () {
      while (iterator.hasNext()) yield iterator.next().getTime();
    })(),
    cutShort: false,
  };
}
