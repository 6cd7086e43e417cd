/**
 * src/shared/sshsig.ts against OpenSSH: keys made by ssh-keygen, signatures made by
 * `ssh-keygen -Y sign`, and every verdict cross-checked with `ssh-keygen -Y verify` on the same
 * inputs (except where Runway is stricter on purpose: DSA keys, the SHA-1 "ssh-rsa" algorithm).
 */
import { parseAuthorizedKey, parseSshsig, sshsigSignedData, verifySshsig } from '../../src/shared/sshsig';
import { describeWithSshKeygen, type SshKeyPair, SshKeygenDir } from '../support/ssh-keygen';

const NS = 'runway-decision';
const MESSAGE = 'runway-decision-v1\nrelease: release-api-1\n';

/** The armor around a blob, as ssh-keygen writes it (70 columns). */
function armor(blob: Buffer): string {
  const b64 = blob.toString('base64');
  return `-----BEGIN SSH SIGNATURE-----\n${b64.match(/.{1,70}/g)!.join('\n')}\n-----END SSH SIGNATURE-----\n`;
}

function blobOf(armored: string): Buffer {
  return Buffer.from(armored.replace(/-----[A-Z ]+-----/g, '').replace(/\s/g, ''), 'base64');
}

function sshString(b: Buffer | string): Buffer {
  const data = Buffer.from(b);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  return Buffer.concat([len, data]);
}

describe('parseSshsig and parseAuthorizedKey (no ssh-keygen needed)', () => {
  it('refuses what is not an armored SSHSIG', () => {
    expect(() => parseSshsig('')).toThrow('the signature is empty');
    expect(() => parseSshsig('-----BEGIN PGP SIGNATURE-----\nAAAA\n-----END PGP SIGNATURE-----')).toThrow('does not begin with -----BEGIN SSH SIGNATURE-----');
    expect(() => parseSshsig('-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n')).toThrow('does not end with -----END SSH SIGNATURE----- (truncated?)');
    expect(() => parseSshsig(armor(Buffer.from('SSHSIX\0\0\0\x01')))).toThrow('does not begin with SSHSIG');
    expect(() => parseSshsig(armor(Buffer.from('SSHSIG\0\0\0\x02')))).toThrow('SSHSIG version 2 is not supported (only 1)');
    expect(() => parseSshsig(armor(Buffer.from('SSHSIG\0\0\0\x01\0\0\0\x33abc')))).toThrow('the signature blob is truncated');
    expect(() => parseSshsig('x'.repeat(20_000))).toThrow('longer than 16384 characters');
  });

  it('reads a blob built by hand, and refuses hash algorithms other than sha256 and sha512', () => {
    const key = Buffer.concat([sshString('ssh-ed25519'), sshString(Buffer.alloc(32, 7))]);
    const sig = Buffer.concat([sshString('ssh-ed25519'), sshString(Buffer.alloc(64, 1))]);
    const blob = (hash: string) =>
      Buffer.concat([Buffer.from('SSHSIG'), Buffer.from([0, 0, 0, 1]), sshString(key), sshString(NS), sshString(''), sshString(hash), sshString(sig)]);
    expect(parseSshsig(armor(blob('sha512')))).toMatchObject({ publicKeyType: 'ssh-ed25519', namespace: NS, hashAlgorithm: 'sha512', signatureAlgorithm: 'ssh-ed25519' });
    expect(() => parseSshsig(armor(blob('sha1')))).toThrow('hash algorithm "sha1" is not supported (sha256, sha512)');
    expect(() => parseSshsig(armor(Buffer.concat([blob('sha256'), Buffer.from([0])])))).toThrow('1 trailing bytes');
  });

  it('builds the signed data as PROTOCOL.sshsig section 3 lays it out', () => {
    const data = sshsigSignedData(NS, 'sha256', 'abc');
    const digest = Buffer.from('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad', 'hex'); // SHA-256("abc")
    expect(data).toEqual(Buffer.concat([Buffer.from('SSHSIG'), sshString(NS), sshString(''), sshString('sha256'), sshString(digest)]));
  });

  it('reads authorized_keys lines with and without options and refuses broken ones', () => {
    const blob = Buffer.concat([sshString('ssh-ed25519'), sshString(Buffer.alloc(32, 9))]).toString('base64');
    expect(parseAuthorizedKey(`ssh-ed25519 ${blob} alice@laptop`)).toMatchObject({ type: 'ssh-ed25519', comment: 'alice@laptop', options: [] });
    expect(parseAuthorizedKey(`from="10.0.0.1,10.0.0.2",no-pty,namespaces="runway-decision" ssh-ed25519 ${blob}`).options).toEqual([
      'from=10.0.0.1,10.0.0.2',
      'no-pty',
      'namespaces=runway-decision',
    ]);
    expect(() => parseAuthorizedKey('')).toThrow('the key line is empty');
    expect(() => parseAuthorizedKey('ssh-ed25519')).toThrow('the key line has no key');
    expect(() => parseAuthorizedKey(`ssh-rsa ${blob}`)).toThrow('the key line says ssh-rsa but its key is ssh-ed25519');
    expect(() => parseAuthorizedKey('ssh-ed25519 AAAA!!!')).toThrow('is not valid base64');
  });
});

describeWithSshKeygen('sshsig.test.ts')('verifySshsig against ssh-keygen -Y sign / -Y verify (OpenSSH)', () => {
  let keys: SshKeygenDir;
  let alice: SshKeyPair;
  let bob: SshKeyPair;
  let aliceRsa: SshKeyPair;
  let aliceEcdsa: SshKeyPair;

  beforeAll(() => {
    keys = new SshKeygenDir();
    alice = keys.key('ed25519', undefined, 'alice@laptop');
    bob = keys.key('ed25519', undefined, 'bob@laptop');
    aliceRsa = keys.key('rsa', 2048, 'alice@rsa');
    aliceEcdsa = keys.key('ecdsa', 256, 'alice@ecdsa');
  });
  afterAll(() => keys?.remove());

  const both = (key: SshKeyPair, allowed: string[], signature: string, message = MESSAGE, namespace = NS) => ({
    ours: verifySshsig(signature, message, namespace, allowed),
    openssh: keys.opensshVerifies(allowed.map((l) => `alice ${l}`), 'alice', namespace, signature, message),
  });

  it.each([
    ['ed25519', () => alice, undefined],
    ['rsa 2048, rsa-sha2-512 (ssh-keygen default)', () => aliceRsa, undefined],
    ['rsa 2048, message hashed with sha256', () => aliceRsa, 'sha256' as const],
    ['ecdsa nistp256', () => aliceEcdsa, undefined],
  ])('accepts a good %s signature, as ssh-keygen -Y verify does, and names the key', (_name, key, hashalg) => {
    const signature = keys.sign(key(), MESSAGE, NS, hashalg);
    const { ours, openssh } = both(key(), [bob.publicLine, key().publicLine], signature);
    expect(openssh).toBe(true);
    expect(ours).toEqual({ ok: true, keyType: expect.any(String), fingerprint: keys.fingerprint(key()), comment: key().publicLine.split(' ')[2] });
  });

  it('refuses a tampered message, as ssh-keygen does', () => {
    const signature = keys.sign(alice, MESSAGE);
    for (const key of [alice, aliceRsa]) {
      const sig = key === alice ? signature : keys.sign(aliceRsa, MESSAGE);
      const { ours, openssh } = both(key, [key.publicLine], sig, MESSAGE.replace('release-api-1', 'release-api-2'));
      expect(openssh).toBe(false);
      expect(ours).toMatchObject({ ok: false, problem: 'mismatch', reason: expect.stringMatching(/^the signature by SHA256:\S+ does not match the message$/) });
    }
  });

  it('refuses a signature whose bytes were altered', () => {
    const blob = blobOf(keys.sign(alice, MESSAGE));
    blob[blob.length - 5] ^= 0x01; // inside the ed25519 signature, the blob's last field
    const { ours, openssh } = both(alice, [alice.publicLine], armor(blob));
    expect(openssh).toBe(false);
    expect(ours).toMatchObject({ ok: false, problem: 'mismatch' });
  });

  it('refuses a signature made for another namespace (git), as ssh-keygen does', () => {
    const signature = keys.sign(alice, MESSAGE, 'git');
    const { ours, openssh } = both(alice, [alice.publicLine], signature);
    expect(openssh).toBe(false);
    expect(ours).toEqual({ ok: false, problem: 'namespace', reason: 'the signature is for namespace git, not runway-decision' });
  });

  it("refuses another person's key, as ssh-keygen does", () => {
    const signature = keys.sign(bob, MESSAGE);
    const { ours, openssh } = both(bob, [alice.publicLine, aliceRsa.publicLine], signature);
    expect(openssh).toBe(false);
    expect(ours).toEqual({ ok: false, problem: 'unknown-key', reason: `the signature was made with ssh-ed25519 key ${keys.fingerprint(bob)}, not an allowed key` });
  });

  it('refuses a truncated signature, as ssh-keygen does', () => {
    const signature = keys.sign(alice, MESSAGE);
    const withoutFooter = signature.slice(0, signature.indexOf('-----END'));
    const lines = signature.trim().split('\n');
    const shortBody = [...lines.slice(0, 3), lines[lines.length - 1]].join('\n'); // two base64 lines of four
    for (const [broken, reason] of [
      [withoutFooter, 'the signature does not end with -----END SSH SIGNATURE----- (truncated?)'],
      [shortBody, 'the signature blob is truncated'],
    ] as const) {
      const { ours, openssh } = both(alice, [alice.publicLine], broken);
      expect(openssh).toBe(false);
      expect(ours).toEqual({ ok: false, problem: 'malformed', reason });
    }
  });

  it('refuses a DSA key (ssh-keygen would accept it: Runway is stricter)', () => {
    const dsa = keys.key('dsa');
    const signature = keys.sign(dsa, MESSAGE);
    expect(keys.opensshVerifies([`alice ${dsa.publicLine}`], 'alice', NS, signature, MESSAGE)).toBe(true);
    expect(verifySshsig(signature, MESSAGE, NS, [dsa.publicLine])).toEqual({
      ok: false,
      problem: 'unsupported',
      reason: 'key type ssh-dss is not supported (supported: ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256, ecdsa-sha2-nistp384, ecdsa-sha2-nistp521)',
    });
  });

  it('refuses the SHA-1 "ssh-rsa" signature algorithm, as ssh-keygen does', () => {
    // Rename the algorithm of a real rsa-sha2-512 signature: the blob is well formed, its algorithm refused.
    const blob = blobOf(keys.sign(aliceRsa, MESSAGE));
    const at = blob.lastIndexOf(Buffer.from('rsa-sha2-512'));
    const renamed = Buffer.concat([blob.subarray(0, at - 4), sshString('ssh-rsa'), blob.subarray(at + 'rsa-sha2-512'.length)]);
    // The outer lengths (the signature field) shrink by 5 bytes.
    const sigFieldAt = blob.lastIndexOf(Buffer.concat([Buffer.from([0, 0, 0, 12]), Buffer.from('rsa-sha2-512')])) - 4;
    renamed.writeUInt32BE(blob.readUInt32BE(sigFieldAt) - 5, sigFieldAt);
    const { ours, openssh } = both(aliceRsa, [aliceRsa.publicLine], armor(renamed));
    expect(openssh).toBe(false);
    expect(ours).toEqual({ ok: false, problem: 'unsupported', reason: 'RSA signature algorithm ssh-rsa is not accepted (rsa-sha2-256, rsa-sha2-512)' });
  });

  it('honours namespaces= on the allowed key line, as ssh-keygen does, and ignores login options', () => {
    const signature = keys.sign(alice, MESSAGE);
    const onlyGit = `namespaces="git" ${alice.publicLine}`;
    const gitAndRunway = `namespaces="git,runway-decision" ${alice.publicLine}`;
    expect(both(alice, [onlyGit], signature)).toEqual({
      ours: { ok: false, problem: 'unknown-key', reason: expect.stringContaining('(its allowed line is not usable: the key is limited to namespaces git)') },
      openssh: false,
    });
    expect(both(alice, [gitAndRunway], signature)).toMatchObject({ ours: { ok: true }, openssh: true });
    expect(verifySshsig(signature, MESSAGE, NS, [`from="10.0.0.0/8",no-pty ${alice.publicLine}`])).toMatchObject({ ok: true });
    expect(verifySshsig(signature, MESSAGE, NS, [`cert-authority ${alice.publicLine}`])).toMatchObject({
      ok: false,
      reason: expect.stringContaining('option cert-authority is not supported'),
    });
  });

  it('skips allowed lines that do not parse and still finds a good one', () => {
    const signature = keys.sign(alice, MESSAGE);
    expect(verifySshsig(signature, MESSAGE, NS, ['', '# comment', 'ssh-ed25519 !!', alice.publicLine])).toMatchObject({ ok: true });
  });
});
