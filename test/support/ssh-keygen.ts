/**
 * OpenSSH's ssh-keygen for the SSH signature tests: fresh keys in a temporary folder, signatures
 * made by `ssh-keygen -Y sign`, and `ssh-keygen -Y verify` as the reference our verifier must agree
 * with. Without ssh-keygen (Debian: openssh-client) the tests that need it are skipped with the
 * reason printed, except in CI (CI set), where they run and fail.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SSH_KEYGEN = process.env.RUNWAY_SSH_KEYGEN ?? 'ssh-keygen';

const probe = spawnSync(SSH_KEYGEN, ['-Y', 'sign'], { encoding: 'utf8' });
/** Why the ssh-keygen tests cannot run here, or undefined when they can. */
export const sshKeygenMissing: string | undefined = probe.error
  ? `no ${SSH_KEYGEN} (${(probe.error as NodeJS.ErrnoException).code ?? probe.error.message}); apt-get install openssh-client brings it`
  : undefined;

/** `describe`, or `describe.skip` with the reason on stderr when ssh-keygen is missing outside CI. */
export function describeWithSshKeygen(file: string): jest.Describe {
  if (!sshKeygenMissing) return describe;
  if (process.env.CI) return describe; // fail loudly in CI: the tests' beforeAll throws
  process.stderr.write(`${file}: skipping the ssh-keygen tests: ${sshKeygenMissing}\n`);
  return describe.skip;
}

export interface SshKeyPair {
  /** Path of the private key (its public half is `${path}.pub`). */
  path: string;
  /** The authorized_keys line of the public key. */
  publicLine: string;
}

export class SshKeygenDir {
  readonly dir: string;
  private n = 0;

  constructor() {
    if (sshKeygenMissing) throw new Error(sshKeygenMissing);
    this.dir = mkdtempSync(join(tmpdir(), 'runway-sshsig-'));
  }

  /** `ssh-keygen -t <type> [-b bits] -N ''`. */
  key(type: 'ed25519' | 'rsa' | 'ecdsa' | 'dsa', bits?: number, comment = `${type}@runway-test`): SshKeyPair {
    const path = join(this.dir, `key-${++this.n}-${type}`);
    execFileSync(SSH_KEYGEN, ['-q', '-t', type, ...(bits ? ['-b', String(bits)] : []), '-N', '', '-C', comment, '-f', path], { stdio: 'pipe' });
    return { path, publicLine: readFileSync(`${path}.pub`, 'utf8').trim() };
  }

  /** `ssh-keygen -Y sign -f key -n namespace [-O hashalg=…]` over `message` on stdin. */
  sign(key: SshKeyPair, message: string, namespace = 'runway-decision', hashalg?: 'sha256' | 'sha512'): string {
    const args = ['-Y', 'sign', '-f', key.path, '-n', namespace, ...(hashalg ? ['-O', `hashalg=${hashalg}`] : [])];
    return execFileSync(SSH_KEYGEN, args, { input: message, stdio: ['pipe', 'pipe', 'pipe'] }).toString('utf8');
  }

  /** Whether `ssh-keygen -Y verify` accepts `signature` of `message` by `principal` with `allowedSigners` lines (`principal [options] key`). */
  opensshVerifies(allowedSigners: string[], principal: string, namespace: string, signature: string, message: string): boolean {
    const id = ++this.n;
    const allowed = join(this.dir, `allowed-${id}`);
    const sig = join(this.dir, `sig-${id}`);
    writeFileSync(allowed, allowedSigners.map((l) => `${l}\n`).join(''));
    writeFileSync(sig, signature);
    const r = spawnSync(SSH_KEYGEN, ['-Y', 'verify', '-f', allowed, '-I', principal, '-n', namespace, '-s', sig], { input: message });
    return r.status === 0;
  }

  /** `ssh-keygen -l -E sha256 -f key.pub`'s fingerprint. */
  fingerprint(key: SshKeyPair): string {
    return execFileSync(SSH_KEYGEN, ['-l', '-E', 'sha256', '-f', `${key.path}.pub`]).toString('utf8').split(' ')[1];
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** One ed25519 key per name for the file's tests (made in beforeAll, removed in afterAll); read `.keys` and `.dir` inside tests. */
export function useSshKeys<N extends string>(...names: N[]): { dir: SshKeygenDir; keys: Record<N, SshKeyPair> } {
  const current = { keys: {} } as { dir: SshKeygenDir; keys: Record<N, SshKeyPair> };
  beforeAll(() => {
    current.dir = new SshKeygenDir();
    for (const name of names) current.keys[name] = current.dir.key('ed25519', undefined, `${name}@runway-test`);
  });
  afterAll(() => current.dir?.remove());
  return current;
}
