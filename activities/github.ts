/**
 * GitHub deployment records, one per environment and release run: created idempotently, moved
 * through in_progress → success / failure / inactive. A production success marks the earlier
 * successful production deployments inactive (GitHub's auto_inactive only covers other
 * environments), and on rollback the environment's previous deployment that was not itself rolled
 * back is marked successful again, so GitHub shows what really runs there.
 * The build gate (checks, dispatched builds, release branch) is in ./github-build.
 */
import type { GitHubApi } from '../src/sdk-clients/github';
import { callGitHub, GitHubFailureType, GitHubPermission } from './github-errors';
import { nonRetryable } from './errors';

export type { GitHubApi };

// What a deployment record write asks for is domain vocabulary (the GitHub writer queues it).
export type { CreateDeploymentInput, DeploymentEnvironment, DeploymentState, RestorePreviousDeploymentInput, SetDeploymentStatusInput } from '../src/domain/deployment-records';
import type { CreateDeploymentInput, RestorePreviousDeploymentInput, SetDeploymentStatusInput } from '../src/domain/deployment-records';

export interface RestorePreviousDeploymentResult {
  /** The deployment now shown as active, or absent when the environment had no earlier successful one. */
  restored?: { deploymentId: number; ref: string; sha: string };
  /** False when it was already shown as active (nothing was written). */
  changed: boolean;
}

/** How many earlier deployments are searched for the last successful one. */
const PREVIOUS_DEPLOYMENTS_SEARCHED = 20;

export function splitRepo(repo: string): { owner: string; repo: string } {
  const [owner, name] = repo.split('/');
  return { owner: owner!, repo: name! };
}

/** GitHub allows 140 characters in a status description. */
function shortDescription(text: string): string {
  return text.length <= 140 ? text : `${text.slice(0, 137)}...`;
}

interface RunwayPayload {
  releaseId?: string;
  runId?: string;
}

/** The payload Runway wrote on a deployment (GitHub may hand it back as a JSON string). */
function payloadOf(payload: unknown): RunwayPayload {
  if (typeof payload === 'string') {
    try {
      return payloadOf(JSON.parse(payload));
    } catch {
      return {};
    }
  }
  return payload && typeof payload === 'object' ? (payload as RunwayPayload) : {};
}

/** Whether a deployment belongs to this release (and to this run of it, when the run is known). */
function isMine(payload: unknown, releaseId: string, runId: string | undefined): boolean {
  const mine = payloadOf(payload);
  return mine.releaseId === releaseId && (runId === undefined || mine.runId === runId);
}

/** A deployment whose latest status says it failed was rolled back: it is not what ran before. */
const FAILED_STATES = new Set(['failure', 'error']);

/** Sends one content-creating request; the GitHub writer's counts and paces them (activities/github-records.ts). */
export type WriteThrough = <T>(send: () => Promise<T>) => Promise<T>;

const sendAtOnce: WriteThrough = (send) => send();

export function createGitHubActivities({ github, writeThrough = sendAtOnce }: { github: GitHubApi; writeThrough?: WriteThrough }) {
  const deploymentsCall = (repo: string, action: string) => ({ action, repo, permission: GitHubPermission.deployments });

  const latestStatus = async (repo: string, deploymentId: number) => {
    const { data } = await callGitHub(deploymentsCall(repo, `reading deployment ${deploymentId}'s statuses`), () =>
      github.rest.repos.listDeploymentStatuses({ ...splitRepo(repo), deployment_id: deploymentId, per_page: 100 }),
    );
    return { latest: data[0], all: data };
  };

  const readDeployment = async (repo: string, deploymentId: number) => {
    const { data } = await callGitHub(deploymentsCall(repo, `reading deployment ${deploymentId}`), () =>
      github.rest.repos.getDeployment({ ...splitRepo(repo), deployment_id: deploymentId }),
    );
    return data;
  };

  /** Marks the environment's deployments older than `input`'s whose latest status is success inactive. */
  const inactivateEarlier = async (input: SetDeploymentStatusInput, environment: string) => {
    const { data: deployments } = await callGitHub(deploymentsCall(input.repo, `listing ${environment} deployments`), () =>
      github.rest.repos.listDeployments({ ...splitRepo(input.repo), environment, per_page: 100 }),
    );
    // Newest first, so the earlier ones are those after this deployment.
    const at = deployments.findIndex((d) => d.id === input.deploymentId);
    if (at < 0) return;
    for (const earlier of deployments.slice(at + 1, at + 1 + PREVIOUS_DEPLOYMENTS_SEARCHED)) {
      const { latest } = await latestStatus(input.repo, earlier.id);
      if (latest?.state !== 'success') continue;
      await callGitHub(deploymentsCall(input.repo, `marking deployment ${earlier.id} inactive`), () =>
        writeThrough(() =>
          github.rest.repos.createDeploymentStatus({
            ...splitRepo(input.repo),
            deployment_id: earlier.id,
            state: 'inactive',
            description: shortDescription(`replaced by deployment ${input.deploymentId}`),
            log_url: input.logUrl ?? latest.log_url,
            environment_url: latest.environment_url,
            environment,
            auto_inactive: false,
          }),
        ),
      );
    }
  };

  /** The deployment this release run created, or a new one. */
  const createOrFind = async (input: CreateDeploymentInput): Promise<{ deploymentId: number }> => {
    const repo = splitRepo(input.repo);
    const call = deploymentsCall(input.repo, `creating the ${input.environment} deployment of ${input.ref}`);
    const { data: existing } = await callGitHub(call, () =>
      github.rest.repos.listDeployments({ ...repo, ref: input.ref, environment: input.environment, per_page: 100 }),
    );
    const mine = existing.find((d) => isMine(d.payload, input.releaseId, input.runId));
    if (mine) return { deploymentId: mine.id };
    const res = await callGitHub(call, () =>
      writeThrough(() =>
        github.rest.repos.createDeployment({
          ...repo,
          ref: input.ref,
          environment: input.environment,
          auto_merge: false,
          required_contexts: [],
          payload: input.runId === undefined ? { releaseId: input.releaseId } : { releaseId: input.releaseId, runId: input.runId },
          production_environment: input.environment === 'production',
          transient_environment: false,
          description: `Runway ${input.releaseId}`,
        }),
      ),
    );
    if ((res.status as number) === 202 || !('id' in res.data)) {
      const said = (res.data as { message?: string }).message ?? JSON.stringify(res.data).slice(0, 200);
      throw nonRetryable(
        `GitHub answered ${res.status} and created no ${input.environment} deployment for ${input.repo}@${input.ref}: ${said}`,
        GitHubFailureType.deploymentNotCreated,
      );
    }
    return { deploymentId: res.data.id };
  };

  /**
   * Adds a status, unless the latest one already says the same (a retry after a crash). The
   * status names its environment, so readers of the call log (and GitHub) see where it belongs.
   * A `success` in production then marks the earlier successful deployments there inactive,
   * which GitHub does by itself only outside production; a retry repeats that step, since a
   * crash may have come between the two.
   */
  const setStatus = async (input: SetDeploymentStatusInput): Promise<void> => {
    const description = shortDescription(input.description);
    const { latest } = await latestStatus(input.repo, input.deploymentId);
    const environment = input.environment ?? latest?.environment ?? (await readDeployment(input.repo, input.deploymentId)).environment;
    if (latest?.state !== input.state || latest.description !== description) {
      await callGitHub(deploymentsCall(input.repo, `setting deployment ${input.deploymentId} to ${input.state}`), () =>
        writeThrough(() =>
          github.rest.repos.createDeploymentStatus({
            ...splitRepo(input.repo),
            deployment_id: input.deploymentId,
            state: input.state,
            description,
            log_url: input.logUrl,
            environment_url: input.environmentUrl,
            environment,
          }),
        ),
      );
    }
    const production = input.production ?? environment === 'production';
    if (input.state === 'success' && production) await inactivateEarlier(input, environment);
  };

  return {
    /**
     * Creates the GitHub deployment record for one environment, or returns the one this release
     * already created (found by its release id in the payload), so a retry never makes two.
     * Auto-merge is off and required contexts are empty on purpose: the build gate already
     * checked CI, and a deployment record must never change the branch. A 202 (GitHub merged
     * instead of creating) fails with type DeploymentNotCreated and GitHub's message. With
     * `inProgress`, the deployment is then marked in progress (as setDeploymentStatus would).
     */
    async createDeployment(input: CreateDeploymentInput): Promise<{ deploymentId: number }> {
      const { deploymentId } = await createOrFind(input);
      if (input.inProgress !== undefined) {
        await setStatus({
          repo: input.repo,
          deploymentId,
          state: 'in_progress',
          description: input.inProgress,
          logUrl: input.logUrl,
          environmentUrl: input.environmentUrl,
          environment: input.environment,
        });
      }
      return { deploymentId };
    },

    setDeploymentStatus: setStatus,

    /**
     * After a rollback: marks the environment's last successful deployment before this release
     * successful again (GitHub had made it inactive when this release's deployment succeeded),
     * keeping its environment URL, so the environment page shows the version really running.
     */
    async restorePreviousDeployment(input: RestorePreviousDeploymentInput): Promise<RestorePreviousDeploymentResult> {
      const { data: deployments } = await callGitHub(deploymentsCall(input.repo, `listing ${input.environment} deployments`), () =>
        github.rest.repos.listDeployments({ ...splitRepo(input.repo), environment: input.environment, per_page: 100 }),
      );
      // Newest first: skip this release's own records and anything created after them.
      let oldestMine = -1;
      deployments.forEach((d, i) => {
        if (isMine(d.payload, input.releaseId, input.runId)) oldestMine = i;
      });
      const earlier = deployments.slice(oldestMine + 1, oldestMine + 1 + PREVIOUS_DEPLOYMENTS_SEARCHED);
      for (const candidate of earlier) {
        const { latest, all } = await latestStatus(input.repo, candidate.id);
        const lastSuccess = all.find((s) => s.state === 'success');
        // Never successful, or successful once and rolled back later: not what ran before.
        // (Inactive is fine: that only means a newer deployment replaced it.)
        if (!lastSuccess || FAILED_STATES.has(latest?.state ?? '')) continue;
        const restored = { deploymentId: candidate.id, ref: candidate.ref, sha: candidate.sha };
        if (latest?.state === 'success') return { restored, changed: false };
        await callGitHub(deploymentsCall(input.repo, `restoring deployment ${candidate.id} after rolling back ${input.releaseId}`), () =>
          writeThrough(() =>
            github.rest.repos.createDeploymentStatus({
              ...splitRepo(input.repo),
              deployment_id: candidate.id,
              state: 'success',
              description: shortDescription(`running again: ${input.releaseId} was rolled back`),
              log_url: input.logUrl ?? lastSuccess.log_url,
              environment_url: lastSuccess.environment_url,
              environment: input.environment,
              // Never let the restore touch other records; this release's own are marked failure separately.
              auto_inactive: false,
            }),
          ),
        );
        return { restored, changed: true };
      }
      return { changed: false };
    },
  };
}

export type GitHubActivities = ReturnType<typeof createGitHubActivities>;
