import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createAppAuth } from '@octokit/auth-app';
import { Octokit } from '@octokit/rest';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import Bottleneck from 'bottleneck';
import { EnvError, gitHubAppFromEnv, type RunwayEnv } from '../config/env';
import { GITHUB_WRITE_BUDGET } from '../domain/github-write-budget';

/** The part of Octokit Runway uses; tests may hand in anything with this shape. */
export type GitHubApi = Pick<Octokit, 'rest'>;

const RunwayOctokit = Octokit.plugin(throttling, retry);

/** Writes that may wait for their turn in one worker process before new ones are turned away. */
export const GITHUB_WRITE_QUEUE_LIMIT = 5;

/**
 * GitHub asks for at most one mutating request per second per client; the throttling plugin
 * paces writes that way, process-wide (or at RUNWAY_GITHUB_WRITE_BUDGET's interval). Its own
 * queue is unbounded, though: under load (dozens of releases writing at once) a write could wait
 * longer than its activity's timeout and still be sent afterwards, beside the retry — a duplicate
 * record. Here at most GITHUB_WRITE_QUEUE_LIMIT writes wait (about as many seconds, well inside
 * the 10 s activity timeout); a further write is turned away at once and Temporal retries it later.
 */
const writePacings = new Map<number, Bottleneck.Group>();
function writePacing(minIntervalMs: number): Bottleneck.Group {
  let group = writePacings.get(minIntervalMs);
  if (!group) {
    group = new Bottleneck.Group({
      id: `runway-github-write-${minIntervalMs}`,
      maxConcurrent: 1,
      minTime: minIntervalMs,
      highWater: GITHUB_WRITE_QUEUE_LIMIT,
      strategy: Bottleneck.strategy.OVERFLOW,
    });
    writePacings.set(minIntervalMs, group);
  }
  return group;
}

/** Statuses plugin-retry leaves alone: client errors, plus 429 (a rate limit, handled by Temporal). */
const DO_NOT_RETRY = [400, 401, 403, 404, 410, 422, 429, 451];

export interface GitHubClientOptions {
  /** Retries of 5xx and network errors inside one call before the activity fails (and Temporal retries it). @default 2 */
  retries?: number;
  /** Octokit's logger; failed requests are logged at error level. @default console for warn/error */
  log?: { debug: (m: string) => void; info: (m: string) => void; warn: (m: string) => void; error: (m: string) => void };
}

/**
 * GitHub REST client with the official throttling and retry plugins. Rate limits are never waited
 * out in process: both throttling handlers answer "do not retry", so the call fails at once with
 * GitHub's headers and activities/github-errors.ts turns it into a Temporal retry after the reset
 * time. A worker then holds no activity slot for minutes, and a crash loses no sleep.
 */
export function createGitHubClient(
  env: Pick<RunwayEnv, 'GITHUB_TOKEN' | 'GITHUB_API_URL'> & Partial<Pick<RunwayEnv, 'GITHUB_APP_ID' | 'GITHUB_APP_PRIVATE_KEY_PATH' | 'GITHUB_APP_INSTALLATION_ID' | 'RUNWAY_GITHUB_WRITE_BUDGET'>>,
  options: GitHubClientOptions = {},
): GitHubApi {
  const app = gitHubAppFromEnv({ GITHUB_APP_ID: env.GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY_PATH: env.GITHUB_APP_PRIVATE_KEY_PATH, GITHUB_APP_INSTALLATION_ID: env.GITHUB_APP_INSTALLATION_ID });
  const octokit = new RunwayOctokit({
    // A GitHub App: @octokit/auth-app signs a JWT with the key, exchanges it for an installation
    // token and makes a new one before the hour is up. The key stays in this client (the worker's
    // process), never in activity inputs, results or errors.
    ...(app
      ? { authStrategy: createAppAuth, auth: { appId: /^\d+$/.test(app.appId) ? Number(app.appId) : app.appId, privateKey: readGitHubAppKey(app.privateKeyPath), installationId: app.installationId } }
      : { auth: env.GITHUB_TOKEN }),
    baseUrl: env.GITHUB_API_URL ?? 'https://api.github.com',
    userAgent: 'runway',
    ...(options.log ? { log: options.log } : {}),
    throttle: {
      onRateLimit: () => false,
      onSecondaryRateLimit: () => false,
      write: writePacing(env.RUNWAY_GITHUB_WRITE_BUDGET?.minIntervalMs ?? GITHUB_WRITE_BUDGET.minIntervalMs),
    },
    retry: { retries: options.retries ?? 2, doNotRetry: DO_NOT_RETRY },
  });
  if (app) {
    // Refusals name the App rather than GITHUB_TOKEN (activities/github-errors.ts reads this).
    const credential = `GitHub App ${app.appId} (installation ${app.installationId})`;
    octokit.hook.error('request', (error) => {
      if (error && typeof error === 'object') Object.assign(error, { [GITHUB_CREDENTIAL]: credential });
      throw error;
    });
  }
  return octokit;
}

/** The property a refused request's error carries when the client is not using GITHUB_TOKEN: which credential it was. */
export const GITHUB_CREDENTIAL = 'runwayCredential';

/**
 * The App's private key, read once at start: an unreadable file or anything but a PEM private key
 * stops the process naming GITHUB_APP_PRIVATE_KEY_PATH (EnvError: exit 2, no stack), and no
 * message ever holds the key or a part of it.
 */
export function readGitHubAppKey(path: string): string {
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new EnvError(`GITHUB_APP_PRIVATE_KEY_PATH: cannot read ${path}${code ? ` (${code})` : ''}: expected the GitHub App's private key file (.pem)`);
  }
  let type: string | undefined;
  try {
    const key = createPrivateKey(pem);
    type = key.asymmetricKeyType;
  } catch {
    throw new EnvError(`GITHUB_APP_PRIVATE_KEY_PATH: ${path} is not a PEM private key (expected the .pem file GitHub generated for the App)`);
  }
  if (type !== 'rsa') throw new EnvError(`GITHUB_APP_PRIVATE_KEY_PATH: ${path} holds ${type ?? 'an unknown kind of'} key; a GitHub App's key is RSA`);
  return pem;
}
