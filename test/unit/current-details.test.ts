/**
 * The Web UI's current details put what an operator needs first (issue 19): the outcome and its
 * reason once there is one; who must approve, until when and how while a release waits; who
 * approved; then the canary, the numbers and, last, the latest event.
 */
import { DEFAULT_THRESHOLDS, judgeMeasurement } from '../../src/domain/canary-analysis';
import type { ReleaseInput } from '../../src/domain/release';
import { ReleaseState } from '../../src/domain/release-state';
import { currentDetails } from '../../workflows/reporting/current-details';
import { samplePlan } from '../support/sample-plan';

const plan = samplePlan({ approval: { channel: '#deploys', approvers: ['alice', 'bob'], timeoutMs: 3_600_000, allowSelfApproval: false } });
const input: ReleaseInput = { service: 'checkout', version: 'abc1234', image: 'repo/checkout:abc1234', requestedBy: 'ci', reason: 'test', plan };
const t = (s: number) => new Date(Date.UTC(2026, 11, 3, 9, 0, s));
// Items are lines (hard line breaks): the UI's details frame is short, and paragraphs' margins cost lines.
const lines = (text: string) => text.split('\\\n');

describe('current details', () => {
  it('while waiting for approval: the stage, then who may approve, the deadline and how to decide', () => {
    const state = new ReleaseState(input, t(0));
    state.enter('awaiting-approval', 'waiting for approval from alice, bob', t(5));
    const [stage, waiting, decide, latest] = lines(currentDetails(state.snapshot(), plan));
    expect(stage).toBe('**Stage** awaiting-approval');
    expect(waiting).toBe('**Waiting for approval** from alice, bob until 2026-12-03 10:00:05 UTC, then rejected');
    expect(decide).toBe(`**Decide** in Slack #deploys, or \`runway approve|reject ${state.snapshot().releaseId} --as NAME\``);
    expect(latest).toBe('**Latest** waiting for approval from alice, bob');
  });

  it('once rolled back: the outcome and reason first, then who approved, the failing signal and the numbers; no trailing event', () => {
    const state = new ReleaseState(input, t(0));
    state.enter('awaiting-approval', 'waiting for approval from alice, bob', t(1));
    state.decide('approved', 'alice', 'ship it', t(2));
    state.setCanary(1, 10, 10, t(3));
    const measurement = judgeMeasurement(
      { at: t(4).toISOString(), canary: { requests: 500, errorRate: 0.15, p99Ms: 110 }, stable: { requests: 4500, errorRate: 0.002, p99Ms: 100 }, crashedTasks: 0 },
      DEFAULT_THRESHOLDS,
    );
    state.recordMeasurements(1, 10, [measurement], t(4));
    state.canaryFailed(measurement.signals.filter((s) => s.verdict === 'fail'));
    state.finish('rolled-back', 'canary analysis failed at 10%', t(9));
    const parts = lines(currentDetails(state.snapshot(), plan));
    expect(parts[0]).toBe('**Rolled back** — canary analysis failed at 10% (2026-12-03 09:00:09 UTC)');
    expect(parts[1]).toBe('**Approved** by alice at 2026-12-03 09:00:02 UTC: ship it');
    expect(parts[2]).toBe('**Canary** step 1 of 4: 10% of production traffic');
    expect(parts[3]).toMatch(/^\*\*Failed\*\* error-rate: canary 15\.00%/);
    expect(parts.find((p) => p.startsWith('**Analysis** fail at 09:00:04'))).toBeDefined();
    expect(parts.some((p) => p.startsWith('**Stage**') || p.startsWith('**Latest**'))).toBe(false);
  });

  it('once released: says so first', () => {
    const state = new ReleaseState(input, t(0));
    state.decide('approved', 'alice, bob', undefined, t(2));
    state.finish('released', undefined, t(30));
    expect(lines(currentDetails(state.snapshot(), plan)).slice(0, 2)).toEqual(['**Released** (2026-12-03 09:00:30 UTC)', '**Approved** by alice, bob at 2026-12-03 09:00:02 UTC']);
  });
});
