/**
 * The keys of encrypted payloads (README, "Encrypted payloads"): RUNWAY_PAYLOAD_KEYS
 * (`kid=base64[,kid=base64…]`, each exactly 32 bytes: `openssl rand -base64 32`) or
 * RUNWAY_PAYLOAD_KEY_FILE (the same pairs, one per line, `#` comments), the first one encrypting.
 * Neither set: payloads are stored in clear, as before.
 */
import { readFileSync } from 'node:fs';
import { type KeyEntry, parseKeyList } from './key-list';

const exactly32 = (kid: string, key: Buffer) => (key.length === 32 ? undefined : `key ${kid} is ${key.length} bytes; AES-256 needs exactly 32 (openssl rand -base64 32)`);

/** The keys of RUNWAY_PAYLOAD_KEYS, or the problem with the value (never echoing a key). */
export function parsePayloadKeys(value: string | undefined): { keys: KeyEntry[] } | { problem: string } {
  return parseKeyList(value, exactly32);
}

/** Thrown when the payload keys cannot be read; names the variable and the problem. */
export class PayloadKeysError extends Error {
  override name = 'PayloadKeysError';
}

/** The payload keys of the environment (the variable, else the file), [] when encryption is off. */
export function loadPayloadKeys(env: { RUNWAY_PAYLOAD_KEYS?: string; RUNWAY_PAYLOAD_KEY_FILE?: string }): KeyEntry[] {
  if (env.RUNWAY_PAYLOAD_KEYS !== undefined && env.RUNWAY_PAYLOAD_KEYS.trim() !== '') {
    const parsed = parsePayloadKeys(env.RUNWAY_PAYLOAD_KEYS);
    if ('problem' in parsed) throw new PayloadKeysError(`RUNWAY_PAYLOAD_KEYS: ${parsed.problem}`);
    return parsed.keys;
  }
  if (env.RUNWAY_PAYLOAD_KEY_FILE === undefined || env.RUNWAY_PAYLOAD_KEY_FILE.trim() === '') return [];
  let text: string;
  try {
    text = readFileSync(env.RUNWAY_PAYLOAD_KEY_FILE, 'utf8');
  } catch (err) {
    throw new PayloadKeysError(`RUNWAY_PAYLOAD_KEY_FILE: cannot read ${env.RUNWAY_PAYLOAD_KEY_FILE} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const parsed = parseKeyList(text, exactly32, /\r?\n/);
  if ('problem' in parsed) throw new PayloadKeysError(`RUNWAY_PAYLOAD_KEY_FILE ${env.RUNWAY_PAYLOAD_KEY_FILE}: ${parsed.problem}`);
  if (parsed.keys.length === 0) throw new PayloadKeysError(`RUNWAY_PAYLOAD_KEY_FILE ${env.RUNWAY_PAYLOAD_KEY_FILE}: no key in it`);
  return parsed.keys;
}
