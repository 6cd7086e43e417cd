/**
 * Ad hoc freezes from a client (the CLI, tests, the demo): started through update-with-start of
 * the installation's freeze workflow, ended and read through it; the freeze a release would meet
 * at its gate now; break-glass approvals of a release.
 */
import { type Client, ServiceError, WithStartWorkflowOperation, WorkflowNotFoundError } from '@temporalio/client';
import type { SignedDecision } from '../domain/release-api';
import {
  type AdHocFreeze,
  adHocFreezesOf,
  type BreakGlassAck,
  breakGlassApproveUpdate,
  FREEZE_WORKFLOW_TYPE,
  freezeEndUpdate,
  type FreezeEndRequest,
  freezeStartUpdate,
  type FreezeStartRequest,
  freezeStateQuery,
  type FreezeWorkflowState,
  freezeWorkflowId,
} from '../domain/freeze-api';
import { type GateVerdict, gateVerdict } from '../domain/freeze-gate';
import type { ReleasePlan } from '../domain/release';
import { ReleaseRefusedError } from './errors';
import { refusalsAsErrors } from './releases';
import { executeUpdateOnce, type LostAnswerListener } from './update-once';
import { SHARED_WORKFLOW_PRIORITY } from '../domain/shared-workflow-priority';

/** Starts an ad hoc freeze (starting the freeze workflow if it does not run yet). Refused when that scope is already frozen. */
export async function startFreeze(client: Client, taskQueue: string, request: FreezeStartRequest): Promise<AdHocFreeze> {
  const workflowId = freezeWorkflowId(taskQueue);
  return refusalsAsErrors(() =>
    client.workflow.executeUpdateWithStart(freezeStartUpdate, {
      args: [request],
      startWorkflowOperation: new WithStartWorkflowOperation(FREEZE_WORKFLOW_TYPE, { workflowId, taskQueue, args: [{}], workflowIdConflictPolicy: 'USE_EXISTING', priority: SHARED_WORKFLOW_PRIORITY }),
    }),
  );
}

/** Ends the ad hoc freeze of `service` (or of every service). Refused when there is none. */
export async function endFreeze(client: Client, taskQueue: string, request: FreezeEndRequest, { onLostAnswer }: LostAnswerListener = {}): Promise<AdHocFreeze> {
  try {
    return await refusalsAsErrors(() => executeUpdateOnce(client.workflow.getHandle(freezeWorkflowId(taskQueue)), freezeEndUpdate, [request], { onLostAnswer }));
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new ReleaseRefusedError(`${request.service ? `service ${request.service}` : 'every service'} has no ad hoc freeze to end (none was ever started)`);
    throw err;
  }
}

/** The freeze workflow did not answer a query (no worker polls its task queue). */
export class FreezeUnansweredError extends Error {
  constructor(taskQueue: string, cause: unknown) {
    super(`the freeze workflow ${freezeWorkflowId(taskQueue)} did not answer (does a worker poll task queue ${taskQueue}?): ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'FreezeUnansweredError';
  }
}

/** The freeze workflow's state; empty when it was never started. */
export async function freezeState(client: Client, taskQueue: string): Promise<FreezeWorkflowState> {
  try {
    return await client.workflow.getHandle(freezeWorkflowId(taskQueue)).query(freezeStateQuery);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { freezes: [], waiting: [], log: [] };
    if (err instanceof ServiceError) throw new FreezeUnansweredError(taskQueue, err);
    throw err;
  }
}

/** What the production gate of a release of `service` with `plan` would say now. */
export async function freezeNow(client: Client, taskQueue: string, service: string, plan: Pick<ReleasePlan, 'freeze'>, nowMs = Date.now()): Promise<GateVerdict> {
  const { freezes } = await freezeState(client, taskQueue);
  return gateVerdict(plan.freeze, adHocFreezesOf(freezes, service), nowMs);
}

/** A break-glass approval of a frozen release; a refusal becomes ReleaseRefusedError with its reason. */
/** `sign` (the CLI's SSH signer) binds the approval to the release's current run, to which it is then sent. */
export async function approveBreakGlass(
  client: Client,
  id: string,
  request: { by: string; comment?: string },
  sign?: (runId: string) => Promise<SignedDecision>,
  { onLostAnswer }: LostAnswerListener = {},
): Promise<BreakGlassAck> {
  const runId = sign ? (await client.workflow.getHandle(id).describe()).runId : undefined;
  const signed = sign && runId ? await sign(runId) : {};
  return refusalsAsErrors(() => executeUpdateOnce(client.workflow.getHandle(id, runId), breakGlassApproveUpdate, [{ ...request, ...signed }], { onLostAnswer }));
}
