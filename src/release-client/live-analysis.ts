/**
 * Live canary measurements for `runway status`. The workflow only learns a bake window's
 * measurements when the window's heartbeating `analyseBake` activity ends, so during a long
 * bake its status query shows nothing for the current step. The activity heartbeats every
 * measurement so far (activities/canary-analysis.ts), and Temporal keeps the latest heartbeat
 * on the pending activity, readable through DescribeWorkflowExecution. This module decodes those
 * details and merges the measurements the workflow has not reported yet into the current step's
 * table, marked `live`. Pure apart from payload decoding; best effort: anything unexpected in
 * the details yields no live measurements rather than an error.
 */
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import type { MeasurementResult } from '../domain/canary-analysis';
import type { AnalysisStepRecord, MeasurementRecord, ReleaseStatus } from '../domain/release';
import { measurementRecord } from '../domain/release-state';

/** The activity's name as the workflow schedules it. */
export const ANALYSE_BAKE_ACTIVITY = 'analyseBake';

/** A measurement shown before the workflow has recorded it (taken from the activity's heartbeat). */
export type LiveMeasurementRecord = MeasurementRecord & { live?: true };

/** The part of DescribeWorkflowExecution's pending activity this module reads. */
export interface PendingActivityLike {
  activityType?: { name?: string | null } | null;
  heartbeatDetails?: { payloads?: Payload[] | null } | null;
}

/**
 * The measurements in the heartbeat details of a pending `analyseBake`, or [] when there is
 * none (or its details cannot be read). The details are one payload: `{ startedAt, results }`.
 */
export function liveBakeResults(pending: readonly PendingActivityLike[] | null | undefined): MeasurementResult[] {
  const bake = [...(pending ?? [])].reverse().find((a) => a.activityType?.name === ANALYSE_BAKE_ACTIVITY);
  const payload = bake?.heartbeatDetails?.payloads?.[0];
  if (!payload) return [];
  let progress: unknown;
  try {
    progress = defaultPayloadConverter.fromPayload(payload);
  } catch {
    return [];
  }
  const results = (progress as { results?: unknown } | null | undefined)?.results;
  if (!Array.isArray(results)) return [];
  return results.filter(isMeasurementResult);
}

function isMeasurementResult(value: unknown): value is MeasurementResult {
  const r = value as Partial<MeasurementResult> | null;
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.verdict === 'string' &&
    Array.isArray(r.signals) &&
    typeof r.measurement === 'object' &&
    r.measurement !== null &&
    typeof r.measurement.at === 'string'
  );
}

/** The status table's row for one measurement (the workflow's own record of it), marked live. */
export function liveMeasurementRecord(r: MeasurementResult): LiveMeasurementRecord {
  return { ...measurementRecord(r), live: true };
}

/**
 * The status with the live measurements the workflow has not recorded yet appended to the
 * current step's table (or, while the post-release watch runs, to the watch's). A measurement already in any step's table (same `at`) is left out: the
 * window may have ended between the describe and the query. Nothing changes before the canary
 * (step 0) or once the release has ended. Does not modify `status`.
 */
export function mergeLiveMeasurements(status: ReleaseStatus, live: readonly MeasurementResult[]): ReleaseStatus {
  if (live.length === 0 || status.canary.step < 1 || status.finishedAt || status.result) return status;
  if (status.stage === 'verifying' && status.verify) {
    // The window in progress is the post-release watch's: its measurements go to the watch's table.
    const recordedAt = new Set(status.verify.measurements.map((m) => m.at));
    const fresh = live.filter((r) => !recordedAt.has(r.measurement.at)).map(liveMeasurementRecord);
    return fresh.length === 0 ? status : { ...status, verify: { ...status.verify, measurements: [...status.verify.measurements, ...fresh] } };
  }
  const analysis = status.canary.analysis ?? [];
  const recorded = new Set(analysis.flatMap((a) => a.measurements.map((m) => m.at)));
  const fresh = live.filter((r) => !recorded.has(r.measurement.at)).map(liveMeasurementRecord);
  if (fresh.length === 0) return status;
  const { step, weight } = status.canary;
  const existing = analysis.find((a) => a.step === step);
  const merged: AnalysisStepRecord[] = existing
    ? analysis.map((a) => (a === existing ? { ...a, measurements: [...a.measurements, ...fresh] } : a))
    : [...analysis, { step, weight, measurements: fresh }];
  return { ...status, canary: { ...status.canary, analysis: merged } };
}

export function isLive(m: MeasurementRecord): boolean {
  return (m as LiveMeasurementRecord).live === true;
}
