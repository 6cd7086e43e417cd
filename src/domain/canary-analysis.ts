/**
 * Canary analysis verdicts: one measurement of the canary against the stable baseline becomes
 * pass / fail / inconclusive, with every signal's value and threshold kept so the decision can
 * be shown, not just taken. "No data" is never a silent pass. Pure: used by the analysis
 * activity and tested without a server.
 */

export type Verdict = 'pass' | 'fail' | 'inconclusive';

/** What one track (canary or stable) looked like over one analysis interval. */
export interface TrackMetrics {
  /** Requests served in the interval; undefined when the metrics source had no data. */
  requests?: number;
  /** 5xx / requests, 0..1. */
  errorRate?: number;
  p99Ms?: number;
}

export interface Measurement {
  at: string;
  canary: TrackMetrics;
  stable: TrackMetrics;
  /** Canary tasks of the new revision that stopped with TaskFailedToStart / EssentialContainerExited. */
  crashedTasks: number;
  /** Why they stopped (ECS stopped reasons with exit codes), most frequent first. */
  crashReasons?: string[];
  /** Set when the metrics source could not be queried: the measurement has no data, for this reason. */
  metricsError?: string;
  /**
   * What the two tracks are called in the verdicts' details. The post-release watch measures
   * production against a baseline. @default { candidate: 'canary', reference: 'stable' }
   */
  labels?: { candidate: string; reference: string };
}

export interface AnalysisThresholds {
  /** Canary error rate above this fails (0.01 = 1 %). @default 0.01 */
  maxErrorRate: number;
  /** ...or more than this many points above the stable error rate (0.01 = 1 point). @default 0.01 */
  maxErrorRateIncrease: number;
  /** Canary p99 more than this fraction above stable p99 fails (0.25 = 25 %). @default 0.25 */
  maxP99Increase: number;
  /** More crashed canary tasks than this fails. @default 0 */
  maxCrashedTasks: number;
  /** Fewer canary requests than this in an interval is too little traffic to judge. @default 50 */
  minRequests: number;
}

export const DEFAULT_THRESHOLDS: AnalysisThresholds = {
  maxErrorRate: 0.01,
  maxErrorRateIncrease: 0.01,
  maxP99Increase: 0.25,
  maxCrashedTasks: 0,
  minRequests: 50,
};

export interface SignalResult {
  signal: 'crashed-tasks' | 'traffic' | 'error-rate' | 'p99-latency';
  verdict: Verdict;
  /** Human-readable: the measured value and the threshold it was held to. */
  detail: string;
}

export interface MeasurementResult {
  measurement: Measurement;
  verdict: Verdict;
  signals: SignalResult[];
}

const pct = (fraction: number) => `${(fraction * 100).toFixed(2)}%`;

const candidateOf = (m: Measurement) => m.labels?.candidate ?? 'canary';
const referenceOf = (m: Measurement) => m.labels?.reference ?? 'stable';

function crashedTasks(m: Measurement, t: AnalysisThresholds): SignalResult {
  const verdict = m.crashedTasks > t.maxCrashedTasks ? 'fail' : 'pass';
  const why = m.crashReasons?.length ? `: ${m.crashReasons.join('; ')}` : '';
  return { signal: 'crashed-tasks', verdict, detail: `${m.crashedTasks} crashed ${candidateOf(m)} task(s) (limit ${t.maxCrashedTasks})${why}` };
}

function traffic(m: Measurement, t: AnalysisThresholds): SignalResult {
  const requests = m.canary.requests;
  if (requests === undefined) {
    return { signal: 'traffic', verdict: 'inconclusive', detail: m.metricsError ? `metrics unavailable: ${m.metricsError}` : `no ${candidateOf(m)} traffic data` };
  }
  const verdict = requests < t.minRequests ? 'inconclusive' : 'pass';
  return { signal: 'traffic', verdict, detail: `${requests} ${candidateOf(m)} request(s) (need ${t.minRequests})` };
}

function errorRate(m: Measurement, t: AnalysisThresholds): SignalResult {
  const candidate = m.canary.errorRate;
  if (candidate === undefined) return { signal: 'error-rate', verdict: 'inconclusive', detail: `no ${candidateOf(m)} error-rate data` };
  const reference = m.stable.errorRate;
  // Relative to stable when stable is known: a dependency outage raises both and is not the canary's fault.
  const limit = reference === undefined ? t.maxErrorRate : Math.max(t.maxErrorRate, reference + t.maxErrorRateIncrease);
  const verdict = candidate > limit ? 'fail' : 'pass';
  const baseline = reference === undefined ? `${referenceOf(m)} unknown` : `${referenceOf(m)} ${pct(reference)}`;
  return { signal: 'error-rate', verdict, detail: `${candidateOf(m)} ${pct(candidate)} vs limit ${pct(limit)} (${baseline})` };
}

function p99Latency(m: Measurement, t: AnalysisThresholds): SignalResult {
  const candidate = m.canary.p99Ms;
  const reference = m.stable.p99Ms;
  const [c, r] = [candidateOf(m), referenceOf(m)];
  if (candidate === undefined || reference === undefined || reference <= 0) {
    return { signal: 'p99-latency', verdict: 'inconclusive', detail: `p99 ${c} ${candidate ?? '?'} ms, ${r} ${reference ?? '?'} ms: no baseline` };
  }
  const limit = reference * (1 + t.maxP99Increase);
  const verdict = candidate > limit ? 'fail' : 'pass';
  return { signal: 'p99-latency', verdict, detail: `${c} p99 ${Math.round(candidate)} ms vs limit ${Math.round(limit)} ms (${r} ${Math.round(reference)} ms +${Math.round(t.maxP99Increase * 100)}%)` };
}

/**
 * Judges one measurement. Any failing signal fails it; otherwise any inconclusive signal makes
 * it inconclusive. With too little traffic, rates and percentiles are noise (one 5xx in three
 * requests is "33 %"), so they are inconclusive whichever way they point — the numbers stay in
 * the detail for the human who may be asked. A crashed task is a crash at any traffic.
 */
export function judgeMeasurement(m: Measurement, thresholds: AnalysisThresholds = DEFAULT_THRESHOLDS): MeasurementResult {
  const signals = [crashedTasks(m, thresholds), traffic(m, thresholds), errorRate(m, thresholds), p99Latency(m, thresholds)];
  const lowTraffic = signals[1]!.verdict === 'inconclusive';
  const judged = lowTraffic
    ? signals.map((s) => (s.signal === 'error-rate' || s.signal === 'p99-latency' ? { ...s, verdict: 'inconclusive' as const } : s))
    : signals;
  const verdict: Verdict = judged.some((s) => s.verdict === 'fail') ? 'fail' : judged.some((s) => s.verdict === 'inconclusive') ? 'inconclusive' : 'pass';
  return { measurement: m, verdict, signals: judged };
}

export interface BakeLimits {
  /** Failed measurements over the whole canary that fail it. @default 2 */
  failureLimit: number;
  /** Inconclusive measurements in a row that pause the release and ask a human. @default 3 */
  inconclusiveLimit: number;
}

export type BakeDecision =
  | { action: 'continue' }
  | { action: 'fail'; reason: string }
  | { action: 'ask-human'; reason: string };

/** What earlier bake windows of the same canary contribute to this window's decision. */
export interface PriorMeasurements {
  /** Failed measurements so far over the whole canary. */
  failures?: number;
  /** Inconclusive measurements in a row at the end of the earlier windows (since a human last decided). */
  inconclusiveInARow?: number;
}

/**
 * What to do after the measurements of a bake so far. Failures count over the whole canary, and
 * an inconclusive streak carries over from the windows before (a pause or a step boundary must
 * not reset it), so neither a canary that fails once per short bake nor one with no data in any
 * bake gets through.
 */
export function bakeDecision(results: MeasurementResult[], limits: BakeLimits, prior: PriorMeasurements = {}): BakeDecision {
  const failures = results.filter((r) => r.verdict === 'fail');
  const total = (prior.failures ?? 0) + failures.length;
  if (failures.length > 0 && total >= limits.failureLimit) {
    const last = failures[failures.length - 1]!;
    const failing = last.signals.filter((s) => s.verdict === 'fail').map((s) => `${s.signal}: ${s.detail}`);
    return { action: 'fail', reason: `${total} failed measurement(s) (limit ${limits.failureLimit}); last: ${failing.join('; ')}` };
  }
  const inconclusiveInARow = inconclusiveStreak(results, prior.inconclusiveInARow ?? 0);
  if (results.length > 0 && results.at(-1)!.verdict === 'inconclusive' && inconclusiveInARow >= limits.inconclusiveLimit) {
    const last = results[results.length - 1]!;
    const why = last.signals.filter((s) => s.verdict === 'inconclusive').map((s) => s.detail);
    return { action: 'ask-human', reason: `${inconclusiveInARow} inconclusive measurement(s) in a row: ${why.join('; ')}` };
  }
  return { action: 'continue' };
}

/** Length of the run of inconclusive verdicts at the end of `results`, continuing a run of `before`. */
export function inconclusiveStreak(results: { verdict: Verdict }[], before = 0): number {
  let streak = before;
  for (const r of results) streak = r.verdict === 'inconclusive' ? streak + 1 : 0;
  return streak;
}

/**
 * Whether a canary step has shown enough to step up once its bake time is over: its latest
 * measurement did not fail and at least one measurement passed. A step with only inconclusive
 * results is baked again (its streak then reaches the limit and a human decides), so no data
 * never becomes a silent pass; a human who resumed a held canary has accepted the step.
 */
export function stepMayAdvance(stepResults: { verdict: Verdict }[], acceptedByHuman: boolean): boolean {
  const latest = stepResults.at(-1)?.verdict;
  if (latest === 'fail') return false;
  return acceptedByHuman || stepResults.some((r) => r.verdict === 'pass');
}
