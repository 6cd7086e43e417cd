/**
 * Proven decisions (issue 18, part 3), the foundation: the canonical message
 * (src/domain/decision-proof.ts), its binding to a release, run and action, the approvals
 * server's HMAC proofs and the CLI's SSH signatures (src/shared/decision-signer.ts), verified by
 * the activity (activities/decision-proof.ts). SSH signatures are made by the machine's ssh-keygen
 * through sshSign and cross-checked with `ssh-keygen -Y verify`.
 */
import { createDecisionProofActivities } from '../../activities/decision-proof';
import {
  bindingProblem,
  canonicalDecisionMessage,
  type DecisionBinding,
  type DecisionMessage,
  decisionMessageProblem,
  parseDecisionMessage,
} from '../../src/domain/decision-proof';
import { decisionNonce, hmacProof, noteSha256, sshSign } from '../../src/shared/decision-signer';
import { describeWithSshKeygen, SSH_KEYGEN, type SshKeyPair, SshKeygenDir } from '../support/ssh-keygen';

const ISSUED = '2026-01-27T10:15:00.000Z';
const NOW = Date.parse(ISSUED) + 60_000;

function message(overrides: Partial<DecisionMessage> = {}): DecisionMessage {
  return {
    namespace: 'default',
    releaseId: 'release-api-3f2a9c1',
    runId: 'run-1',
    action: 'approve',
    by: 'alice',
    slackUserId: 'U024BE7LH',
    groups: ['S0615G0KT', 'S0614TZR7'],
    noteSha256: noteSha256('looks good'),
    nonce: 'n0nce-0000000000001',
    issuedAt: ISSUED,
    ...overrides,
  };
}

const BINDING: DecisionBinding = { namespace: 'default', releaseId: 'release-api-3f2a9c1', runId: 'run-1', action: 'approve' };

describe('the canonical decision message', () => {
  it('is versioned, one field a line in a fixed order, groups sorted', () => {
    expect(canonicalDecisionMessage(message())).toBe(
      [
        'runway-decision-v1',
        'namespace: default',
        'release: release-api-3f2a9c1',
        'run: run-1',
        'action: approve',
        'by: alice',
        'slack-user: U024BE7LH',
        'groups: S0614TZR7,S0615G0KT',
        `note-sha256: ${noteSha256('looks good')}`,
        'nonce: n0nce-0000000000001',
        `issued-at: ${ISSUED}`,
        '',
      ].join('\n'),
    );
    expect(noteSha256('looks good')).toMatch(/^[0-9a-f]{64}$/);
    expect(noteSha256(undefined)).toBeUndefined();
  });

  it('reads back as the same message, optional fields absent included', () => {
    const withAll = message({ groups: ['S0614TZR7', 'S0615G0KT'] });
    const bare = message({ slackUserId: undefined, groups: [], noteSha256: undefined });
    delete bare.slackUserId;
    delete bare.noteSha256;
    for (const m of [withAll, bare]) expect(parseDecisionMessage(canonicalDecisionMessage(m))).toEqual({ message: m });
    expect(canonicalDecisionMessage(bare)).toContain('\nslack-user: \ngroups: \nnote-sha256: \n');
  });

  it('gives different messages different texts (no field can spill into another)', () => {
    const base = canonicalDecisionMessage(message());
    expect(canonicalDecisionMessage(message({ groups: ['S0614TZR7'] }))).not.toBe(base);
    expect(canonicalDecisionMessage(message({ by: 'alice', releaseId: 'release-api-3f2a9c1' }))).toBe(base);
    expect(canonicalDecisionMessage(message({ groups: ['S0615G0KT', 'S0614TZR7', 'S0614TZR7'] }))).toBe(base); // sorted, deduplicated
  });

  it('refuses fields that would make the text ambiguous, and texts that are not canonical', () => {
    expect(decisionMessageProblem(message({ by: 'alice\nrun: run-2' }))).toBe('by contains a control character or line break');
    expect(decisionMessageProblem(message({ by: ' alice' }))).toBe('by begins or ends with whitespace');
    expect(decisionMessageProblem(message({ groups: ['S1,S2'] }))).toMatch(/^group "S1,S2" is empty or contains a comma/);
    expect(decisionMessageProblem(message({ releaseId: '' }))).toBe('release is empty');
    expect(decisionMessageProblem(message({ action: 'deploy' as never }))).toBe('unknown action "deploy"');
    expect(decisionMessageProblem(message({ nonce: 'short' }))).toMatch(/^nonce is not/);
    expect(decisionMessageProblem(message({ issuedAt: '2026-01-27T10:15:00Z' }))).toMatch(/^issued-at is not/);
    expect(decisionMessageProblem(message({ noteSha256: 'ABC' }))).toMatch(/^note-sha256 is not/);
    expect(() => canonicalDecisionMessage(message({ runId: 'a\rb' }))).toThrow('decision message: run contains a control character or line break');
    const text = canonicalDecisionMessage(message());
    expect(parseDecisionMessage(text.replace('S0614TZR7,S0615G0KT', 'S0615G0KT,S0614TZR7'))).toEqual({
      problem: 'the text is not in canonical form (groups unsorted or repeated)',
    });
    expect(parseDecisionMessage(text.replace('runway-decision-v1', 'runway-decision-v2'))).toEqual({ problem: 'the first line is not runway-decision-v1' });
    expect(parseDecisionMessage(text.trimEnd())).toEqual({ problem: 'the text does not end with a line break' });
    expect(parseDecisionMessage(`${text}extra: 1\n`)).toEqual({ problem: 'expected 10 fields, found 11' });
  });

  it('makes fresh nonces the message accepts', () => {
    const a = decisionNonce();
    expect(a).not.toBe(decisionNonce());
    expect(decisionMessageProblem(message({ nonce: a }))).toBeUndefined();
  });
});

describe('bindingProblem: a proven message is good for one release, run and action, once, for 15 minutes', () => {
  it('accepts the message it was made for', () => {
    expect(bindingProblem(message(), BINDING, NOW, new Set())).toBeUndefined();
    expect(bindingProblem(message(), BINDING, Date.parse(ISSUED) - 30_000, [])).toBeUndefined(); // signer's clock 30 s ahead
  });

  it('refuses another namespace, release, run or action', () => {
    expect(bindingProblem(message(), { ...BINDING, releaseId: 'release-web-1' }, NOW, [])).toBe('signature is for release-api-3f2a9c1, not release-web-1');
    expect(bindingProblem(message(), { ...BINDING, runId: 'run-2' }, NOW, [])).toBe('signature is for run run-1, not run run-2 of release-api-3f2a9c1');
    expect(bindingProblem(message(), { ...BINDING, action: 'reject' }, NOW, [])).toBe('signature is for approve, not reject');
    expect(bindingProblem(message(), { ...BINDING, namespace: 'prod' }, NOW, [])).toBe('signature is for namespace default, not prod');
  });

  it('refuses a stale proof and one from the future', () => {
    expect(bindingProblem(message(), BINDING, Date.parse(ISSUED) + 20 * 60_000, [])).toBe('proof issued 20 min ago (limit 15 min)');
    expect(bindingProblem(message(), BINDING, Date.parse(ISSUED) + 15 * 60_000, [])).toBeUndefined();
    expect(bindingProblem(message(), BINDING, Date.parse(ISSUED) - 5 * 60_000, [])).toBe('proof issued 5 min in the future (limit 1 min)');
    expect(bindingProblem(message(), BINDING, Date.parse(ISSUED) + 20 * 60_000, [], { maxAgeMs: 30 * 60_000 })).toBeUndefined();
  });

  it('refuses a replayed nonce', () => {
    expect(bindingProblem(message(), BINDING, NOW, new Set(['n0nce-0000000000001']))).toBe('nonce already used in this run');
    expect(bindingProblem(message(), BINDING, NOW, ['other-nonce-000000', 'n0nce-0000000000001'])).toBe('nonce already used in this run');
  });
});

const KEY_1 = Buffer.alloc(32, 1);
const KEY_2 = Buffer.alloc(32, 2);

describe('verifyDecision: proofs from the approvals server (HMAC-SHA256)', () => {
  const activities = (hmacKeys: Record<string, Buffer>) => createDecisionProofActivities({ hmacKeys, sshKeysOf: () => [] });
  const proven = (m: DecisionMessage, key: Buffer, kid: string) => ({ message: m, proof: hmacProof(canonicalDecisionMessage(m), key, kid), claimedBy: m.by });

  it('accepts the right key and key id, and the previous key during a rotation', async () => {
    expect(await activities({ k1: KEY_1 }).verifyDecision(proven(message(), KEY_1, 'k1'))).toEqual({ ok: true, by: 'alice', via: 'slack' });
    const rotated = activities({ k2: KEY_2, k1: KEY_1 });
    expect(await rotated.verifyDecision(proven(message(), KEY_2, 'k2'))).toEqual({ ok: true, by: 'alice', via: 'slack' });
    expect(await rotated.verifyDecision(proven(message(), KEY_1, 'k1'))).toEqual({ ok: true, by: 'alice', via: 'slack' });
  });

  it('refuses a wrong key, an unknown key id, no proof, and a message changed after signing', async () => {
    const verify = activities({ k1: KEY_1 }).verifyDecision;
    expect(await verify(proven(message(), KEY_2, 'k1'))).toEqual({ ok: false, reason: 'approvals-server signature does not match key k1' });
    expect(await verify(proven(message(), KEY_2, 'k2'))).toEqual({ ok: false, reason: 'unknown key id k2' });
    expect(await verify({ message: message(), claimedBy: 'alice' })).toEqual({ ok: false, reason: 'unsigned decision' });
    expect(await verify({ message: message(), proof: null, claimedBy: 'alice' })).toEqual({ ok: false, reason: 'unsigned decision' });
    const signed = proven(message({ groups: [] }), KEY_1, 'k1');
    const claimsGroups = { ...signed, message: { ...signed.message, groups: ['S0614TZR7'] } };
    expect(await verify(claimsGroups)).toEqual({ ok: false, reason: 'approvals-server signature does not match key k1' });
    const otherRelease = { ...signed, message: { ...signed.message, releaseId: 'release-web-1' } };
    expect(await verify(otherRelease)).toEqual({ ok: false, reason: 'approvals-server signature does not match key k1' });
    expect(await verify({ ...signed, proof: { kind: 'hmac', kid: 'k1', mac: 'not base64!' } })).toEqual({
      ok: false,
      reason: 'the approvals-server proof is not a base64 HMAC-SHA256',
    });
    expect(await verify({ ...signed, proof: { kind: 'hmac', kid: 'constructor', mac: signed.proof.mac } })).toEqual({ ok: false, reason: 'unknown key id constructor' });
  });

  it('refuses a decision acted under another name than the signed one', async () => {
    expect(await activities({ k1: KEY_1 }).verifyDecision({ ...proven(message(), KEY_1, 'k1'), claimedBy: 'mallory' })).toEqual({
      ok: false,
      reason: "the signed decision is alice's, not mallory's",
    });
  });

  it('refuses keys shorter than 32 bytes when making a proof', () => {
    expect(() => hmacProof('x', Buffer.alloc(16), 'k1')).toThrow('at least 32 bytes');
  });
});

describeWithSshKeygen('decision-proof.test.ts')('verifyDecision: proofs from the CLI (ssh-keygen -Y sign, through sshSign)', () => {
  let keys: SshKeygenDir;
  let alice: SshKeyPair;
  let aliceRsa: SshKeyPair;
  let bob: SshKeyPair;
  let people: Record<string, string[]>;
  const activities = () => createDecisionProofActivities({ hmacKeys: { k1: KEY_1 }, sshKeysOf: (p) => people[p] ?? [] });
  const cliMessage = (overrides: Partial<DecisionMessage> = {}) => {
    const m = message({ groups: [], slackUserId: undefined, ...overrides });
    if (m.slackUserId === undefined) delete m.slackUserId;
    return m;
  };

  beforeAll(() => {
    keys = new SshKeygenDir();
    alice = keys.key('ed25519', undefined, 'alice@laptop');
    aliceRsa = keys.key('rsa', 2048, 'alice@rsa');
    bob = keys.key('ed25519', undefined, 'bob@laptop');
    people = { alice: [alice.publicLine, aliceRsa.publicLine], bob: [bob.publicLine] };
  });
  afterAll(() => keys?.remove());

  it.each([
    ['ed25519', () => alice],
    ['rsa', () => aliceRsa],
  ])("accepts alice's %s signature, as ssh-keygen -Y verify does", async (_type, key) => {
    const m = cliMessage();
    const proof = await sshSign(canonicalDecisionMessage(m), key().path, { sshKeygen: SSH_KEYGEN });
    expect(proof.signature).toMatch(/^-----BEGIN SSH SIGNATURE-----\n/);
    expect(keys.opensshVerifies([`alice ${key().publicLine}`], 'alice', 'runway-decision', proof.signature, canonicalDecisionMessage(m))).toBe(true);
    expect(await activities().verifyDecision({ message: m, proof, claimedBy: 'alice' })).toEqual({ ok: true, by: 'alice', via: 'ssh' });
  });

  it("refuses bob's signature on a decision by alice", async () => {
    const m = cliMessage();
    const proof = await sshSign(canonicalDecisionMessage(m), bob.path);
    expect(keys.opensshVerifies(people.alice.map((l) => `alice ${l}`), 'alice', 'runway-decision', proof.signature, canonicalDecisionMessage(m))).toBe(false);
    expect(await activities().verifyDecision({ message: m, proof, claimedBy: 'alice' })).toEqual({
      ok: false,
      reason: `signature does not match alice's key (the signature was made with ssh-ed25519 key ${keys.fingerprint(bob)}, not an allowed key)`,
    });
  });

  it('refuses a message changed after signing (another release, another action)', async () => {
    const proof = await sshSign(canonicalDecisionMessage(cliMessage()), alice.path);
    for (const changed of [cliMessage({ releaseId: 'release-web-1' }), cliMessage({ action: 'promote' })]) {
      expect(await activities().verifyDecision({ message: changed, proof, claimedBy: 'alice' })).toEqual({
        ok: false,
        reason: expect.stringMatching(/^signature does not match alice's key \(the signature by SHA256:\S+ does not match the message\)$/),
      });
    }
  });

  it('refuses Slack group and user claims in an SSH-signed decision, even signed', async () => {
    const withGroups = cliMessage({ groups: ['S0614TZR7'] });
    const proof = await sshSign(canonicalDecisionMessage(withGroups), alice.path);
    expect(await activities().verifyDecision({ message: withGroups, proof, claimedBy: 'alice' })).toEqual({
      ok: false,
      reason: 'group claim not proven (an SSH-signed decision cannot claim Slack groups)',
    });
    const withSlackUser = cliMessage({ slackUserId: 'U024BE7LH' });
    const proof2 = await sshSign(canonicalDecisionMessage(withSlackUser), alice.path);
    expect(await activities().verifyDecision({ message: withSlackUser, proof: proof2, claimedBy: 'alice' })).toEqual({
      ok: false,
      reason: 'Slack identity not proven (an SSH-signed decision cannot claim a Slack user)',
    });
  });

  it('refuses a person without SSH keys, a git signature, an empty signature and a truncated one', async () => {
    const m = cliMessage({ by: 'carol' });
    const proof = await sshSign(canonicalDecisionMessage(m), alice.path);
    expect(await activities().verifyDecision({ message: m, proof, claimedBy: 'carol' })).toEqual({
      ok: false,
      reason: 'carol has no SSH keys in the config (people.carol.sshKeys)',
    });
    const text = canonicalDecisionMessage(cliMessage());
    const git = { kind: 'sshsig' as const, signature: keys.sign(alice, text, 'git') };
    expect(await activities().verifyDecision({ message: cliMessage(), proof: git, claimedBy: 'alice' })).toEqual({
      ok: false,
      reason: 'SSH signature not made for Runway decisions: the signature is for namespace git, not runway-decision',
    });
    expect(await activities().verifyDecision({ message: cliMessage(), proof: { kind: 'sshsig', signature: '' }, claimedBy: 'alice' })).toEqual({
      ok: false,
      reason: 'unsigned decision',
    });
    const good = await sshSign(text, alice.path);
    const truncated = { kind: 'sshsig' as const, signature: good.signature.slice(0, 60) };
    expect(await activities().verifyDecision({ message: cliMessage(), proof: truncated, claimedBy: 'alice' })).toEqual({
      ok: false,
      reason: 'malformed SSH signature: the signature does not end with -----END SSH SIGNATURE----- (truncated?)',
    });
  });

  it('refuses an HMAC proof from the CLI side: a raw client without the key cannot make one', async () => {
    const m = message();
    const forged = { message: m, proof: hmacProof(canonicalDecisionMessage(m), Buffer.alloc(32, 9), 'k1'), claimedBy: 'alice' };
    expect(await activities().verifyDecision(forged)).toEqual({ ok: false, reason: 'approvals-server signature does not match key k1' });
  });

  it("sshSign reports ssh-keygen's own error, and a missing ssh-keygen", async () => {
    await expect(sshSign('x\n', `${keys.dir}/no-such-key`)).rejects.toThrow(/^ssh-keygen -Y sign -f \S+no-such-key exited with 255: /);
    await expect(sshSign('x\n', alice.path, { sshKeygen: `${keys.dir}/no-ssh-keygen` })).rejects.toThrow(
      /no-ssh-keygen not found: signing a decision needs OpenSSH's ssh-keygen/,
    );
  });
});
