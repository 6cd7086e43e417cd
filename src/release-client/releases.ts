/**
 * Talking to releases from outside the workflow: start, inspect, follow, decide. Shared by the
 * CLI, the demo, the approvals server and tests.
 */
import {
  type Client,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  type WorkflowHandle,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import type { OperatorAction } from '../domain/operator-controls';
import { type ReleaseInput, type ReleaseStatus, ReleaseStage } from '../domain/release';
import { releaseOutcome } from './outcome';
import { releaseId, SERVICE_NAME_PATTERN } from '../domain/release-id';
import { liveBakeResults, mergeLiveMeasurements } from './live-analysis';
import { ReleaseRefusedError, ReleaseStuckError } from './errors';
import { executeUpdateOnce, type LostAnswerListener } from './update-once';
import { keywordAttribute } from './follow';
import {
  approveUpdate,
  type ControlAck,
  controlUpdates,
  type DecisionAck,
  RELEASE_WORKFLOW_TYPE,
  rejectUpdate,
  serviceSearchAttribute,
  type SignedDecision,
  type SlackOrigin,
  stageSearchAttribute,
  statusQuery,
  versionSearchAttribute,
} from '../domain/release-api';

export interface StartedRelease {
  releaseId: string;
  /** False when a release with this id was already running (starting again is harmless). */
  started: boolean;
}

export async function startRelease(client: Client, taskQueue: string, input: ReleaseInput): Promise<StartedRelease> {
  const id = releaseId(input.service, input.version);
  const started = await startOnce(client, RELEASE_WORKFLOW_TYPE, {
    workflowId: id,
    taskQueue,
    args: [input],
    service: input.service,
    version: input.version,
    summary: `Release ${input.service} ${input.version.slice(0, 12)}`,
    details: `**Image** ${input.image}\n\n**Requested by** ${input.requestedBy}: ${input.reason}`,
  });
  return { releaseId: id, started };
}

export interface StartOnceOptions {
  workflowId: string;
  taskQueue: string;
  args: unknown[];
  /** RunwayService and RunwayVersion, set at the start so lists and filters find it at once. */
  service: string;
  version: string;
  /** The Web UI's static summary and details. */
  summary: string;
  details: string;
}

/**
 * Starts a Runway workflow (a release, a rollback) under its deterministic id, or finds the one
 * already running: resolves false then, and nothing new is started.
 */
export async function startOnce(client: Client, workflowType: string, o: StartOnceOptions): Promise<boolean> {
  try {
    await client.workflow.start(workflowType, {
      workflowId: o.workflowId,
      taskQueue: o.taskQueue,
      args: o.args,
      workflowIdConflictPolicy: 'FAIL',
      typedSearchAttributes: [
        { key: serviceSearchAttribute, value: o.service },
        { key: versionSearchAttribute, value: o.version },
        { key: stageSearchAttribute, value: 'queued' },
      ],
      staticSummary: o.summary,
      staticDetails: o.details,
    });
    return true;
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return false;
    throw err;
  }
}

/** Another release of the same service, still running (from the visibility store). */
export interface ReleaseInFlight {
  releaseId: string;
  version: string;
  /** Its RunwayStage search attribute: the stage as of its latest upsert. */
  stage: string;
  startedAt: Date;
}

/** Which releases compete: the same service, started on the same task queue (one Runway installation). */
export interface ServiceScope {
  service: string;
  taskQueue: string;
}

/**
 * Releases of the service on the task queue whose workflow is still running, oldest first,
 * except `exceptId` (the release about to start).
 *
 * Scoped to the task queue: releases on another task queue belong to another set of Runway
 * workers (another installation, or a test's own queue), which this one cannot order anyway.
 *
 * Read from Temporal's visibility store, which is eventually consistent: a release started a
 * moment ago may not be listed yet, and one that just ended may still be listed as running —
 * each candidate is confirmed with a describe (strongly consistent) before it counts. The check
 * is not atomic with the start that follows it, so two starts in the same instant can both pass.
 * The CI example's concurrency group covers that case; this check covers what the group cannot
 * (a job that timed out or was cancelled while its release carries on, a start from elsewhere).
 */
export async function releasesInFlight(client: Client, scope: ServiceScope, exceptId?: string): Promise<ReleaseInFlight[]> {
  if (!SERVICE_NAME_PATTERN.test(scope.service)) throw new Error(`not a service name: "${scope.service}"`);
  if (/['"\\]/.test(scope.taskQueue)) throw new Error(`a task queue name with quotes cannot be queried: "${scope.taskQueue}"`);
  const query = [
    `WorkflowType = '${RELEASE_WORKFLOW_TYPE}'`,
    `RunwayService = '${scope.service}'`,
    `TaskQueue = '${scope.taskQueue}'`,
    `ExecutionStatus = 'Running'`,
  ].join(' AND ');
  const listed: ReleaseInFlight[] = [];
  for await (const wf of client.workflow.list({ query })) {
    if (wf.workflowId === exceptId) continue;
    listed.push({
      releaseId: wf.workflowId,
      version: wf.typedSearchAttributes.get(versionSearchAttribute) ?? '',
      stage: wf.typedSearchAttributes.get(stageSearchAttribute) ?? 'unknown',
      startedAt: wf.startTime,
    });
  }
  const running = await Promise.all(listed.map((r) => isReleaseRunning(client, r.releaseId).catch(() => true)));
  return listed.filter((_, i) => running[i]).sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime());
}

/** True when a workflow with this id exists and is running (the release is already in flight). */
export async function isReleaseRunning(client: Client, id: string, runId?: string): Promise<boolean> {
  try {
    return (await client.workflow.getHandle(id, runId).describe()).status.name === 'RUNNING';
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

export { ReleaseRefusedError, ReleaseStuckError } from './errors';

/**
 * The live status (query) of a running release, or the final status of a finished one. For a
 * running release, measurements of the bake window in progress (heartbeated by its
 * `analyseBake` activity, not yet reported to the workflow) are added to the current step's
 * table, marked live; that part is best effort and never fails the status.
 */
export async function releaseStatus(client: Client, id: string): Promise<ReleaseStatus> {
  const handle = client.workflow.getHandle(id);
  let description: Awaited<ReturnType<typeof handle.describe>>;
  try {
    description = await handle.describe();
  } catch (err) {
    // Not found is an answer; any other describe failure falls back to the query alone.
    if (err instanceof WorkflowNotFoundError) throw err;
    return handle.query(statusQuery);
  }
  if (description.status.name === 'RUNNING') {
    const status = await handle.query(statusQuery).catch((err: unknown) => {
      // A release whose workflow task keeps failing cannot answer a query either: say so.
      const attempts = description.raw.pendingWorkflowTask?.attempt ?? 0;
      if (attempts > 1) throw new ReleaseStuckError(id, attempts, keywordAttribute(description.searchAttributes, stageSearchAttribute.name));
      throw err;
    });
    try {
      return mergeLiveMeasurements(status, liveBakeResults(description.raw.pendingActivities));
    } catch {
      return status;
    }
  }
  if (description.status.name === 'COMPLETED') return (await releaseOutcome(handle)).status;
  // A release that did not reach production fails carrying its outcome (older ones completed).
  const failed = description.status.name === 'FAILED' ? await releaseOutcome(handle).catch(() => undefined) : undefined;
  if (failed) return failed.status;
  // Cancelled, terminated or timed out: no result; the query still answers when a worker is up.
  return handle.query(statusQuery);
}

export { followRelease, type FollowOptions, ReleaseEndedWithoutOutcomeError, type ReleaseEnding, STUCK_ATTEMPTS } from './follow';

export async function decideRelease(
  client: Client,
  id: string,
  decision: 'approve' | 'reject',
  by: string,
  note?: string,
  sign?: (runId: string) => Promise<SignedDecision>,
  { onLostAnswer }: LostAnswerListener = {},
): Promise<DecisionAck> {
  await untilApprovalStageRecorded(client.workflow.getHandle(id));
  // Signed once the release waits (the proof is fresh), for its current run, and sent to that run.
  const runId = sign ? (await client.workflow.getHandle(id).describe()).runId : undefined;
  const signed = sign && runId ? await sign(runId) : {};
  const handle = client.workflow.getHandle(id, runId);
  return refusalsAsErrors(() =>
    decision === 'approve'
      ? executeUpdateOnce(handle, approveUpdate, [{ by, comment: note, ...signed }], { onLostAnswer })
      : executeUpdateOnce(handle, rejectUpdate, [{ by, reason: note, ...signed }], { onLostAnswer }),
  );
}

/** Stages a release passes through before it asks for approval. */
const BEFORE_APPROVAL: readonly string[] = [ReleaseStage.queued, ReleaseStage.building, ReleaseStage.staging, ReleaseStage.smoke];

/**
 * A decision is sent once the release's history records that it waits for approval (the
 * RunwayStage search attribute), not merely once a query says so: a query can answer from a
 * worker that has run the release further than its history records, and an Update sent in that
 * instant can be accepted in a way Temporal cannot replay (README, "Decisions sent the instant a
 * release asks for them"). Bounded: a release that does not get there in time is asked anyway,
 * and its validator answers.
 */
async function untilApprovalStageRecorded(handle: WorkflowHandle, timeoutMs = 15_000, pollMs = 200): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const description = await handle.describe().catch(() => undefined);
    const stage = description ? keywordAttribute(description.searchAttributes, stageSearchAttribute.name) : undefined;
    if (!description || description.status.name !== 'RUNNING' || !stage || !BEFORE_APPROVAL.includes(stage) || Date.now() > deadline) return;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/** Runs an Update; a refusal by the release's validator becomes ReleaseRefusedError with its reason. */
export async function refusalsAsErrors<T>(send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) throw new ReleaseRefusedError((err.cause as Error | undefined)?.message ?? err.message);
    throw err;
  }
}

/** Where a control comes from when it is not the CLI: the Slack click's origin and the run its message belongs to. */
export interface ControlOrigin {
  /** Only this run of the release (a Slack message's buttons name the run they were posted for). */
  runId?: string;
  origin?: SlackOrigin;
  /** The decision's proof, made for `runId` (./decision-signing.ts). */
  signed?: SignedDecision;
}

/** Pause, resume, promote or abort a release; refusals become ReleaseRefusedError. */
export async function controlRelease(
  client: Client,
  id: string,
  action: OperatorAction,
  by: string,
  reason?: string,
  from: ControlOrigin = {},
  { onLostAnswer }: LostAnswerListener = {},
): Promise<ControlAck> {
  const handle = from.runId ? client.workflow.getHandle(id, from.runId) : client.workflow.getHandle(id);
  return refusalsAsErrors(() => executeUpdateOnce(handle, controlUpdates[action], [{ by, reason, ...from.origin, ...from.signed }], { onLostAnswer }));
}
