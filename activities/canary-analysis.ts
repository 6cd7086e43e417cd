/**
 * One bake window of canary analysis, as a single heartbeating activity: measure every
 * interval, judge, and return early on failure or when a human must decide. Polling lives
 * here, not in the workflow, so a release's history stays small; measurements so far travel
 * in the heartbeat details, so a retry after a worker crash continues the same window.
 *
 * When the workflow cancels the window (an operator paused or promoted), the activity returns
 * what it measured so far, marked `interrupted`, instead of losing it.
 */
import { CancelledFailure, Context, heartbeat } from '@temporalio/activity';
import {
  bakeDecision,
  type BakeDecision,
  judgeMeasurement,
  type Measurement,
  type MeasurementResult,
  type PriorMeasurements,
  type TrackMetrics,
} from '../src/domain/canary-analysis';
import type { CanaryAnalysisPlan } from '../src/domain/release';
import { type MetricsProvider, MetricsUnavailableError } from '../src/metrics/provider';
import { taskRevision } from '../src/metrics/task-revision';
import { nonRetryable } from './errors';

export interface AnalyseBakeInput {
  service: string;
  cluster: string;
  canaryService: string;
  /** The canary's task definition: only its crashed tasks count. */
  taskDefinition: string;
  bakeMs: number;
  analysis: CanaryAnalysisPlan;
  /** What earlier bakes of this canary measured: failures and an inconclusive streak carry over. */
  prior?: PriorMeasurements;
  /**
   * The post-release watch: the candidate is the `stable` track (the new version at full traffic)
   * and it is held to this baseline (the previous version before the canary) instead of a live
   * stable track. `canaryService` then names the service whose crashed tasks count.
   */
  baseline?: TrackMetrics;
  /**
   * Under ECS's own strategies (one ECS service running both versions): the task definitions of
   * the canary (green, the new version) and of stable (blue), as ARNs or `family:revision`. Each
   * track is then queried with `revision` set (`family:revision`) for the queries' `{{revision}}`;
   * in the post-release watch the production track is the canary's revision at full traffic.
   */
  revisions?: { canary: string; stable: string };
}

export interface MeasureBaselineInput {
  service: string;
  analysis: CanaryAnalysisPlan;
  /** Under ECS's own strategies: the running (stable) task definition before the deploy, as an ARN or `family:revision`. */
  revision?: string;
}

export interface BakeReport {
  results: MeasurementResult[];
  decision: BakeDecision;
  /** True when the workflow cancelled the window before its end (pause or promote). */
  interrupted?: boolean;
}

export interface AnalysisDependencies {
  /** The metrics source for a service's analysis plan (its queries); throws when none is configured. */
  metricsFor: (analysis: CanaryAnalysisPlan) => MetricsProvider;
  /** Crashed canary tasks of the task definition (ECS: stopped with TaskFailedToStart / EssentialContainerExited). */
  crashedTasks: (input: { cluster: string; service: string; taskDefinition: string }) => Promise<{ crashed: number; reasons: string[] }>;
  now?: () => number;
}

interface Progress {
  startedAt: number;
  results: MeasurementResult[];
}

/** How the post-release watch names its tracks in verdicts: the new version in production, held to the old one's baseline. */
const WATCH_LABELS = { candidate: 'production', reference: 'baseline' };

/** A task definition (ARN or `family:revision`) as `family:revision`; anything else is a bug in the caller, never retried. */
function revisionOf(taskDefinition: string): string {
  try {
    return taskRevision(taskDefinition);
  } catch (err) {
    throw nonRetryable(`canary analysis cannot select metrics by revision: ${(err as Error).message}`, 'InvalidRevision');
  }
}

/** Heartbeat at least this often while waiting, so a cancellation reaches the activity promptly. */
const WAIT_SLICE_MS = 1000;

export function createAnalysisActivities(deps: AnalysisDependencies) {
  const now = deps.now ?? Date.now;

  async function measure(input: AnalyseBakeInput, metrics: MetricsProvider): Promise<Measurement> {
    const query = { service: input.service, environment: 'production', windowMs: input.analysis.intervalMs };
    const revisions = input.revisions && { canary: revisionOf(input.revisions.canary), stable: revisionOf(input.revisions.stable) };
    const crashed = await deps.crashedTasks({ cluster: input.cluster, service: input.canaryService, taskDefinition: input.taskDefinition });
    const at = new Date(now()).toISOString();
    try {
      if (input.baseline) {
        // The new version at full traffic: under ECS's own strategies, the canary's revision.
        const production = await metrics.trackMetrics({ ...query, track: 'stable', ...(revisions ? { revision: revisions.canary } : {}) });
        return { at, canary: production, stable: input.baseline, crashedTasks: crashed.crashed, crashReasons: crashed.reasons, labels: WATCH_LABELS };
      }
      const [canary, stable] = await Promise.all([
        metrics.trackMetrics({ ...query, track: 'canary', ...(revisions ? { revision: revisions.canary } : {}) }),
        metrics.trackMetrics({ ...query, track: 'stable', ...(revisions ? { revision: revisions.stable } : {}) }),
      ]);
      return { at, canary, stable, crashedTasks: crashed.crashed, crashReasons: crashed.reasons };
    } catch (err) {
      // An unreachable metrics source is "no data", judged inconclusive (a human decides), never a pass.
      if (!(err instanceof MetricsUnavailableError)) throw err;
      return { at, canary: {}, stable: input.baseline ?? {}, crashedTasks: crashed.crashed, crashReasons: crashed.reasons, metricsError: err.message, ...(input.baseline ? { labels: WATCH_LABELS } : {}) };
    }
  }

  /**
   * Runs `work` while heartbeating every slice: a metrics source that hangs rather than refuses
   * must not look like a lost worker (a heartbeat timeout), only like a slow measurement.
   */
  async function heartbeatingWhile<T>(progress: Progress, work: () => Promise<T>): Promise<T> {
    const timer = setInterval(() => heartbeat(progress), WAIT_SLICE_MS);
    try {
      return await work();
    } finally {
      clearInterval(timer);
    }
  }

  /** Sleeps until `untilMs` in slices, heartbeating the progress so a pause's cancellation is delivered. */
  async function waitUntil(untilMs: number, progress: Progress): Promise<void> {
    const ctx = Context.current();
    for (let left = untilMs - now(); left > 0; left = untilMs - now()) {
      await ctx.sleep(Math.min(left, WAIT_SLICE_MS));
      heartbeat(progress);
    }
  }

  function metricsFor(input: { service: string; analysis: CanaryAnalysisPlan }): MetricsProvider {
    try {
      return deps.metricsFor(input.analysis);
    } catch (err) {
      throw nonRetryable(`canary analysis of ${input.service} cannot run: ${(err as Error).message}`, 'MetricsNotConfigured');
    }
  }

  return {
    /**
     * The running version's numbers over one analysis interval, before any canary traffic: the
     * baseline the post-release watch holds the new version to. No data is a baseline with no
     * numbers (every later comparison is then inconclusive), never a failure.
     */
    async measureBaseline(input: MeasureBaselineInput): Promise<TrackMetrics> {
      const metrics = metricsFor(input);
      try {
        const revision = input.revision === undefined ? {} : { revision: revisionOf(input.revision) };
        return await metrics.trackMetrics({ service: input.service, environment: 'production', windowMs: input.analysis.intervalMs, track: 'stable', ...revision });
      } catch (err) {
        if (err instanceof MetricsUnavailableError) return {};
        throw err;
      }
    },

    async analyseBake(input: AnalyseBakeInput): Promise<BakeReport> {
      const ctx = Context.current();
      const metrics = metricsFor(input);
      const resumed = ctx.info.heartbeatDetails as Progress | undefined;
      const progress: Progress = resumed ?? { startedAt: now(), results: [] };
      const limits = { failureLimit: input.analysis.failureLimit, inconclusiveLimit: input.analysis.inconclusiveLimit };
      const prior: PriorMeasurements = { failures: input.prior?.failures, inconclusiveInARow: input.prior?.inconclusiveInARow };
      const { intervalMs } = input.analysis;
      heartbeat(progress);
      try {
        // Measurement k is taken k intervals into the bake. After a resume, slots that passed
        // while no worker ran are skipped: measured now, they would all read the same moment.
        const firstSlot = Math.max(progress.results.length + 1, Math.ceil((now() - progress.startedAt) / intervalMs));
        for (let k = firstSlot; k * intervalMs <= input.bakeMs; k++) {
          await waitUntil(progress.startedAt + k * intervalMs, progress);
          const measurement = await heartbeatingWhile(progress, () => measure(input, metrics));
          progress.results.push(judgeMeasurement(measurement, input.analysis.thresholds));
          heartbeat(progress);
          const decision = bakeDecision(progress.results, limits, prior);
          if (decision.action !== 'continue') return { results: progress.results, decision };
        }
        await waitUntil(progress.startedAt + input.bakeMs, progress);
      } catch (err) {
        if (!(err instanceof CancelledFailure)) throw err;
        return { results: progress.results, decision: bakeDecision(progress.results, limits, prior), interrupted: true };
      }
      return { results: progress.results, decision: bakeDecision(progress.results, limits, prior) };
    },
  };
}

export type AnalysisActivities = ReturnType<typeof createAnalysisActivities>;
