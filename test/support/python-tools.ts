/**
 * Python tools the ECS checks borrow from PyPI — botocore's ECS service model and moto's ECS
 * server — kept in the per-user cache (`${XDG_CACHE_HOME:-~/.cache}/runway/`, outside the repo,
 * beside the Temporal CLI), fetched with the machine's own python3 and pip on first use.
 * Nothing here is skipped quietly: without Python and pip, and without the cache, the caller
 * gets an error saying what to install or where to put the files.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';

/** `${XDG_CACHE_HOME:-~/.cache}/runway/<name>`. */
export function runwayCacheDir(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const cacheHome = env.XDG_CACHE_HOME || path.join(env.HOME || os.homedir(), '.cache');
  return path.join(cacheHome, 'runway', name);
}

export class PythonToolMissingError extends Error {
  override name = 'PythonToolMissingError';
}

/** The first of `python3`, `python` on PATH that is Python 3 and has pip; undefined when none. */
export function findPythonWithPip(): string | undefined {
  for (const candidate of ['python3', 'python']) {
    const probe = spawnSync(candidate, ['-c', 'import sys, pip; sys.exit(0 if sys.version_info[0] == 3 else 1)'], { stdio: 'ignore' });
    if (probe.status === 0) return candidate;
  }
  return undefined;
}

/** Runs a command to completion, throwing with its output's tail when it fails. */
export function runTool(command: string, args: string[], what: string, timeoutMs = 600_000): void {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  if (result.status === 0) return;
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
  const why = result.error ? result.error.message : `exit ${result.status ?? result.signal}`;
  throw new Error(`${what} failed (${command} ${args.join(' ')}: ${why})${output ? `:\n${output}` : ''}`);
}
