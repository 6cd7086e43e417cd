/**
 * Making a decision's proof (issue 18, part 3): the approvals server MACs the canonical message
 * with RUNWAY_DECISION_KEY, the CLI signs it with the person's SSH key through `ssh-keygen -Y
 * sign`. Both take the canonical text that `canonicalDecisionMessage` (src/domain/decision-proof.ts)
 * writes; wire code does not import the domain, so the text is passed in and the proofs returned
 * here have the shapes of its HmacDecisionProof and SshDecisionProof. activities/decision-proof.ts
 * verifies them.
 */
import { spawn } from 'node:child_process';
import { createHash, createHmac, randomBytes } from 'node:crypto';

/** The SSHSIG namespace of decision signatures: a signature made for git (namespace "git") or anything else does not count. */
export const DECISION_SSHSIG_NAMESPACE = 'runway-decision';

/** HMAC-SHA256 of the canonical text (UTF-8) under `key`, base64. */
export function decisionMac(canonicalMessage: string, key: Buffer): string {
  return createHmac('sha256', key).update(canonicalMessage, 'utf8').digest('base64');
}

/** The approvals server's proof: `{ kind: 'hmac', kid, mac }`. */
export function hmacProof(canonicalMessage: string, key: Buffer, kid: string): { kind: 'hmac'; kid: string; mac: string } {
  if (key.length < 32) throw new Error('a decision key must be at least 32 bytes');
  return { kind: 'hmac', kid, mac: decisionMac(canonicalMessage, key) };
}

/** A fresh nonce for a decision message (22 characters of base64url). */
export function decisionNonce(): string {
  return randomBytes(16).toString('base64url');
}

/** The note's digest for the message's `noteSha256`: lowercase hex SHA-256 of its UTF-8 text; undefined without a note. */
export function noteSha256(note: string | undefined): string | undefined {
  return note === undefined || note === '' ? undefined : createHash('sha256').update(note, 'utf8').digest('hex');
}

export interface SshSignOptions {
  /** The ssh-keygen to run. @default "ssh-keygen" from PATH */
  sshKeygen?: string;
  /** Give up after this long (ssh-keygen may be asking for the key's passphrase on the terminal). @default 120000 */
  timeoutMs?: number;
}

/**
 * The CLI's proof: `ssh-keygen -Y sign -f <keyPath> -n runway-decision` with the canonical text on
 * stdin (no shell), its armored signature from stdout. `keyPath` is the private key, or its `.pub`
 * when ssh-agent holds the private half. A passphrase prompt goes to the terminal, as for git.
 */
export function sshSign(canonicalMessage: string, keyPath: string, options: SshSignOptions = {}): Promise<{ kind: 'sshsig'; signature: string }> {
  const command = options.sshKeygen ?? 'ssh-keygen';
  const args = ['-Y', 'sign', '-f', keyPath, '-n', DECISION_SSHSIG_NAMESPACE];
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], shell: false });
    // Our own timer rather than spawn's `timeout`, which outlives a child that never started.
    const timer = setTimeout(() => child.kill('SIGTERM'), options.timeoutMs ?? 120_000);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new Error(e.code === 'ENOENT' ? `${command} not found: signing a decision needs OpenSSH's ssh-keygen (8.2 or later)` : `${command}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stderr = Buffer.concat(err).toString('utf8').trim();
      const signature = Buffer.concat(out).toString('utf8');
      if (code === 0 && signature.includes('-----BEGIN SSH SIGNATURE-----')) {
        resolve({ kind: 'sshsig', signature });
        return;
      }
      const how = signal ? `was stopped (${signal})` : `exited with ${code}`;
      reject(new Error(`${command} -Y sign -f ${keyPath} ${how}${stderr ? `: ${stderr}` : ''}`));
    });
    child.stdin.on('error', () => undefined); // an early exit closes stdin; 'close' reports it
    child.stdin.end(canonicalMessage, 'utf8');
  });
}
