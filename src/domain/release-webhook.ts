/**
 * What a release's webhook receivers are told: one JSON body per event worth announcing, built
 * from the release's status at that moment (README "Release markers and webhooks"). Pure: the
 * workflow builds it, so every attempt of a delivery sends the same bytes.
 */
import type { BaselineRecord, MeasurementRecord, ReleaseResult, ReleaseStage, ReleaseStatus } from './release';

/** The events, in the order a release that goes all the way sends them; a release ends with exactly one of the last four. */
export const WebhookEvent = {
  started: 'release.started',
  approved: 'release.approved',
  inProduction: 'release.in-production',
  released: 'release.released',
  rolledBack: 'release.rolled-back',
  rejected: 'release.rejected',
  failed: 'release.failed',
} as const;
export type WebhookEvent = (typeof WebhookEvent)[keyof typeof WebhookEvent];

/** The event that announces a release's result. */
export function resultEvent(result: ReleaseResult): WebhookEvent {
  return `release.${result}`;
}

export interface ReleaseWebhookPayload {
  /** The delivery id, also in the Runway-Delivery header: the same on every attempt. */
  id: string;
  event: WebhookEvent;
  /** When the event happened (not when this attempt was sent). */
  at: string;
  release: {
    id: string;
    runId: string;
    service: string;
    version: string;
    image: string;
    requestedBy: string;
    /** Why the release was started (`runway start --reason`). */
    reason: string;
    /** The release in the Temporal Web UI, when `webUiUrl` is configured. */
    url?: string;
  };
  stage: ReleaseStage;
  /** On the last event: how the release ended, and why when it did not reach production. */
  result?: ReleaseResult;
  reason?: string;
  /** On release.approved: who approved. */
  approvedBy?: string[];
  /** The numbers analysis decided on, when it measured anything. */
  analysis?: {
    canary?: { step: number; weight: number; last?: MeasurementRecord; failure?: { signal: string; detail: string }[] };
    watch?: { baseline?: BaselineRecord; last?: MeasurementRecord; failure?: { signal: string; detail: string }[] };
  };
}

export interface WebhookContext {
  deliveryId: string;
  runId: string;
  at: Date;
  url?: string;
}

export function releaseWebhookPayload(event: WebhookEvent, status: ReleaseStatus, context: WebhookContext): ReleaseWebhookPayload {
  const approvedBy = status.approval.approvals?.map((a) => a.by) ?? (status.approval.by ? [status.approval.by] : []);
  const analysis = analysisOf(status);
  return {
    id: context.deliveryId,
    event,
    at: context.at.toISOString(),
    release: {
      id: status.releaseId,
      runId: context.runId,
      service: status.service,
      version: status.version,
      image: status.image,
      requestedBy: status.requestedBy,
      reason: status.reason,
      ...(context.url ? { url: context.url } : {}),
    },
    stage: status.stage,
    ...(status.result ? { result: status.result } : {}),
    ...(status.result && status.outcomeReason ? { reason: status.outcomeReason } : {}),
    ...(event === WebhookEvent.approved ? { approvedBy } : {}),
    ...(analysis ? { analysis } : {}),
  };
}

function analysisOf(status: ReleaseStatus): ReleaseWebhookPayload['analysis'] {
  const steps = status.canary.analysis ?? [];
  const lastStep = steps.at(-1);
  const canary =
    lastStep || status.canary.failure
      ? {
          step: status.canary.step,
          weight: status.canary.weight,
          ...(lastStep?.measurements.length ? { last: lastStep.measurements.at(-1) } : {}),
          ...(status.canary.failure ? { failure: status.canary.failure } : {}),
        }
      : undefined;
  const verify = status.verify;
  const watch =
    verify && (verify.measurements.length > 0 || verify.failure)
      ? {
          ...(verify.baseline ? { baseline: verify.baseline } : {}),
          ...(verify.measurements.length ? { last: verify.measurements.at(-1) } : {}),
          ...(verify.failure ? { failure: verify.failure } : {}),
        }
      : undefined;
  if (!canary && !watch) return undefined;
  return { ...(canary ? { canary } : {}), ...(watch ? { watch } : {}) };
}
