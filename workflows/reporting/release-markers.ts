/**
 * Release markers and webhooks over a release's life: the Sentry release of its version (created
 * as staging begins, with its commit), a Sentry deploy per environment once that environment runs
 * the new version, the Sentry release finalized when the release is released; and each event
 * worth announcing (started, approved, in production, and the result) POSTed to the plan's
 * webhooks, signed by the activity. Like Slack they inform and never hold up or fail a release:
 * every call runs in the background through `bestEffort`, outside the release's cancellation (an
 * abort must not cut a delivery in half), and everything in flight is settled before the release
 * ends. A plan with neither Sentry nor webhooks makes this issue nothing at all, and so does any
 * workflow other than a release (a rollback of a finished release shares the release context).
 */
import { CancellationScope, patched } from '@temporalio/workflow';
import type { SentryReleaseInput } from '../../activities/sentry';
import { type ReleaseInput, type ReleaseResult, ReleaseStage, type ReleaseStatus, type SentryMarkerPlan } from '../../src/domain/release';
import { releaseWebhookPayload, resultEvent, WebhookEvent } from '../../src/domain/release-webhook';
import type { ReleaseActivityGroups } from '../activity-options';
import type { Environment } from './deployment-records';
import type { BestEffort } from './release-slack';

/**
 * Releases since this patch schedule every Sentry call from their main flow, each making sure of
 * the release itself, instead of scheduling a deploy or the finalizing when the release's
 * creation completes: a command issued in reaction to a background completion can come out in
 * another order on a worker that rebuilt the release for a query than on a replay (issue 20's
 * note; the same cause as the Slack messenger's).
 */
export const SENTRY_MARKERS_STAND_ALONE_PATCH = 'sentry-markers-stand-alone';

export interface ReleaseMarkersOptions {
  markers: ReleaseActivityGroups['markers'];
  bestEffort: BestEffort;
  input: ReleaseInput;
  runId: string;
  /** Markers belong to releases (`release`); other workflows sharing the release context (a rollback of a finished release) send none. */
  workflowType: string;
  /** The release in the Web UI. */
  runUrl?: string;
  status: () => ReleaseStatus;
  now: () => Date;
  /** Adds a line to the release's history. */
  record: (message: string) => void;
}

export class ReleaseMarkers {
  /** False when the plan configures neither Sentry nor webhooks: then every method returns at once. */
  readonly enabled: boolean;
  private readonly pending: Promise<unknown>[] = [];
  /** When each environment started taking the new version (workflow time). */
  private readonly deployStarted: Partial<Record<Environment, string>> = {};
  /** Settles with the created release, or undefined when its creation failed (then no deploy is recorded). */
  private sentryRelease?: Promise<unknown>;
  private inProductionAt?: string;
  /** Whether this run's Sentry calls stand alone (decided at its first deploy, as the history says). */
  private standAlone?: boolean;

  constructor(private readonly o: ReleaseMarkersOptions) {
    const configured = o.input.plan.sentry !== undefined || (o.input.plan.webhooks?.length ?? 0) > 0;
    this.enabled = configured && o.workflowType === 'release';
  }

  /** A stage change (ReleaseContext.enter): receivers hear the start; Sentry's release is created as staging begins. */
  stageEntered(stage: ReleaseStage): void {
    if (!this.enabled) return;
    if (stage === ReleaseStage.building) this.announce(WebhookEvent.started);
    if (stage === ReleaseStage.staging) {
      this.deployStarted.staging = this.nowIso();
      this.createSentryRelease();
    }
    if (stage === ReleaseStage.canary) this.deployStarted.production = this.nowIso();
  }

  /** The approval is decided: approved. */
  approved(): void {
    if (this.enabled) this.announce(WebhookEvent.approved);
  }

  /** The environment runs the new version: its Sentry deploy, and for production the in-production event. */
  deployed(environment: Environment): void {
    if (!this.enabled) return;
    const finishedAt = this.nowIso();
    if (environment === 'production') {
      this.inProductionAt = finishedAt;
      this.announce(WebhookEvent.inProduction);
    }
    this.afterSentryRelease(`recording the Sentry ${environment} deploy`, (sentry, version, release) =>
      this.o.markers.recordSentryDeploy({
        ...(release ? { release } : {}),
        org: sentry.org,
        version,
        environment,
        // One per run and environment: a retry finds it by this name.
        name: `runway ${this.o.runId}`,
        ...(this.o.runUrl ? { url: this.o.runUrl } : {}),
        dateStarted: this.deployStarted[environment] ?? finishedAt,
        dateFinished: finishedAt,
      }),
    );
  }

  /** The release ended (ReleaseContext.finish): receivers hear its result; a released one is finalized in Sentry, dated when production took it. */
  finished(result: ReleaseResult): void {
    if (!this.enabled) return;
    this.announce(resultEvent(result));
    if (result !== 'released') return;
    const dateReleased = this.inProductionAt ?? this.nowIso();
    this.afterSentryRelease('finalizing the Sentry release', async (sentry, version, release) => {
      const done = await this.o.markers.finalizeSentryRelease({ ...(release ? { release } : {}), org: sentry.org, version, dateReleased });
      this.o.record(done.finalized ? `Sentry release ${version} finalized (released ${done.dateReleased})` : `Sentry release ${version} was already finalized (${done.dateReleased})`);
    });
  }

  /** Before the release ends: every delivery and Sentry call in flight lands or gives up. */
  async settle(): Promise<void> {
    while (this.pending.length > 0) await this.pending.shift()!.catch(() => undefined);
  }

  private get sentryVersion(): string {
    return `${this.o.input.plan.sentry?.versionPrefix ?? ''}${this.o.input.version}`;
  }

  /** The Sentry release of this version, as it is created (and made sure of by each later call). */
  private sentryReleaseInput(sentry: SentryMarkerPlan): SentryReleaseInput {
    return {
      org: sentry.org,
      project: sentry.project,
      version: this.sentryVersion,
      repository: sentry.repository,
      commit: this.o.input.version,
      ...(this.o.runUrl ? { url: this.o.runUrl } : {}),
    };
  }

  private createSentryRelease(): void {
    const sentry = this.o.input.plan.sentry;
    if (!sentry || this.sentryRelease) return;
    const release = this.sentryReleaseInput(sentry);
    this.sentryRelease = this.background('creating the Sentry release', async () => {
      const created = await this.o.markers.createSentryRelease(release);
      this.o.record(`Sentry release ${release.version} created in ${sentry.org}/${sentry.project} with its commit (${created.commits})`);
      return created;
    });
  }

  /**
   * Runs a Sentry call that needs the release. Since `sentry-markers-stand-alone` it is scheduled
   * now, from the main flow, and makes sure of the release itself (`release`); before, it waited
   * for the release's creation and was skipped when that had failed.
   */
  private afterSentryRelease(what: string, call: (sentry: SentryMarkerPlan, version: string, release?: SentryReleaseInput) => Promise<unknown>): void {
    const sentry = this.o.input.plan.sentry;
    const created = this.sentryRelease;
    if (!sentry || !created) return;
    this.standAlone ??= patched(SENTRY_MARKERS_STAND_ALONE_PATCH);
    if (this.standAlone) {
      void this.background(what, () => call(sentry, this.sentryVersion, this.sentryReleaseInput(sentry)));
      return;
    }
    void this.background(what, async () => {
      if ((await created) === undefined) return;
      await call(sentry, this.sentryVersion);
    });
  }

  /** One delivery per receiver; the body and its id are fixed here, so every attempt sends the same. */
  private announce(event: WebhookEvent): void {
    const webhooks = this.o.input.plan.webhooks ?? [];
    if (webhooks.length === 0) return;
    const payload = releaseWebhookPayload(event, this.o.status(), {
      deliveryId: `${this.o.runId}:${event}`,
      runId: this.o.runId,
      at: this.o.now(),
      url: this.o.runUrl,
    });
    webhooks.forEach((url, i) => {
      const which = webhooks.length > 1 ? ` ${i + 1} of ${webhooks.length}` : '';
      void this.background(`delivering ${event} to webhook${which}`, () => this.o.markers.deliverWebhook({ url, payload }));
    });
  }

  /** Best-effort, in the background, not cancelled with the release; settled by `settle()`. */
  private background<T>(what: string, call: () => Promise<T>): Promise<T | undefined> {
    const work = CancellationScope.nonCancellable(() => this.o.bestEffort(what, call));
    work.catch(() => undefined);
    this.pending.push(work);
    return work;
  }

  private nowIso(): string {
    return this.o.now().toISOString();
  }
}
