/**
 * Delivery metrics (issue 19): what one ended release or rollback contributes to Runway's
 * `runway_*` series, and the running totals those contributions add up to. Pure and
 * deterministic: the delivery ledger workflow (workflows/delivery-ledger.ts) keeps the totals as
 * its state, so each release is counted exactly once whatever happens to workers; the worker's
 * /metrics renders them (src/metrics/delivery-exposition.ts).
 *
 * Labels never carry a release id, version or person: only the service, the environment, the
 * result, the stage, the cause and the verdict, all from small fixed sets (plus the config's
 * services), so the number of series stays bounded.
 */
import { type ReleaseOutcome, type ReleaseResult, ReleaseStage, type ReleaseStatus } from './release';

/** Histogram buckets, in seconds (upper bounds; +Inf is implied). */
export const DURATION_BUCKETS_S = [60, 300, 600, 1800, 3600, 7200, 21_600, 86_400] as const;
export const STAGE_BUCKETS_S = [1, 10, 60, 300, 900, 3600, 14_400, 86_400] as const;
export const LEAD_TIME_BUCKETS_S = [600, 3600, 14_400, 86_400, 259_200, 604_800, 2_592_000] as const;
export const RECOVERY_BUCKETS_S = [60, 300, 900, 3600, 14_400, 86_400] as const;
export const APPROVAL_WAIT_BUCKETS_S = [60, 300, 900, 3600, 14_400, 86_400] as const;

export type WorkflowKind = 'release' | 'rollback';

/** Why a release was rolled back (or turned away): the `cause` label of runway_rollbacks_total. */
export type RollbackCause =
  | 'build'
  | 'staging'
  | 'smoke'
  | 'rejected'
  | 'migration'
  | 'canary-analysis'
  | 'canary'
  | 'production'
  | 'post-release-watch'
  | 'operator-abort'
  | 'superseded'
  | 'preempted'
  | 'cancelled'
  | 'rollback-requested'
  | 'other';

/** What one ended workflow contributes. Durations in seconds. */
export interface DeliveryFacts {
  /** Workflow id and run id: the ledger counts each run once (never a label). */
  workflowId: string;
  runId: string;
  kind: WorkflowKind;
  service: string;
  /** The outcome's result; `no-outcome` for a run that closed without one (terminated, timed out). */
  result: ReleaseResult | 'no-outcome';
  /** The furthest environment it changed: production once a production stage began. */
  environment: 'none' | 'staging' | 'production';
  /** Start to end of the workflow. */
  durationSeconds: number;
  /** Time spent in each stage it went through (stage → seconds), summed over repeated visits. */
  stageSeconds: Record<string, number>;
  /** From asking for approval to the decision (absent when it never waited for one, or nobody decided). */
  approvalWaitSeconds?: number;
  /** Why it was rolled back (rolled-back, failed, or a rollback of a finished release that put production back). */
  rollbackCause?: RollbackCause;
  /** Time to restore production after a failed change: the canary's start (or the rollback's request) to the end. */
  recoverySeconds?: number;
  /** Commit time (from GitHub) to production, for a release that reached it; filled in by the collector when GitHub answers. */
  leadTimeSeconds?: number;
  /** Canary analysis measurements by verdict. */
  canaryVerdicts: Partial<Record<'pass' | 'fail' | 'inconclusive', number>>;
  /** When it ended (ISO): the ledger's watermark moves by it. */
  endedAt: string;
}

const PRODUCTION_STAGES: readonly string[] = [ReleaseStage.migrating, ReleaseStage.canary, ReleaseStage.promoting, ReleaseStage.verifying];
const STAGING_STAGES: readonly string[] = [ReleaseStage.staging, ReleaseStage.smoke, ReleaseStage.awaitingApproval, ReleaseStage.frozen];

const ms = (iso: string | undefined): number => (iso ? Date.parse(iso) : NaN);
const seconds = (fromMs: number, toMs: number): number | undefined => (Number.isFinite(fromMs) && Number.isFinite(toMs) && toMs >= fromMs ? (toMs - fromMs) / 1000 : undefined);

/** Where a rolled-back release failed: the stage it was in when rolling back began, refined by the reason. */
export function rollbackCauseOf(status: ReleaseStatus, reason: string | undefined): RollbackCause {
  const why = reason ?? status.outcomeReason ?? '';
  if (why.startsWith('aborted by')) return 'operator-abort';
  if (why.includes('superseded by')) return 'superseded';
  if (why.includes('preempted by rollback')) return 'preempted';
  if (why === 'the release was cancelled') return 'cancelled';
  const firstRollback = status.history.findIndex((e) => e.stage === ReleaseStage.rollingBack);
  const failedIn = firstRollback > 0 ? status.history[firstRollback - 1].stage : undefined;
  switch (failedIn) {
    case ReleaseStage.queued:
    case ReleaseStage.building:
      return 'build';
    case ReleaseStage.staging:
      return 'staging';
    case ReleaseStage.smoke:
      return 'smoke';
    case ReleaseStage.awaitingApproval:
    case ReleaseStage.frozen:
      return 'rejected';
    case ReleaseStage.migrating:
      return 'migration';
    case ReleaseStage.canary:
      return status.canary.failure && status.canary.failure.length > 0 ? 'canary-analysis' : 'canary';
    case ReleaseStage.promoting:
      return 'production';
    case ReleaseStage.verifying:
      return 'post-release-watch';
    default:
      return 'other';
  }
}

/** Seconds spent in each stage, from the history's stage changes (the last one runs to the end). */
export function stageSecondsOf(status: ReleaseStatus): Record<string, number> {
  const spans: Record<string, number> = {};
  const changes = status.history.filter((e, i, all) => i === 0 || e.stage !== all[i - 1].stage);
  const endMs = ms(status.finishedAt ?? status.updatedAt);
  changes.forEach((e, i) => {
    if ((TERMINAL as readonly string[]).includes(e.stage)) return;
    const next = i + 1 < changes.length ? ms(changes[i + 1].at) : endMs;
    const s = seconds(ms(e.at), next);
    if (s !== undefined) spans[e.stage] = (spans[e.stage] ?? 0) + s;
  });
  return spans;
}

const TERMINAL = [ReleaseStage.released, ReleaseStage.rolledBack, ReleaseStage.rejected, ReleaseStage.failed];

/** What an ended release or rollback contributes, from its outcome (the workflow's result). */
export function deliveryFactsOf(workflowId: string, runId: string, kind: WorkflowKind, outcome: ReleaseOutcome, closedAt: string): DeliveryFacts {
  const { status } = outcome;
  const stages = status.history.map((e) => e.stage as string);
  const touchedProduction = stages.some((s) => PRODUCTION_STAGES.includes(s)) || (kind === 'rollback' && status.deployed?.production !== undefined);
  const touchedStaging = stages.some((s) => STAGING_STAGES.includes(s));
  const endedAt = status.finishedAt ?? closedAt;
  const facts: DeliveryFacts = {
    workflowId,
    runId,
    kind,
    service: status.service,
    result: outcome.result,
    environment: touchedProduction ? 'production' : touchedStaging ? 'staging' : 'none',
    durationSeconds: seconds(ms(status.startedAt), ms(endedAt)) ?? 0,
    stageSeconds: stageSecondsOf(status),
    canaryVerdicts: {},
    endedAt,
  };
  const asked = status.history.find((e) => e.stage === ReleaseStage.awaitingApproval);
  const wait = status.approval.at ? seconds(ms(asked?.at), ms(status.approval.at)) : undefined;
  if (asked && wait !== undefined) facts.approvalWaitSeconds = wait;
  for (const step of status.canary.analysis ?? []) {
    for (const m of step.measurements) facts.canaryVerdicts[m.verdict] = (facts.canaryVerdicts[m.verdict] ?? 0) + 1;
  }
  if (kind === 'rollback') {
    // A rollback that put production back: the finished release it replaced was a failed change.
    if (outcome.result === 'released') {
      facts.rollbackCause = 'rollback-requested';
      facts.recoverySeconds = facts.durationSeconds;
    }
    return facts;
  }
  if (outcome.result === 'rolled-back' || outcome.result === 'failed') {
    facts.rollbackCause = rollbackCauseOf(status, outcome.reason);
    // Recovery from a failed production change: from when production first changed to when it was put back.
    const firstProduction = status.history.find((e) => PRODUCTION_STAGES.includes(e.stage));
    const restored = outcome.result === 'rolled-back' && firstProduction ? seconds(ms(firstProduction.at), ms(endedAt)) : undefined;
    if (restored !== undefined) facts.recoverySeconds = restored;
  }
  return facts;
}

/** A histogram's state: cumulative-free counts per bucket (the last is +Inf), their sum and count. */
export interface HistogramState {
  buckets: number[];
  sum: number;
  count: number;
}

/** Every runway_* series, keyed by its labels joined with "|" (see the key helpers). */
export interface DeliveryTotals {
  /** `kind|service|environment|result` → count */
  ended: Record<string, number>;
  /** `service|cause` → count */
  rollbacks: Record<string, number>;
  /** `service|verdict` → count */
  canaryVerdicts: Record<string, number>;
  /** `kind|service|result` → histogram */
  duration: Record<string, HistogramState>;
  /** `service|stage` → histogram */
  stage: Record<string, HistogramState>;
  /** `service` → histogram */
  approvalWait: Record<string, HistogramState>;
  /** `service` → histogram */
  leadTime: Record<string, HistogramState>;
  /** `service|cause` → histogram */
  recovery: Record<string, HistogramState>;
  /** Releases and rollbacks counted so far (all series). */
  counted: number;
}

export function emptyTotals(): DeliveryTotals {
  return { ended: {}, rollbacks: {}, canaryVerdicts: {}, duration: {}, stage: {}, approvalWait: {}, leadTime: {}, recovery: {}, counted: 0 };
}

function observe(map: Record<string, HistogramState>, key: string, bounds: readonly number[], value: number): void {
  const h = (map[key] ??= { buckets: new Array<number>(bounds.length + 1).fill(0), sum: 0, count: 0 });
  const i = bounds.findIndex((b) => value <= b);
  h.buckets[i < 0 ? bounds.length : i] += 1;
  h.sum += value;
  h.count += 1;
}

const inc = (map: Record<string, number>, key: string, by = 1) => void (map[key] = (map[key] ?? 0) + by);

/** Adds one ended workflow's facts to `totals` (in place). The caller makes sure each is added once. */
export function addFacts(totals: DeliveryTotals, f: DeliveryFacts): void {
  totals.counted += 1;
  inc(totals.ended, [f.kind, f.service, f.environment, f.result].join('|'));
  observe(totals.duration, [f.kind, f.service, f.result].join('|'), DURATION_BUCKETS_S, f.durationSeconds);
  for (const [stage, s] of Object.entries(f.stageSeconds)) observe(totals.stage, `${f.service}|${stage}`, STAGE_BUCKETS_S, s);
  if (f.approvalWaitSeconds !== undefined) observe(totals.approvalWait, f.service, APPROVAL_WAIT_BUCKETS_S, f.approvalWaitSeconds);
  if (f.leadTimeSeconds !== undefined) observe(totals.leadTime, f.service, LEAD_TIME_BUCKETS_S, f.leadTimeSeconds);
  if (f.rollbackCause) inc(totals.rollbacks, `${f.service}|${f.rollbackCause}`);
  if (f.rollbackCause && f.recoverySeconds !== undefined) observe(totals.recovery, `${f.service}|${f.rollbackCause}`, RECOVERY_BUCKETS_S, f.recoverySeconds);
  for (const [verdict, n] of Object.entries(f.canaryVerdicts)) if (n) inc(totals.canaryVerdicts, `${f.service}|${verdict}`, n);
}
