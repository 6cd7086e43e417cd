/**
 * The keys decisions are proven with (README, "Threat model"), from the process's own environment
 * and config file, never from a release's input (whoever starts a release writes that):
 *
 * - RUNWAY_DECISION_HMAC_KEYS: `kid=base64` pairs separated by commas, each key at least 32 bytes.
 *   The approvals server signs with the first; the worker accepts any of them, so a rotation adds
 *   the new key first on both, then removes the old one once no proof made with it can be fresh.
 * - `people.<name>.sshKeys` (authorized_keys lines): the keys a person's CLI decisions are checked with.
 * - `approval.cli: signed | off`, global and per service (the service's wins): `off` refuses CLI decisions.
 * - the services' `approval.approvers` and `groups`: a proven approve, resume or promote must also be
 *   by someone the worker's own config allows, whatever the plan in the release's input says.
 *
 * With none of these configured, decisions are trusted as named, as before proofs existed.
 */
import { readFile } from 'node:fs/promises';
import { type Actor, allowedApprovers, isApprover } from '../domain/approval-policy';
import type { RunwayEnv } from './env';
import { type KeyEntry, parseKeyList } from './key-list';
import { parseConfig } from './load';
import type { RunwayConfig } from './schema';

export type DecisionHmacKeyEntry = KeyEntry;

/** The keys of RUNWAY_DECISION_HMAC_KEYS in order (the first signs), or the problem with the value. Never echoes a key. */
export function parseDecisionHmacKeys(value: string | undefined): { keys: DecisionHmacKeyEntry[] } | { problem: string } {
  return parseKeyList(value, (kid, key) => (key.length < 32 ? `key ${kid} is ${key.length} bytes; at least 32 are needed (openssl rand -base64 32)` : undefined));
}

/** The shape activities/decision-proof.ts verifies with (DecisionProofKeys). */
export interface DecisionKeys {
  hmacKeys: Record<string, Buffer>;
  sshKeysOf: (person: string) => readonly string[];
  required: boolean;
  cliPolicyOf: (service: string) => 'signed' | 'off';
  /** Why the worker's own config does not let `actor` move `service`'s releases forward (approve, resume, promote); undefined when it does. */
  forwardRefusal: (service: string, actor: Actor) => string | undefined;
  /** The key the approvals server signs with (the first of RUNWAY_DECISION_HMAC_KEYS). */
  signing?: DecisionHmacKeyEntry;
}

/** The keys from the environment and an already loaded config (or none). */
export function decisionKeysFrom(env: Pick<RunwayEnv, 'RUNWAY_DECISION_HMAC_KEYS'>, config: Pick<RunwayConfig, 'people' | 'approval' | 'services'> | undefined): DecisionKeys {
  const parsed = parseDecisionHmacKeys(env.RUNWAY_DECISION_HMAC_KEYS);
  if ('problem' in parsed) throw new Error(`RUNWAY_DECISION_HMAC_KEYS: ${parsed.problem}`);
  const hmacKeys = Object.fromEntries(parsed.keys.map((k) => [k.kid, k.key]));
  const people = config?.people ?? {};
  const sshKeysOf = (person: string): readonly string[] => (Object.prototype.hasOwnProperty.call(people, person) ? (people[person].sshKeys ?? []) : []);
  const anySshKey = Object.values(people).some((p) => (p.sshKeys?.length ?? 0) > 0);
  const globalCli = config?.approval?.cli ?? 'signed';
  const cliPolicyOf = (service: string): 'signed' | 'off' => {
    const svc = config?.services && Object.prototype.hasOwnProperty.call(config.services, service) ? config.services[service] : undefined;
    return svc?.approval.cli ?? globalCli;
  };
  // The plan a release carries is written by whoever starts it: what moves a release forward must
  // also be allowed by the approvers and groups the worker's own config names for the service.
  const forwardRefusal = (service: string, actor: Actor): string | undefined => {
    if (!config) return undefined;
    const svc = Object.prototype.hasOwnProperty.call(config.services, service) ? config.services[service] : undefined;
    if (!svc) return `${service} is not a service of the worker's config (RUNWAY_CONFIG)`;
    const policy = { approvers: svc.approval.approvers, groups: svc.approval.groups, allowSelfApproval: true };
    return isApprover(policy, actor) ? undefined : `${actor.by} is not an approver of ${service} in the worker's config (allowed: ${allowedApprovers(policy)})`;
  };
  return { hmacKeys, sshKeysOf, required: parsed.keys.length > 0 || anySshKey, cliPolicyOf, forwardRefusal, ...(parsed.keys[0] ? { signing: parsed.keys[0] } : {}) };
}

/**
 * The keys of a worker or approvals server: RUNWAY_DECISION_HMAC_KEYS and the config at
 * RUNWAY_CONFIG. A missing config file means no SSH keys (a worker needs no config otherwise);
 * an invalid one stops the process, naming the bad field.
 */
export async function loadDecisionKeys(env: Pick<RunwayEnv, 'RUNWAY_DECISION_HMAC_KEYS' | 'RUNWAY_CONFIG'>): Promise<DecisionKeys> {
  let text: string | undefined;
  try {
    text = await readFile(env.RUNWAY_CONFIG, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  return decisionKeysFrom(env, text === undefined ? undefined : parseConfig(text, env.RUNWAY_CONFIG));
}

/** The line a worker prints at start when it trusts decisions as named. */
export const TRUSTED_DECISIONS_WARNING =
  'warning: no decision keys (RUNWAY_DECISION_HMAC_KEYS, people.<name>.sshKeys in RUNWAY_CONFIG): approvals and controls are trusted as named, so anyone who can reach the Temporal namespace can decide releases (README, "Threat model")';
