/**
 * Encrypted payloads (issue 19, optional and off by default): a Temporal PayloadCodec that
 * encrypts every payload — workflow inputs and results, activity inputs and results, Update,
 * signal and query arguments, memos — with AES-256-GCM before it leaves the process, so Temporal's
 * database and anyone reading histories without the key sees ciphertext. Search attributes are
 * never encrypted (Temporal indexes them): nothing secret goes there anyway.
 *
 * Each encrypted payload is the whole original Payload (serialized as Temporal's protobuf), a
 * random 12-byte IV before it and the 16-byte tag after, with the key id in its metadata, so keys
 * rotate: RUNWAY_PAYLOAD_KEYS=k2=NEW,k1=OLD encrypts with k2 and still decrypts what k1 wrote.
 * Payloads that are not encrypted (written before encryption was on) pass through decode as they
 * are, so turning it on needs no migration; one encrypted with a key this process lacks fails
 * naming the key id.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { KeyEntry } from '../config/key-list';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;

const text = (bytes: Uint8Array | null | undefined): string | undefined => (bytes ? Buffer.from(bytes).toString('utf8') : undefined);

/** A payload could not be decrypted: which key it names, and why. Never includes key material. */
export class PayloadDecryptionError extends Error {
  override name = 'PayloadDecryptionError';
}

export class AesGcmPayloadCodec implements PayloadCodec {
  private readonly byId: Map<string, Buffer>;

  /** `keys[0]` encrypts; every key decrypts. Each must be 32 bytes (AES-256). */
  constructor(private readonly keys: readonly KeyEntry[]) {
    if (keys.length === 0) throw new Error('an encrypting payload codec needs at least one key');
    for (const k of keys) if (k.key.length !== 32) throw new Error(`payload key ${k.kid} is ${k.key.length} bytes; AES-256 needs 32`);
    this.byId = new Map(keys.map((k) => [k.kid, k.key]));
  }

  /** The id of the key new payloads are encrypted with. */
  get currentKeyId(): string {
    return this.keys[0].kid;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const { kid, key } = this.keys[0];
    return payloads.map((payload) => {
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return { metadata: { encoding: Buffer.from(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: Buffer.from(kid) }, data: sealed };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (text(payload.metadata?.encoding) !== ENCRYPTED_ENCODING) return payload;
      const kid = text(payload.metadata?.[KEY_ID_METADATA]);
      if (!kid) throw new PayloadDecryptionError('an encrypted payload has no key id');
      const key = this.byId.get(kid);
      if (!key) throw new PayloadDecryptionError(`a payload is encrypted with key ${kid}, which this process does not have (RUNWAY_PAYLOAD_KEYS or RUNWAY_PAYLOAD_KEY_FILE)`);
      const sealed = Buffer.from(payload.data ?? []);
      if (sealed.length < IV_BYTES + TAG_BYTES) throw new PayloadDecryptionError(`a payload encrypted with key ${kid} is too short to hold an IV and a tag`);
      const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES));
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
      let plain: Buffer;
      try {
        plain = Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
      } catch {
        throw new PayloadDecryptionError(`a payload encrypted with key ${kid} does not decrypt with this process's key ${kid} (wrong key, or the payload was altered)`);
      }
      return temporal.api.common.v1.Payload.decode(plain);
    });
  }
}
