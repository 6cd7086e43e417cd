import {
  bakeDecision,
  DEFAULT_THRESHOLDS,
  judgeMeasurement,
  type Measurement,
  type MeasurementResult,
} from '../../src/domain/canary-analysis';

const healthy: Measurement = {
  at: '2026-01-01T00:00:00Z',
  canary: { requests: 500, errorRate: 0.002, p99Ms: 120 },
  stable: { requests: 4500, errorRate: 0.002, p99Ms: 110 },
  crashedTasks: 0,
};
const judge = (patch: Partial<Measurement>) => judgeMeasurement({ ...healthy, ...patch });
const signal = (r: MeasurementResult, name: string) => r.signals.find((s) => s.signal === name)!;

describe('judgeMeasurement', () => {
  it('passes a canary that looks like stable', () => {
    const r = judge({});
    expect(r.verdict).toBe('pass');
    expect(r.signals.map((s) => s.verdict)).toEqual(['pass', 'pass', 'pass', 'pass']);
  });

  it('fails an error rate above 1 %, showing value and limit', () => {
    const r = judge({ canary: { ...healthy.canary, errorRate: 0.05 } });
    expect(r.verdict).toBe('fail');
    expect(signal(r, 'error-rate').detail).toBe('canary 5.00% vs limit 1.20% (stable 0.20%)');
  });

  it('judges error rate against stable: a shared outage is not the canary\'s fault', () => {
    expect(judge({ canary: { ...healthy.canary, errorRate: 0.05 }, stable: { ...healthy.stable, errorRate: 0.045 } }).verdict).toBe('pass');
    expect(judge({ canary: { ...healthy.canary, errorRate: 0.07 }, stable: { ...healthy.stable, errorRate: 0.045 } }).verdict).toBe('fail');
  });

  it('fails p99 more than 25 % above stable', () => {
    expect(judge({ canary: { ...healthy.canary, p99Ms: 137 } }).verdict).toBe('pass');
    const r = judge({ canary: { ...healthy.canary, p99Ms: 140 } });
    expect(r.verdict).toBe('fail');
    expect(signal(r, 'p99-latency').detail).toBe('canary p99 140 ms vs limit 138 ms (stable 110 ms +25%)');
  });

  it('fails on any crashed canary task, even with no traffic', () => {
    const r = judge({ crashedTasks: 1, canary: {} });
    expect(r.verdict).toBe('fail');
    expect(signal(r, 'crashed-tasks').detail).toBe('1 crashed canary task(s) (limit 0)');
  });

  it('never passes without data or with too little traffic', () => {
    expect(judge({ canary: {} }).verdict).toBe('inconclusive');
    const low = judge({ canary: { requests: 10, errorRate: 0, p99Ms: 100 } });
    expect(low.verdict).toBe('inconclusive');
    expect(signal(low, 'traffic').detail).toBe(`10 canary request(s) (need ${DEFAULT_THRESHOLDS.minRequests})`);
    expect(judge({ stable: { requests: 100 } }).verdict).toBe('inconclusive');
  });

  it('still fails on errors seen with little traffic', () => {
    expect(judge({ canary: { requests: 10, errorRate: 0.5, p99Ms: 100 } }).verdict).toBe('fail');
  });
});

describe('bakeDecision', () => {
  const pass = judge({});
  const fail = judge({ canary: { ...healthy.canary, errorRate: 0.2 } });
  const unknown = judge({ canary: {} });
  const limits = { failureLimit: 2, inconclusiveLimit: 3 };

  it('continues while failures stay under the limit', () => {
    expect(bakeDecision([pass, fail, pass], limits)).toEqual({ action: 'continue' });
  });

  it('fails at the failure limit, naming the failing signal and its numbers', () => {
    const d = bakeDecision([fail, pass, fail], limits);
    expect(d).toEqual({ action: 'fail', reason: '2 failed measurement(s) (limit 2); last: error-rate: canary 20.00% vs limit 1.20% (stable 0.20%)' });
  });

  it('counts failures of earlier bakes of the canary toward the limit, but only fails on a new failure', () => {
    expect(bakeDecision([pass, fail], limits, 1)).toMatchObject({ action: 'fail', reason: expect.stringMatching(/^2 failed measurement\(s\) \(limit 2\)/) });
    expect(bakeDecision([pass, pass], limits, 5)).toEqual({ action: 'continue' });
  });

  it('asks a human after enough inconclusive measurements in a row, not in total', () => {
    expect(bakeDecision([unknown, unknown, pass, unknown, unknown], limits)).toEqual({ action: 'continue' });
    expect(bakeDecision([pass, unknown, unknown, unknown], limits)).toMatchObject({ action: 'ask-human', reason: expect.stringMatching(/^3 inconclusive measurement\(s\) in a row: no canary traffic data/) });
  });
});
