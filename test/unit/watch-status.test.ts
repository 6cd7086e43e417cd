/**
 * How the post-release watch shows in `runway status` and in the Web UI's current details: the
 * window, the baseline, every measurement against it (live ones from the running window's
 * heartbeat too) and the failing signal.
 */
import { judgeMeasurement } from '../../src/domain/canary-analysis';
import { ReleaseStage, type ReleaseStatus } from '../../src/domain/release';
import { ReleaseState } from '../../src/domain/release-state';
import { formatStatus } from '../../src/cli/format';
import { mergeLiveMeasurements } from '../../src/release-client/live-analysis';
import { currentDetails } from '../../workflows/reporting/current-details';
import { releaseInput } from '../support/workflow-runner';
import { samplePlan } from '../support/sample-plan';

const T0 = new Date('2026-12-02T10:00:00.000Z');
const baseline = { requests: 5000, errorRate: 0.002, p99Ms: 120 };
const measured = (errorRate: number, at: string) =>
  judgeMeasurement({ at, canary: { requests: 5000, errorRate, p99Ms: 118 }, stable: baseline, crashedTasks: 0, labels: { candidate: 'production', reference: 'baseline' } });

function watchingState(): ReleaseState {
  const state = new ReleaseState(releaseInput(samplePlan({ verify: { durationMs: 600_000 } })), T0);
  state.recordBaseline(baseline, T0);
  state.setCanary(1, 10, 10, T0);
  state.enter(ReleaseStage.verifying, 'watching', T0);
  state.startVerify(new Date('2026-12-02T10:05:00.000Z'));
  return state;
}

it('records the baseline and the window, and shows them with each measurement', () => {
  const state = watchingState();
  state.recordVerifyMeasurements([measured(0.15, '2026-12-02T10:05:10.000Z')], new Date('2026-12-02T10:05:10.000Z'));
  state.verifyFailed(measured(0.15, '2026-12-02T10:05:10.000Z').signals.filter((s) => s.verdict === 'fail'));
  const status = state.snapshot();
  expect(status.verify).toMatchObject({ durationMs: 600_000, startedAt: '2026-12-02T10:05:00.000Z', endsAt: '2026-12-02T10:15:00.000Z', baseline: { ...baseline, at: T0.toISOString() } });
  const text = formatStatus(status);
  expect(text).toContain('watch     600 s from 10:05:00 until 10:15:00');
  expect(text).toContain('baseline  errors 0.20%, p99 120ms, 5000 requests (previous version, at 10:00:00)');
  expect(text).toContain('failed    error-rate: production 15.00% vs limit 1.20% (baseline 0.20%)');
  expect(text).toMatch(/10:05:10 fail +5000 +15\.00% +0\.20%/);
  const details = currentDetails(status);
  expect(details).toContain('**Post-release watch** 600 s, until 10:15:00: 1 measurement(s)');
  expect(details).toContain('errors 15.00% (baseline 0.20%)');
  expect(details).toContain('**Failed** error-rate: production 15.00% vs limit 1.20% (baseline 0.20%)');
});

it('puts the running watch window’s live measurements in the watch table, not the canary’s', () => {
  const status: ReleaseStatus = watchingState().snapshot();
  const merged = mergeLiveMeasurements(status, [measured(0.002, '2026-12-02T10:05:10.000Z')]);
  expect(merged.verify?.measurements).toEqual([expect.objectContaining({ verdict: 'pass', live: true })]);
  expect(merged.canary.analysis).toEqual(status.canary.analysis);
  expect(formatStatus(merged)).toMatch(/10:05:10 pass .*\(live\)/);
});

it('keeps a release without a watch free of it', () => {
  const state = new ReleaseState(releaseInput(samplePlan()), T0);
  expect(state.snapshot().verify).toBeUndefined();
  expect(() => state.recordBaseline(baseline, T0)).toThrow(/no post-release watch/);
  expect(formatStatus(state.snapshot())).not.toContain('watch ');
});
