/**
 * A small typed client of Sentry's web API for release markers (Sentry publishes no Node client
 * for it; sentry-cli is a binary): releases, their deploys, finalizing. `fetch` with a bearer
 * token against `${SENTRY_URL}/api/0/` (SENTRY_URL defaults to https://sentry.io, as for
 * sentry-cli). It never retries: a failed call throws SentryApiError with Sentry's status,
 * answer and rate-limit wait, and the activity (activities/sentry.ts) decides whether Temporal
 * retries it. The token stays in this client: it is never in an activity's input or result.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { SentryDeploy } from '../shared/sentry-wire';
import type { RunwayEnv } from '../config/env';

export const DEFAULT_SENTRY_URL = 'https://sentry.io';

/** `refs` as Sentry takes them: the head commit of each repository (and optionally the previous release's). */
export interface SentryRef {
  repository: string;
  commit: string;
  previousCommit?: string;
}

/** `commits` as Sentry takes them when no repository integration fetches them. */
export interface SentryCommit {
  id: string;
  repository?: string;
  message?: string;
  author_name?: string;
  author_email?: string;
  timestamp?: string;
}

export interface SentryNewRelease {
  version: string;
  /** Project slugs. */
  projects: string[];
  ref?: string;
  url?: string;
  dateReleased?: string;
  refs?: SentryRef[];
  commits?: SentryCommit[];
}

/** The fields of Sentry's release answer Runway reads (Sentry sends many more). */
export interface SentryRelease {
  id: number;
  version: string;
  ref: string | null;
  url: string | null;
  dateCreated: string;
  dateReleased: string | null;
  commitCount: number;
  deployCount: number;
  projects: { id: number | string; slug: string; name: string }[];
}

export interface SentryNewDeploy {
  environment: string;
  name?: string;
  url?: string;
  dateStarted?: string;
  dateFinished?: string;
  projects?: string[];
}

export type { SentryDeploy };

export interface SentryApi {
  /** POST …/releases/: 201 when created, 208 when the version already existed (Sentry's creation is idempotent). */
  createRelease(org: string, release: SentryNewRelease): Promise<{ status: number; release: SentryRelease }>;
  /** GET …/releases/{version}/, or undefined when Sentry does not know it. */
  getRelease(org: string, version: string): Promise<SentryRelease | undefined>;
  /** PUT …/releases/{version}/ (ref, url, dateReleased: finalizing). */
  updateRelease(org: string, version: string, changes: { dateReleased?: string; ref?: string; url?: string }): Promise<SentryRelease>;
  /** GET …/releases/{version}/deploys/: the latest deploy per project and environment. */
  listDeploys(org: string, version: string): Promise<SentryDeploy[]>;
  /** POST …/releases/{version}/deploys/: always a new deploy. */
  createDeploy(org: string, version: string, deploy: SentryNewDeploy): Promise<SentryDeploy>;
}

/** A Sentry answer other than 2xx, or no answer at all (`status` 0). */
export class SentryApiError extends Error {
  override name = 'SentryApiError';
  constructor(
    message: string,
    readonly status: number,
    /** Sentry's JSON answer (`{ detail }`, or field → messages for a 400). */
    readonly body: unknown,
    /** For 429: how long Sentry asked to wait (Retry-After, else X-Sentry-Rate-Limit-Reset). */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

export interface SentryClientOptions {
  fetch?: typeof fetch;
  /** Per request. @default 10000 */
  timeoutMs?: number;
  now?: () => number;
}

export function createSentryClient(env: Partial<Pick<RunwayEnv, 'SENTRY_AUTH_TOKEN' | 'SENTRY_URL'>>, options: SentryClientOptions = {}): SentryApi {
  const token = env.SENTRY_AUTH_TOKEN;
  if (!token) return sentryNotConfigured;
  const base = `${(env.SENTRY_URL ?? DEFAULT_SENTRY_URL).replace(/\/+$/, '')}/api/0`;
  const doFetch = options.fetch ?? fetch;
  const now = options.now ?? Date.now;
  const timeoutMs = options.timeoutMs ?? 10_000;

  async function call<T>(method: string, path: string, body?: unknown): Promise<{ status: number; data: T }> {
    let res: Response;
    try {
      res = await doFetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }), 'user-agent': 'runway' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new SentryApiError(`${method} ${path}: no answer from Sentry (${(err as Error).message})`, 0, undefined);
    }
    const text = await res.text();
    let data: unknown;
    try {
      data = text ? JSON.parse(text) : undefined;
    } catch {
      data = text.slice(0, 500);
    }
    if (!res.ok) {
      throw new SentryApiError(`${method} ${path}: Sentry answered ${res.status}${describe(data)}`, res.status, data, res.status === 429 ? retryAfterMs(res.headers, now()) : undefined);
    }
    return { status: res.status, data: data as T };
  }

  const releasePath = (org: string, version: string) => `/organizations/${encodeURIComponent(org)}/releases/${encodeURIComponent(version)}/`;
  return {
    async createRelease(org, release) {
      const { status, data } = await call<SentryRelease>('POST', `/organizations/${encodeURIComponent(org)}/releases/`, release);
      return { status, release: data };
    },
    async getRelease(org, version) {
      try {
        return (await call<SentryRelease>('GET', releasePath(org, version))).data;
      } catch (err) {
        if (err instanceof SentryApiError && err.status === 404) return undefined;
        throw err;
      }
    },
    async updateRelease(org, version, changes) {
      return (await call<SentryRelease>('PUT', releasePath(org, version), changes)).data;
    },
    async listDeploys(org, version) {
      return (await call<SentryDeploy[]>('GET', `${releasePath(org, version)}deploys/`)).data ?? [];
    },
    async createDeploy(org, version, deploy) {
      return (await call<SentryDeploy>('POST', `${releasePath(org, version)}deploys/`, deploy)).data;
    },
  };
}

/** Sentry's own words, briefly: `{ detail }`, or each field's messages for a validation error. */
function describe(data: unknown): string {
  if (typeof data === 'string') return data ? `: ${data.slice(0, 200)}` : '';
  if (!data || typeof data !== 'object') return '';
  const detail = (data as { detail?: unknown }).detail;
  if (typeof detail === 'string') return `: ${detail}`;
  const fields = Object.entries(data as Record<string, unknown>).map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(' ') : JSON.stringify(v)}`);
  return fields.length ? `: ${fields.join('; ').slice(0, 300)}` : '';
}

/** Retry-After (seconds), else X-Sentry-Rate-Limit-Reset (epoch seconds), else a minute. */
function retryAfterMs(headers: Headers, nowMs: number): number {
  const after = Number(headers.get('retry-after'));
  if (headers.get('retry-after') !== null && Number.isFinite(after) && after >= 0) return after * 1000;
  const reset = Number(headers.get('x-sentry-rate-limit-reset'));
  if (headers.get('x-sentry-rate-limit-reset') !== null && Number.isFinite(reset)) return Math.max(1000, reset * 1000 - nowMs);
  return 60_000;
}

function notConfigured(): never {
  throw ApplicationFailure.nonRetryable('Sentry is not configured on the worker (set SENTRY_AUTH_TOKEN)', 'SentryNotConfigured');
}

/** Without a token every call fails at once; the release records that and goes on. */
const sentryNotConfigured: SentryApi = {
  createRelease: notConfigured,
  getRelease: notConfigured,
  updateRelease: notConfigured,
  listDeploys: notConfigured,
  createDeploy: notConfigured,
};
