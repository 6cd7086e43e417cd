/**
 * Which code a bench run measured, for its record: medians are only meaningful across runs of one
 * build, and a table read back from logs of several sessions would otherwise mix them silently.
 */
import { execFileSync } from 'node:child_process';

/** What a record says when its bench ran outside a git checkout (or git is missing). */
export const UNKNOWN_BUILD = 'unknown';

/**
 * The checkout's short commit, with `+changes` when tracked files differ from it (an uncommitted
 * change is a different build). Untracked files (logs, scratch) do not count.
 */
export function buildLabel(cwd = process.cwd()): string {
  const git = (...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    const commit = git('rev-parse', '--short', 'HEAD');
    return git('status', '--porcelain', '--untracked-files=no') === '' ? commit : `${commit}+changes`;
  } catch {
    return UNKNOWN_BUILD;
  }
}
