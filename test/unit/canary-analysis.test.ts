import {
  bakeDecision,
  DEFAULT_THRESHOLDS,
  judgeMeasurement,
  type Measurement,
  type MeasurementResult,
  stepMayAdvance,
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

  it('treats rates seen with too little traffic as inconclusive either way, keeping the numbers', () => {
    const noisy = judge({ canary: { requests: 3, errorRate: 1 / 3, p99Ms: 900 } });
    expect(noisy.verdict).toBe('inconclusive');
    expect(signal(noisy, 'error-rate')).toEqual({ signal: 'error-rate', verdict: 'inconclusive', detail: 'canary 33.33% vs limit 1.20% (stable 0.20%)' });
    expect(signal(noisy, 'p99-latency').verdict).toBe('inconclusive');
  });

  it('still fails a crashed canary task with too little traffic', () => {
    expect(judge({ crashedTasks: 2, canary: { requests: 3, errorRate: 0, p99Ms: 100 } }).verdict).toBe('fail');
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
    expect(bakeDecision([pass, fail], limits, { failures: 1 })).toMatchObject({ action: 'fail', reason: expect.stringMatching(/^2 failed measurement\(s\) \(limit 2\)/) });
    expect(bakeDecision([pass, pass], limits, { failures: 5 })).toEqual({ action: 'continue' });
  });

  it('asks a human after enough inconclusive measurements in a row, not in total', () => {
    expect(bakeDecision([unknown, unknown, pass, unknown, unknown], limits)).toEqual({ action: 'continue' });
    expect(bakeDecision([pass, unknown, unknown, unknown], limits)).toMatchObject({ action: 'ask-human', reason: expect.stringMatching(/^3 inconclusive measurement\(s\) in a row: no canary traffic data/) });
  });

  it('carries an inconclusive streak over from earlier windows, which a pass ends', () => {
    expect(bakeDecision([unknown], limits, { inconclusiveInARow: 2 })).toMatchObject({ action: 'ask-human', reason: expect.stringMatching(/^3 inconclusive/) });
    expect(bakeDecision([pass, unknown], limits, { inconclusiveInARow: 2 })).toEqual({ action: 'continue' });
    expect(bakeDecision([], limits, { inconclusiveInARow: 5 })).toEqual({ action: 'continue' });
  });
});

describe('stepMayAdvance', () => {
  const v = (...verdicts: ('pass' | 'fail' | 'inconclusive')[]) => verdicts.map((verdict) => ({ verdict }));

  it('steps up after a pass unless the latest measurement failed', () => {
    expect(stepMayAdvance(v('pass'), false)).toBe(true);
    expect(stepMayAdvance(v('pass', 'inconclusive'), false)).toBe(true);
    expect(stepMayAdvance(v('pass', 'fail'), false)).toBe(false);
  });

  it('never steps up on no data alone, unless a human accepted the step', () => {
    expect(stepMayAdvance(v(), false)).toBe(false);
    expect(stepMayAdvance(v('inconclusive', 'inconclusive'), false)).toBe(false);
    expect(stepMayAdvance(v('inconclusive', 'inconclusive'), true)).toBe(true);
    expect(stepMayAdvance(v('inconclusive', 'fail'), true)).toBe(false);
  });
});
