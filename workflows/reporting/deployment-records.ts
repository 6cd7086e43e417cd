/**
 * The release's GitHub deployment records, one per environment: created when the environment
 * starts deploying, marked as it goes, and on rollback put right (the environment's previous
 * deployment shown as what runs again, unless its restore failed). GitHub informs; a record
 * that cannot be written is noted in the release's history and never stops the release.
 */
import type { DeploymentState } from '../../activities/github';
import type { ReleaseActivityGroups } from '../activity-options';
import type { BestEffort } from './release-slack';

export type Environment = 'staging' | 'production';

export interface DeploymentRecordsOptions {
  records: ReleaseActivityGroups['records'];
  bestEffort: BestEffort;
  repo: string;
  /** The commit deployed. */
  ref: string;
  releaseId: string;
  runId: string;
  /** The release in the Web UI, linked from each status. */
  logUrl?: string;
  environmentUrls?: Partial<Record<Environment, string>>;
}

export class DeploymentRecords {
  private readonly ids: Partial<Record<Environment, number>> = {};

  constructor(private readonly options: DeploymentRecordsOptions) {}

  /** Creates the environment's deployment for this run, marked in progress (one activity for both). */
  async create(environment: Environment, description: string): Promise<void> {
    const o = this.options;
    const created = await o.bestEffort(`creating the GitHub ${environment} deployment`, () =>
      o.records.createDeployment({
        repo: o.repo,
        ref: o.ref,
        environment,
        releaseId: o.releaseId,
        runId: o.runId,
        logUrl: o.logUrl,
        environmentUrl: o.environmentUrls?.[environment],
        inProgress: description,
      }),
    );
    if (created) this.ids[environment] = created.deploymentId;
  }

  /** Sets the environment's deployment state (nothing when its deployment was never created). */
  async mark(environment: Environment, state: DeploymentState, description: string): Promise<void> {
    const o = this.options;
    const deploymentId = this.ids[environment];
    if (deploymentId === undefined) return;
    await o.bestEffort(`setting the GitHub ${environment} deployment to ${state}`, () =>
      o.records.setDeploymentStatus({
        repo: o.repo,
        deploymentId,
        state,
        description,
        logUrl: o.logUrl,
        environmentUrl: o.environmentUrls?.[environment],
        environment,
        production: environment === 'production',
      }),
    );
  }

  /**
   * After a rollback: this run's deployments are marked failed and each environment's previous
   * deployment shown as what runs again, except where the restore failed: GitHub must not show
   * the previous version as running there, so that deployment is marked `error` instead.
   */
  async settleRollback(reason: string, notRestored: ReadonlySet<Environment>): Promise<void> {
    const o = this.options;
    for (const environment of ['staging', 'production'] as const) {
      if (notRestored.has(environment)) {
        await this.mark(environment, 'error', `rollback incomplete: ${reason}`);
        continue;
      }
      await this.mark(environment, 'failure', `rolled back: ${reason}`);
      if (this.ids[environment] === undefined) continue;
      await o.bestEffort(`restoring the previous GitHub ${environment} deployment`, () =>
        o.records.restorePreviousDeployment({ repo: o.repo, environment, releaseId: o.releaseId, runId: o.runId, logUrl: o.logUrl }),
      );
    }
  }
}
