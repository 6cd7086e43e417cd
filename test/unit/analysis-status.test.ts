/**
 * Analysis as the status shows it: measurements land in a table per canary step with their
 * numbers and why a signal did not pass; a held canary and a failed one are spelled out in
 * `runway status` and in the Web UI's current details.
 */
import { formatStatus } from '../../src/cli/format';
import { DEFAULT_THRESHOLDS, judgeMeasurement, type TrackMetrics } from '../../src/domain/canary-analysis';
import type { ReleaseInput } from '../../src/domain/release';
import { ReleaseState } from '../../src/domain/release-state';
import { currentDetails } from '../../workflows/reporting/current-details';
import { samplePlan } from '../support/sample-plan';

const input: ReleaseInput = { service: 'checkout', version: 'abc1234', image: 'repo/checkout:abc1234', requestedBy: 'ci', reason: 'test', plan: samplePlan() };
const t = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
const stable: TrackMetrics = { requests: 4500, errorRate: 0.001, p99Ms: 100 };
const measure = (s: number, canary: TrackMetrics, crashedTasks = 0) =>
  judgeMeasurement({ at: t(s).toISOString(), canary, stable, crashedTasks }, DEFAULT_THRESHOLDS);

describe('analysis in the status', () => {
  it('keeps every measurement per step with its numbers, and the latest verdict', () => {
    const state = new ReleaseState(input, t(0));
    state.setCanary(1, 10, 10, t(1));
    state.recordMeasurements(1, 10, [measure(2, { requests: 500, errorRate: 0.001, p99Ms: 104 })], t(2));
    state.recordMeasurements(1, 10, [measure(3, { requests: 500, errorRate: 0.3, p99Ms: 104 })], t(3));
    state.setCanary(2, 30, 31, t(4));
    state.recordMeasurements(2, 30, [], t(4));
    const s = state.snapshot();
    expect(s.canary.analysis).toEqual([
      {
        step: 1,
        weight: 10,
        measurements: [
          { at: t(2).toISOString(), verdict: 'pass', requests: 500, errorRate: 0.001, stableErrorRate: 0.001, p99Ms: 104, stableP99Ms: 100, crashedTasks: 0, notes: [] },
          expect.objectContaining({ verdict: 'fail', errorRate: 0.3, notes: ['error-rate: canary 30.00% vs limit 1.10% (stable 0.10%)'] }),
        ],
      },
    ]);
    expect(state.latestVerdict).toBe('fail');

    const text = formatStatus(s);
    expect(text).toContain('analysis  step 1 (10%)');
    expect(text).toMatch(/00:00:03 +fail +500 +30\.00% +0\.10% +104ms +100ms +0/);
    expect(text).toContain('error-rate: canary 30.00% vs limit 1.10% (stable 0.10%)');
    expect(currentDetails(s)).toMatch(/\*\*Analysis\*\* fail at 00:00:03: errors 30\.00% \(stable 0\.10%\), p99 104 ms \(stable 100 ms\), 500 requests, 0 crashed/);
  });

  it('shows a canary held for a human until someone resumes it, and the failing signals of a rolled-back one', () => {
    const state = new ReleaseState(input, t(0));
    state.setCanary(1, 10, 10, t(1));
    state.askHuman('3 inconclusive measurement(s) in a row: no canary traffic data', t(2));
    expect(state.paused).toBe(true);
    expect(formatStatus(state.snapshot())).toContain('held      3 inconclusive measurement(s) in a row: no canary traffic data — decide with runway resume|promote|abort <id>');
    expect(currentDetails(state.snapshot())).toContain('(held: a human must decide)');
    state.control('resume', 'bob', 'night traffic', t(3));
    expect(state.snapshot().canary.awaitingDecision).toBeUndefined();
    expect(state.paused).toBe(false);

    state.canaryFailed(measure(4, { requests: 500, errorRate: 0.001, p99Ms: 400 }).signals.filter((x) => x.verdict === 'fail'));
    expect(formatStatus(state.snapshot())).toContain('failed    p99-latency: canary p99 400 ms vs limit 125 ms (stable 100 ms +25%)');
  });
});
