/**
 * Encrypted payloads without a server (issue 19): the AES-256-GCM codec seals the whole payload
 * (nothing of it readable), names its key so keys rotate, passes payloads from before encryption
 * through, and refuses — naming the key id, never a key — a payload it has no key for or one that
 * was altered. The key list parsing (variable and file) names what is wrong.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import { loadPayloadKeys, parsePayloadKeys } from '../../src/config/payload-keys';
import { AesGcmPayloadCodec, ENCRYPTED_ENCODING, KEY_ID_METADATA } from '../../src/temporal/payload-codec';

const k1 = { kid: 'k1', key: randomBytes(32) };
const k2 = { kid: 'k2', key: randomBytes(32) };
const release = { service: 'checkout', requestedBy: 'carol', reason: 'a secret-looking reason' };
const payload = () => defaultPayloadConverter.toPayload(release);
const text = (b?: Uint8Array | null) => Buffer.from(b ?? []).toString('utf8');

describe('AES-256-GCM payload codec', () => {
  it('seals the whole payload, names its key, and decodes it back', async () => {
    const codec = new AesGcmPayloadCodec([k1]);
    const [sealed] = await codec.encode([payload()]);
    expect(text(sealed.metadata!.encoding)).toBe(ENCRYPTED_ENCODING);
    expect(text(sealed.metadata![KEY_ID_METADATA])).toBe('k1');
    expect(Object.keys(sealed.metadata!)).toEqual(['encoding', KEY_ID_METADATA]);
    expect(text(sealed.data)).not.toMatch(/checkout|carol|secret|json/);
    const [opened] = await codec.decode([sealed]);
    expect(defaultPayloadConverter.fromPayload(opened)).toEqual(release);
    // A fresh IV each time: the same payload never seals to the same bytes.
    const [again] = await codec.encode([payload()]);
    expect(Buffer.from(again.data!).equals(Buffer.from(sealed.data!))).toBe(false);
  });

  it('rotates: encrypts with the first key, decrypts with any; passes clear payloads through', async () => {
    const [old] = await new AesGcmPayloadCodec([k1]).encode([payload()]);
    const rotated = new AesGcmPayloadCodec([k2, k1]);
    expect(defaultPayloadConverter.fromPayload((await rotated.decode([old]))[0])).toEqual(release);
    expect(text((await rotated.encode([payload()]))[0].metadata![KEY_ID_METADATA])).toBe('k2');
    const clear = payload();
    expect(await rotated.decode([clear])).toEqual([clear]);
  });

  it('refuses a payload of a key it lacks, or an altered one, naming the key id and never a key', async () => {
    const [sealed] = await new AesGcmPayloadCodec([k1]).encode([payload()]);
    const other = new AesGcmPayloadCodec([k2]);
    await expect(other.decode([sealed])).rejects.toThrow(/encrypted with key k1, which this process does not have \(RUNWAY_PAYLOAD_KEYS/);
    const wrongKey = new AesGcmPayloadCodec([{ kid: 'k1', key: randomBytes(32) }]);
    const err = await wrongKey.decode([sealed]).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/does not decrypt with this process's key k1/);
    expect((err as Error).message).not.toContain(k1.key.toString('base64'));
    const altered = Buffer.from(sealed.data!);
    altered[20] ^= 1;
    await expect(new AesGcmPayloadCodec([k1]).decode([{ ...sealed, data: altered }])).rejects.toThrow(/payload was altered/);
  });
});

describe('payload keys', () => {
  const b64 = (n: number) => randomBytes(n).toString('base64');

  it('takes kid=base64 pairs of exactly 32 bytes, naming the bad entry and never the key', () => {
    expect(parsePayloadKeys(`k2=${b64(32)},k1=${b64(32)}`)).toMatchObject({ keys: [{ kid: 'k2' }, { kid: 'k1' }] });
    const short = b64(16);
    const problem = parsePayloadKeys(`k1=${short}`);
    expect(problem).toEqual({ problem: 'key k1 is 16 bytes; AES-256 needs exactly 32 (openssl rand -base64 32)' });
    expect(JSON.stringify(problem)).not.toContain(short);
    expect(parsePayloadKeys(`${b64(32)}`)).toMatchObject({ problem: expect.stringMatching(/^entry 1 is not kid=base64/) });
    expect(parsePayloadKeys(undefined)).toEqual({ keys: [] });
  });

  it('reads a key file (one pair a line, comments), and says which variable is wrong', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'runway-keys-'));
    const file = path.join(dir, 'payload.keys');
    writeFileSync(file, `# rotated 2026-12\nk2=${b64(32)}\nk1=${b64(32)}\n`);
    expect(loadPayloadKeys({ RUNWAY_PAYLOAD_KEY_FILE: file }).map((k) => k.kid)).toEqual(['k2', 'k1']);
    expect(() => loadPayloadKeys({ RUNWAY_PAYLOAD_KEY_FILE: path.join(dir, 'missing') })).toThrow(/^RUNWAY_PAYLOAD_KEY_FILE: cannot read .*missing \(ENOENT\)$/);
    writeFileSync(file, `k1=${b64(31)}\n`);
    expect(() => loadPayloadKeys({ RUNWAY_PAYLOAD_KEY_FILE: file })).toThrow(/key k1 is 31 bytes/);
    expect(loadPayloadKeys({})).toEqual([]);
  });
});
