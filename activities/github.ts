/**
 * GitHub deployment records, one per environment and release: created idempotently, moved
 * through in_progress → success / failure / inactive, and on rollback the environment's previous
 * successful deployment is marked successful again, so GitHub shows what really runs there.
 * The build gate (checks, dispatched builds, release branch) is in ./github-build.
 */
import type { Octokit } from '@octokit/rest';
import { callGitHub, GitHubFailureType, GitHubPermission } from './github-errors';
import { nonRetryable } from './errors';

/** The part of Octokit Runway uses; tests may hand in anything with this shape. */
export type GitHubApi = Pick<Octokit, 'rest'>;

export type DeploymentEnvironment = 'staging' | 'production';

export interface CreateDeploymentInput {
  repo: string;
  ref: string;
  environment: DeploymentEnvironment;
  releaseId: string;
  logUrl?: string;
  environmentUrl?: string;
}

export type DeploymentState = 'in_progress' | 'success' | 'failure' | 'inactive';

export interface SetDeploymentStatusInput {
  repo: string;
  deploymentId: number;
  state: DeploymentState;
  description: string;
  logUrl?: string;
  environmentUrl?: string;
}

export interface RestorePreviousDeploymentInput {
  repo: string;
  environment: DeploymentEnvironment;
  /** The release being rolled back: its own deployments are skipped. */
  releaseId: string;
  /** Link to the rollback (the release's run in the Temporal Web UI). */
  logUrl?: string;
}

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

function releaseIdOf(payload: unknown): string | undefined {
  if (typeof payload === 'string') {
    try {
      return releaseIdOf(JSON.parse(payload));
    } catch {
      return undefined;
    }
  }
  return (payload as { releaseId?: string } | null)?.releaseId;
}

export function createGitHubActivities({ github }: { github: GitHubApi }) {
  const deploymentsCall = (repo: string, action: string) => ({ action, repo, permission: GitHubPermission.deployments });

  const latestStatus = async (repo: string, deploymentId: number) => {
    const { data } = await callGitHub(deploymentsCall(repo, `reading deployment ${deploymentId}'s statuses`), () =>
      github.rest.repos.listDeploymentStatuses({ ...splitRepo(repo), deployment_id: deploymentId, per_page: 100 }),
    );
    return { latest: data[0], all: data };
  };

  return {
    /**
     * Creates the GitHub deployment record for one environment, or returns the one this release
     * already created (found by its release id in the payload), so a retry never makes two.
     * Auto-merge is off and required contexts are empty on purpose: the build gate already
     * checked CI, and a deployment record must never change the branch. A 202 (GitHub merged
     * instead of creating) fails with type DeploymentNotCreated and GitHub's message.
     */
    async createDeployment(input: CreateDeploymentInput): Promise<{ deploymentId: number }> {
      const repo = splitRepo(input.repo);
      const call = deploymentsCall(input.repo, `creating the ${input.environment} deployment of ${input.ref}`);
      const { data: existing } = await callGitHub(call, () =>
        github.rest.repos.listDeployments({ ...repo, ref: input.ref, environment: input.environment, per_page: 100 }),
      );
      const mine = existing.find((d) => releaseIdOf(d.payload) === input.releaseId);
      if (mine) return { deploymentId: mine.id };
      const res = await callGitHub(call, () =>
        github.rest.repos.createDeployment({
          ...repo,
          ref: input.ref,
          environment: input.environment,
          auto_merge: false,
          required_contexts: [],
          payload: { releaseId: input.releaseId },
          production_environment: input.environment === 'production',
          transient_environment: false,
          description: `Runway ${input.releaseId}`,
        }),
      );
      if ((res.status as number) === 202 || !('id' in res.data)) {
        const said = (res.data as { message?: string }).message ?? JSON.stringify(res.data).slice(0, 200);
        throw nonRetryable(
          `GitHub answered ${res.status} and created no ${input.environment} deployment for ${input.repo}@${input.ref}: ${said}`,
          GitHubFailureType.deploymentNotCreated,
        );
      }
      return { deploymentId: res.data.id };
    },

    /** Adds a status, unless the latest one already says the same (a retry after a crash). */
    async setDeploymentStatus(input: SetDeploymentStatusInput): Promise<void> {
      const description = shortDescription(input.description);
      const { latest } = await latestStatus(input.repo, input.deploymentId);
      if (latest?.state === input.state && latest.description === description) return;
      await callGitHub(deploymentsCall(input.repo, `setting deployment ${input.deploymentId} to ${input.state}`), () =>
        github.rest.repos.createDeploymentStatus({
          ...splitRepo(input.repo),
          deployment_id: input.deploymentId,
          state: input.state,
          description,
          log_url: input.logUrl,
          environment_url: input.environmentUrl,
        }),
      );
    },

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
        if (releaseIdOf(d.payload) === input.releaseId) oldestMine = i;
      });
      const earlier = deployments.slice(oldestMine + 1, oldestMine + 1 + PREVIOUS_DEPLOYMENTS_SEARCHED);
      for (const candidate of earlier) {
        const { latest, all } = await latestStatus(input.repo, candidate.id);
        const lastSuccess = all.find((s) => s.state === 'success');
        if (!lastSuccess) continue;
        const restored = { deploymentId: candidate.id, ref: candidate.ref, sha: candidate.sha };
        if (latest?.state === 'success') return { restored, changed: false };
        await callGitHub(deploymentsCall(input.repo, `restoring deployment ${candidate.id} after rolling back ${input.releaseId}`), () =>
          github.rest.repos.createDeploymentStatus({
            ...splitRepo(input.repo),
            deployment_id: candidate.id,
            state: 'success',
            description: shortDescription(`running again: ${input.releaseId} was rolled back`),
            log_url: input.logUrl ?? lastSuccess.log_url,
            environment_url: lastSuccess.environment_url,
            // Never let the restore touch other records; this release's own are marked failure separately.
            auto_inactive: false,
          }),
        );
        return { restored, changed: true };
      }
      return { changed: false };
    },
  };
}

export type GitHubActivities = ReturnType<typeof createGitHubActivities>;
