/**
 * Verifying a decision's proof (issue 18, part 3), as an activity so that keys stay in the
 * worker: the Update handler sends the message and the proof, and only the verdict enters the
 * history. Keys come from the worker's environment and config (RUNWAY_DECISION_KEY and its
 * previous key for the approvals server's MACs, `people.<name>.sshKeys` for CLI signatures),
 * never from the release plan: whoever starts a release builds the plan.
 *
 * What it proves: that the message is the one the approvals server (HMAC) or the person named in
 * `by` (SSH signature) signed. What it does not check: that the message is for this release, run
 * and action, fresh and not replayed; the Update handler does that with `bindingProblem`
 * (src/domain/decision-proof.ts), since it holds the run's ids, workflow time and used nonces.
 *
 * A refusal is a verdict, not a failure: the activity never throws for a bad proof (so it is not
 * retried), and reasons are the ones the README's threat model names ("unsigned decision",
 * "signature does not match alice's key", "unknown key id k2", "group claim not proven").
 */
import { timingSafeEqual } from 'node:crypto';
import {
  canonicalDecisionMessage,
  type DecisionMessage,
  decisionMessageProblem,
  type DecisionProof,
} from '../src/domain/decision-proof';
import { decisionMac, DECISION_SSHSIG_NAMESPACE } from '../src/shared/decision-signer';
import { verifySshsig } from '../src/shared/sshsig';

export interface DecisionProofKeys {
  /** The approvals server's MAC keys by key id: the current one and, during a rotation, the previous one. */
  hmacKeys: Record<string, Buffer>;
  /** A person's SSH public keys (authorized_keys lines), from the config's `people.<name>.sshKeys`; [] when none. */
  sshKeysOf: (person: string) => readonly string[];
}

export interface VerifyDecisionInput {
  message: DecisionMessage;
  proof?: DecisionProof | null;
  /** The name the Update acts under; must be the message's `by`. */
  claimedBy: string;
}

export type DecisionVerdict = { ok: true; by: string; via: 'slack' | 'ssh' } | { ok: false; reason: string };

function refuse(reason: string): DecisionVerdict {
  return { ok: false, reason };
}

export function createDecisionProofActivities(keys: DecisionProofKeys) {
  function verifyHmac(text: string, kid: unknown, mac: unknown): string | undefined {
    if (typeof kid !== 'string' || kid === '') return 'the approvals-server proof has no key id';
    if (!Object.prototype.hasOwnProperty.call(keys.hmacKeys, kid)) return `unknown key id ${kid}`;
    if (typeof mac !== 'string' || !/^[A-Za-z0-9+/]{43}=$/.test(mac)) return 'the approvals-server proof is not a base64 HMAC-SHA256';
    const given = Buffer.from(mac, 'base64');
    const expected = Buffer.from(decisionMac(text, keys.hmacKeys[kid]), 'base64');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return `approvals-server signature does not match key ${kid}`;
    return undefined;
  }

  function verifySsh(text: string, by: string, signature: unknown): string | undefined {
    if (typeof signature !== 'string' || signature === '') return 'unsigned decision';
    let allowed: readonly string[];
    try {
      allowed = keys.sshKeysOf(by) ?? [];
    } catch {
      allowed = [];
    }
    if (allowed.length === 0) return `${by} has no SSH keys in the config (people.${by}.sshKeys)`;
    const verdict = verifySshsig(signature, text, DECISION_SSHSIG_NAMESPACE, allowed);
    if (verdict.ok) return undefined;
    switch (verdict.problem) {
      case 'unknown-key':
      case 'mismatch':
        return `signature does not match ${by}'s key (${verdict.reason})`;
      case 'namespace':
        return `SSH signature not made for Runway decisions: ${verdict.reason}`;
      case 'unsupported':
        return `SSH signature not accepted: ${verdict.reason}`;
      default:
        return `malformed SSH signature: ${verdict.reason}`;
    }
  }

  return {
    /** Whether `proof` proves `message`, made by `claimedBy` (see the file's comment for what it leaves to the Update handler). */
    async verifyDecision(input: VerifyDecisionInput): Promise<DecisionVerdict> {
      const { message, proof, claimedBy } = input;
      if (!proof || typeof proof !== 'object') return refuse('unsigned decision');
      if (!message || typeof message !== 'object') return refuse('the decision has no signed message');
      const problem = decisionMessageProblem(message);
      if (problem) return refuse(`malformed decision message: ${problem}`);
      if (message.by !== claimedBy) return refuse(`the signed decision is ${message.by}'s, not ${claimedBy}'s`);
      const text = canonicalDecisionMessage(message);
      if (proof.kind === 'hmac') {
        const why = verifyHmac(text, proof.kid, proof.mac);
        return why ? refuse(why) : { ok: true, by: message.by, via: 'slack' };
      }
      if (proof.kind === 'sshsig') {
        const why = verifySsh(text, message.by, proof.signature);
        if (why) return refuse(why);
        // A person's SSH key proves who they are, not what the approvals server would find in Slack.
        if (message.groups.length > 0) return refuse('group claim not proven (an SSH-signed decision cannot claim Slack groups)');
        if (message.slackUserId !== undefined) return refuse('Slack identity not proven (an SSH-signed decision cannot claim a Slack user)');
        return { ok: true, by: message.by, via: 'ssh' };
      }
      return refuse(`unknown proof kind ${JSON.stringify((proof as { kind?: unknown }).kind)}`);
    },
  };
}

export type DecisionProofActivities = ReturnType<typeof createDecisionProofActivities>;
