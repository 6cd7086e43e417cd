/**
 * The release's GitHub deployment records, one per environment: created when the environment
 * starts deploying, marked as it goes, and on rollback put right (the environment's previous
 * deployment shown as what runs again, unless its restore failed). GitHub informs; a record
 * that cannot be written is noted in the release's history and never stops the release.
 *
 * Releases started since the GitHub writer (issue 20) hand each record to it: the writer writes
 * them in order at GitHub's pace for the whole installation and knows the deployment ids.
 * Releases recorded before it (patch `github-writer`) write them themselves.
 *
 * Since patch `github-records-in-background` the hand-overs run in the background, one after
 * another, and the release goes on at once: a writer that cannot take them for a while (at 2,000
 * releases on two workers its workflow task kept timing out for 40 minutes, and the server refused
 * every hand-over meanwhile) makes records late, but no longer holds a deploy or a rollback. The
 * run waits for them only before it ends (`settle`). Releases before the patch await each one.
 */
import { CancellationScope, patched, workflowInfo } from '@temporalio/workflow';
import type { DeploymentState } from '../../activities/github';
import type { GitHubRecordRequest } from '../../src/domain/github-writer-api';
import type { ReleaseActivityGroups } from '../activity-options';
import type { BestEffort } from './release-slack';

export type Environment = 'staging' | 'production';

export interface DeploymentRecordsOptions {
  records: ReleaseActivityGroups['records'];
  recordQueue: ReleaseActivityGroups['recordQueue'];
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

/** Releases since this hand records to the GitHub writer in the background and wait for them only before they end. */
export const RECORDS_IN_BACKGROUND_PATCH = 'github-records-in-background';

export class DeploymentRecords {
  private readonly ids: Partial<Record<Environment, number>> = {};
  /** Environments this run asked the writer to create a deployment in. */
  private readonly queued = new Set<Environment>();
  private writer?: boolean;
  private background?: boolean;
  /** The last hand-over in the background; each waits for the one before (undefined until the first). */
  private handingOver?: Promise<void>;

  constructor(private readonly options: DeploymentRecordsOptions) {}

  /** Whether records go through the GitHub writer (decided at the first record, as the history says). */
  private get viaWriter(): boolean {
    this.writer ??= patched('github-writer');
    return this.writer;
  }

  /**
   * Hands a record to the writer, which makes it durable; GitHub sees it at the installation's pace.
   * In the background since the patch (decided at the first record, as the history says): after
   * the hand-over before it, so the writer takes a deployment's records in the order they were made;
   * and not cancellable, so an operator's abort interrupts the release, never a record.
   */
  private async queue(what: string, request: GitHubRecordRequest): Promise<void> {
    const handOver = async () => void (await this.options.bestEffort(what, () => this.options.recordQueue.queueGitHubRecord({ taskQueue: workflowInfo().taskQueue, request })));
    this.background ??= patched(RECORDS_IN_BACKGROUND_PATCH);
    if (!this.background) return handOver();
    const previous = this.handingOver ?? Promise.resolve();
    this.handingOver = previous.then(() => CancellationScope.nonCancellable(handOver));
  }

  /**
   * Before the run ends: waits until the writer has taken every record handed over in the
   * background (an activity still running when a workflow closes is abandoned, and its record
   * with it). Nothing to wait for before the patch, or with no record.
   */
  async settle(): Promise<void> {
    if (this.handingOver) await this.handingOver;
  }

  private key(environment: Environment) {
    return { releaseId: this.options.releaseId, runId: this.options.runId, environment };
  }

  /** Creates the environment's deployment for this run, marked in progress (one activity for both). */
  async create(environment: Environment, description: string): Promise<void> {
    const o = this.options;
    if (this.viaWriter) {
      this.queued.add(environment);
      const input = { repo: o.repo, ref: o.ref, environment, releaseId: o.releaseId, runId: o.runId, logUrl: o.logUrl, environmentUrl: o.environmentUrls?.[environment], inProgress: description };
      return this.queue(`handing the GitHub ${environment} deployment to the writer`, { kind: 'create', key: this.key(environment), input });
    }
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
    if (this.viaWriter) {
      if (!this.queued.has(environment)) return;
      const input = { repo: o.repo, state, description, logUrl: o.logUrl, environmentUrl: o.environmentUrls?.[environment], environment, production: environment === 'production' };
      return this.queue(`handing the GitHub ${environment} deployment's ${state} to the writer`, { kind: 'status', key: this.key(environment), input });
    }
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
      if (this.viaWriter) {
        // The writer skips it when this run's deployment there was never created.
        if (this.queued.has(environment)) {
          const input = { repo: o.repo, environment, releaseId: o.releaseId, runId: o.runId, logUrl: o.logUrl };
          await this.queue(`handing the restore of the previous GitHub ${environment} deployment to the writer`, { kind: 'restore-previous', key: this.key(environment), input });
        }
        continue;
      }
      if (this.ids[environment] === undefined) continue;
      await o.bestEffort(`restoring the previous GitHub ${environment} deployment`, () =>
        o.records.restorePreviousDeployment({ repo: o.repo, environment, releaseId: o.releaseId, runId: o.runId, logUrl: o.logUrl }),
      );
    }
  }
}
