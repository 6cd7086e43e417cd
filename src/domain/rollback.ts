/**
 * Rolling back a finished release: what runs in production now and what ran before, from
 * Runway's own records (every release and rollback that reached production keeps the task
 * definition it put there), and the choice of what to put back. Pure; deterministic.
 */
import type { ReleasePlan } from './release';
import type { SignedDecision } from './release-api';

/** A finished release or rollback that put a version into production, as Runway recorded it. */
export interface ProductionRecord {
  workflowId: string;
  /** The run that reached production (a rollback's proof is bound to it); absent in records read before Runway kept it. */
  runId?: string;
  kind: 'release' | 'rollback';
  version: string;
  image: string;
  /** The production task definition it left running; absent in records older than Runway keeping it. */
  taskDefinition?: string;
  finishedAt: string;
}

/** What a rollback puts back into production: a version an earlier release (or rollback) ran there. */
export interface RollbackTarget {
  workflowId: string;
  version: string;
  image: string;
  taskDefinition: string;
}

/** Workflow input of a rollback. Resolved and validated by the client before it starts. */
export interface RollbackInput {
  service: string;
  /** The release (or rollback) whose version runs in production now: the one being rolled back. */
  from: { workflowId: string; runId?: string; version: string; taskDefinition?: string };
  to: RollbackTarget;
  requestedBy: string;
  reason: string;
  plan: ReleasePlan;
  /**
   * Who asks for it, proven (README, "Threat model"): the CLI's SSH signature or the approvals
   * server's MAC over the action `rollback`, this rollback's workflow id, the rolled-back release's
   * run id (`from.runId`: the rollback's own run id does not exist before it starts) and, as its
   * note, `rollbackDecisionNote` (target and reason). Required by workers configured with keys.
   */
  decision?: SignedDecision;
}

/**
 * The note a rollback's proof signs (by its digest): what it goes back to, from what, and why. So
 * a proof for one target or reason does not start a rollback to another.
 */
export function rollbackDecisionNote(input: Pick<RollbackInput, 'from' | 'to' | 'reason'>): string {
  return `roll back ${input.from.workflowId} (${input.from.version}) to ${input.to.workflowId} (${input.to.version}, ${input.to.taskDefinition}): ${input.reason}`;
}

/**
 * One rollback per release rolled back: starting it twice (a double click, the command run twice)
 * finds the one already running, and once it is done what runs in production has changed, so a
 * later rollback has another id.
 */
export function rollbackId(fromWorkflowId: string): string {
  return `rollback-${fromWorkflowId}`;
}

export type RollbackChoice = { from: ProductionRecord; to: RollbackTarget } | { refusal: string };

/**
 * Chooses what to roll back to from `records`, newest first. By default: the newest earlier
 * record whose task definition differs from what runs now. With `to` (a workflow id or a
 * version, abbreviated to 7+ hex digits): that record. Refused, with the reason, when nothing
 * reached production, when the target is what runs now, when it was recorded without its task
 * definition, or when production runs a rollback and no target is named (running a rollback's
 * command twice must not roll back the rollback).
 */
export function chooseRollbackTarget(service: string, records: readonly ProductionRecord[], to?: string): RollbackChoice {
  const [current, ...earlier] = records;
  if (!current) return { refusal: `no release of ${service} has reached production through Runway: there is nothing to roll back` };
  let target: ProductionRecord | undefined;
  if (to) {
    target = records.find((r) => r.workflowId === to) ?? records.find((r) => r.version === to || (to.length >= 7 && r.version.startsWith(to)));
    if (!target) return { refusal: `${to} is not a release of ${service} that reached production (see runway list --service ${service})` };
    if (target === current || target.taskDefinition === current.taskDefinition) {
      return { refusal: `${target.version.slice(0, 12)} (${target.workflowId}) is what runs in production now` };
    }
  } else {
    if (current.kind === 'rollback') {
      return { refusal: `production runs ${current.version.slice(0, 12)} since ${current.workflowId}; name the version to go back to with --to` };
    }
    target = earlier.find((r) => r.taskDefinition !== current.taskDefinition);
    if (!target) return { refusal: `no earlier release of ${service} ran another version in production: there is nothing to roll back to` };
  }
  if (!target.taskDefinition) {
    return { refusal: `${target.workflowId} finished before Runway recorded task definitions, so what it ran cannot be put back exactly; name a newer release with --to` };
  }
  return { from: current, to: { workflowId: target.workflowId, version: target.version, image: target.image, taskDefinition: target.taskDefinition } };
}
