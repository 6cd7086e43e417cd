/**
 * `--sign-with <key>` (or RUNWAY_SIGNING_KEY) on the deciding commands: the decision is signed
 * with the person's SSH key through `ssh-keygen -Y sign`, bound to the release's current run, as
 * git signs commits. A worker configured with keys refuses CLI decisions without it (README,
 * "Threat model").
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { DecisionAction } from '../domain/decision-proof';
import type { SignedDecision } from '../domain/release-api';
import { sshSignedDecision } from '../release-client/decision-signing';
import { CliError, invalidInput } from './errors';
import { ExitCode } from './exit-codes';

export const SIGN_WITH_FLAG = '--sign-with <key>';
export const SIGN_WITH_HELP =
  'sign the decision with this SSH key (private key, or its .pub with ssh-agent; default: $RUNWAY_SIGNING_KEY); required when the workers verify decisions';

/** The key file to sign with, from the flag or RUNWAY_SIGNING_KEY, `~` expanded; undefined for none. Fails when the file is missing. */
export function signingKeyPath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const given = flag ?? (env.RUNWAY_SIGNING_KEY?.trim() || undefined);
  if (given === undefined) return undefined;
  const where = flag !== undefined ? '--sign-with' : 'RUNWAY_SIGNING_KEY';
  const resolved = given === '~' ? os.homedir() : given.startsWith('~/') ? path.join(os.homedir(), given.slice(2)) : given;
  if (!existsSync(resolved)) throw invalidInput(`${where}: no key file ${resolved} (give the private key, or its .pub when ssh-agent holds the key)`);
  return resolved;
}

/** Signs `action` by `by` on the run `runId` of `releaseId`; ssh-keygen's problems become a one-line error. */
export function sshSigner(client: Client, releaseId: string, action: DecisionAction, by: string, note: string | undefined, keyPath: string) {
  return async (runId: string): Promise<SignedDecision> => {
    try {
      return await sshSignedDecision({ namespace: client.options.namespace, releaseId, runId, action, by, note }, keyPath);
    } catch (err) {
      throw new CliError(`signing the ${action} of ${releaseId} failed: ${(err as Error).message}`, ExitCode.error);
    }
  };
}
