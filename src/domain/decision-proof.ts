/**
 * Decisions whose identity is proven (issue 18, part 3): the message a decision's proof signs,
 * the proofs themselves, and the pure checks that bind a proven message to the release it is
 * used on. Deterministic (workflow code will import it): no Node built-ins, so nothing here
 * hashes or verifies; activities/decision-proof.ts verifies proofs with keys from the worker's
 * environment and config (never from the release plan, which whoever starts a release builds).
 *
 * The canonical message is line based, versioned and unambiguous: a fixed first line, then every
 * field on its own `name: value` line in a fixed order (optional fields with an empty value),
 * each line ending in "\n". Values may not contain control characters (so no line breaks) nor
 * begin or end with whitespace; group ids may not contain commas or whitespace and are sorted
 * and deduplicated. So one message has exactly one text, and the text gives the message back
 * (`parseDecisionMessage`). Example:
 *
 *     runway-decision-v1
 *     namespace: default
 *     release: release-api-3f2a9c1
 *     run: 0f6c5a2e-...
 *     action: approve
 *     by: alice
 *     slack-user: U024BE7LH
 *     groups: S0614TZR7,S0615G0KT
 *     note-sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
 *     nonce: 4hM2qv9kR0yX6bWc3pTz1A
 *     issued-at: 2026-01-27T10:15:00.000Z
 *
 * The note is signed by its digest: `noteSha256` is the lowercase hex SHA-256 of the note's UTF-8
 * text, computed by the caller (src/shared/decision-signer.ts `noteSha256`), absent when the
 * decision has no note.
 */

export const DECISION_MESSAGE_VERSION = 'runway-decision-v1';

/** What a decision does: the approval, the operator controls of a running release, a rollback, break-glass. */
export const DECISION_ACTIONS = ['approve', 'reject', 'pause', 'resume', 'promote', 'abort', 'rollback', 'break-glass'] as const;
export type DecisionAction = (typeof DECISION_ACTIONS)[number];

/** How long after it was issued a proof is accepted. */
export const DECISION_PROOF_MAX_AGE_MS = 15 * 60_000;
/** How far in the future a proof's issue time may lie (clocks of the signer and the worker differ). */
export const DECISION_PROOF_MAX_SKEW_MS = 60_000;

export interface DecisionMessage {
  /** The Temporal namespace the release runs in. */
  namespace: string;
  /** The release's workflow id. */
  releaseId: string;
  /** The release's workflow run id: a proof for one run is worthless for another of the same id. */
  runId: string;
  action: DecisionAction;
  /** The person deciding, a name from the config's `people`. */
  by: string;
  /** The Slack user the approvals server resolved (Slack decisions only). */
  slackUserId?: string;
  /** Slack user groups (S…) the approvals server found the person in; sorted in the canonical text. */
  groups: string[];
  /** Lowercase hex SHA-256 of the note's UTF-8 text, computed by the caller; absent without a note. */
  noteSha256?: string;
  /** Unique per decision: a run accepts each nonce once. */
  nonce: string;
  /** When the proof was made, as `Date.toISOString()` writes it (UTC, milliseconds, `Z`). */
  issuedAt: string;
}

/** From the approvals server: HMAC-SHA256 of the canonical text under RUNWAY_DECISION_KEY (`kid` names the key, so a previous key still verifies during rotation). */
export interface HmacDecisionProof {
  kind: 'hmac';
  kid: string;
  /** Base64 of the 32-byte MAC. */
  mac: string;
}

/** From the CLI: `ssh-keygen -Y sign -n runway-decision` over the canonical text, armored (`-----BEGIN SSH SIGNATURE-----`). */
export interface SshDecisionProof {
  kind: 'sshsig';
  signature: string;
}

export type DecisionProof = HmacDecisionProof | SshDecisionProof;

const FIELDS = [
  ['namespace', 'namespace'],
  ['release', 'releaseId'],
  ['run', 'runId'],
  ['action', 'action'],
  ['by', 'by'],
  ['slack-user', 'slackUserId'],
  ['groups', 'groups'],
  ['note-sha256', 'noteSha256'],
  ['nonce', 'nonce'],
  ['issued-at', 'issuedAt'],
] as const;

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f\u2028\u2029]/;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const NONCE = /^[A-Za-z0-9_-]{16,128}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
const GROUP = /^[^\s,]+$/;

function textProblem(name: string, value: string, required: boolean): string | undefined {
  if (value === '') return required ? `${name} is empty` : undefined;
  if (CONTROL.test(value)) return `${name} contains a control character or line break`;
  if (value.trim() !== value) return `${name} begins or ends with whitespace`;
  return undefined;
}

function canonicalGroups(groups: readonly string[]): string[] {
  return [...new Set(groups)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Why `m` cannot be written canonically, or undefined when it can. */
export function decisionMessageProblem(m: DecisionMessage): string | undefined {
  for (const [name, key] of [
    ['namespace', 'namespace'],
    ['release', 'releaseId'],
    ['run', 'runId'],
    ['by', 'by'],
  ] as const) {
    if (typeof m[key] !== 'string') return `${name} is missing`;
    const p = textProblem(name, m[key], true);
    if (p) return p;
  }
  if (!(DECISION_ACTIONS as readonly string[]).includes(m.action)) return `unknown action ${JSON.stringify(m.action)}`;
  if (m.slackUserId !== undefined) {
    if (typeof m.slackUserId !== 'string' || m.slackUserId === '') return 'slack-user is empty (leave it out instead)';
    const p = textProblem('slack-user', m.slackUserId, true);
    if (p) return p;
  }
  if (!Array.isArray(m.groups)) return 'groups is missing';
  const badGroup = m.groups.find((g) => typeof g !== 'string' || !GROUP.test(g) || CONTROL.test(g));
  if (badGroup !== undefined) return `group ${JSON.stringify(badGroup)} is empty or contains a comma, whitespace or a control character`;
  if (m.noteSha256 !== undefined && (typeof m.noteSha256 !== 'string' || !SHA256_HEX.test(m.noteSha256))) {
    return 'note-sha256 is not 64 lowercase hex digits';
  }
  if (typeof m.nonce !== 'string' || !NONCE.test(m.nonce)) return 'nonce is not 16 to 128 characters of A-Z a-z 0-9 _ -';
  if (typeof m.issuedAt !== 'string' || !ISO_UTC.test(m.issuedAt) || Number.isNaN(Date.parse(m.issuedAt)) || new Date(m.issuedAt).toISOString() !== m.issuedAt) {
    return 'issued-at is not a UTC time as Date.toISOString() writes it';
  }
  return undefined;
}

/** The text a proof signs (UTF-8). Throws when the message cannot be written canonically (see decisionMessageProblem). */
export function canonicalDecisionMessage(m: DecisionMessage): string {
  const problem = decisionMessageProblem(m);
  if (problem) throw new Error(`decision message: ${problem}`);
  const value = (key: (typeof FIELDS)[number][1]): string => {
    if (key === 'groups') return canonicalGroups(m.groups).join(',');
    return m[key] ?? '';
  };
  return `${DECISION_MESSAGE_VERSION}\n${FIELDS.map(([name, key]) => `${name}: ${value(key)}\n`).join('')}`;
}

/** The message a canonical text holds, or a reason it is not one (the inverse of canonicalDecisionMessage). */
export function parseDecisionMessage(text: string): { message: DecisionMessage } | { problem: string } {
  if (!text.endsWith('\n')) return { problem: 'the text does not end with a line break' };
  const lines = text.slice(0, -1).split('\n');
  if (lines[0] !== DECISION_MESSAGE_VERSION) return { problem: `the first line is not ${DECISION_MESSAGE_VERSION}` };
  if (lines.length !== FIELDS.length + 1) return { problem: `expected ${FIELDS.length} fields, found ${lines.length - 1}` };
  const values: Record<string, string> = {};
  for (let i = 0; i < FIELDS.length; i++) {
    const [name, key] = FIELDS[i];
    const line = lines[i + 1];
    const prefix = `${name}: `;
    if (!line.startsWith(prefix)) return { problem: `line ${i + 2} is not "${prefix}…"` };
    values[key] = line.slice(prefix.length);
  }
  const message: DecisionMessage = {
    namespace: values.namespace,
    releaseId: values.releaseId,
    runId: values.runId,
    action: values.action as DecisionAction,
    by: values.by,
    ...(values.slackUserId ? { slackUserId: values.slackUserId } : {}),
    groups: values.groups ? values.groups.split(',') : [],
    ...(values.noteSha256 ? { noteSha256: values.noteSha256 } : {}),
    nonce: values.nonce,
    issuedAt: values.issuedAt,
  };
  const problem = decisionMessageProblem(message);
  if (problem) return { problem };
  if (canonicalDecisionMessage(message) !== text) return { problem: 'the text is not in canonical form (groups unsorted or repeated)' };
  return { message };
}

/** What the decision is being used for: the release and run the Update reached, and what it asks. */
export interface DecisionBinding {
  namespace: string;
  releaseId: string;
  runId: string;
  action: DecisionAction;
}

export interface BindingLimits {
  maxAgeMs?: number;
  maxSkewMs?: number;
}

function minutes(ms: number): string {
  const min = ms / 60_000;
  return Number.isInteger(min) ? `${min} min` : min >= 1 ? `${Math.round(min)} min` : `${Math.round(ms / 1000)} s`;
}

/**
 * Why a (proven) message may not be used for `expected` now, or undefined when it may: another
 * namespace, release, run or action; issued too long ago or too far in the future; a nonce this
 * run has already accepted. Pure: the Update handler passes workflow time and the run's nonces.
 */
export function bindingProblem(
  message: DecisionMessage,
  expected: DecisionBinding,
  nowMs: number,
  usedNonces: ReadonlySet<string> | readonly string[],
  limits: BindingLimits = {},
): string | undefined {
  if (message.namespace !== expected.namespace) return `signature is for namespace ${message.namespace}, not ${expected.namespace}`;
  if (message.releaseId !== expected.releaseId) return `signature is for ${message.releaseId}, not ${expected.releaseId}`;
  if (message.runId !== expected.runId) return `signature is for run ${message.runId}, not run ${expected.runId} of ${expected.releaseId}`;
  if (message.action !== expected.action) return `signature is for ${message.action}, not ${expected.action}`;
  const issued = ISO_UTC.test(message.issuedAt) ? Date.parse(message.issuedAt) : NaN;
  if (Number.isNaN(issued)) return `proof issue time ${JSON.stringify(message.issuedAt)} is not a UTC time`;
  const maxAge = limits.maxAgeMs ?? DECISION_PROOF_MAX_AGE_MS;
  const maxSkew = limits.maxSkewMs ?? DECISION_PROOF_MAX_SKEW_MS;
  if (nowMs - issued > maxAge) return `proof issued ${minutes(nowMs - issued)} ago (limit ${minutes(maxAge)})`;
  if (issued - nowMs > maxSkew) return `proof issued ${minutes(issued - nowMs)} in the future (limit ${minutes(maxSkew)})`;
  const used = Array.isArray(usedNonces) ? usedNonces.includes(message.nonce) : (usedNonces as ReadonlySet<string>).has(message.nonce);
  if (used) return 'nonce already used in this run';
  return undefined;
}
