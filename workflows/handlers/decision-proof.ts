/**
 * Proven decisions in the release's handlers (issue 18, part 3; README "Threat model"). Before a
 * decision counts, the handler refuses a nonce this run has seen (replayed), then has the worker
 * bind the signed message to this workflow (namespace, release id, run id, action, all taken from
 * workflowInfo here) and to workflow time (fresh), and verify the proof with the keys of its own
 * environment and config (the verifyDecision activity: keys never enter the history, only the
 * verdict does). The identity the policy then
 * judges is the proven one: the Slack user and groups the approvals server signed, or the name
 * whose SSH key verified. A refusal changes nothing, is recorded in the release's history and
 * answers the Update with an ApplicationFailure of type DecisionRefused.
 *
 * A worker configured with no key at all answers "trusted": the decision counts as named, as
 * before proofs existed. Histories recorded before this code replay unchanged: the new path runs
 * only under `patched('proven-decisions')`.
 */
import { ApplicationFailure, patched, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { ReleaseActivities } from '../../activities';
import type { Actor } from '../../src/domain/approval-policy';
import type { DecisionAction } from '../../src/domain/decision-proof';
import type { SignedDecision, SlackOrigin } from '../../src/domain/release-api';
import { DECISION_VERIFICATION_PRIORITY } from '../../src/domain/shared-workflow-priority';

export const PROVEN_DECISIONS_PATCH = 'proven-decisions';
export const DECISION_REFUSED = 'DecisionRefused';

/**
 * A normal activity rather than a local one. Either replays (both were tried against a recorded
 * history once the binding moved into the activity); a normal activity costs one more trip
 * through the task queue per decision, and in exchange its attempts, inputs and verdict show in
 * the Web UI and the history like every other step, it is retried like one, and a slow verifier
 * cannot hold a workflow task open. Verifying is pure CPU on keys every worker of the queue holds.
 * A person waits for its answer, so it goes before the releases' own activities in the queue
 * (without that, 2 of 2,000 approvals at scale waited out their minute behind the bakes).
 */
const { verifyDecision } = proxyActivities<Pick<ReleaseActivities, 'verifyDecision'>>({
  startToCloseTimeout: '10s',
  scheduleToCloseTimeout: '1 minute',
  priority: DECISION_VERIFICATION_PRIORITY,
  retry: { initialInterval: '200ms', maximumAttempts: 3 },
});

export type DecisionRequest = SlackOrigin & SignedDecision & { by: string };

/** The refusal an Update answers with (and that changes nothing). */
export function decisionRefusal(what: string, reason: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(`${what} refused: ${reason}`, DECISION_REFUSED);
}

export class DecisionProver {
  /** Nonces this run has seen (accepted or refused after binding): workflow state, rebuilt by replay. */
  private readonly nonces = new Set<string>();

  constructor(private readonly service: string) {}

  /**
   * False when this code path is not in the history being replayed (decisions recorded before
   * proofs): the caller then trusts the request synchronously, as it always did. Call it first,
   * before any await, so the old path changes state in the same turn as before.
   */
  enabled(): boolean {
    return patched(PROVEN_DECISIONS_PATCH);
  }

  /** The proven actor of `request`, or a refusal reason (call only when `enabled()`). */
  async prove(action: DecisionAction, request: DecisionRequest, note: string | undefined): Promise<{ actor: Actor } | { refused: string }> {
    const claimedBy = typeof request.by === 'string' ? request.by.trim() : '';
    const claimsSlack = request.slackUserId !== undefined || (request.groups?.length ?? 0) > 0;
    const { message, proof } = request;
    if (proof || message) {
      if (!proof) return { refused: 'unsigned decision (a message without its proof)' };
      if (!message || typeof message !== 'object') return { refused: 'the decision has no signed message' };
      // Seen before the await, so the same signature sent twice at once is refused too. Only the
      // nonce is compared here: the binding to this namespace, release, run and action is checked
      // by the activity, so that its verdict is what the history holds (a reset run, whose run id
      // differs, replays the decisions of the run it was reset from as they were judged).
      if (this.nonces.has(message.nonce)) return { refused: 'replayed decision (its nonce was already used in this run)' };
      this.nonces.add(message.nonce);
      const signedGroups = Array.isArray(message.groups) ? message.groups : [];
      if ((request.groups ?? []).some((g) => !signedGroups.includes(g))) return { refused: 'group claim not proven (a group the signed decision does not name)' };
      if (request.slackUserId !== undefined && request.slackUserId !== message.slackUserId) return { refused: 'Slack identity not proven (not the signed Slack user)' };
    }
    const info = workflowInfo();
    const verdict = await verifyDecision({
      message: message!,
      proof: proof ?? null,
      claimedBy,
      service: this.service,
      note: note ?? null,
      binding: { namespace: info.namespace, releaseId: info.workflowId, runId: info.runId, action },
      nowMs: Date.now(),
    });
    if (!verdict.ok) {
      if (!proof && claimsSlack) return { refused: `${verdict.reason} (group claim not proven: only the approvals server can vouch for a Slack user and groups)` };
      return { refused: verdict.reason };
    }
    if (verdict.via === 'trusted') return { actor: { by: claimedBy, slackUserId: request.slackUserId, groups: request.groups } };
    if (verdict.via === 'slack') return { actor: { by: message!.by, slackUserId: message!.slackUserId, groups: message!.groups } };
    return { actor: { by: message!.by } };
  }

  /** Signals cannot carry a verified identity: they count only when the worker trusts decisions (no key configured). */
  async signalTrusted(request: DecisionRequest): Promise<{ actor: Actor } | { refused: string }> {
    const claimedBy = typeof request.by === 'string' ? request.by.trim() : '';
    const verdict = await verifyDecision({ message: undefined as never, proof: null, claimedBy, service: this.service });
    if (verdict.ok && verdict.via === 'trusted') return { actor: { by: claimedBy, slackUserId: request.slackUserId, groups: request.groups } };
    return { refused: 'unsigned decision: a signal cannot carry a proof, decide with runway approve|reject or in Slack' };
  }
}

/** What a workflow started on someone's word (a rollback) was started with: who asks, and the proof of it. */
export interface StartRequest extends SignedDecision {
  by: string;
}

/**
 * The proven requester of a workflow that acts on its start (a rollback), or why not. Unlike an
 * Update, the start has no run id to sign before it exists: the proof is bound to `runId`, the run
 * the start is about (the rolled-back release's), and judged fresh at the time the server
 * accepted the start, so a rollback started while no worker runs is not refused for waiting.
 */
export async function proveStart(service: string, action: DecisionAction, request: StartRequest, note: string, runId: string): Promise<{ actor: Actor; via: 'slack' | 'ssh' | 'trusted' } | { refused: string }> {
  const info = workflowInfo();
  const { message, proof } = request;
  const verdict = await verifyDecision({
    message: message!,
    proof: proof ?? null,
    claimedBy: request.by,
    service,
    note,
    binding: { namespace: info.namespace, releaseId: info.workflowId, runId, action },
    nowMs: info.runStartTime.getTime(),
  });
  if (!verdict.ok) return { refused: verdict.reason };
  if (verdict.via === 'slack') return { actor: { by: message!.by, slackUserId: message!.slackUserId, groups: message!.groups }, via: 'slack' };
  return { actor: { by: verdict.by }, via: verdict.via };
}
