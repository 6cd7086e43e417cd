/**
 * Live canary measurements in `runway status`: the heartbeat details of a pending analyseBake
 * are decoded and the measurements the workflow has not recorded yet are added to the current
 * step's table, marked "(live)", without duplicating ones it already has.
 */
import { defaultPayloadConverter } from '@temporalio/common';
import { formatStatus } from '../../src/cli/format';
import { isLive, liveBakeResults, mergeLiveMeasurements, type PendingActivityLike } from '../../src/release-client/live-analysis';
import { DEFAULT_THRESHOLDS, judgeMeasurement, type TrackMetrics } from '../../src/domain/canary-analysis';
import type { ReleaseInput } from '../../src/domain/release';
import { ReleaseState } from '../../src/domain/release-state';
import { samplePlan } from '../support/sample-plan';

const input: ReleaseInput = { service: 'checkout', version: 'abc1234', image: 'repo/checkout:abc1234', requestedBy: 'ci', reason: 'test', plan: samplePlan() };
const t = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
const stable: TrackMetrics = { requests: 4500, errorRate: 0.001, p99Ms: 100 };
const measure = (s: number, canary: TrackMetrics, crashedTasks = 0) =>
  judgeMeasurement({ at: t(s).toISOString(), canary, stable, crashedTasks }, DEFAULT_THRESHOLDS);
const good = (s: number) => measure(s, { requests: 500, errorRate: 0.001, p99Ms: 104 });

/** A pending activity as DescribeWorkflowExecution returns it, with the activity's heartbeat details. */
const pending = (name: string, details?: unknown): PendingActivityLike => ({
  activityType: { name },
  heartbeatDetails: details === undefined ? undefined : { payloads: [defaultPayloadConverter.toPayload(details)] },
});

describe('live bake results from heartbeat details', () => {
  it('decodes the measurements of the pending analyseBake and ignores other activities', () => {
    const results = [good(5), measure(6, { requests: 500, errorRate: 0.2, p99Ms: 104 })];
    const found = liveBakeResults([pending('waitForDeployment', { deploymentId: 'x' }), pending('analyseBake', { startedAt: 1, results })]);
    expect(found).toEqual(results);
  });

  it('yields nothing without a pending bake, without details, or with details it cannot read', () => {
    expect(liveBakeResults(undefined)).toEqual([]);
    expect(liveBakeResults([pending('updateService', { startedAt: 1, results: [good(5)] })])).toEqual([]);
    expect(liveBakeResults([pending('analyseBake')])).toEqual([]);
    expect(liveBakeResults([pending('analyseBake', 'not progress')])).toEqual([]);
    expect(liveBakeResults([pending('analyseBake', { startedAt: 1, results: [{ nonsense: true }, good(5)] })])).toEqual([good(5)]);
    expect(liveBakeResults([{ activityType: { name: 'analyseBake' }, heartbeatDetails: { payloads: [{ metadata: { encoding: new TextEncoder().encode('binary/unknown') }, data: new Uint8Array([1]) }] } }])).toEqual([]);
  });
});

describe('merging live measurements into the status', () => {
  it('appends unreported measurements to the current step, marked live, with the same columns the workflow records', () => {
    const state = new ReleaseState(input, t(0));
    state.setCanary(1, 10, 10, t(1));
    state.recordMeasurements(1, 10, [good(2)], t(2));
    state.setCanary(2, 30, 30, t(3));
    state.recordMeasurements(2, 30, [good(4)], t(4));
    const before = state.snapshot();
    const failing = measure(6, { requests: 500, errorRate: 0.2, p99Ms: 104 });

    const merged = mergeLiveMeasurements(before, [good(4), good(5), failing]);

    // good(4) is already in the table: only the two new ones are added, to step 2.
    expect(merged.canary.analysis?.[0]?.measurements).toHaveLength(1);
    const step2 = merged.canary.analysis?.[1]?.measurements ?? [];
    expect(step2.map((m) => [m.at, m.verdict, isLive(m)])).toEqual([
      [t(4).toISOString(), 'pass', false],
      [t(5).toISOString(), 'pass', true],
      [t(6).toISOString(), 'fail', true],
    ]);
    // Same record as the workflow makes once the window ends, plus the live mark.
    state.recordMeasurements(2, 30, [good(5), failing], t(7));
    const recorded = state.snapshot().canary.analysis![1]!.measurements;
    expect(step2.slice(1)).toEqual(recorded.slice(1).map((m) => ({ ...m, live: true })));
    // The status it was given is left as it was.
    expect(before.canary.analysis?.[1]?.measurements).toHaveLength(1);

    const text = formatStatus(merged);
    expect(text).toMatch(/00:00:05 +pass +500 +0\.10% +0\.10% +104ms +100ms +0 +\(live\)/);
    expect(text).toMatch(/00:00:06 +fail .*\(live\)/);
    expect(text).not.toMatch(/00:00:04 .*\(live\)/);
    expect(text).toContain('error-rate: canary 20.00% vs limit 1.10% (stable 0.10%)');
  });

  it('starts the table of a step that has no recorded measurement yet', () => {
    const state = new ReleaseState(input, t(0));
    state.setCanary(1, 10, 10, t(1));
    state.recordMeasurements(1, 10, [good(2)], t(2));
    state.setCanary(2, 30, 30, t(3));
    const merged = mergeLiveMeasurements(state.snapshot(), [good(4)]);
    expect(merged.canary.analysis?.map((a) => [a.step, a.weight, a.measurements.length])).toEqual([
      [1, 10, 1],
      [2, 30, 1],
    ]);
    expect(isLive(merged.canary.analysis![1]!.measurements[0]!)).toBe(true);
    expect(formatStatus(merged)).toMatch(/analysis {2}step 2 \(30%\)\n.*\n {2}00:00:04 +pass .*\(live\)/);
  });

  it('skips measurements the workflow recorded in an earlier step (the window ended between describe and query)', () => {
    const state = new ReleaseState(input, t(0));
    state.setCanary(1, 10, 10, t(1));
    state.recordMeasurements(1, 10, [good(2), good(3)], t(3));
    state.setCanary(2, 30, 30, t(4));
    const s = state.snapshot();
    expect(mergeLiveMeasurements(s, [good(2), good(3)])).toBe(s);
  });

  it('changes nothing before the canary or once the release has ended', () => {
    const state = new ReleaseState(input, t(0));
    const beforeCanary = state.snapshot();
    expect(mergeLiveMeasurements(beforeCanary, [good(2)])).toBe(beforeCanary);
    state.setCanary(1, 10, 10, t(1));
    const ended = { ...state.snapshot(), result: 'rolled-back' as const, finishedAt: t(9).toISOString() };
    expect(mergeLiveMeasurements(ended, [good(2)])).toBe(ended);
    expect(formatStatus(ended)).not.toContain('(live)');
  });
});
