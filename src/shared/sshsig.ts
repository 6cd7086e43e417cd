/**
 * SSH signatures (SSHSIG), as `ssh-keygen -Y sign` makes them and git uses for commit signing,
 * verified with node:crypto. Format: PROTOCOL.sshsig in OpenSSH:
 *
 *   armor:       "-----BEGIN SSH SIGNATURE-----\n" base64(blob) "\n-----END SSH SIGNATURE-----"
 *   blob:        byte[6] "SSHSIG", uint32 version (1), string publickey, string namespace,
 *                string reserved, string hash_algorithm ("sha256" | "sha512"), string signature
 *   signed data: byte[6] "SSHSIG", string namespace, string reserved (empty), string hash_algorithm,
 *                string H(message)
 *
 * where `string` is RFC 4251's (uint32 length, bytes) and `signature` is the key type's SSH
 * signature encoding (string algorithm, string signature bytes). As OpenSSH's verifier does, the
 * signed data is rebuilt with the namespace the verifier expects and an empty reserved field.
 *
 * Supported keys: ssh-ed25519; ssh-rsa keys (2048 bits or more) signing with rsa-sha2-256 or
 * rsa-sha2-512 (never the SHA-1 "ssh-rsa" signature algorithm); ecdsa-sha2-nistp256/384/521.
 * Refused: certificates, security keys (sk-…), DSA and anything else.
 *
 * Allowed keys are authorized_keys lines (`[options] type base64 [comment]`). Of the options only
 * `namespaces="a,b"` (exact names, no patterns) is honoured; a line with `cert-authority`,
 * `valid-after`, `valid-before` or a pattern in `namespaces` is not used, since this verifier
 * cannot apply them. Other options (from=, no-pty, …) concern logins and are ignored.
 */
import { createHash, createPublicKey, verify as cryptoVerify, type KeyObject } from 'node:crypto';

const MAGIC = Buffer.from('SSHSIG');
const BEGIN = '-----BEGIN SSH SIGNATURE-----';
const END = '-----END SSH SIGNATURE-----';
/** Far above any real signature (an RSA-16384 one is about 5 KB armored). */
const MAX_ARMOR_CHARS = 16_384;
const MIN_RSA_BITS = 2048;

export const SUPPORTED_SSH_KEY_TYPES = ['ssh-ed25519', 'ssh-rsa', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521'] as const;

export class SshsigError extends Error {
  override name = 'SshsigError';
  /** malformed: not a well-formed signature or key; unsupported: well formed, but a kind this verifier refuses. */
  constructor(
    message: string,
    readonly kind: 'malformed' | 'unsupported' = 'malformed',
  ) {
    super(message);
  }
}

/** Reads RFC 4251 values, refusing to run past the end. */
class WireReader {
  private offset = 0;
  constructor(
    private readonly buf: Buffer,
    private readonly what: string,
  ) {}
  uint32(): number {
    if (this.offset + 4 > this.buf.length) throw new SshsigError(`${this.what} is truncated`);
    const v = this.buf.readUInt32BE(this.offset);
    this.offset += 4;
    return v;
  }
  bytes(n: number): Buffer {
    if (this.offset + n > this.buf.length) throw new SshsigError(`${this.what} is truncated`);
    const b = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return b;
  }
  string(): Buffer {
    return this.bytes(this.uint32());
  }
  text(): string {
    return this.string().toString('utf8');
  }
  /** An mpint as unsigned big-endian bytes without leading zeros. */
  mpint(): Buffer {
    const b = this.string();
    if (b.length > 0 && b[0] & 0x80) throw new SshsigError(`${this.what} has a negative integer`);
    let i = 0;
    while (i < b.length && b[i] === 0) i++;
    return b.subarray(i);
  }
  end(): void {
    if (this.offset !== this.buf.length) throw new SshsigError(`${this.what} has ${this.buf.length - this.offset} trailing bytes`);
  }
}

function sshString(b: Buffer | string): Buffer {
  const data = typeof b === 'string' ? Buffer.from(b, 'utf8') : b;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  return Buffer.concat([len, data]);
}

export interface Sshsig {
  /** The signer's public key in SSH wire form. */
  publicKey: Buffer;
  publicKeyType: string;
  namespace: string;
  hashAlgorithm: 'sha256' | 'sha512';
  /** The SSH signature: string algorithm, string bytes. */
  signature: Buffer;
  signatureAlgorithm: string;
}

/** The blob inside an armored signature. Throws SshsigError on anything not well formed. */
export function parseSshsig(armored: string): Sshsig {
  if (typeof armored !== 'string' || armored.length === 0) throw new SshsigError('the signature is empty');
  if (armored.length > MAX_ARMOR_CHARS) throw new SshsigError(`the signature is longer than ${MAX_ARMOR_CHARS} characters`);
  const text = armored.replace(/\r\n/g, '\n').trim();
  if (!text.startsWith(`${BEGIN}\n`)) throw new SshsigError(`the signature does not begin with ${BEGIN}`);
  if (!text.endsWith(`\n${END}`)) throw new SshsigError(`the signature does not end with ${END} (truncated?)`);
  const body = text.slice(BEGIN.length + 1, text.length - END.length - 1).replace(/\n/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body) || body.length % 4 !== 0) throw new SshsigError('the signature is not valid base64 (truncated?)');
  const blob = Buffer.from(body, 'base64');
  const r = new WireReader(blob, 'the signature blob');
  if (!r.bytes(MAGIC.length).equals(MAGIC)) throw new SshsigError('the signature blob does not begin with SSHSIG');
  const version = r.uint32();
  if (version !== 1) throw new SshsigError(`SSHSIG version ${version} is not supported (only 1)`, 'unsupported');
  const publicKey = r.string();
  const namespace = r.text();
  r.string(); // reserved: ignored, as PROTOCOL.sshsig says
  const hashAlgorithm = r.text();
  const signature = r.string();
  r.end();
  if (namespace === '') throw new SshsigError('the signature has an empty namespace');
  if (hashAlgorithm !== 'sha256' && hashAlgorithm !== 'sha512') throw new SshsigError(`hash algorithm ${JSON.stringify(hashAlgorithm)} is not supported (sha256, sha512)`, 'unsupported');
  const publicKeyType = new WireReader(publicKey, 'the public key').text();
  const signatureAlgorithm = new WireReader(signature, 'the signature').text();
  return { publicKey, publicKeyType, namespace, hashAlgorithm, signature, signatureAlgorithm };
}

function b64url(b: Buffer): string {
  return b.toString('base64url');
}

function leftPad(b: Buffer, size: number, what: string): Buffer {
  if (b.length > size) throw new SshsigError(`${what} is too long`);
  return Buffer.concat([Buffer.alloc(size - b.length), b]);
}

const EC_CURVES: Record<string, { crv: string; name: string; size: number; hash: string }> = {
  'ecdsa-sha2-nistp256': { crv: 'P-256', name: 'nistp256', size: 32, hash: 'sha256' },
  'ecdsa-sha2-nistp384': { crv: 'P-384', name: 'nistp384', size: 48, hash: 'sha384' },
  'ecdsa-sha2-nistp521': { crv: 'P-521', name: 'nistp521', size: 66, hash: 'sha512' },
};

interface ImportedKey {
  type: string;
  key: KeyObject;
  /** RSA: modulus length in bytes; EC: field size in bytes. */
  size: number;
}

/** A public key from its SSH wire form (RFC 4253 / 5656 / 8709), for node:crypto. */
export function importSshPublicKey(wire: Buffer): ImportedKey {
  const r = new WireReader(wire, 'the public key');
  const type = r.text();
  if (type === 'ssh-ed25519') {
    const x = r.string();
    r.end();
    if (x.length !== 32) throw new SshsigError('the ed25519 public key is not 32 bytes');
    return { type, key: createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64url(x) }, format: 'jwk' }), size: 32 };
  }
  if (type === 'ssh-rsa') {
    const e = r.mpint();
    const n = r.mpint();
    r.end();
    if (n.length * 8 < MIN_RSA_BITS) throw new SshsigError(`the RSA key has fewer than ${MIN_RSA_BITS} bits`, 'unsupported');
    return { type, key: createPublicKey({ key: { kty: 'RSA', n: b64url(n), e: b64url(e) }, format: 'jwk' }), size: n.length };
  }
  const curve = EC_CURVES[type];
  if (curve) {
    const name = r.text();
    const q = r.string();
    r.end();
    if (name !== curve.name) throw new SshsigError(`the ${type} key names curve ${name}`);
    if (q.length !== 1 + 2 * curve.size || q[0] !== 0x04) throw new SshsigError(`the ${type} key's point is not an uncompressed ${curve.name} point`);
    const x = q.subarray(1, 1 + curve.size);
    const y = q.subarray(1 + curve.size);
    return { type, key: createPublicKey({ key: { kty: 'EC', crv: curve.crv, x: b64url(x), y: b64url(y) }, format: 'jwk' }), size: curve.size };
  }
  throw new SshsigError(`key type ${type} is not supported (supported: ${SUPPORTED_SSH_KEY_TYPES.join(', ')})`, 'unsupported');
}

/** Whether `sig` (SSH signature encoding) is `key`'s signature of `data`. */
function verifySshSignature(imported: ImportedKey, data: Buffer, sig: Buffer): boolean {
  const r = new WireReader(sig, 'the signature');
  const alg = r.text();
  const bytes = r.string();
  r.end();
  if (imported.type === 'ssh-ed25519') {
    if (alg !== 'ssh-ed25519') throw new SshsigError(`an ed25519 key cannot make a ${alg} signature`);
    if (bytes.length !== 64) return false;
    return cryptoVerify(null, data, imported.key, bytes);
  }
  if (imported.type === 'ssh-rsa') {
    const hash = alg === 'rsa-sha2-256' ? 'sha256' : alg === 'rsa-sha2-512' ? 'sha512' : undefined;
    if (!hash) throw new SshsigError(`RSA signature algorithm ${alg} is not accepted (rsa-sha2-256, rsa-sha2-512)`, 'unsupported');
    if (bytes.length > imported.size) return false;
    // Some signers drop the leading zeros of S; OpenSSH pads it back to the modulus length too.
    return cryptoVerify(hash, data, imported.key, leftPad(bytes, imported.size, 'the RSA signature'));
  }
  const curve = EC_CURVES[imported.type];
  if (curve) {
    if (alg !== imported.type) throw new SshsigError(`an ${imported.type} key cannot make a ${alg} signature`);
    const inner = new WireReader(bytes, 'the ECDSA signature');
    const rInt = inner.mpint();
    const sInt = inner.mpint();
    inner.end();
    if (rInt.length > curve.size || sInt.length > curve.size) return false;
    const p1363 = Buffer.concat([leftPad(rInt, curve.size, 'r'), leftPad(sInt, curve.size, 's')]);
    return cryptoVerify(curve.hash, data, { key: imported.key, dsaEncoding: 'ieee-p1363' }, p1363);
  }
  throw new SshsigError(`key type ${imported.type} is not supported`, 'unsupported');
}

/** The data an SSHSIG signature signs (PROTOCOL.sshsig section 3). */
export function sshsigSignedData(namespace: string, hashAlgorithm: 'sha256' | 'sha512', message: Buffer | string): Buffer {
  const digest = createHash(hashAlgorithm).update(message).digest();
  return Buffer.concat([MAGIC, sshString(namespace), sshString(Buffer.alloc(0)), sshString(hashAlgorithm), sshString(digest)]);
}

export interface AuthorizedKey {
  type: string;
  /** The key in SSH wire form (the base64 field, decoded). */
  blob: Buffer;
  comment: string;
  options: string[];
}

/** Splits `[options] type base64 [comment]`; options are comma separated and may quote commas and spaces. */
export function parseAuthorizedKey(line: string): AuthorizedKey {
  const text = line.trim();
  if (text === '' || text.startsWith('#')) throw new SshsigError('the key line is empty');
  let rest = text;
  let options: string[] = [];
  const firstWord = rest.split(/\s+/, 1)[0];
  if (!/^(ssh-|ecdsa-|sk-)/.test(firstWord)) {
    // Options: read up to the first whitespace outside quotes.
    let i = 0;
    let quoted = false;
    for (; i < rest.length; i++) {
      const c = rest[i];
      if (c === '\\' && quoted && i + 1 < rest.length) i++;
      else if (c === '"') quoted = !quoted;
      else if (!quoted && (c === ' ' || c === '\t')) break;
    }
    if (quoted) throw new SshsigError('the key line has an unterminated quote in its options');
    options = splitOptions(rest.slice(0, i));
    rest = rest.slice(i).trim();
  }
  const [type, base64, ...comment] = rest.split(/\s+/);
  if (!type || !base64) throw new SshsigError('the key line has no key');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64) || base64.length % 4 !== 0) throw new SshsigError(`the ${type} key is not valid base64`);
  const blob = Buffer.from(base64, 'base64');
  const inner = new WireReader(blob, `the ${type} key`).text();
  if (inner !== type) throw new SshsigError(`the key line says ${type} but its key is ${inner}`);
  return { type, blob, comment: comment.join(' '), options };
}

function splitOptions(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && quoted && i + 1 < s.length) {
      cur += s[++i];
    } else if (c === '"') {
      quoted = !quoted;
    } else if (c === ',' && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out.filter((o) => o !== '');
}

/** Why an allowed key may not verify signatures in `namespace`, or undefined when it may. */
function keyOptionProblem(key: AuthorizedKey, namespace: string): string | undefined {
  for (const option of key.options) {
    const [name, ...v] = option.split('=');
    const value = v.join('=');
    const lower = name.toLowerCase();
    if (lower === 'cert-authority' || lower === 'valid-after' || lower === 'valid-before') return `option ${name} is not supported`;
    if (lower === 'namespaces') {
      const names = value.split(',');
      if (names.some((n) => /[*?!]/.test(n))) return 'patterns in namespaces= are not supported';
      if (!names.includes(namespace)) return `the key is limited to namespaces ${value}`;
    }
  }
  return undefined;
}

/** SHA256:… as ssh-keygen -l prints it. */
export function sshKeyFingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

export type SshsigVerdict =
  | { ok: true; keyType: string; fingerprint: string; comment: string }
  | {
      ok: false;
      /** What was wrong: the signature's form, its namespace, the key (not an allowed one, or unsupported), or the signature itself (tampered message). */
      problem: 'malformed' | 'namespace' | 'unknown-key' | 'unsupported' | 'mismatch';
      reason: string;
    };

/**
 * Whether `armored` is a valid SSHSIG signature of `message` in `namespace` by one of
 * `allowedKeys` (authorized_keys lines; lines that do not parse are skipped). Never throws.
 */
export function verifySshsig(armored: string, message: Buffer | string, namespace: string, allowedKeys: readonly string[]): SshsigVerdict {
  let sig: Sshsig;
  try {
    sig = parseSshsig(armored);
  } catch (e) {
    return { ok: false, problem: e instanceof SshsigError ? e.kind : 'malformed', reason: e instanceof Error ? e.message : String(e) };
  }
  if (sig.namespace !== namespace) return { ok: false, problem: 'namespace', reason: `the signature is for namespace ${sig.namespace}, not ${namespace}` };
  if (!(SUPPORTED_SSH_KEY_TYPES as readonly string[]).includes(sig.publicKeyType)) {
    return { ok: false, problem: 'unsupported', reason: `key type ${sig.publicKeyType} is not supported (supported: ${SUPPORTED_SSH_KEY_TYPES.join(', ')})` };
  }
  const fingerprint = sshKeyFingerprint(sig.publicKey);
  const skipped: string[] = [];
  let allowed: AuthorizedKey | undefined;
  for (const line of allowedKeys) {
    let key: AuthorizedKey;
    try {
      key = parseAuthorizedKey(line);
    } catch {
      continue;
    }
    if (!key.blob.equals(sig.publicKey)) continue;
    const problem = keyOptionProblem(key, namespace);
    if (problem) {
      skipped.push(problem);
      continue;
    }
    allowed = key;
    break;
  }
  if (!allowed) {
    const why = skipped.length ? ` (its allowed line is not usable: ${skipped.join('; ')})` : '';
    return { ok: false, problem: 'unknown-key', reason: `the signature was made with ${sig.publicKeyType} key ${fingerprint}, not an allowed key${why}` };
  }
  try {
    const imported = importSshPublicKey(sig.publicKey);
    const valid = verifySshSignature(imported, sshsigSignedData(namespace, sig.hashAlgorithm, message), sig.signature);
    if (!valid) return { ok: false, problem: 'mismatch', reason: `the signature by ${fingerprint} does not match the message` };
    return { ok: true, keyType: sig.publicKeyType, fingerprint, comment: allowed.comment };
  } catch (e) {
    if (e instanceof SshsigError) return { ok: false, problem: e.kind, reason: e.message };
    return { ok: false, problem: 'malformed', reason: `the key or signature could not be used: ${e instanceof Error ? e.message : String(e)}` };
  }
}
