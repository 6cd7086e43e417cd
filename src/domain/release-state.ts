/**
 * The release's own record of itself: stage, canary position, approval and the history of what
 * was done. A plain class the workflow's handlers call into, so every transition is testable
 * without a server. Time is passed in (workflow time inside a workflow).
 */
import { weightText } from './canary-plan';
import {
  type MeasurementRecord,
  type ReleaseEvent,
  type ReleaseInput,
  type ReleaseResult,
  ReleaseStage,
  type ReleaseStatus,
  isTerminalStage,
} from './release';
import { inconclusiveStreak, type MeasurementResult, type SignalResult, type TrackMetrics } from './canary-analysis';
import { releaseId } from './release-id';

/** A measurement as the status table shows it: the numbers and, when not a pass, why. */
export function measurementRecord(r: MeasurementResult): MeasurementRecord {
  const m = r.measurement;
  return {
    at: m.at,
    verdict: r.verdict,
    requests: m.canary.requests,
    errorRate: m.canary.errorRate,
    stableErrorRate: m.stable.errorRate,
    p99Ms: m.canary.p99Ms,
    stableP99Ms: m.stable.p99Ms,
    crashedTasks: m.crashedTasks,
    notes: r.signals.filter((s) => s.verdict !== 'pass').map((s) => `${s.signal}: ${s.detail}`),
  };
}

const RESULT_STAGE: Record<ReleaseResult, ReleaseStage> = {
  released: ReleaseStage.released,
  'rolled-back': ReleaseStage.rolledBack,
  rejected: ReleaseStage.rejected,
  failed: ReleaseStage.failed,
};

export class ReleaseState {
  private readonly status: ReleaseStatus;
  /** Measurements taken before a human last released a held canary: its inconclusive streak starts after them. */
  private measurementsBeforeHumanDecision = 0;

  /** `id`: the workflow id when it is not the release id of the input (a rollback). */
  constructor(input: ReleaseInput, now: Date, id = releaseId(input.service, input.version)) {
    const at = now.toISOString();
    this.status = {
      releaseId: id,
      service: input.service,
      version: input.version,
      image: input.image,
      requestedBy: input.requestedBy,
      reason: input.reason,
      stage: ReleaseStage.queued,
      startedAt: at,
      updatedAt: at,
      canary: { steps: [...input.plan.canary.steps], step: 0, weight: 0, actualWeight: 0 },
      ...(input.plan.verify ? { verify: { durationMs: input.plan.verify.durationMs, measurements: [] } } : {}),
      approval: { refused: [] },
      history: [{ at, stage: ReleaseStage.queued, message: `release of ${input.version} requested by ${input.requestedBy}: ${input.reason}` }],
    };
  }

  get stage(): ReleaseStage {
    return this.status.stage;
  }

  get isDecided(): boolean {
    return this.status.approval.decision !== undefined;
  }

  get approval() {
    return this.status.approval;
  }

  /** Moves to a new stage. Terminal stages are final: a finished release never moves again. */
  enter(stage: ReleaseStage, message: string, now: Date): void {
    if (isTerminalStage(this.status.stage)) {
      throw new Error(`release already ended as ${this.status.stage}; cannot enter ${stage}`);
    }
    this.status.stage = stage;
    if (stage !== ReleaseStage.canary) {
      // Pause and hold belong to the canary: promoting, rolling back or ending leaves them behind.
      this.status.paused = false;
      delete this.status.canary.awaitingDecision;
    }
    this.record(message, now);
  }

  /** The image the release deploys: the one it was started with, or the one its build produced. */
  get image(): string {
    return this.status.image;
  }

  /** The image the release deploys, once the build stage has produced it. */
  useImage(image: string): void {
    this.status.image = image;
  }

  /** Adds a line to the history without changing stage. */
  record(message: string, now: Date): void {
    const event: ReleaseEvent = { at: now.toISOString(), stage: this.status.stage, message };
    this.status.history.push(event);
    this.status.updatedAt = event.at;
  }

  setCanary(step: number, weight: number, actualWeight: number, now: Date): void {
    this.status.canary = { ...this.status.canary, step, weight, actualWeight };
    this.record(`canary step ${step}/${this.status.canary.steps.length}: ${weightText(weight, actualWeight)}`, now);
  }

  /** Adds a bake window's measurements to the step's table. */
  recordMeasurements(step: number, weight: number, results: MeasurementResult[], now: Date): void {
    if (results.length === 0) return;
    const analysis = (this.status.canary.analysis ??= []);
    let row = analysis.find((a) => a.step === step);
    if (!row) analysis.push((row = { step, weight, measurements: [] }));
    row.measurements.push(...results.map(measurementRecord));
    const verdicts = results.map((r) => r.verdict);
    this.record(`canary analysis at ${weight}%: ${verdicts.length} measurement(s): ${verdicts.join(', ')}`, now);
  }

  /** Failed measurements so far over the whole canary. */
  get failedMeasurements(): number {
    return (this.status.canary.analysis ?? []).reduce((n, a) => n + a.measurements.filter((m) => m.verdict === 'fail').length, 0);
  }

  /** Every measurement of the canary so far, oldest first. */
  private canaryMeasurements(): MeasurementRecord[] {
    return (this.status.canary.analysis ?? []).flatMap((a) => a.measurements);
  }

  /** Every measurement of the release (the canary's, then the post-release watch's), oldest first. */
  private allMeasurements(): MeasurementRecord[] {
    return [...this.canaryMeasurements(), ...(this.status.verify?.measurements ?? [])];
  }

  /** Inconclusive measurements in a row at the end of the canary so far, since a human last decided. */
  get inconclusiveInARow(): number {
    return inconclusiveStreak(this.canaryMeasurements().slice(this.measurementsBeforeHumanDecision));
  }

  /** The measurements of one canary step, oldest first. */
  measurementsOf(step: number): MeasurementRecord[] {
    return (this.status.canary.analysis ?? []).find((a) => a.step === step)?.measurements ?? [];
  }

  /** The verdict of the most recent measurement, if any. */
  get latestVerdict(): MeasurementRecord['verdict'] | undefined {
    const analysis = this.status.canary.analysis ?? [];
    return analysis[analysis.length - 1]?.measurements.at(-1)?.verdict;
  }

  /** Analysis cannot judge the canary: hold it and ask a human (resume, promote or abort). */
  askHuman(reason: string, now: Date): void {
    this.status.paused = true;
    this.status.canary.awaitingDecision = reason;
    this.record(`canary held, a human must decide (runway resume|promote|abort): ${reason}`, now);
  }

  /** The signals that failed the canary, kept for the status, Slack and the CLI. */
  /** Records the task definition an environment now runs (what a later rollback can put back). */
  deployed(environment: 'staging' | 'production', taskDefinition: string): void {
    this.status.deployed = { ...this.status.deployed, [environment]: taskDefinition };
  }

  /** The previous version's numbers, measured before any canary traffic (the post-release watch compares against them). */
  recordBaseline(metrics: TrackMetrics, now: Date): void {
    const verify = this.verifyRecord();
    verify.baseline = { at: now.toISOString(), ...metrics };
    this.record(`baseline of the running version: ${describeTrack(metrics)}`, now);
  }

  /** The post-release watch begins: production at full traffic is measured until `endsAt`. */
  startVerify(now: Date): void {
    const verify = this.verifyRecord();
    verify.startedAt = now.toISOString();
    verify.endsAt = new Date(now.getTime() + verify.durationMs).toISOString();
    this.record(`watching production for ${Math.round(verify.durationMs / 1000)} s against the baseline (until ${verify.endsAt})`, now);
  }

  /** Adds a window's measurements to the post-release watch. */
  recordVerifyMeasurements(results: MeasurementResult[], now: Date): void {
    if (results.length === 0) return;
    this.verifyRecord().measurements.push(...results.map(measurementRecord));
    this.record(`post-release watch: ${results.length} measurement(s): ${results.map((r) => r.verdict).join(', ')}`, now);
  }

  /** Failed measurements and the inconclusive streak of the post-release watch so far. */
  get verifyPrior(): { failures: number; inconclusiveInARow: number } {
    const measurements = this.status.verify?.measurements ?? [];
    // A human's decision during the watch starts a new inconclusive streak, as during the canary.
    const sinceDecision = Math.max(0, this.measurementsBeforeHumanDecision - this.canaryMeasurements().length);
    return { failures: measurements.filter((m) => m.verdict === 'fail').length, inconclusiveInARow: inconclusiveStreak(measurements.slice(sinceDecision)) };
  }

  /** The signals that failed production during the post-release watch. */
  verifyFailed(signals: SignalResult[]): void {
    this.verifyRecord().failure = signals.map((s) => ({ signal: s.signal, detail: s.detail }));
  }

  private verifyRecord(): NonNullable<ReleaseStatus['verify']> {
    if (!this.status.verify) throw new Error('this release has no post-release watch in its plan');
    return this.status.verify;
  }

  canaryFailed(signals: SignalResult[]): void {
    this.status.canary.failure = signals.map((s) => ({ signal: s.signal, detail: s.detail }));
  }

  decide(decision: 'approved' | 'rejected', by: string, comment: string | undefined, now: Date): void {
    if (this.isDecided) throw new Error('approval already decided');
    this.status.approval = { ...this.status.approval, decision, by, at: now.toISOString(), comment };
    this.record(`${decision} by ${by}${comment ? `: ${comment}` : ''}`, now);
  }

  /** Who approved so far, when several approvals are required. */
  get approvedBy(): string[] {
    return (this.status.approval.approvals ?? []).map((a) => a.by);
  }

  /**
   * Records one of several required approvals; the last one decides. Returns how many are still
   * needed (0 once approved).
   */
  addApproval(by: string, comment: string | undefined, group: string | undefined, required: number, now: Date): number {
    if (this.isDecided) throw new Error('approval already decided');
    if (this.approvedBy.includes(by)) throw new Error(`${by} has already approved`);
    (this.status.approval.approvals ??= []).push({ by, at: now.toISOString(), ...(comment ? { comment } : {}), ...(group ? { group } : {}) });
    const pending = Math.max(0, required - this.approvedBy.length);
    if (pending === 0) this.decide('approved', this.approvedBy.join(', '), comment, now);
    else this.record(`approval ${this.approvedBy.length}/${required} by ${by}${comment ? `: ${comment}` : ''}; waiting for ${pending} more`, now);
    return pending;
  }

  /**
   * Records an operator control. Pause sets the paused flag and resume clears it. Resume, promote
   * and abort are the decision a held canary waits for, so they clear the hold; a resumed hold
   * starts a new inconclusive streak. (Promote leaves the paused flag to the release: a promote
   * it cannot carry out leaves the canary paused as it was.)
   */
  control(action: string, by: string, reason: string | undefined, now: Date): void {
    if (action === 'pause') this.status.paused = true;
    if (action === 'resume') this.status.paused = false;
    if (action !== 'pause' && this.status.canary.awaitingDecision !== undefined) {
      if (action === 'resume') this.measurementsBeforeHumanDecision = this.allMeasurements().length;
      delete this.status.canary.awaitingDecision;
    }
    (this.status.controls ??= []).push({ action, by, reason, at: now.toISOString() });
    this.record(`${action} by ${by}${reason ? `: ${reason}` : ''}`, now);
  }

  get paused(): boolean {
    return this.status.paused ?? false;
  }

  refuse(by: string, reason: string, now: Date): void {
    this.status.approval.refused.push({ by, at: now.toISOString(), reason });
    this.record(`approval attempt by ${by || '(unknown)'} refused: ${reason}`, now);
  }

  finish(result: ReleaseResult, reason: string | undefined, now: Date): void {
    this.enter(RESULT_STAGE[result], reason ? `${result}: ${reason}` : result, now);
    this.status.result = result;
    this.status.outcomeReason = reason;
    this.status.finishedAt = now.toISOString();
  }

  /** The freeze holding the release at its production gate (or that held it), and break-glass approvals. */
  get freeze(): ReleaseStatus['freeze'] {
    return this.status.freeze;
  }

  /** Held at the gate by a freeze: what holds it and until when (the stage is entered separately). */
  holdAtGate(text: string, reasons: string[], untilMs: number | undefined, breakGlass?: { reason: string; required: number }): void {
    const approvals = this.status.freeze?.breakGlass?.approvals ?? [];
    this.status.freeze = {
      text,
      reasons,
      ...(untilMs !== undefined ? { until: new Date(untilMs).toISOString() } : {}),
      holding: true,
      ...(breakGlass ? { breakGlass: { ...breakGlass, approvals } } : {}),
    };
  }

  /** The gate let the release through. */
  passGate(message: string, now: Date): void {
    if (this.status.freeze) this.status.freeze.holding = false;
    this.record(message, now);
  }

  /** A break-glass approval; returns how many are still needed. */
  addBreakGlassApproval(by: string, comment: string | undefined, group: string | undefined, now: Date): number {
    const record = this.status.freeze?.breakGlass;
    if (!record) return 0;
    record.approvals.push({ by, at: now.toISOString(), ...(comment ? { comment } : {}), ...(group ? { group } : {}) });
    const pending = Math.max(0, record.required - record.approvals.length);
    this.record(`break-glass approved by ${by}${group ? ` (member of ${group})` : ''}${comment ? `: ${comment}` : ''}; ${pending === 0 ? 'enough approvals to pass the freeze' : `${pending} more needed`}`, now);
    return pending;
  }

  /** A copy, so query callers never hold a reference into live workflow state. */
  snapshot(): ReleaseStatus {
    return JSON.parse(JSON.stringify(this.status)) as ReleaseStatus;
  }
}

/** A track's numbers in a history line. */
function describeTrack(m: TrackMetrics): string {
  const pct = (f: number | undefined) => (f === undefined ? '?' : `${(f * 100).toFixed(2)}%`);
  return `errors ${pct(m.errorRate)}, p99 ${m.p99Ms === undefined ? '?' : `${Math.round(m.p99Ms)} ms`}, ${m.requests ?? '?'} requests`;
}
