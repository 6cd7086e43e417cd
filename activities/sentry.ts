/**
 * Release markers in Sentry: the release of a version (with its commit), a deploy per
 * environment, and finalizing it when it is released. Each is safe to retry: Sentry's release
 * creation is get-or-create (201, then 208), a deploy is looked for by its name before one is
 * created (Sentry would record a second), and finalizing leaves a release that already has a
 * release date as it is. A deploy and the finalizing can carry the release to make sure of
 * first, so they need not wait for its creation to finish. Errors leave as ApplicationFailures with a retry decision; the release
 * treats every one of them as best-effort.
 */
import { ApplicationFailure } from '@temporalio/common';
import { type SentryApi, SentryApiError } from '../src/sdk-clients/sentry';
import { nonRetryable } from './errors';

export type { SentryApi };

export const SentryFailureType = {
  /** Sentry refused the call for a reason retrying will not change (token, scopes, unknown organization, bad input). */
  rejected: 'SentryRejected',
  rateLimited: 'SentryRateLimited',
  unavailable: 'SentryUnavailable',
} as const;

export interface SentryReleaseInput {
  org: string;
  project: string;
  /** Sentry's release version (`<versionPrefix><sha>`). */
  version: string;
  /** The repository as Sentry names it, and the commit released. */
  repository: string;
  commit: string;
  /** The release in the Web UI. */
  url?: string;
}

export interface SentryDeployInput {
  org: string;
  /**
   * The release to make sure of first (get-or-create), so the deploy does not depend on the
   * release's own creation having finished: releases since `sentry-markers-stand-alone` schedule
   * every Sentry call from their main flow, never in reaction to another one completing.
   */
  release?: SentryReleaseInput;
  version: string;
  environment: string;
  /** Names this run's deploy, so a retry finds it instead of recording a second one. */
  name: string;
  url?: string;
  dateStarted: string;
  dateFinished: string;
}

export interface SentryFinalizeInput {
  org: string;
  version: string;
  dateReleased: string;
  /** As for a deploy: the release to make sure of first. */
  release?: SentryReleaseInput;
}

export function createSentryActivities({ sentry }: { sentry: SentryApi }) {
  /**
   * Creates the release with its head commit as a ref, which Sentry's repository integration
   * (GitHub) turns into the commits since the previous release. Sentry refuses refs to a
   * repository it has no integration for (400, after creating the release), so then the
   * commit is sent as commit data instead ("release without integration"). Get-or-create: a
   * release that exists is answered 208 and left as it is.
   */
  async function ensureRelease(input: SentryReleaseInput): Promise<'refs' | 'commit data'> {
    const release = { version: input.version, projects: [input.project], ref: input.commit, ...(input.url ? { url: input.url } : {}) };
    try {
      try {
        await sentry.createRelease(input.org, { ...release, refs: [{ repository: input.repository, commit: input.commit }] });
        return 'refs';
      } catch (err) {
        if (!(err instanceof SentryApiError && err.status === 400 && hasField(err.body, 'refs'))) throw err;
      }
      await sentry.createRelease(input.org, { ...release, commits: [{ id: input.commit, repository: input.repository }] });
      return 'commit data';
    } catch (err) {
      throw sentryFailure(err, `creating Sentry release ${input.version} in ${input.org}/${input.project}`);
    }
  }

  /** The release made sure of before a deploy or the finalizing: looked for first, so an existing one's commits are not set again. */
  async function releaseExists(input: SentryReleaseInput): Promise<void> {
    let found: unknown;
    try {
      found = await sentry.getRelease(input.org, input.version);
    } catch (err) {
      throw sentryFailure(err, `looking for Sentry release ${input.version} in ${input.org}`);
    }
    if (!found) await ensureRelease(input);
  }

  return {
    async createSentryRelease(input: SentryReleaseInput): Promise<{ version: string; commits: 'refs' | 'commit data' }> {
      return { version: input.version, commits: await ensureRelease(input) };
    },

    /** Records the environment's deploy of the release, once per run and environment. */
    async recordSentryDeploy(input: SentryDeployInput): Promise<{ deployId: string; created: boolean }> {
      if (input.release) await releaseExists(input.release);
      try {
        const existing = (await sentry.listDeploys(input.org, input.version)).find((d) => d.environment === input.environment && d.name === input.name);
        if (existing) return { deployId: existing.id, created: false };
        const deploy = await sentry.createDeploy(input.org, input.version, {
          environment: input.environment,
          name: input.name,
          dateStarted: input.dateStarted,
          dateFinished: input.dateFinished,
          ...(input.url ? { url: input.url } : {}),
        });
        return { deployId: deploy.id, created: true };
      } catch (err) {
        throw sentryFailure(err, `recording the ${input.environment} deploy of Sentry release ${input.version}`);
      }
    },

    /** Sets the release date (finalizes); a release that already has one keeps it. */
    async finalizeSentryRelease(input: SentryFinalizeInput): Promise<{ finalized: boolean; dateReleased: string }> {
      if (input.release) await releaseExists(input.release);
      try {
        const current = await sentry.getRelease(input.org, input.version);
        if (current?.dateReleased) return { finalized: false, dateReleased: current.dateReleased };
        const updated = await sentry.updateRelease(input.org, input.version, { dateReleased: input.dateReleased });
        return { finalized: true, dateReleased: updated.dateReleased ?? input.dateReleased };
      } catch (err) {
        throw sentryFailure(err, `finalizing Sentry release ${input.version}`);
      }
    },
  };
}

export type SentryActivities = ReturnType<typeof createSentryActivities>;

function hasField(body: unknown, field: string): boolean {
  return typeof body === 'object' && body !== null && field in body;
}

/** A failure with a retry decision: rate limits after Sentry's wait, outages and conflicts retried, refusals not. */
export function sentryFailure(err: unknown, context: string): Error {
  if (err instanceof ApplicationFailure) return err;
  if (!(err instanceof SentryApiError)) return ApplicationFailure.retryable(`${context}: ${(err as Error).message}`, SentryFailureType.unavailable);
  const message = `${context}: ${err.message}`;
  if (err.status === 429) {
    return ApplicationFailure.create({ message, type: SentryFailureType.rateLimited, nextRetryDelay: Math.max(1000, err.retryAfterMs ?? 60_000) });
  }
  // 409: "Release commits are currently being processed"; 0: no answer.
  if (err.status === 0 || err.status === 409 || err.status === 408 || err.status >= 500) return ApplicationFailure.retryable(message, SentryFailureType.unavailable);
  const hint =
    err.status === 401 || err.status === 403 ? ' (SENTRY_AUTH_TOKEN must be valid and have the project:releases scope)'
    : err.status === 404 ? ' (check markers.sentry.org and project, and that the token can see them)'
    : '';
  return nonRetryable(`${message}${hint}`, SentryFailureType.rejected);
}
