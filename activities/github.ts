/** GitHub: the build gate (commit checks) and deployment records per environment. */
import type { Octokit } from '@octokit/rest';
import { FailureType, nonRetryable } from './errors';

/** The part of Octokit Runway uses; tests may hand in anything with this shape. */
export type GitHubApi = Pick<Octokit, 'rest'>;

export interface VerifyBuildInput {
  repo: string;
  version: string;
  image: string;
}

export interface CreateDeploymentInput {
  repo: string;
  ref: string;
  environment: 'staging' | 'production';
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

function splitRepo(repo: string): { owner: string; repo: string } {
  const [owner, name] = repo.split('/');
  return { owner: owner!, repo: name! };
}

/** GitHub allows 140 characters in a status description. */
function shortDescription(text: string): string {
  return text.length <= 140 ? text : `${text.slice(0, 137)}...`;
}

export function createGitHubActivities({ github }: { github: GitHubApi }) {
  return {
    /** CI already built the image: the commit's check runs must all have succeeded. */
    async verifyBuild(input: VerifyBuildInput): Promise<{ checks: string[] }> {
      const { data } = await github.rest.checks.listForRef({ ...splitRepo(input.repo), ref: input.version, filter: 'latest', per_page: 100 });
      const runs = data.check_runs;
      if (runs.length === 0) {
        throw nonRetryable(`no CI check runs found for ${input.repo}@${input.version}; was ${input.image} built?`, FailureType.buildNotReady);
      }
      const notGreen = runs.filter((r) => r.status !== 'completed' || !['success', 'neutral', 'skipped'].includes(r.conclusion ?? ''));
      if (notGreen.length > 0) {
        const list = notGreen.map((r) => `${r.name} (${r.status === 'completed' ? r.conclusion : r.status})`).join(', ');
        throw nonRetryable(`CI checks not green for ${input.repo}@${input.version}: ${list}`, FailureType.buildNotReady);
      }
      return { checks: runs.map((r) => r.name) };
    },

    /**
     * Creates the GitHub deployment record for one environment, or returns the one this release
     * already created (found by its release id in the payload), so a retry never makes two.
     */
    async createDeployment(input: CreateDeploymentInput): Promise<{ deploymentId: number }> {
      const repo = splitRepo(input.repo);
      const { data: existing } = await github.rest.repos.listDeployments({ ...repo, ref: input.ref, environment: input.environment, per_page: 100 });
      const mine = existing.find((d) => (d.payload as { releaseId?: string } | null)?.releaseId === input.releaseId);
      if (mine) return { deploymentId: mine.id };
      const res = await github.rest.repos.createDeployment({
        ...repo,
        ref: input.ref,
        environment: input.environment,
        auto_merge: false,
        required_contexts: [],
        payload: { releaseId: input.releaseId },
        production_environment: input.environment === 'production',
        description: `Runway ${input.releaseId}`,
      });
      if (res.status !== 201 || !('id' in res.data)) {
        throw nonRetryable(`GitHub did not create a deployment for ${input.repo}@${input.ref}: ${JSON.stringify(res.data).slice(0, 200)}`, FailureType.invalidRequest);
      }
      return { deploymentId: res.data.id };
    },

    async setDeploymentStatus(input: SetDeploymentStatusInput): Promise<void> {
      await github.rest.repos.createDeploymentStatus({
        ...splitRepo(input.repo),
        deployment_id: input.deploymentId,
        state: input.state,
        description: shortDescription(input.description),
        log_url: input.logUrl,
        environment_url: input.environmentUrl,
      });
    },
  };
}

export type GitHubActivities = ReturnType<typeof createGitHubActivities>;
