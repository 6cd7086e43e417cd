/**
 * Signing a decision before it is sent (README, "Threat model"): the approvals server MACs it with
 * the current RUNWAY_DECISION_HMAC_KEYS key once Slack's signature is verified and the clicker's
 * groups resolved; the CLI signs it with the person's SSH key (`--sign-with`). Both sign the
 * canonical message bound to the release's namespace, id, current run id and action, with a fresh
 * nonce and the time, so the release accepts it once, for that run and that action only.
 */
import type { Client } from '@temporalio/client';
import { canonicalDecisionMessage, type DecisionMessage } from '../domain/decision-proof';
import type { SignedDecision } from '../domain/release-api';
import { decisionNonce, hmacProof, noteSha256, sshSign, type SshSignOptions } from '../shared/decision-signer';

/** What a decision says, before it is bound to a nonce and a time. */
export type DecisionToSign = Omit<DecisionMessage, 'groups' | 'noteSha256' | 'nonce' | 'issuedAt'> & {
  groups?: readonly string[];
  /** The comment or reason sent with the decision (signed by its digest). */
  note?: string;
};

/** The message the proof signs: the decision with a fresh nonce, issued now. */
export function decisionMessageOf(d: DecisionToSign, now: Date = new Date()): DecisionMessage {
  const digest = noteSha256(d.note);
  return {
    namespace: d.namespace,
    releaseId: d.releaseId,
    runId: d.runId,
    action: d.action,
    by: d.by.trim(),
    ...(d.slackUserId ? { slackUserId: d.slackUserId } : {}),
    groups: [...new Set(d.groups ?? [])].sort(),
    ...(digest ? { noteSha256: digest } : {}),
    nonce: decisionNonce(),
    issuedAt: now.toISOString(),
  };
}

/** A key of RUNWAY_DECISION_HMAC_KEYS: its id and its bytes. */
export interface DecisionHmacKey {
  kid: string;
  key: Buffer;
}

/** The approvals server's proof of a decision (HMAC under the current key). */
export function hmacSignedDecision(d: DecisionToSign, key: DecisionHmacKey, now?: Date): Required<SignedDecision> {
  const message = decisionMessageOf(d, now);
  return { message, proof: hmacProof(canonicalDecisionMessage(message), key.key, key.kid) };
}

/** The CLI's proof of a decision: `ssh-keygen -Y sign` with the person's key. */
export async function sshSignedDecision(d: DecisionToSign, keyPath: string, options?: SshSignOptions): Promise<Required<SignedDecision>> {
  const message = decisionMessageOf(d);
  return { message, proof: await sshSign(canonicalDecisionMessage(message), keyPath, options) };
}

/** The release's current run id (a proof binds it): the run an Update without a run id reaches. */
export async function currentRunId(client: Client, releaseId: string): Promise<string> {
  return (await client.workflow.getHandle(releaseId).describe()).runId;
}
