/**
 * The keys decisions are proven with, from the environment and the config (issue 18, part 3):
 * RUNWAY_DECISION_HMAC_KEYS parsing (never echoing a key), people's SSH keys, approval.cli global
 * and per service, when proofs are required; the verifier's trusted mode, note binding and
 * approval.cli off; the CLI's --sign-with file check.
 */
import { randomBytes } from 'node:crypto';
import { createDecisionProofActivities, TRUSTED_DECISIONS } from '../../activities/decision-proof';
import { decisionKeysFrom, parseDecisionHmacKeys } from '../../src/config/decision-keys';
import { parseEnv } from '../../src/config/env';
import { parseConfig } from '../../src/config/load';
import { hmacSignedDecision } from '../../src/release-client/decision-signing';
import { signingKeyPath } from '../../src/cli/signing';
import { configProblems, MINIMAL_CONFIG_YAML } from '../support/minimal-config';

const K1 = randomBytes(32);
const K2 = randomBytes(48);
const ED25519 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl alice@laptop';

describe('RUNWAY_DECISION_HMAC_KEYS', () => {
  it('reads kid=base64 pairs in order (the first signs) and refuses bad ones without echoing a key', () => {
    expect(parseDecisionHmacKeys(undefined)).toEqual({ keys: [] });
    expect(parseDecisionHmacKeys(` k2=${K2.toString('base64')} , k1=${K1.toString('base64url')}`)).toEqual({ keys: [{ kid: 'k2', key: K2 }, { kid: 'k1', key: K1 }] });
    const short = randomBytes(16).toString('base64');
    const problem = parseDecisionHmacKeys(`k1=${short}`);
    expect(problem).toEqual({ problem: 'key k1 is 16 bytes; at least 32 are needed (openssl rand -base64 32)' });
    expect(parseDecisionHmacKeys(K1.toString('base64'))).toMatchObject({ problem: expect.stringMatching(/^entry 1 is not kid=base64/) });
    expect(parseDecisionHmacKeys(`a=${K1.toString('base64')},a=${K2.toString('base64')}`)).toEqual({ problem: 'key id a appears twice' });
    expect(() => parseEnv({ RUNWAY_DECISION_HMAC_KEYS: `k1=${short}` })).toThrow(/RUNWAY_DECISION_HMAC_KEYS: key k1 is 16 bytes/);
    try {
      parseEnv({ RUNWAY_DECISION_HMAC_KEYS: `k1=${short}` });
    } catch (err) {
      expect((err as Error).message).not.toContain(short);
    }
  });
});

describe('decision keys from the config', () => {
  const config = parseConfig(
    `${MINIMAL_CONFIG_YAML}
approval: { cli: off }
people:
  alice: { slack: U01ALICE, sshKeys: ["${ED25519}"] }
  bob: {}
`,
    'test.yaml',
  );

  it('gives each person their SSH keys, approval.cli globally or per service, and requires proofs once any key is configured', () => {
    const keys = decisionKeysFrom({ RUNWAY_DECISION_HMAC_KEYS: undefined }, config);
    expect(keys.required).toBe(true);
    expect(keys.sshKeysOf('alice')).toEqual([ED25519]);
    expect(keys.sshKeysOf('bob')).toEqual([]);
    expect(keys.sshKeysOf('constructor')).toEqual([]);
    expect(keys.cliPolicyOf('api')).toBe('off');
    const perService = parseConfig(MINIMAL_CONFIG_YAML.replace('approvers: [alice] }', 'approvers: [alice], cli: signed }') + 'approval: { cli: off }\n', 'test.yaml');
    expect(decisionKeysFrom({ RUNWAY_DECISION_HMAC_KEYS: undefined }, perService).cliPolicyOf('api')).toBe('signed');
    expect(decisionKeysFrom({ RUNWAY_DECISION_HMAC_KEYS: undefined }, undefined)).toMatchObject({ required: false });
    expect(decisionKeysFrom({ RUNWAY_DECISION_HMAC_KEYS: `k1=${K1.toString('base64')}` }, undefined)).toMatchObject({ required: true, signing: { kid: 'k1', key: K1 } });
  });

  it("lets only the config's approvers and groups move a service's releases forward, whatever a plan says", () => {
    const keys = decisionKeysFrom({ RUNWAY_DECISION_HMAC_KEYS: undefined }, config);
    expect(keys.forwardRefusal('api', { by: 'alice' })).toBeUndefined();
    expect(keys.forwardRefusal('api', { by: 'mallory' })).toBe("mallory is not an approver of api in the worker's config (allowed: alice)");
    expect(keys.forwardRefusal('billing', { by: 'alice' })).toBe("billing is not a service of the worker's config (RUNWAY_CONFIG)");
    expect(decisionKeysFrom({ RUNWAY_DECISION_HMAC_KEYS: undefined }, undefined).forwardRefusal('api', { by: 'mallory' })).toBeUndefined();
  });

  it('refuses a key that is not an SSH public key line, and an unknown approval.cli', () => {
    expect(configProblems(`${MINIMAL_CONFIG_YAML}\npeople:\n  alice: { sshKeys: ["-----BEGIN OPENSSH PRIVATE KEY-----"] }\n`)).toEqual([
      expect.stringMatching(/^people\.alice\.sshKeys\.0: must be an SSH public key line/),
    ]);
    expect(configProblems(`${MINIMAL_CONFIG_YAML}\napproval: { cli: maybe }\n`)).toEqual([expect.stringMatching(/^approval\.cli: /)]);
  });
});

describe('verifyDecision', () => {
  const message = (note?: string) =>
    hmacSignedDecision({ namespace: 'default', releaseId: 'release-api-abc', runId: 'run-1', action: 'approve', by: 'alice', slackUserId: 'U01ALICE', note }, { kid: 'k1', key: K1 });

  it('trusts decisions as named on a worker with no keys', async () => {
    await expect(createDecisionProofActivities(TRUSTED_DECISIONS).verifyDecision({ message: undefined as never, proof: null, claimedBy: 'anyone' })).resolves.toEqual({
      ok: true,
      by: 'anyone',
      via: 'trusted',
    });
  });

  it('binds the note by its digest, and refuses SSH decisions where approval.cli is off', async () => {
    const acts = createDecisionProofActivities({ hmacKeys: { k1: K1 }, sshKeysOf: () => [ED25519], cliPolicyOf: () => 'off' });
    const signed = message('lgtm');
    await expect(acts.verifyDecision({ ...signed, claimedBy: 'alice', note: 'lgtm' })).resolves.toMatchObject({ ok: true, via: 'slack' });
    await expect(acts.verifyDecision({ ...signed, claimedBy: 'alice', note: 'ship it' })).resolves.toEqual({ ok: false, reason: 'the note is not the one signed' });
    await expect(acts.verifyDecision({ ...signed, claimedBy: 'alice', note: null })).resolves.toEqual({ ok: false, reason: 'the note is not the one signed' });
    const unsignedNote = message();
    await expect(acts.verifyDecision({ ...unsignedNote, claimedBy: 'alice', note: null })).resolves.toMatchObject({ ok: true });
    const ssh = { message: { ...unsignedNote.message, slackUserId: undefined }, proof: { kind: 'sshsig' as const, signature: 'x' } };
    await expect(acts.verifyDecision({ ...ssh, claimedBy: 'alice', service: 'api' })).resolves.toEqual({ ok: false, reason: 'CLI decisions are off for api (approval.cli: off): decide in Slack' });
  });
});

describe('verifyDecision and the worker config', () => {
  it("refuses a proven approve by someone the worker's config does not allow; a proven reject still counts", async () => {
    const acts = createDecisionProofActivities({ hmacKeys: { k1: K1 }, sshKeysOf: () => [], forwardRefusal: (_s, a) => (a.by === 'alice' ? undefined : `${a.by} is not an approver`) });
    const signed = (action: 'approve' | 'reject', by: string) =>
      hmacSignedDecision({ namespace: 'default', releaseId: 'release-api-abc', runId: 'run-1', action, by, slackUserId: 'U0' }, { kid: 'k1', key: K1 });
    await expect(acts.verifyDecision({ ...signed('approve', 'mallory'), claimedBy: 'mallory', service: 'api' })).resolves.toEqual({ ok: false, reason: 'mallory is not an approver' });
    await expect(acts.verifyDecision({ ...signed('approve', 'alice'), claimedBy: 'alice', service: 'api' })).resolves.toMatchObject({ ok: true });
    await expect(acts.verifyDecision({ ...signed('reject', 'mallory'), claimedBy: 'mallory', service: 'api' })).resolves.toMatchObject({ ok: true });
  });
});

describe('--sign-with', () => {
  it('names the flag or variable and the missing file', () => {
    expect(signingKeyPath(undefined, {})).toBeUndefined();
    expect(() => signingKeyPath('/no/such/key', {})).toThrow('--sign-with: no key file /no/such/key');
    expect(() => signingKeyPath(undefined, { RUNWAY_SIGNING_KEY: '/no/such/key' })).toThrow('RUNWAY_SIGNING_KEY: no key file /no/such/key');
    expect(signingKeyPath(__filename, { RUNWAY_SIGNING_KEY: '/ignored' })).toBe(__filename);
  });
});
