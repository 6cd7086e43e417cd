import os from 'node:os';

/** Who asks, when no flag says: $RUNWAY_REQUESTED_BY, CI's actor, or the local user. */
export function defaultRequester(env: NodeJS.ProcessEnv): string {
  return env.RUNWAY_REQUESTED_BY || env.GITHUB_ACTOR || env.USER || os.userInfo().username || 'unknown';
}
