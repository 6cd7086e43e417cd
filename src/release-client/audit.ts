/**
 * The audit record of one release (or rollback): its whole story read from its Temporal history
 * alone — who started it and why, every Update and signal with who sent it and through which
 * channel, every analysis measurement with the thresholds it was judged against, every side
 * effect (activity) with its input, result, attempts and worker, the post-release watch, the
 * rollback and the outcome. No worker is needed: nothing here queries the workflow.
 *
 * `buildAuditRecord` is pure apart from payload decoding; it reads the SDK's history objects
 * (`handle.fetchHistory()`) and the JSON of `temporal workflow show --output json` alike (the
 * latter converted with the SDK's `historyFromJSON`). `readAudit` fetches both halves from a
 * server. Payload values are passed through `redact` before they enter the record, so a secret
 * that reached a history by mistake is not printed.
 *
 * The record's shape is `runway-audit/1` (README, "Audit record"): fields may be added, none
 * renamed or removed without a new format name.
 */
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { type History, historyFromJSON } from '@temporalio/common/lib/proto-utils';
import type { AnalysisThresholds, SignalResult, TrackMetrics, Verdict } from '../domain/canary-analysis';
import { type ApprovalRecord, RELEASE_NOT_RELEASED, type ReleaseInput, type ReleaseStatus } from '../domain/release';
import { canaryWeightSearchAttribute, RELEASE_WORKFLOW_TYPE, releaseSlackSentSignal, stageSearchAttribute } from '../domain/release-api';
import { ANALYSE_BAKE_ACTIVITY, liveBakeResults, type PendingActivityLike } from './live-analysis';

export const AUDIT_FORMAT = 'runway-audit/1';

type HistoryEvent = NonNullable<History['events']>[number];
type Failure = NonNullable<NonNullable<HistoryEvent['activityTaskFailedEventAttributes']>['failure']>;

/** Which way a decision or control reached the workflow. */
export type AuditChannel = 'slack' | 'cli' | 'signal';

export interface AuditDecision {
  at: string;
  /** The Update's or signal's name: approve, reject, pause, resume, promote, abort, … */
  name: string;
  via: 'update' | 'signal';
  /**
   * `slack`: an Update from the approvals server (a Slack button; it carries the clicker's Slack
   * user id); `cli`: an Update without a Slack origin (`runway` CLI or another Temporal client);
   * `signal`: a signal (Temporal Web UI, `temporal workflow signal`).
   */
  channel: AuditChannel;
  /** The identity the request names (`by`). */
  by?: string;
  slackUserId?: string;
  groups?: string[];
  /** Comment or reason sent with it. */
  note?: string;
  /** The Temporal client identity that sent it (process@host). */
  clientIdentity?: string;
  updateId?: string;
  /**
   * accepted; refused (signals only: the release recorded the refusal in its status); failed (an
   * Update whose handler failed); in-progress (an Update accepted, not completed yet); unknown (a
   * signal to a release that has not ended: its verdict is in the status, which is not read).
   */
  outcome: 'accepted' | 'refused' | 'failed' | 'in-progress' | 'unknown';
  /** Why it was refused or failed. */
  detail?: string;
  /** What an accepted Update answered. */
  response?: unknown;
  args: unknown[];
}

export interface AuditActivity {
  /** The workflow's sequence number for the activity. */
  activityId: string;
  name: string;
  /** RunwayStage when it was scheduled (releases). */
  stage?: string;
  summary?: string;
  scheduledAt: string;
  /** When its last attempt started (recorded with its end). */
  startedAt?: string;
  closedAt?: string;
  status: 'completed' | 'failed' | 'timed-out' | 'canceled' | 'running' | 'scheduled';
  /** Attempts made (the last one included). */
  attempts?: number;
  /** The worker identity that ran its last attempt. */
  worker?: string;
  input: unknown[];
  inputSummary: string;
  result?: unknown;
  resultSummary?: string;
  /** Why it failed, timed out or was cancelled. */
  failure?: string;
  /** The failure of the attempt before the last one, when it was retried. */
  lastFailure?: string;
  cancelRequested?: boolean;
}

export interface AuditMeasurement {
  at: string;
  verdict: Verdict;
  /** The canary (during the canary) or production (post-release watch). */
  candidate: TrackMetrics;
  /** The stable service (canary) or the previous version's baseline (watch). */
  reference: TrackMetrics;
  crashedTasks: number;
  crashReasons?: string[];
  metricsError?: string;
  /** Each signal with its verdict and detail (the measured value and the limit it was held to). */
  signals: SignalResult[];
  /** Heartbeated by a bake still running, not yet reported to the workflow. */
  live?: true;
}

/** One bake window: one analyseBake activity. */
export interface AuditBake {
  activityId: string;
  phase: 'canary' | 'verify';
  /** 1-based canary step, from the weight (canary only). */
  step?: number;
  weight?: number;
  scheduledAt: string;
  closedAt?: string;
  bakeMs?: number;
  thresholds?: AnalysisThresholds;
  limits?: { failureLimit?: number; inconclusiveLimit?: number };
  /** The baseline production was held to (watch only). */
  baseline?: TrackMetrics;
  measurements: AuditMeasurement[];
  decision?: { action: string; reason?: string };
  /** Cut short by the workflow (a pause, promote or abort). */
  interrupted?: boolean;
  status: AuditActivity['status'];
}

export interface AuditOtherEvent {
  at: string;
  kind: string;
  detail: string;
  identity?: string;
}

export interface AuditRecord {
  format: typeof AUDIT_FORMAT;
  id: string;
  runId?: string;
  /** Workflow type: `release`, `rollback`, … */
  type: string;
  status: 'running' | 'completed' | 'failed' | 'canceled' | 'terminated' | 'timed-out' | 'continued-as-new';
  startedAt: string;
  closedAt?: string;
  events: number;
  start: {
    requestedBy?: string;
    reason?: string;
    service?: string;
    version?: string;
    image?: string;
    /** The Temporal client identity that started the workflow. */
    clientIdentity?: string;
    /** The GitHub Actions run that started it (`runway start` in CI). */
    githubRun?: { id: number; attempt?: number };
    summary?: string;
    details?: string;
    /** The workflow's input, decoded (and redacted). */
    input: unknown[];
  };
  /** The plan's approval policy: a release's; a rollback's only when its plan asks for approval (`rollback: { approval: required }`). */
  approvalPolicy?: ReleaseInput['plan']['approval'];
  canary?: {
    steps?: number[];
    bakeMs?: number;
    analysis?: { intervalMs?: number; failureLimit?: number; inconclusiveLimit?: number; decisionTimeoutMs?: number; thresholds?: AnalysisThresholds };
    bakes: AuditBake[];
    failure?: { signal: string; detail: string }[];
  };
  verify?: {
    durationMs?: number;
    startedAt?: string;
    baseline?: TrackMetrics & { at?: string };
    bakes: AuditBake[];
    failure?: { signal: string; detail: string }[];
  };
  stages: { at: string; stage: string }[];
  decisions: AuditDecision[];
  activities: AuditActivity[];
  rollback?: {
    startedAt: string;
    /** The outcome's reason. */
    cause?: string;
    /** The last failure before the rollback began: a failed activity, a failed bake, an accepted abort or reject. */
    trigger?: { at: string; kind: 'activity' | 'analysis' | 'decision'; detail: string };
    /** The activities scheduled from the rollback's start on: its undo steps and reports. */
    activityIds: string[];
  };
  outcome?: {
    closedAs: Exclude<AuditRecord['status'], 'running'>;
    at: string;
    result?: string;
    reason?: string;
    failure?: string;
    identity?: string;
    /** The workflow's result as returned (a release: its ReleaseOutcome with the final status). */
    value?: unknown;
  };
  /** Cancellation requests, terminations, child workflows, external signals, workflow task failures. */
  otherEvents: AuditOtherEvent[];
  workflowWorkers: string[];
}

/** The part of `handle.describe()` the record uses (all optional but the status). */
export interface AuditDescription {
  workflowId?: string;
  runId?: string;
  type?: string;
  status?: { name: string };
  raw?: {
    pendingActivities?:
      | (PendingActivityLike & {
          activityId?: string | null;
          attempt?: number | null;
          lastFailure?: Failure | null;
          lastWorkerIdentity?: string | null;
          state?: number | null;
        })[]
      | null;
  };
}

// ---------------------------------------------------------------------------------------------
// Secrets and summaries

const SECRET_KEY = /token|secret|passw|credential|authori[sz]ation|api[-_]?key|private[-_]?key|cookie|dsn$/i;
const SECRET_VALUE: [RegExp, string][] = [
  [/\b(xox[abprse]-)[A-Za-z0-9-]+/g, '$1[redacted]'],
  [/\b(gh[pousr]_|github_pat_)[A-Za-z0-9_]+/g, '$1[redacted]'],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g, '$1 [redacted]'],
  [/(\/\/)[^/\s:@]+:[^/\s@]+@/g, '$1[redacted]@'],
];

/** A copy of `value` with secret-looking fields and values replaced by `[redacted]`. */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return SECRET_VALUE.reduce((s, [pattern, replacement]) => s.replace(pattern, replacement), value);
  if (value === null || typeof value !== 'object' || depth > 20) return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) && v !== undefined && v !== null && v !== '' ? '[redacted]' : redact(v, depth + 1)]));
}

function shorten(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = Math.ceil((max - 1) / 2);
  return `${text.slice(0, head)}…${text.slice(text.length - (max - 1 - head))}`;
}

function leaves(value: unknown, prefix: string, depth: number, out: string[]): void {
  if (value === undefined) return;
  if (value === null || typeof value !== 'object') {
    out.push(`${prefix ? `${prefix}=` : ''}${shorten(typeof value === 'string' ? value : JSON.stringify(value), 72)}`);
  } else if (Array.isArray(value)) {
    const scalars = value.every((v) => v === null || typeof v !== 'object');
    const text = scalars ? `[${value.map((v) => String(v)).join(',')}]` : `[${value.length} item(s)]`;
    out.push(`${prefix ? `${prefix}=` : ''}${shorten(text, 72)}`);
  } else if (depth >= 2) {
    out.push(`${prefix}={…}`);
  } else {
    for (const [k, v] of Object.entries(value)) leaves(v, prefix ? `${prefix}.${k}` : k, depth + 1, out);
  }
}

/** One line: the scalar fields of a value (two levels deep), `key=value`, shortened. */
export function summarize(values: unknown[], max = 240): string {
  const out: string[] = [];
  for (const v of values) leaves(v, '', 0, out);
  const text = out.join(' ');
  if (out.length === 0) return '—';
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

// ---------------------------------------------------------------------------------------------
// Reading events

const num = (v: unknown): number => Number(String(v ?? 0));

function iso(ts: { seconds?: unknown; nanos?: number | null } | null | undefined): string {
  if (!ts) return '';
  return new Date(num(ts.seconds) * 1000 + Math.floor((ts.nanos ?? 0) / 1_000_000)).toISOString();
}

function decode(payload: Payload | null | undefined): unknown {
  if (!payload) return undefined;
  try {
    return redact(defaultPayloadConverter.fromPayload(payload));
  } catch {
    const encoding = payload.metadata?.encoding ? Buffer.from(payload.metadata.encoding).toString() : 'unknown';
    return `[payload not readable without its codec: encoding ${encoding}]`;
  }
}

const decodeAll = (payloads: { payloads?: Payload[] | null } | null | undefined): unknown[] => (payloads?.payloads ?? []).map(decode);

/** A failure and its causes, one line. */
export function failureText(failure: Failure | null | undefined): string | undefined {
  const parts: string[] = [];
  for (let f = failure; f && parts.length < 5; f = f.cause) {
    const type = f.applicationFailureInfo?.type ? ` (${f.applicationFailureInfo.type})` : f.timeoutFailureInfo ? ' (timeout)' : '';
    if (f.message || type) parts.push(`${f.message ?? ''}${type}`);
  }
  return parts.length ? (redact(parts.join(' ← ')) as string) : undefined;
}

const asObject = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const asString = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Accepts the SDK's History object or the JSON of `temporal workflow show --output json`. */
export function toHistory(history: unknown): History {
  const events = (history as { events?: { eventType?: unknown }[] } | null)?.events;
  if (!Array.isArray(events)) throw new Error('not a workflow history: it has no events');
  return typeof events[0]?.eventType === 'string' ? historyFromJSON(history) : (history as History);
}

// ---------------------------------------------------------------------------------------------
// The record

const DESCRIBED_STATUS: Record<string, AuditRecord['status']> = {
  RUNNING: 'running',
  COMPLETED: 'completed',
  FAILED: 'failed',
  CANCELLED: 'canceled',
  TERMINATED: 'terminated',
  TIMED_OUT: 'timed-out',
  CONTINUED_AS_NEW: 'continued-as-new',
};

/** PendingActivityState: 1 scheduled, 2 started, 3 cancel requested (@temporalio/proto is not a direct dependency). */
const PENDING_STARTED = 2;
const PENDING_CANCEL_REQUESTED = 3;

function searchAttributes(fields: Record<string, Payload> | null | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, payload] of Object.entries(fields ?? {})) {
    const value = decode(payload);
    out[name] = Array.isArray(value) && value.length === 1 ? value[0] : value;
  }
  return out;
}

function measurementOf(result: unknown, live?: boolean): AuditMeasurement | undefined {
  const r = asObject(result);
  const m = asObject(r.measurement);
  if (typeof m.at !== 'string' || typeof r.verdict !== 'string') return undefined;
  return {
    at: m.at,
    verdict: r.verdict as Verdict,
    candidate: asObject(m.canary) as TrackMetrics,
    reference: asObject(m.stable) as TrackMetrics,
    crashedTasks: num(m.crashedTasks),
    ...(Array.isArray(m.crashReasons) && m.crashReasons.length > 0 ? { crashReasons: m.crashReasons as string[] } : {}),
    ...(typeof m.metricsError === 'string' ? { metricsError: m.metricsError } : {}),
    signals: Array.isArray(r.signals) ? (r.signals as SignalResult[]) : [],
    ...(live ? { live: true as const } : {}),
  };
}

interface SignalEntry {
  decision: AuditDecision;
  at: number;
}

/** Matches the refusals a release recorded (signals only) to the signals that caused them. */
function judgeSignals(signals: SignalEntry[], approval: ApprovalRecord | undefined, ended: boolean): void {
  const open = new Set(signals);
  const refused = [...(approval?.refused ?? [])].sort((a, b) => a.at.localeCompare(b.at));
  for (const r of refused) {
    // The refusal is stamped with the workflow time of the task that handled it, after the signal arrived.
    const match = signals.filter((s) => open.has(s) && (s.decision.by ?? '') === r.by && s.at <= Date.parse(r.at)).at(-1);
    if (!match) continue;
    open.delete(match);
    Object.assign(match.decision, { outcome: 'refused', detail: r.reason });
  }
  // A release that ended has recorded every refusal; an approve/reject signal it did not refuse was taken.
  for (const s of open) if (ended && (s.decision.name === 'approve' || s.decision.name === 'reject')) s.decision.outcome = 'accepted';
}

type Closed = NonNullable<AuditRecord['outcome']>;

/** What an activity event after its scheduling tells about it: start, end, cancellation. */
function activityChange(e: HistoryEvent, at: string): { scheduledEventId: unknown; patch: Partial<AuditActivity>; worker?: string | null } | undefined {
  const started = e.activityTaskStartedEventAttributes;
  if (started) {
    const lastFailure = failureText(started.lastFailure);
    const patch: Partial<AuditActivity> = { startedAt: at, status: 'running', attempts: started.attempt ?? undefined, ...(lastFailure ? { lastFailure } : {}) };
    return { scheduledEventId: started.scheduledEventId, patch, worker: started.identity };
  }
  const completed = e.activityTaskCompletedEventAttributes;
  if (completed) {
    const result = decodeAll(completed.result);
    const patch: Partial<AuditActivity> = { status: 'completed', closedAt: at, result: result.length <= 1 ? result[0] : result, resultSummary: summarize(result) };
    return { scheduledEventId: completed.scheduledEventId, patch, worker: completed.identity };
  }
  const failed = e.activityTaskFailedEventAttributes;
  if (failed)
    return { scheduledEventId: failed.scheduledEventId, patch: { status: 'failed', closedAt: at, failure: failureText(failed.failure) ?? 'failed' }, worker: failed.identity };
  const timedOut = e.activityTaskTimedOutEventAttributes;
  if (timedOut) return { scheduledEventId: timedOut.scheduledEventId, patch: { status: 'timed-out', closedAt: at, failure: failureText(timedOut.failure) ?? 'timed out' } };
  const cancelRequested = e.activityTaskCancelRequestedEventAttributes;
  if (cancelRequested) return { scheduledEventId: cancelRequested.scheduledEventId, patch: { cancelRequested: true } };
  const canceled = e.activityTaskCanceledEventAttributes;
  if (canceled) {
    const details = summarize(decodeAll(canceled.details));
    return {
      scheduledEventId: canceled.scheduledEventId,
      patch: { status: 'canceled', closedAt: at, failure: details === '—' ? 'cancelled' : `cancelled: ${details}` },
      worker: canceled.identity,
    };
  }
  return undefined;
}

/** Walks a history once, event by event, collecting what the record is made of. */
class HistoryWalk {
  readonly stages: AuditRecord['stages'] = [];
  readonly decisions: AuditDecision[] = [];
  readonly activities: AuditActivity[] = [];
  readonly otherEvents: AuditOtherEvent[] = [];
  readonly workers = new Set<string>();
  readonly signals: SignalEntry[] = [];
  readonly failedActivities: AuditActivity[] = [];
  /** analyseBake activities with the canary weight when each was scheduled. */
  readonly bakes = new Map<AuditActivity, number | undefined>();
  closed?: Closed;
  private stage?: string;
  private weight?: number;
  private readonly byScheduledId = new Map<number, AuditActivity>();
  private readonly updates = new Map<string, AuditDecision>();

  constructor(startedAt: string, initialAttributes: Record<string, unknown>) {
    this.searchAttributes(startedAt, initialAttributes);
  }

  visit(e: HistoryEvent): void {
    const at = iso(e.eventTime);
    if (e.upsertWorkflowSearchAttributesEventAttributes) {
      this.searchAttributes(at, searchAttributes(e.upsertWorkflowSearchAttributesEventAttributes.searchAttributes?.indexedFields as Record<string, Payload> | undefined));
    } else if (e.workflowTaskStartedEventAttributes?.identity) {
      this.workers.add(e.workflowTaskStartedEventAttributes.identity);
    } else if (!this.activity(e, at) && !this.message(e, at) && !this.other(e, at)) {
      this.close(e, at);
    }
  }

  private searchAttributes(at: string, attrs: Record<string, unknown>): void {
    const stage = asString(attrs[stageSearchAttribute.name]);
    if (stage && stage !== this.stage) this.stages.push({ at, stage });
    if (stage) this.stage = stage;
    const weight = attrs[canaryWeightSearchAttribute.name];
    if (typeof weight === 'number') this.weight = weight;
  }

  private activity(e: HistoryEvent, at: string): boolean {
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled) {
      const input = decodeAll(scheduled.input);
      const activity: AuditActivity = {
        activityId: scheduled.activityId ?? String(num(e.eventId)),
        name: scheduled.activityType?.name ?? 'unknown',
        ...(this.stage ? { stage: this.stage } : {}),
        ...(e.userMetadata?.summary ? { summary: asString(decode(e.userMetadata.summary)) } : {}),
        scheduledAt: at,
        status: 'scheduled',
        input,
        inputSummary: summarize(input),
      };
      this.byScheduledId.set(num(e.eventId), activity);
      this.activities.push(activity);
      if (activity.name === ANALYSE_BAKE_ACTIVITY) this.bakes.set(activity, this.weight);
      return true;
    }
    const change = activityChange(e, at);
    if (!change) return false;
    const activity = this.byScheduledId.get(num(change.scheduledEventId));
    if (activity) {
      Object.assign(activity, change.patch, change.worker ? { worker: change.worker } : {});
      if (change.patch.status === 'failed' || change.patch.status === 'timed-out') this.failedActivities.push(activity);
    }
    return true;
  }

  /** Updates and signals: decisions, operator controls, anything else sent to the workflow. */
  private message(e: HistoryEvent, at: string): boolean {
    const accepted = e.workflowExecutionUpdateAcceptedEventAttributes;
    if (accepted) {
      const request = accepted.acceptedRequest;
      const args = decodeAll(request?.input?.args);
      const fields = decisionFields(asObject(args[0]));
      const decision: AuditDecision = {
        at,
        name: request?.input?.name ?? 'unknown',
        via: 'update',
        channel: fields.slackUserId ? 'slack' : 'cli',
        ...fields,
        clientIdentity: request?.meta?.identity || undefined,
        updateId: request?.meta?.updateId || undefined,
        outcome: 'in-progress',
        args,
      };
      if (decision.updateId) this.updates.set(decision.updateId, decision);
      this.decisions.push(decision);
      return true;
    }
    const completed = e.workflowExecutionUpdateCompletedEventAttributes;
    if (completed) {
      const decision = this.updates.get(completed.meta?.updateId ?? '');
      if (decision && completed.outcome?.failure) Object.assign(decision, { outcome: 'failed', detail: failureText(completed.outcome.failure) });
      else if (decision) Object.assign(decision, { outcome: 'accepted', response: decodeAll(completed.outcome?.success)[0] });
      return true;
    }
    const signaled = e.workflowExecutionSignaledEventAttributes;
    if (signaled?.signalName === releaseSlackSentSignal.name) {
      // The release's own Slack messenger saying its items were sent: not a decision, nobody sent it.
      const word = asObject(decodeAll(signaled.input)[0]);
      const failures = Array.isArray(word.failures) ? word.failures.length : 0;
      this.otherEvents.push({ at, kind: 'slack-sent', detail: `the Slack messenger had sent every item up to ${String(word.sentUpTo)}${failures > 0 ? ` (${failures} not sent, recorded in the history)` : ''}` });
      return true;
    }
    if (signaled) {
      const args = decodeAll(signaled.input);
      const decision: AuditDecision = {
        at,
        name: signaled.signalName ?? 'unknown',
        via: 'signal',
        channel: 'signal',
        ...decisionFields(asObject(args[0])),
        clientIdentity: signaled.identity || undefined,
        outcome: 'unknown',
        args,
      };
      this.signals.push({ decision, at: Date.parse(at) });
      this.decisions.push(decision);
      return true;
    }
    return false;
  }

  private other(e: HistoryEvent, at: string): boolean {
    const note = (kind: string, detail: string, identity?: string | null) => {
      this.otherEvents.push({ at, kind, detail, ...(identity ? { identity } : {}) });
      return true;
    };
    if (e.workflowExecutionCancelRequestedEventAttributes) {
      const x = e.workflowExecutionCancelRequestedEventAttributes;
      return note('cancel-requested', x.cause || 'cancellation requested', x.identity);
    }
    if (e.workflowTaskFailedEventAttributes) {
      const x = e.workflowTaskFailedEventAttributes;
      return note('workflow-task-failed', failureText(x.failure) ?? `cause ${x.cause}`, x.identity);
    }
    if (e.startChildWorkflowExecutionInitiatedEventAttributes) {
      const x = e.startChildWorkflowExecutionInitiatedEventAttributes;
      return note('child-workflow-started', `${x.workflowType?.name ?? 'workflow'} ${x.workflowId ?? ''}: ${summarize(decodeAll(x.input))}`);
    }
    if (e.childWorkflowExecutionCompletedEventAttributes) {
      const x = e.childWorkflowExecutionCompletedEventAttributes;
      return note('child-workflow-completed', `${x.workflowExecution?.workflowId ?? ''}: ${summarize(decodeAll(x.result))}`);
    }
    if (e.childWorkflowExecutionFailedEventAttributes) {
      const x = e.childWorkflowExecutionFailedEventAttributes;
      return note('child-workflow-failed', `${x.workflowExecution?.workflowId ?? ''}: ${failureText(x.failure) ?? 'failed'}`);
    }
    if (e.signalExternalWorkflowExecutionInitiatedEventAttributes) {
      const x = e.signalExternalWorkflowExecutionInitiatedEventAttributes;
      return note('external-signal', `${x.signalName ?? 'signal'} to ${x.workflowExecution?.workflowId ?? '?'}: ${summarize(decodeAll(x.input))}`);
    }
    if (e.requestCancelExternalWorkflowExecutionInitiatedEventAttributes) {
      const x = e.requestCancelExternalWorkflowExecutionInitiatedEventAttributes;
      return note('external-cancel', `cancellation of ${x.workflowExecution?.workflowId ?? '?'}${x.reason ? `: ${x.reason}` : ''}`);
    }
    return false;
  }

  private close(e: HistoryEvent, at: string): void {
    const completed = e.workflowExecutionCompletedEventAttributes;
    if (completed) {
      const value = decodeAll(completed.result)[0];
      const v = asObject(value);
      this.closed = {
        closedAs: 'completed',
        at,
        ...(asString(v.result) ? { result: asString(v.result) } : {}),
        ...(asString(v.reason) ? { reason: asString(v.reason) } : {}),
        value,
      };
    } else if (e.workflowExecutionFailedEventAttributes) {
      const failure = e.workflowExecutionFailedEventAttributes.failure;
      // A release that did not reach production fails carrying its outcome (workflows/release-ending.ts).
      const carried = failure?.applicationFailureInfo?.type === RELEASE_NOT_RELEASED ? asObject(decodeAll(failure.applicationFailureInfo.details ?? undefined)[0]) : {};
      this.closed = {
        closedAs: 'failed',
        at,
        failure: failureText(failure) ?? 'failed',
        ...(asString(carried.result) ? { result: asString(carried.result) } : {}),
        ...(asString(carried.reason) ? { reason: asString(carried.reason) } : {}),
        ...(asString(carried.result) ? { value: carried } : {}),
      };
    } else if (e.workflowExecutionTerminatedEventAttributes) {
      const x = e.workflowExecutionTerminatedEventAttributes;
      this.closed = { closedAs: 'terminated', at, ...(x.reason ? { reason: x.reason } : {}), ...(x.identity ? { identity: x.identity } : {}) };
    } else if (e.workflowExecutionCanceledEventAttributes) {
      this.closed = { closedAs: 'canceled', at };
    } else if (e.workflowExecutionTimedOutEventAttributes) {
      this.closed = { closedAs: 'timed-out', at, reason: 'the workflow run timed out' };
    } else if (e.workflowExecutionContinuedAsNewEventAttributes) {
      this.closed = { closedAs: 'continued-as-new', at, reason: `continued as new run ${e.workflowExecutionContinuedAsNewEventAttributes.newExecutionRunId ?? ''}` };
    }
  }
}

export interface AuditOptions {
  /** From `handle.describe()`: the run, its status and, while it runs, its pending activities. */
  description?: AuditDescription;
  /** The workflow id, when neither the history nor the description carries it. */
  id?: string;
}

/** The audit record of one workflow run, from its history (SDK object or `temporal workflow show` JSON). */
export function buildAuditRecord(historyInput: unknown, options: AuditOptions = {}): AuditRecord {
  const events = toHistory(historyInput).events ?? [];
  const first = events[0];
  const started = first?.workflowExecutionStartedEventAttributes;
  if (!first || !started) throw new Error('not a workflow history: its first event is not WorkflowExecutionStarted');
  const { description } = options;
  const startedAt = iso(first.eventTime);

  const walk = new HistoryWalk(startedAt, searchAttributes(started.searchAttributes?.indexedFields as Record<string, Payload> | undefined));
  for (const e of events.slice(1)) walk.visit(e);
  const live = addPending(walk.activities, description);

  const input = decodeAll(started.input);
  const inputObject = asObject(input[0]);
  const plan = asObject(inputObject.plan) as Partial<ReleaseInput['plan']>;
  const startedBy = asObject(inputObject.startedBy);
  const finalStatus = asObject(asObject(walk.closed?.value).status) as Partial<ReleaseStatus>;
  const status = (description?.status?.name ? DESCRIBED_STATUS[description.status.name] : undefined) ?? walk.closed?.closedAs ?? 'running';
  judgeSignals(walk.signals, finalStatus.approval, status !== 'running');
  const { canary, verify } = analysis(walk, plan, live, finalStatus);
  const runId = description?.runId ?? started.originalExecutionRunId ?? undefined;
  const text = (payload: Payload | null | undefined) => asString(decode(payload));

  const record: AuditRecord = {
    format: AUDIT_FORMAT,
    id: options.id ?? description?.workflowId ?? started.workflowId ?? '',
    ...(runId ? { runId } : {}),
    type: started.workflowType?.name ?? description?.type ?? 'unknown',
    status,
    startedAt,
    ...(walk.closed ? { closedAt: walk.closed.at } : {}),
    events: events.length,
    start: {
      ...definedOnly({
        requestedBy: asString(inputObject.requestedBy),
        reason: asString(inputObject.reason),
        service: asString(inputObject.service),
        version: asString(inputObject.version),
        image: asString(inputObject.image),
        clientIdentity: started.identity || undefined,
        githubRun: typeof startedBy.githubRunId === 'number' ? definedOnly({ id: startedBy.githubRunId, attempt: startedBy.githubRunAttempt as number | undefined }) : undefined,
        summary: text(first.userMetadata?.summary),
        details: text(first.userMetadata?.details),
      }),
      input,
    },
    ...(plan.approval && approvalApplies(started.workflowType?.name, plan) ? { approvalPolicy: plan.approval } : {}),
    ...(canary ? { canary } : {}),
    ...(verify ? { verify } : {}),
    stages: walk.stages,
    decisions: walk.decisions,
    activities: walk.activities,
    otherEvents: walk.otherEvents,
    workflowWorkers: [...walk.workers],
  };
  const rollback = rollbackOf(record, walk.failedActivities, walk.closed);
  if (rollback) record.rollback = rollback;
  if (walk.closed) record.outcome = walk.closed;
  return record;
}

/** A release always asks for approval; a rollback of a finished release only when its service's plan says `rollback: { approval: required }`. */
function approvalApplies(type: string | null | undefined, plan: Partial<ReleaseInput['plan']>): boolean {
  return type !== 'rollback' || asObject((plan as Record<string, unknown>).rollback).approval === 'required';
}

function definedOnly<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function decisionFields(arg: Record<string, unknown>): Pick<AuditDecision, 'by' | 'slackUserId' | 'groups' | 'note'> {
  const note = asString(arg.comment) ?? asString(arg.reason);
  return {
    ...(asString(arg.by) !== undefined ? { by: asString(arg.by) } : {}),
    ...(asString(arg.slackUserId) ? { slackUserId: asString(arg.slackUserId) } : {}),
    ...(Array.isArray(arg.groups) && arg.groups.length > 0 ? { groups: arg.groups as string[] } : {}),
    ...(note ? { note } : {}),
  };
}

/**
 * A running workflow's activities that have not ended: attempts, last failure and worker from
 * describe(); for a bake in progress, the measurements so far from its heartbeat.
 */
function addPending(activities: AuditActivity[], description: AuditDescription | undefined): Map<AuditActivity, unknown[]> {
  const live = new Map<AuditActivity, unknown[]>();
  for (const p of description?.raw?.pendingActivities ?? []) {
    const activity = activities.find((a) => a.activityId === p.activityId);
    if (!activity || activity.closedAt) continue;
    activity.status = p.state === PENDING_STARTED || p.state === PENDING_CANCEL_REQUESTED ? 'running' : 'scheduled';
    if (p.attempt) activity.attempts = p.attempt;
    if (p.lastWorkerIdentity) activity.worker = p.lastWorkerIdentity;
    const last = failureText(p.lastFailure);
    if (last) activity.lastFailure = last;
    if (p.state === PENDING_CANCEL_REQUESTED) activity.cancelRequested = true;
    if (activity.name === ANALYSE_BAKE_ACTIVITY)
      live.set(
        activity,
        liveBakeResults([p]).map((r) => redact(r)),
      );
  }
  return live;
}

/** One analyseBake activity as a bake window: its thresholds, measurements and decision. */
function bakeOf(activity: AuditActivity, weight: number | undefined, steps: number[], live: unknown[] | undefined): AuditBake {
  const input = asObject(activity.input[0]);
  const report = asObject(activity.result);
  const analysis = asObject(input.analysis);
  const phase = input.baseline ? 'verify' : 'canary';
  const step = phase === 'canary' && weight !== undefined ? steps.indexOf(weight) + 1 : 0;
  const decision = asObject(report.decision);
  const results = live ?? (Array.isArray(report.results) ? report.results : []);
  return {
    activityId: activity.activityId,
    phase,
    ...(step > 0 ? { step } : {}),
    ...(phase === 'canary' && weight !== undefined ? { weight } : {}),
    scheduledAt: activity.scheduledAt,
    ...(activity.closedAt ? { closedAt: activity.closedAt } : {}),
    ...(typeof input.bakeMs === 'number' ? { bakeMs: input.bakeMs } : {}),
    ...(analysis.thresholds ? { thresholds: analysis.thresholds as AnalysisThresholds } : {}),
    limits: definedOnly({ failureLimit: analysis.failureLimit as number | undefined, inconclusiveLimit: analysis.inconclusiveLimit as number | undefined }),
    ...(input.baseline ? { baseline: input.baseline as TrackMetrics } : {}),
    measurements: results.map((r) => measurementOf(r, live !== undefined)).filter((m): m is AuditMeasurement => m !== undefined),
    ...(typeof decision.action === 'string' ? { decision: definedOnly({ action: decision.action, reason: asString(decision.reason) }) } : {}),
    ...(report.interrupted === true ? { interrupted: true } : {}),
    status: activity.status,
  };
}

/** The canary (plan and bakes) and the post-release watch (window, baseline, bakes). */
function analysis(
  walk: HistoryWalk,
  plan: Partial<ReleaseInput['plan']>,
  live: Map<AuditActivity, unknown[]>,
  finalStatus: Partial<ReleaseStatus>,
): Pick<AuditRecord, 'canary' | 'verify'> {
  const bakes = [...walk.bakes].map(([activity, weight]) => bakeOf(activity, weight, plan.canary?.steps ?? [], live.get(activity)));
  const canaryBakes = bakes.filter((b) => b.phase === 'canary');
  const verifyBakes = bakes.filter((b) => b.phase === 'verify');
  const out: Pick<AuditRecord, 'canary' | 'verify'> = {};

  const planned = plan.canary;
  if (planned || canaryBakes.length > 0) {
    const a = planned?.analysis;
    out.canary = {
      ...(planned ? { steps: planned.steps, bakeMs: planned.bakeMs } : {}),
      ...(a
        ? {
            analysis: {
              intervalMs: a.intervalMs,
              failureLimit: a.failureLimit,
              inconclusiveLimit: a.inconclusiveLimit,
              decisionTimeoutMs: a.decisionTimeoutMs,
              thresholds: a.thresholds,
            },
          }
        : {}),
      bakes: canaryBakes,
      ...(finalStatus.canary?.failure?.length ? { failure: finalStatus.canary.failure } : {}),
    };
  }

  const measured = walk.activities.find((x) => x.name === 'measureBaseline' && x.status === 'completed');
  if (plan.verify || verifyBakes.length > 0 || measured) {
    const baseline = measured ? { at: measured.closedAt, ...(asObject(measured.result) as TrackMetrics) } : verifyBakes[0]?.baseline;
    const startedAt = walk.stages.find((s) => s.stage === 'verifying')?.at;
    out.verify = {
      ...(plan.verify ? { durationMs: plan.verify.durationMs } : {}),
      ...(startedAt ? { startedAt } : {}),
      ...(baseline ? { baseline } : {}),
      bakes: verifyBakes,
      ...(finalStatus.verify?.failure?.length ? { failure: finalStatus.verify.failure } : {}),
    };
  }
  return out;
}

/** When a release rolled back: when it began, why (the outcome's reason) and what set it off. */
function rollbackOf(record: AuditRecord, failedActivities: AuditActivity[], closed: Closed | undefined): AuditRecord['rollback'] {
  const start = record.stages.find((s) => s.stage === 'rolling-back');
  if (!start) return undefined;
  const before = (at: string | undefined) => at !== undefined && at <= start.at;
  const triggers: NonNullable<NonNullable<AuditRecord['rollback']>['trigger']>[] = [];
  const failed = failedActivities.filter((a) => before(a.closedAt)).at(-1);
  if (failed) triggers.push({ at: failed.closedAt!, kind: 'activity', detail: `${failed.name} ${failed.status}: ${failed.failure ?? ''}` });
  const bakes = [...(record.canary?.bakes ?? []), ...(record.verify?.bakes ?? [])];
  const failedBake = bakes.filter((b) => b.decision?.action === 'fail' && before(b.closedAt)).at(-1);
  if (failedBake) {
    const where = failedBake.phase === 'verify' ? 'post-release watch' : `canary step ${failedBake.step ?? '?'} (${failedBake.weight ?? '?'}%)`;
    triggers.push({ at: failedBake.closedAt!, kind: 'analysis', detail: `${where}: ${failedBake.decision?.reason ?? 'failed'}` });
  }
  const stopped = record.decisions.filter((d) => (d.name === 'abort' || d.name === 'reject') && d.outcome === 'accepted' && before(d.at)).at(-1);
  if (stopped)
    triggers.push({ at: stopped.at, kind: 'decision', detail: `${stopped.name} by ${stopped.by ?? '?'} (${stopped.channel})${stopped.note ? `: ${stopped.note}` : ''}` });
  const trigger = triggers.sort((a, b) => a.at.localeCompare(b.at)).at(-1);
  return {
    startedAt: start.at,
    ...(closed?.reason ? { cause: closed.reason } : {}),
    ...(trigger ? { trigger } : {}),
    activityIds: record.activities.filter((a) => a.scheduledAt >= start.at).map((a) => a.activityId),
  };
}

/** Whether the record is of a release (as opposed to a rollback or another workflow type). */
export const isReleaseRecord = (record: AuditRecord) => record.type === RELEASE_WORKFLOW_TYPE;

export class AuditNotFoundError extends Error {
  constructor(readonly id: string) {
    super(`no release or rollback with id "${id}"`);
    this.name = 'AuditNotFoundError';
  }
}

/** The audit record of the latest run of `id`, from its history and description (no query, no worker). */
export async function readAudit(client: Client, id: string): Promise<AuditRecord> {
  let description: Awaited<ReturnType<ReturnType<Client['workflow']['getHandle']>['describe']>>;
  try {
    description = await client.workflow.getHandle(id).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new AuditNotFoundError(id);
    throw err;
  }
  const history = await client.workflow.getHandle(id, description.runId).fetchHistory();
  return buildAuditRecord(history, { description: description as AuditDescription, id });
}
