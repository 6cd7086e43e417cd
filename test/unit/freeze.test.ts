/**
 * Which freeze is in force, and when that changes (src/domain/freeze.ts): half-open intervals,
 * overlapping and chained windows merged with every reason, and nothing claimed past the horizon
 * the schedule was resolved for. The last tests go through the config, as the gate will.
 */
import { parseConfig } from '../../src/config/load';
import { freezePlanOf } from '../../src/config/freeze-plan';
import { activeFreeze, FreezeHorizonError, type FreezeInterval, type FreezeSchedule, mergedFreezes, nextFreezeChange } from '../../src/domain/freeze';
import { MINIMAL_CONFIG_YAML } from '../support/minimal-config';

const H = 3600_000;
const interval = (startH: number, endH: number, reason: string, scope: FreezeInterval['scope'] = 'global'): FreezeInterval => ({ startMs: startH * H, endMs: endH * H, reason, scope });
const schedule = (intervals: FreezeInterval[], untilH = 1000, fromH = 0): FreezeSchedule => ({ intervals, resolvedFromMs: fromH * H, resolvedUntilMs: untilH * H });

describe('activeFreeze', () => {
  const s = schedule([interval(10, 20, 'nights')]);

  it('holds from the start, included, to the end, excluded', () => {
    expect(activeFreeze(s, 10 * H - 1)).toBeUndefined();
    expect(activeFreeze(s, 10 * H)).toEqual({ startMs: 10 * H, endMs: 20 * H, reasons: ['nights'], intervals: [interval(10, 20, 'nights')], endsAfterHorizon: false });
    expect(activeFreeze(s, 20 * H - 1)?.endMs).toBe(20 * H);
    expect(activeFreeze(s, 20 * H)).toBeUndefined();
  });

  it('merges overlapping windows into one freeze that ends with the last, with each reason once, in order', () => {
    const merged = schedule([interval(30, 40, 'c', 'service'), interval(10, 20, 'a'), interval(15, 35, 'b'), interval(12, 14, 'a')]);
    expect(activeFreeze(merged, 11 * H)).toMatchObject({ startMs: 10 * H, endMs: 40 * H, reasons: ['a', 'b', 'c'] });
    expect(activeFreeze(merged, 11 * H)!.intervals).toHaveLength(4);
    expect(activeFreeze(merged, 39 * H)).toMatchObject({ startMs: 10 * H, endMs: 40 * H });
  });

  it('chains a window that starts exactly when another ends (no open moment between them), and not one an instant later', () => {
    const chained = schedule([interval(10, 20, 'weekend'), interval(20, 30, 'year-end')]);
    expect(activeFreeze(chained, 15 * H)).toMatchObject({ endMs: 30 * H, reasons: ['weekend', 'year-end'] });
    const apart = schedule([interval(10, 20, 'weekend'), { startMs: 20 * H + 1, endMs: 30 * H, reason: 'year-end', scope: 'global' }]);
    expect(activeFreeze(apart, 15 * H)).toMatchObject({ endMs: 20 * H, reasons: ['weekend'] });
    expect(activeFreeze(apart, 20 * H)).toBeUndefined();
  });

  it("says when a freeze reaches the end of what is resolved (its end is only known that far)", () => {
    expect(activeFreeze(schedule([interval(10, 60, 'x')], 50), 20 * H)).toMatchObject({ endMs: 60 * H, endsAfterHorizon: true });
    expect(activeFreeze(schedule([interval(10, 50, 'x')], 50), 20 * H)).toMatchObject({ endsAfterHorizon: true });
    expect(activeFreeze(schedule([interval(10, 49, 'x')], 50), 20 * H)).toMatchObject({ endsAfterHorizon: false });
  });

  it('refuses to answer outside the resolved horizon', () => {
    expect(() => activeFreeze(s, 1000 * H)).toThrow(FreezeHorizonError);
    expect(() => activeFreeze(schedule([], 100, 5), 4 * H)).toThrow(/resolved from 1970-01-01T05:00:00.000Z until 1970-01-05T04:00:00.000Z, not for 1970-01-01T04:00:00.000Z/);
    expect(() => nextFreezeChange(s, 1000 * H)).toThrow(FreezeHorizonError);
  });

  it('ignores empty intervals and leaves the schedule as it was', () => {
    const intervals = [interval(20, 30, 'b'), interval(10, 10, 'empty'), interval(5, 8, 'a')];
    const copy = structuredClone(intervals);
    expect(mergedFreezes(schedule(intervals)).map((f) => f.reasons)).toEqual([['a'], ['b']]);
    expect(activeFreeze(schedule(intervals), 10 * H)).toBeUndefined();
    expect(intervals).toEqual(copy);
  });
});

describe('nextFreezeChange', () => {
  const s = schedule([interval(10, 20, 'a'), interval(20, 25, 'b'), interval(40, 50, 'c')], 100);

  it('gives the end of the merged freeze while frozen', () => {
    expect(nextFreezeChange(s, 12 * H)).toEqual({ kind: 'ends', atMs: 25 * H });
  });

  it('gives the next freeze while open, with what it will be', () => {
    expect(nextFreezeChange(s, 0)).toEqual({ kind: 'starts', atMs: 10 * H, freeze: expect.objectContaining({ endMs: 25 * H, reasons: ['a', 'b'] }) });
    expect(nextFreezeChange(s, 25 * H)).toMatchObject({ kind: 'starts', atMs: 40 * H });
  });

  it('says horizon rather than "never" when nothing is known to change before the schedule ends', () => {
    expect(nextFreezeChange(s, 50 * H)).toEqual({ kind: 'horizon', atMs: 100 * H });
    expect(nextFreezeChange(schedule([interval(10, 200, 'long')], 100), 50 * H)).toEqual({ kind: 'horizon', atMs: 100 * H });
    expect(nextFreezeChange(schedule([], 100), 0)).toEqual({ kind: 'horizon', atMs: 100 * H });
  });
});

describe('through the config', () => {
  const yaml = `
freeze:
  windows:
    - name: weekend
      rrule: "FREQ=WEEKLY;BYDAY=FR;BYHOUR=16"
      duration: 64h
      timeZone: Europe/Berlin
      reason: weekend freeze
    - from: 2026-10-26T07:00:00+01:00
      to: 2026-10-26T12:00:00+01:00
      reason: data-centre move
${MINIMAL_CONFIG_YAML.replace('    approval: { channel: "#d", approvers: [alice] }\n', `    approval: { channel: "#d", approvers: [alice] }
    freeze:
      windows:
        - { cron: "0 9 * * 1-5", duration: 1h, timeZone: Europe/Berlin, reason: api stand-up }
`)}`;
  const plan = freezePlanOf(parseConfig(yaml, 'x'), 'api', { nowMs: Date.parse('2026-10-19T12:00:00Z'), horizonMs: 21 * 24 * H });
  const at = (iso: string) => activeFreeze(plan, Date.parse(iso));

  it('chains the weekend across the DST change into the global range and the service stand-up', () => {
    // Fri 16:00 CEST → Mon 07:00 CET (64 h), then 07:00-12:00 CET (global range) covering 09:00-10:00 (service cron).
    expect(at('2026-10-23T13:59:59Z')).toBeUndefined();
    const weekend = at('2026-10-23T14:00:00Z');
    expect(weekend).toMatchObject({ startMs: Date.parse('2026-10-23T14:00:00Z'), endMs: Date.parse('2026-10-26T11:00:00Z'), reasons: ['weekend freeze', 'data-centre move', 'api stand-up'] });
    expect(weekend!.intervals.map((i) => i.scope)).toEqual(['global', 'global', 'service']);
    expect(nextFreezeChange(plan, Date.parse('2026-10-24T00:00:00Z'))).toEqual({ kind: 'ends', atMs: Date.parse('2026-10-26T11:00:00Z') });
  });

  it('opens between, and starts the next weekend at 16:00 CET', () => {
    expect(at('2026-10-27T10:00:00Z')).toBeUndefined(); // after Tuesday's stand-up (08:00-09:00 UTC)
    expect(nextFreezeChange(plan, Date.parse('2026-10-29T09:00:00Z'))).toMatchObject({ kind: 'starts', atMs: Date.parse('2026-10-30T08:00:00Z') });
    expect(nextFreezeChange(plan, Date.parse('2026-10-30T09:00:00Z'))).toMatchObject({ kind: 'starts', atMs: Date.parse('2026-10-30T15:00:00Z'), freeze: { endMs: Date.parse('2026-11-02T07:00:00Z'), reasons: ['weekend freeze'] } });
  });

  it('is plain data: the same after a JSON round trip (as in a workflow input)', () => {
    const copy = JSON.parse(JSON.stringify(plan)) as typeof plan;
    expect(copy).toEqual(plan);
    expect(activeFreeze(copy, Date.parse('2026-10-31T00:00:00Z'))).toEqual(at('2026-10-31T00:00:00Z'));
  });
});
