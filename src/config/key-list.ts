/**
 * Key lists in Runway's environment: `kid=base64` pairs separated by commas (or lines, in a key
 * file), the first one the key that signs or encrypts, every one accepted when verifying or
 * decrypting, so a rotation adds the new key first and drops the old one later. A problem names
 * the entry or key id, never the key.
 */
export interface KeyEntry {
  kid: string;
  key: Buffer;
}

const KID = /^[A-Za-z0-9_.-]{1,32}$/;
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/** The keys of `value` in order, or the problem with it; `keyProblem` judges each decoded key (its length). */
export function parseKeyList(value: string | undefined, keyProblem: (kid: string, key: Buffer) => string | undefined, separator: RegExp = /,/): { keys: KeyEntry[] } | { problem: string } {
  if (value === undefined || value.trim() === '') return { keys: [] };
  const keys: KeyEntry[] = [];
  const entries = value
    .split(separator)
    .map((e) => e.trim())
    .filter((e) => e !== '' && !e.startsWith('#'));
  for (const [i, entry] of entries.entries()) {
    const eq = entry.indexOf('=');
    const kid = eq > 0 ? entry.slice(0, eq) : '';
    if (!KID.test(kid)) return { problem: `entry ${i + 1} is not kid=base64 (a key id of letters, digits, _ . -, then "=" and the key)` };
    const text = entry.slice(eq + 1);
    if (!BASE64.test(text)) return { problem: `key ${kid} is not base64` };
    const key = Buffer.from(text, text.includes('-') || text.includes('_') ? 'base64url' : 'base64');
    const problem = keyProblem(kid, key);
    if (problem) return { problem };
    if (keys.some((k) => k.kid === kid)) return { problem: `key id ${kid} appears twice` };
    keys.push({ kid, key });
  }
  return { keys };
}
