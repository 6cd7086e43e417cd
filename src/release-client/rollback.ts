/**
 * Starting a rollback of a finished release from outside the workflow (the CLI, the Slack
 * button): Runway's records of what reached production, read from Temporal (the visibility
 * store and each finished workflow's result, so no worker is needed), the choice of target, and
 * the start, which finds a rollback of the same release already running instead of starting
 * another.
 */
import type { Client } from '@temporalio/client';
import type { ReleaseOutcome, ReleasePlan } from '../domain/release';
import { ROLLBACK_WORKFLOW_TYPE } from '../domain/release-api';
import { SERVICE_NAME_PATTERN } from '../domain/release-id';
import { chooseRollbackTarget, type ProductionRecord, rollbackDecisionNote, type RollbackInput, rollbackId } from '../domain/rollback';
import type { DecisionToSign } from './decision-signing';
import { startOnce } from './releases';

/** How many finished releases and rollbacks of a service are read, newest first. */
const RECORDS_READ = 50;

/** Releases and rollbacks of `service` that reached production, newest first. */
export async function productionRecords(client: Client, service: string): Promise<ProductionRecord[]> {
  if (!SERVICE_NAME_PATTERN.test(service)) throw new Error(`not a service name: "${service}"`);
  const query = `RunwayService = '${service}' AND RunwayStage = 'released' AND ExecutionStatus = 'Completed'`;
  const records: ProductionRecord[] = [];
  for await (const wf of client.workflow.list({ query })) {
    const outcome = (await client.workflow.getHandle(wf.workflowId, wf.runId).result()) as ReleaseOutcome;
    if (outcome.result !== 'released') continue;
    records.push({
      workflowId: wf.workflowId,
      runId: wf.runId,
      kind: wf.type === ROLLBACK_WORKFLOW_TYPE ? 'rollback' : 'release',
      version: outcome.status.version,
      image: outcome.status.image,
      ...(outcome.status.deployed?.production ? { taskDefinition: outcome.status.deployed.production } : {}),
      finishedAt: outcome.status.finishedAt ?? (wf.closeTime ?? wf.startTime).toISOString(),
    });
    if (records.length >= RECORDS_READ) break;
  }
  return records.sort((a, b) => b.finishedAt.localeCompare(a.finishedAt));
}

/** Thrown when there is nothing (valid) to roll back to; the message says why. */
export class RollbackRefusedError extends Error {
  override name = 'RollbackRefusedError';
}

export interface RollbackRequest {
  service: string;
  /** A version (7+ hex digits) or a workflow id to go back to; by default what ran before. */
  to?: string;
  /** The release the caller means to roll back (the Slack button's): refused if production no longer runs it. */
  of?: string;
  reason: string;
  requestedBy: string;
  plan: ReleasePlan;
}

/** What the rollback will do, resolved from Runway's records; throws RollbackRefusedError naming why it cannot. */
export async function resolveRollback(client: Client, request: RollbackRequest): Promise<RollbackInput> {
  const records = await productionRecords(client, request.service);
  if (request.of && records[0] && records[0].workflowId !== request.of) {
    throw new RollbackRefusedError(`${request.of} no longer runs in production: ${records[0].workflowId} (${records[0].version.slice(0, 12)}) does`);
  }
  const choice = chooseRollbackTarget(request.service, records, request.to);
  if ('refusal' in choice) throw new RollbackRefusedError(choice.refusal);
  return {
    service: request.service,
    from: {
      workflowId: choice.from.workflowId,
      ...(choice.from.runId ? { runId: choice.from.runId } : {}),
      version: choice.from.version,
      ...(choice.from.taskDefinition ? { taskDefinition: choice.from.taskDefinition } : {}),
    },
    to: choice.to,
    requestedBy: request.requestedBy,
    reason: request.reason,
    plan: request.plan,
  };
}

export interface StartedRollback {
  rollbackId: string;
  /** False when a rollback of the same release was already running: nothing new was started. */
  started: boolean;
  input: RollbackInput;
}

export async function startRollback(client: Client, taskQueue: string, input: RollbackInput): Promise<StartedRollback> {
  const id = rollbackId(input.from.workflowId);
  const started = await startOnce(client, ROLLBACK_WORKFLOW_TYPE, {
    workflowId: id,
    taskQueue,
    args: [input],
    service: input.service,
    version: input.to.version,
    summary: `Rollback ${input.service} ${input.from.version.slice(0, 12)} → ${input.to.version.slice(0, 12)}`,
    details: `**Back to** ${input.to.taskDefinition} (${input.to.workflowId})\n\n**Requested by** ${input.requestedBy}: ${input.reason}`,
  });
  return { rollbackId: id, started, input };
}

/**
 * What the proof of a rollback's start signs: the action `rollback` on the rollback's workflow id,
 * bound to the run of the release it rolls back (its own run id does not exist yet), its target
 * and reason as the note, by the requester (with the Slack user and groups the approvals server
 * found). Throws when the record of that run has no run id (it cannot be signed for).
 */
export function rollbackToSign(namespace: string, input: RollbackInput, slack: { slackUserId?: string; groups?: readonly string[] } = {}): DecisionToSign {
  if (!input.from.runId) throw new RollbackRefusedError(`the record of ${input.from.workflowId} has no run id, so a rollback of it cannot be signed`);
  return {
    namespace,
    releaseId: rollbackId(input.from.workflowId),
    runId: input.from.runId,
    action: 'rollback',
    by: input.requestedBy,
    ...(slack.slackUserId ? { slackUserId: slack.slackUserId } : {}),
    ...(slack.groups ? { groups: slack.groups } : {}),
    note: rollbackDecisionNote(input),
  };
}
