/**
 * GitHub deployment records as Runway writes them: one per release run and environment, with the
 * statuses that follow the release. The activities in activities/github.ts write them; the GitHub
 * writer (src/domain/github-writer-api.ts) queues these same inputs.
 */

export type DeploymentEnvironment = 'staging' | 'production';

export interface CreateDeploymentInput {
  repo: string;
  ref: string;
  environment: DeploymentEnvironment;
  releaseId: string;
  /**
   * The Temporal run id of the release. A re-run of the same release id (same workflow id, new
   * run) then gets its own deployment instead of reusing the earlier run's. Absent: matched by
   * release id alone, as before.
   */
  runId?: string;
  logUrl?: string;
  environmentUrl?: string;
  /**
   * When given, the deployment is also marked in_progress with this description, in the same
   * activity (a release's history stays small); a retry finds both already done.
   */
  inProgress?: string;
}

export type DeploymentState = 'in_progress' | 'success' | 'failure' | 'error' | 'inactive';

export interface SetDeploymentStatusInput {
  repo: string;
  deploymentId: number;
  state: DeploymentState;
  description: string;
  logUrl?: string;
  environmentUrl?: string;
  /** The deployment's environment; when absent it is read from GitHub. */
  environment?: DeploymentEnvironment;
  /**
   * Whether it is a production environment: a `success` there marks the environment's earlier
   * successful deployments inactive (GitHub's auto_inactive skips production). @default environment === 'production'
   */
  production?: boolean;
}

export interface RestorePreviousDeploymentInput {
  repo: string;
  environment: DeploymentEnvironment;
  /** The release being rolled back: its own deployments are skipped. */
  releaseId: string;
  /** The run being rolled back; when given, an earlier run of the same release id counts as a previous deployment. */
  runId?: string;
  /** Link to the rollback (the release's run in the Temporal Web UI). */
  logUrl?: string;
}
