/**
 * `freeze:` in the config: windows at the top level and per service, each an RFC 5545 rule, a cron
 * expression or a fixed range, resolved into intervals in their time zone (DST included), and every
 * refusal naming its path.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseConfig } from '../../src/config/load';
import { DEFAULT_FREEZE_HORIZON_MS, freezePlanOf } from '../../src/config/freeze-plan';
import { UnknownServiceError } from '../../src/config/plan';
import { wallClockToInstant } from '../../src/config/freeze-rules';
import { configProblems, MINIMAL_CONFIG_YAML } from '../support/minimal-config';

const DAY = 24 * 3600_000;
const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

/** The minimal config with a top-level `freeze:` (YAML at column 0) and/or the service's own (at column 4). */
function withFreeze(global?: string, service?: string): string {
  let yaml = MINIMAL_CONFIG_YAML;
  if (service) yaml = yaml.replace('    approval: { channel: "#d", approvers: [alice] }\n', `    approval: { channel: "#d", approvers: [alice] }\n${service}`);
  return global ? `${global}\n${yaml}` : yaml;
}
const globalWindows = (...windows: string[]) => withFreeze(`freeze:\n  windows:\n${windows.join('')}`);
const problemsOf = (...windows: string[]) => configProblems(globalWindows(...windows));
const plan = (yaml: string, nowIso: string, horizonMs = 21 * DAY) => freezePlanOf(parseConfig(yaml, 'x'), 'api', { nowMs: at(nowIso), horizonMs });
const spans = (p: ReturnType<typeof plan>) => p.intervals.map((i) => `${iso(i.startMs)} → ${iso(i.endMs)} ${i.scope} ${i.reason}`);

const WEEKEND = `
    - name: weekend
      rrule: "FREQ=WEEKLY;BYDAY=FR;BYHOUR=16;BYMINUTE=0"
      duration: 64h
      timeZone: Europe/Berlin
      reason: weekend freeze
`;

describe('recurring rules in their time zone', () => {
  it('starts a Friday-16:00 Europe/Berlin window at 16:00 local on both sides of the last Sunday of October, each lasting 64 elapsed hours', () => {
    // Clocks go back in Berlin on Sunday 2026-10-25 (03:00 CEST → 02:00 CET).
    expect(spans(plan(globalWindows(WEEKEND), '2026-10-19T12:00:00Z'))).toEqual([
      '2026-10-23T14:00:00.000Z → 2026-10-26T06:00:00.000Z global weekend freeze', // 16:00 CEST → Monday 07:00 CET (64 h, one of them repeated)
      '2026-10-30T15:00:00.000Z → 2026-11-02T07:00:00.000Z global weekend freeze', // 16:00 CET → Monday 08:00 CET
      '2026-11-06T15:00:00.000Z → 2026-11-09T07:00:00.000Z global weekend freeze',
    ]);
    expect(plan(globalWindows(WEEKEND), '2026-10-19T12:00:00Z').intervals[0]).toEqual({
      startMs: at('2026-10-23T14:00:00Z'),
      endMs: at('2026-10-26T06:00:00Z'),
      reason: 'weekend freeze',
      name: 'weekend',
      scope: 'global',
    });
  });

  it('follows the last Sunday of March the other way (16:00 CET, then 16:00 CEST)', () => {
    expect(spans(plan(globalWindows(WEEKEND), '2026-03-23T12:00:00Z', 14 * DAY))).toEqual([
      '2026-03-27T15:00:00.000Z → 2026-03-30T07:00:00.000Z global weekend freeze', // Monday 09:00 CEST
      '2026-04-03T14:00:00.000Z → 2026-04-06T06:00:00.000Z global weekend freeze',
    ]);
  });

  it('includes the occurrence already in force when the plan is made', () => {
    const p = plan(globalWindows(WEEKEND), '2026-10-24T12:00:00Z', 2 * DAY);
    expect(spans(p)).toEqual(['2026-10-23T14:00:00.000Z → 2026-10-26T06:00:00.000Z global weekend freeze']);
    expect(p).toMatchObject({ resolvedFromMs: at('2026-10-24T12:00:00Z'), resolvedUntilMs: at('2026-10-26T12:00:00Z') });
  });

  it('reads a cron window in its zone across the US change (first Sunday of November)', () => {
    const yaml = globalWindows(`
    - cron: "0 18 * * 1-5"
      duration: 14h
      timeZone: America/New_York
      reason: nights
`);
    // From the moment Wednesday's night ends (an interval ending at the plan's start is over).
    expect(spans(plan(yaml, '2026-10-29T12:00:00Z', 7 * DAY))).toEqual([
      '2026-10-29T22:00:00.000Z → 2026-10-30T12:00:00.000Z global nights', // Thursday 18:00 EDT
      '2026-10-30T22:00:00.000Z → 2026-10-31T12:00:00.000Z global nights', // Friday; no Saturday or Sunday
      '2026-11-02T23:00:00.000Z → 2026-11-03T13:00:00.000Z global nights', // Monday 18:00 EST
      '2026-11-03T23:00:00.000Z → 2026-11-04T13:00:00.000Z global nights',
      '2026-11-04T23:00:00.000Z → 2026-11-05T13:00:00.000Z global nights',
    ]);
  });

  it('moves a start in the skipped hour forward by the gap, and takes the first of a repeated hour (rrule and cron alike)', () => {
    const daily = (kind: string) => globalWindows(`
    - ${kind}
      duration: 1h
      timeZone: Europe/Berlin
      reason: r
`);
    for (const rule of ['rrule: "FREQ=DAILY;BYHOUR=2;BYMINUTE=30"', 'cron: "30 2 * * *"']) {
      // 2026-03-29 02:30 does not exist in Berlin: 03:30 CEST. 2026-10-25 02:30 happens twice: the first, CEST.
      expect(plan(daily(rule), '2026-03-29T00:00:00Z', DAY).intervals.map((i) => iso(i.startMs))).toEqual(['2026-03-29T01:30:00.000Z']);
      expect(plan(daily(rule), '2026-10-25T00:00:00Z', DAY).intervals.map((i) => iso(i.startMs))).toEqual(['2026-10-25T00:30:00.000Z']);
      expect(plan(daily(rule), '2026-10-26T00:00:00Z', DAY).intervals.map((i) => iso(i.startMs))).toEqual(['2026-10-26T01:30:00.000Z']);
    }
    expect(iso(wallClockToInstant(Date.UTC(2026, 2, 29, 2, 30), 'Europe/Berlin'))).toBe('2026-03-29T01:30:00.000Z');
    expect(iso(wallClockToInstant(Date.UTC(2026, 9, 25, 2, 30), 'Europe/Berlin'))).toBe('2026-10-25T00:30:00.000Z');
    expect(iso(wallClockToInstant(Date.UTC(2026, 9, 25, 12, 0), 'Asia/Kolkata'))).toBe('2026-10-25T06:30:00.000Z');
  });

  it('counts INTERVAL, COUNT and UNTIL from DTSTART, read in the window zone', () => {
    const yaml = globalWindows(`
    - rrule: |
        DTSTART:20261002T170000
        RRULE:FREQ=WEEKLY;INTERVAL=2;COUNT=3
      duration: 1h
      timeZone: Europe/Berlin
      reason: every other Friday, three times
    - rrule: "DTSTART;TZID=Europe/Berlin:20261005T090000\\nRRULE:FREQ=DAILY;UNTIL=20261007T090000"
      duration: 30m
      timeZone: Europe/Berlin
      reason: three mornings
`);
    expect(spans(plan(yaml, '2026-09-01T00:00:00Z', 90 * DAY))).toEqual([
      '2026-10-02T15:00:00.000Z → 2026-10-02T16:00:00.000Z global every other Friday, three times',
      '2026-10-05T07:00:00.000Z → 2026-10-05T07:30:00.000Z global three mornings',
      '2026-10-06T07:00:00.000Z → 2026-10-06T07:30:00.000Z global three mornings',
      '2026-10-07T07:00:00.000Z → 2026-10-07T07:30:00.000Z global three mornings',
      '2026-10-16T15:00:00.000Z → 2026-10-16T16:00:00.000Z global every other Friday, three times',
      '2026-10-30T16:00:00.000Z → 2026-10-30T17:00:00.000Z global every other Friday, three times', // CET by then
    ]);
    // COUNT counts from DTSTART however late the plan is made: nothing is left months after.
    expect(plan(yaml, '2027-03-01T00:00:00Z', 90 * DAY).intervals).toEqual([]);
  });

  it('counts INTERVAL without DTSTART from Monday 2001-01-01 00:00, however far from it the plan is made', () => {
    const yaml = globalWindows(`
    - rrule: "FREQ=WEEKLY;INTERVAL=2"
      duration: 1h
      timeZone: UTC
      reason: fortnightly
`);
    const starts = plan(yaml, '2026-11-01T00:00:00Z', 30 * DAY).intervals.map((i) => iso(i.startMs));
    expect(starts).toEqual(['2026-11-02T00:00:00.000Z', '2026-11-16T00:00:00.000Z', '2026-11-30T00:00:00.000Z']);
    for (const s of starts) expect(((at(s) - Date.UTC(2001, 0, 1)) / (7 * DAY)) % 2).toBe(0);
  });

  it('stops the horizon where a rule recurs more often than it resolves', () => {
    const yaml = globalWindows(`
    - cron: "*/5 * * * *"
      duration: 1m
      timeZone: UTC
      reason: every five minutes
`);
    const p = plan(yaml, '2026-10-01T00:00:00Z', 90 * DAY);
    expect(p.intervals).toHaveLength(5000);
    expect(p.resolvedUntilMs).toBe(at('2026-10-01T00:00:00Z') + 5000 * 5 * 60_000);
    expect(p.intervals.every((i) => i.startMs < p.resolvedUntilMs)).toBe(true);
    const hourly = plan(globalWindows('    - { rrule: "FREQ=HOURLY", duration: 1h, timeZone: UTC, reason: always }\n'), '2026-10-01T00:00:00Z', 300 * DAY);
    expect(hourly.intervals).toHaveLength(5000);
    expect(hourly.resolvedUntilMs).toBe(at('2026-10-01T00:00:00Z') + 5000 * 3600_000);
  });
});

describe('fixed ranges', () => {
  it('takes ISO 8601 with an offset, or a local time read in timeZone, and keeps only ranges within the horizon', () => {
    const yaml = globalWindows(`
    - from: 2026-12-20T00:00:00+01:00
      to: 2027-01-04T08:00:00+01:00
      reason: year-end freeze
    - from: "2026-12-31T22:00"
      to: "2027-01-01T02:00"
      timeZone: America/New_York
      reason: new year in New York
    - from: 2026-06-01T00:00:00Z
      to: 2026-06-02T00:00:00Z
      reason: long gone
`);
    expect(spans(plan(yaml, '2026-12-01T00:00:00Z', 60 * DAY))).toEqual([
      '2026-12-19T23:00:00.000Z → 2027-01-04T07:00:00.000Z global year-end freeze',
      '2027-01-01T03:00:00.000Z → 2027-01-01T07:00:00.000Z global new year in New York',
    ]);
    expect(plan(yaml, '2026-12-01T00:00:00Z', 10 * DAY).intervals).toEqual([]);
  });
});

describe('global and service windows', () => {
  const yaml = withFreeze(
    `freeze:
  windows:
    - from: 2026-12-20T00:00:00Z
      to: 2026-12-21T00:00:00Z
      reason: company freeze
  breakGlass: { required: 3 }`,
    `    freeze:
      windows:
        - name: db-maintenance
          cron: "0 1 * * 0"
          duration: 3h
          timeZone: UTC
          reason: database maintenance
`,
  );

  it("gives a service the top level's windows and its own, each with its scope", () => {
    const p = plan(yaml, '2026-12-18T00:00:00Z', 7 * DAY);
    expect(spans(p)).toEqual([
      '2026-12-20T00:00:00.000Z → 2026-12-21T00:00:00.000Z global company freeze',
      '2026-12-20T01:00:00.000Z → 2026-12-20T04:00:00.000Z service database maintenance',
    ]);
    expect(p.intervals[1]!.name).toBe('db-maintenance');
    expect(p.breakGlassRequired).toBe(3);
  });

  it("takes the service's break-glass policy over the top level's, and 2 when neither says", () => {
    expect(plan(withFreeze(undefined, '    freeze: { breakGlass: { required: 1 } }\n'), '2026-01-01T00:00:00Z')).toEqual({
      intervals: [],
      resolvedFromMs: at('2026-01-01T00:00:00Z'),
      resolvedUntilMs: at('2026-01-22T00:00:00Z'),
      breakGlassRequired: 1,
    });
    expect(plan(withFreeze('freeze: { breakGlass: {} }'), '2026-01-01T00:00:00Z').breakGlassRequired).toBe(2);
    expect(freezePlanOf(parseConfig(MINIMAL_CONFIG_YAML, 'x'), 'api', { nowMs: 0 })).toMatchObject({ intervals: [], breakGlassRequired: 2, resolvedUntilMs: DEFAULT_FREEZE_HORIZON_MS });
  });

  it('refuses an unknown service', () => {
    expect(() => freezePlanOf(parseConfig(yaml, 'x'), 'nope', { nowMs: 0 })).toThrow(UnknownServiceError);
  });

  it('leaves a config without freeze as it was', () => {
    const config = parseConfig(MINIMAL_CONFIG_YAML, 'x');
    expect(config.freeze).toBeUndefined();
    expect(config.services.api!.freeze).toBeUndefined();
  });
});

it("accepts the README's example as written", () => {
  const readme = readFileSync(path.join(__dirname, '../../README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Freeze windows'));
  const example = /```yaml\n(freeze:[\s\S]*?)```/.exec(section)![1]!;
  const config = parseConfig(`${example}${MINIMAL_CONFIG_YAML}`, 'README.md');
  expect(config.freeze!.windows.map((w) => w.kind)).toEqual(['rrule', 'cron', 'range']);
  expect(config.freeze!.breakGlass).toEqual({ required: 2 });
});

describe('refusals name the path', () => {
  const recurring = (fields: string) => `
    - ${fields}
      reason: r
`;
  it('refuses an unknown time zone, at the top level and in a service', () => {
    expect(problemsOf(recurring('cron: "0 18 * * *"\n      duration: 1h\n      timeZone: Europe/Berln'))).toEqual(['freeze.windows.0.timeZone: unknown time zone "Europe/Berln"']);
    const service = withFreeze(undefined, `    freeze:
      windows:
        - { from: 2026-01-01T00:00:00Z, to: 2026-01-02T00:00:00Z, reason: ok }
        - { rrule: "FREQ=DAILY", duration: 1h, timeZone: Europe/Berln, reason: r }
`);
    expect(configProblems(service)).toEqual(['services.api.freeze.windows.1.timeZone: unknown time zone "Europe/Berln"']);
  });

  it('refuses a window that is none of the kinds, or more than one', () => {
    expect(problemsOf(recurring('duration: 1h\n      timeZone: UTC'))).toEqual(['freeze.windows.0: a freeze window needs one of rrule, cron or from/to']);
    expect(problemsOf(recurring('rrule: "FREQ=DAILY"\n      cron: "0 0 * * *"\n      duration: 1h\n      timeZone: UTC'))).toEqual([
      'freeze.windows.0: a freeze window is one of rrule, cron or from/to, not rrule and cron',
    ]);
    expect(problemsOf(recurring('cron: "0 0 * * *"\n      to: 2026-01-01T00:00:00Z\n      duration: 1h\n      timeZone: UTC'))).toEqual([
      'freeze.windows.0: a freeze window is one of rrule, cron or from/to, not cron and from/to',
    ]);
  });

  it('refuses a window without a reason, or with an empty one', () => {
    expect(problemsOf('    - { cron: "0 0 * * *", duration: 1h, timeZone: UTC }\n')).toEqual(['freeze.windows.0.reason: Invalid input: expected string, received undefined']);
    expect(problemsOf('    - { cron: "0 0 * * *", duration: 1h, timeZone: UTC, reason: "  " }\n')).toEqual(['freeze.windows.0.reason: a freeze window needs a reason']);
  });

  it('refuses a recurring window without a duration or a time zone, and a duration of 0 or not a duration', () => {
    expect(problemsOf(recurring('rrule: "FREQ=DAILY"'))).toEqual([
      'freeze.windows.0.duration: a rrule window needs a duration (how long each occurrence lasts, e.g. 14h)',
      'freeze.windows.0.timeZone: a rrule window needs a timeZone (an IANA zone such as Europe/Berlin or UTC)',
    ]);
    expect(problemsOf(recurring('cron: "0 0 * * *"\n      timeZone: UTC'))).toEqual(['freeze.windows.0.duration: a cron window needs a duration (how long each occurrence lasts, e.g. 14h)']);
    expect(problemsOf(recurring('cron: "0 0 * * *"\n      duration: 0s\n      timeZone: UTC'))).toEqual(['freeze.windows.0.duration: must be more than 0']);
    expect(problemsOf(recurring('cron: "0 0 * * *"\n      duration: -1h\n      timeZone: UTC'))).toEqual(['freeze.windows.0.duration: "-1h" is not a duration (examples: 500ms, 30s, 10m, 24h)']);
  });

  it.each([
    ['FREQ=FOO', 'FREQ=FOO is not one of YEARLY, MONTHLY, WEEKLY, DAILY, HOURLY'],
    ['FREQ=MINUTELY', 'FREQ=MINUTELY: a freeze window recurs at most hourly'],
    ['BYDAY=FR', 'FREQ is required (YEARLY, MONTHLY, WEEKLY, DAILY or HOURLY)'],
    ['FREQ=WEEKLY;BYDAY=XX', 'BYDAY XX is not a weekday (MO … SU, optionally numbered as in 1FR or -1SU)'],
    ['FREQ=WEEKLY;BYHOUR=25', 'BYHOUR 25 is out of range (0-23)'],
    ['FREQ=MONTHLY;BYMONTHDAY=0', 'BYMONTHDAY 0 is out of range (±1-31)'],
    ['FREQ=WEEKLY;INTERVAL=0', 'INTERVAL=0 must be a whole number from 1'],
    ['FREQ=WEEKLY;COUNT=2;UNTIL=20270101', 'COUNT and UNTIL cannot both be given'],
    ['FREQ=WEEKLY;UNTIL=tomorrow', 'UNTIL=TOMORROW must be YYYYMMDD or YYYYMMDDTHHMMSS'],
    ['FREQ=WEEKLY;FREQ=DAILY', 'FREQ is given twice'],
    ['FREQ=WEEKLY;COLOR=RED', 'unknown rule part COLOR'],
    ['FREQ=WEEKLY;BYDAY', '"BYDAY" is not KEY=VALUE'],
    ['nonsense', '"nonsense" is not KEY=VALUE'],
    ['', 'the rule is empty (example: FREQ=WEEKLY;BYDAY=FR;BYHOUR=16)'],
    ['DTSTART:20261002T170000Z\\nFREQ=DAILY', 'DTSTART must be a local time, read in the window\'s timeZone (no "Z")'],
    ['DTSTART;TZID=Europe/Paris:20261002T170000\\nFREQ=DAILY', "DTSTART names TZID Europe/Paris but the window's timeZone is Europe/Berlin"],
    ['DTSTART:2026-10-02\\nFREQ=DAILY', 'DTSTART must be written DTSTART:YYYYMMDDTHHMMSS (a local time in the window\'s timeZone), not "DTSTART:2026-10-02"'],
    ['DTSTART:20260231T170000\\nFREQ=DAILY', 'DTSTART 20260231T170000 is not a date and time'],
    ['FREQ=DAILY\\nFREQ=WEEKLY', 'one RRULE per window (and at most a DTSTART line before it)'],
  ])('refuses the rule %j', (rule, problem) => {
    expect(problemsOf(recurring(`rrule: "${rule}"\n      duration: 1h\n      timeZone: Europe/Berlin`))).toEqual([`freeze.windows.0.rrule: not an RFC 5545 rule: ${problem}`]);
  });

  it.each([
    ['0 18 * *', 'a cron expression has 5 fields: minute hour day-of-month month day-of-week (example: 0 18 * * 1-5)'],
    ['0 0 18 * * 1-5', 'a cron expression has 5 fields: minute hour day-of-month month day-of-week (example: 0 18 * * 1-5)'],
    ['@reboot', '@reboot is not one of @yearly, @annually, @monthly, @weekly, @daily, @hourly'],
  ])('refuses the cron expression %j', (cron, problem) => {
    expect(problemsOf(recurring(`cron: "${cron}"\n      duration: 1h\n      timeZone: UTC`))).toEqual([`freeze.windows.0.cron: not a cron expression: ${problem}`]);
  });

  it("refuses cron fields out of range with the library's message", () => {
    expect(problemsOf(recurring('cron: "61 18 * * *"\n      duration: 1h\n      timeZone: UTC'))).toEqual([
      expect.stringMatching(/^freeze\.windows\.0\.cron: not a cron expression: .*61/),
    ]);
    expect(problemsOf(recurring('cron: "0 18 * * MON-XYZ"\n      duration: 1h\n      timeZone: UTC'))).toEqual([expect.stringMatching(/^freeze\.windows\.0\.cron: not a cron expression: /)]);
  });

  it('refuses fixed ranges that end before they start, lack an end or an offset, or are not dates', () => {
    expect(problemsOf('    - { from: 2026-12-20T00:00:00+01:00, to: 2026-12-19T23:00:00Z, reason: r }\n')).toEqual(['freeze.windows.0.to: must be after from (2026-12-20T00:00:00+01:00)']);
    expect(problemsOf('    - { from: 2026-12-20T00:00:00Z, reason: r }\n')).toEqual(['freeze.windows.0.to: a fixed range needs both from and to']);
    expect(problemsOf('    - { to: 2026-12-20T00:00:00Z, reason: r }\n')).toEqual(['freeze.windows.0.from: a fixed range needs both from and to']);
    expect(problemsOf('    - { from: "2026-12-20T00:00", to: 2026-12-21T00:00:00Z, reason: r }\n')).toEqual([
      'freeze.windows.0.from: "2026-12-20T00:00" needs an offset (such as +01:00 or Z), or the window a timeZone to read it in',
    ]);
    expect(problemsOf('    - { from: next week, to: 2026-02-30T00:00:00Z, reason: r }\n')).toEqual([
      'freeze.windows.0.from: "next week" is not an ISO 8601 date-time (example: 2026-12-20T00:00:00+01:00)',
      'freeze.windows.0.to: "2026-02-30T00:00:00Z" is not a date and time',
    ]);
    expect(problemsOf('    - { from: 2026-12-20T00:00:00Z, to: 2026-12-21T00:00:00Z, duration: 1h, reason: r }\n')).toEqual([
      'freeze.windows.0.duration: a fixed range (from/to) has no duration: its end is `to`',
    ]);
  });

  it('refuses unknown keys and a break-glass policy out of range', () => {
    expect(problemsOf('    - { from: 2026-12-20T00:00:00Z, to: 2026-12-21T00:00:00Z, reason: r, until: x }\n')).toEqual([expect.stringMatching(/^freeze\.windows\.0: Unrecognized key: "until"/)]);
    expect(configProblems(withFreeze('freeze: { breakGlass: { required: 0 } }'))).toEqual([expect.stringMatching(/^freeze\.breakGlass\.required: Too small/)]);
    expect(configProblems(withFreeze('freeze: { window: [] }'))).toEqual([expect.stringMatching(/^freeze: Unrecognized key: "window"/)]);
  });
});
