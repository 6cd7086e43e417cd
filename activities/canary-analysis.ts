/**
 * One bake window of canary analysis, as a single heartbeating activity: measure every
 * interval, judge, and return early on failure or when a human must decide. Polling lives
 * here, not in the workflow, so a release's history stays small; measurements so far travel
 * in the heartbeat details, so a retry after a worker crash continues the same window.
 */
import { Context, heartbeat } from '@temporalio/activity';
import {
  bakeDecision,
  type BakeDecision,
  judgeMeasurement,
  type Measurement,
  type MeasurementResult,
} from '../src/domain/canary-analysis';
import type { CanaryAnalysisPlan } from '../src/domain/release';
import type { MetricsProvider } from '../src/metrics/provider';

export interface AnalyseBakeInput {
  service: string;
  cluster: string;
  canaryService: string;
  /** The canary's task definition: only its crashed tasks count. */
  taskDefinition: string;
  bakeMs: number;
  analysis: CanaryAnalysisPlan;
}

export interface BakeReport {
  results: MeasurementResult[];
  decision: BakeDecision;
}

export interface AnalysisDependencies {
  metrics: MetricsProvider;
  /** Crashed canary tasks of the task definition (ECS: stopped with TaskFailedToStart / EssentialContainerExited). */
  crashedTasks: (input: { cluster: string; service: string; taskDefinition: string }) => Promise<number>;
  now?: () => number;
}

interface Progress {
  startedAt: number;
  results: MeasurementResult[];
}

export function createAnalysisActivities(deps: AnalysisDependencies) {
  const now = deps.now ?? Date.now;

  async function measure(input: AnalyseBakeInput): Promise<Measurement> {
    const query = { service: input.service, environment: 'production', windowMs: input.analysis.intervalMs };
    const [canary, stable, crashed] = await Promise.all([
      deps.metrics.trackMetrics({ ...query, track: 'canary' }),
      deps.metrics.trackMetrics({ ...query, track: 'stable' }),
      deps.crashedTasks({ cluster: input.cluster, service: input.canaryService, taskDefinition: input.taskDefinition }),
    ]);
    return { at: new Date(now()).toISOString(), canary, stable, crashedTasks: crashed };
  }

  return {
    async analyseBake(input: AnalyseBakeInput): Promise<BakeReport> {
      const ctx = Context.current();
      const resumed = ctx.info.heartbeatDetails as Progress | undefined;
      const progress: Progress = resumed ?? { startedAt: now(), results: [] };
      const limits = { failureLimit: input.analysis.failureLimit, inconclusiveLimit: input.analysis.inconclusiveLimit };
      heartbeat(progress);
      const at = (offsetMs: number) => Math.max(0, progress.startedAt + offsetMs - now());
      // Measurement k is taken k intervals into the bake; after a resume, k continues.
      for (let k = progress.results.length + 1; k * input.analysis.intervalMs <= input.bakeMs; k++) {
        await ctx.sleep(at(k * input.analysis.intervalMs));
        progress.results.push(judgeMeasurement(await measure(input), input.analysis.thresholds));
        heartbeat(progress);
        const decision = bakeDecision(progress.results, limits);
        if (decision.action !== 'continue') return { results: progress.results, decision };
      }
      await ctx.sleep(at(input.bakeMs));
      return { results: progress.results, decision: bakeDecision(progress.results, limits) };
    },
  };
}

export type AnalysisActivities = ReturnType<typeof createAnalysisActivities>;
