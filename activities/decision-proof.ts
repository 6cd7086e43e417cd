/**
 * Verifying a decision's proof (issue 18, part 3), as an activity so that keys stay in the
 * worker: the Update handler sends the message and the proof, and only the verdict enters the
 * history. Keys come from the worker's environment and config (RUNWAY_DECISION_KEY and its
 * previous key for the approvals server's MACs, `people.<name>.sshKeys` for CLI signatures),
 * never from the release plan: whoever starts a release builds the plan.
 *
 * What it proves: that the message is the one the approvals server (HMAC) or the person named in
 * `by` (SSH signature) signed and, given the `binding` the Update handler takes from workflowInfo,
 * that it is for this namespace, release, run and action and fresh at workflow time
 * (`bindingProblem`, src/domain/decision-proof.ts). The handler keeps the run's used nonces and
 * refuses a replay itself. Binding here rather than in workflow code puts the verdict in the
 * history: a reset run (another run id) replays earlier decisions exactly as they were judged.
 *
 * A refusal is a verdict, not a failure: the activity never throws for a bad proof (so it is not
 * retried), and reasons are the ones the README's threat model names ("unsigned decision",
 * "signature does not match alice's key", "unknown key id k2", "group claim not proven").
 */
import { timingSafeEqual } from 'node:crypto';
import {
  bindingProblem,
  canonicalDecisionMessage,
  type DecisionBinding,
  type DecisionMessage,
  decisionMessageProblem,
  type DecisionProof,
} from '../src/domain/decision-proof';
import { decisionMac, DECISION_SSHSIG_NAMESPACE, noteSha256 } from '../src/shared/decision-signer';
import { verifySshsig } from '../src/shared/sshsig';

export interface DecisionProofKeys {
  /** The approvals server's MAC keys by key id: the current one and, during a rotation, the previous one. */
  hmacKeys: Record<string, Buffer>;
  /** A person's SSH public keys (authorized_keys lines), from the config's `people.<name>.sshKeys`; [] when none. */
  sshKeysOf: (person: string) => readonly string[];
  /**
   * Whether decisions must be proven. False only for a worker configured with no key at all
   * (installations from before proofs, the demo's default): decisions are then trusted as named
   * (verdict `via: 'trusted'`) and the worker warns at start. @default true
   */
  required?: boolean;
  /** `approval.cli` of a service from the worker's config: `off` refuses SSH-signed (CLI) decisions. @default 'signed' */
  cliPolicyOf?: (service: string) => 'signed' | 'off';
  /**
   * Why the worker's own config does not let the proven person move the service's releases
   * forward (approve, resume, promote), or undefined: the plan in a release's input is written by
   * whoever starts it, so its approvers list alone does not decide who may. @default no check
   */
  forwardRefusal?: (service: string, actor: { by: string; slackUserId?: string; groups?: string[] }) => string | undefined;
}

/** Decisions that move a release forward; the others (reject, pause, abort) only stop it, which a namespace user can do anyway. */
const FORWARD: readonly string[] = ['approve', 'resume', 'promote', 'rollback', 'break-glass'];

/** A worker with no key configured: every decision is trusted as named, as before proofs existed. */
export const TRUSTED_DECISIONS: DecisionProofKeys = { hmacKeys: {}, sshKeysOf: () => [], required: false };

export interface VerifyDecisionInput {
  message: DecisionMessage;
  proof?: DecisionProof | null;
  /** The name the Update acts under; must be the message's `by`. */
  claimedBy: string;
  /** The release's service, for its `approval.cli` policy (from the worker's config, not the plan). */
  service?: string;
  /**
   * The decision's note (comment or reason), null for none: its SHA-256 must be the message's
   * `noteSha256`. Left out (undefined), the note is not checked (callers that verify the message alone).
   */
  note?: string | null;
  /**
   * What the decision is used for: the workflow's namespace, id, run id and the action, from
   * workflowInfo in the Update handler. With it the message must be for exactly that and fresh at
   * `nowMs` (workflow time); without it (callers verifying a message alone) neither is checked.
   */
  binding?: DecisionBinding;
  nowMs?: number;
}

export type DecisionVerdict = { ok: true; by: string; via: 'slack' | 'ssh' | 'trusted' } | { ok: false; reason: string };

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

  function forwardProblem(service: string | undefined, message: DecisionMessage, actor: { by: string; slackUserId?: string; groups?: string[] }): string | undefined {
    if (service === undefined || !keys.forwardRefusal || !FORWARD.includes(message.action)) return undefined;
    return keys.forwardRefusal(service, actor);
  }

  return {
    /** Whether `proof` proves `message`, made by `claimedBy` (see the file's comment for what it leaves to the Update handler). */
    async verifyDecision(input: VerifyDecisionInput): Promise<DecisionVerdict> {
      const { message, proof, claimedBy } = input;
      // No key configured at all: decisions are trusted as named, as before proofs (README, "Threat model").
      if (keys.required === false) return { ok: true, by: claimedBy, via: 'trusted' };
      if (!proof || typeof proof !== 'object') return refuse('unsigned decision');
      if (!message || typeof message !== 'object') return refuse('the decision has no signed message');
      const problem = decisionMessageProblem(message);
      if (problem) return refuse(`malformed decision message: ${problem}`);
      // Nonces are the handler's (it holds the run's); here: this namespace, release, run and action, fresh.
      const unbound = input.binding ? bindingProblem(message, input.binding, input.nowMs ?? Date.now(), []) : undefined;
      if (unbound) return refuse(unbound);
      if (message.by !== claimedBy) return refuse(`the signed decision is ${message.by}'s, not ${claimedBy}'s`);
      if (input.note !== undefined && message.noteSha256 !== noteSha256(input.note ?? undefined)) return refuse('the note is not the one signed');
      const text = canonicalDecisionMessage(message);
      if (proof.kind === 'hmac') {
        const why = verifyHmac(text, proof.kid, proof.mac) ?? forwardProblem(input.service, message, { by: message.by, slackUserId: message.slackUserId, groups: message.groups });
        return why ? refuse(why) : { ok: true, by: message.by, via: 'slack' };
      }
      if (proof.kind === 'sshsig') {
        if (input.service !== undefined && keys.cliPolicyOf?.(input.service) === 'off') {
          return refuse(`CLI decisions are off for ${input.service} (approval.cli: off): decide in Slack`);
        }
        const why = verifySsh(text, message.by, proof.signature);
        if (why) return refuse(why);
        // A person's SSH key proves who they are, not what the approvals server would find in Slack.
        if (message.groups.length > 0) return refuse('group claim not proven (an SSH-signed decision cannot claim Slack groups)');
        if (message.slackUserId !== undefined) return refuse('Slack identity not proven (an SSH-signed decision cannot claim a Slack user)');
        const notAllowed = forwardProblem(input.service, message, { by: message.by });
        return notAllowed ? refuse(notAllowed) : { ok: true, by: message.by, via: 'ssh' };
      }
      return refuse(`unknown proof kind ${JSON.stringify((proof as { kind?: unknown }).kind)}`);
    },
  };
}

export type DecisionProofActivities = ReturnType<typeof createDecisionProofActivities>;
