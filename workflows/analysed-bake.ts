/**
 * One canary step's bake with analysis: a heartbeating activity measures the canary every
 * interval for the rest of the bake (one activity per window keeps the history small). Pause
 * and promote cancel the window, which hands back what it measured; paused time does not count.
 * Failing analysis ends the forward path; inconclusive analysis holds the canary until a human
 * decides, and silence rolls it back.
 */
import { CancellationScope, condition, isCancellation } from '@temporalio/workflow';
import type { BakeReport } from '../activities/canary-analysis';
import { stepMayAdvance } from '../src/domain/canary-analysis';
import type { ReleaseInput } from '../src/domain/release';
import type { ReleaseState } from '../src/domain/release-state';
import type { releaseActivities } from './activity-options';
import type { Controls } from './control-handlers';

/** Thrown inside the workflow when canary analysis fails the canary or nobody decides in time. */
export class CanaryFailed extends Error {}

export interface AnalysedBakeContext {
  input: ReleaseInput;
  state: ReleaseState;
  controls: Controls;
  analysis: ReturnType<typeof releaseActivities>['analysis'];
  /** The release's forward path: when it is being cancelled, a cancelled window is not a pause. */
  forward: CancellationScope;
  showDetails: () => void;
  /** Tells Slack the canary is held and who must decide (message headline and a thread reply). */
  askHumanInSlack: (weight: number, reason: string) => Promise<void>;
  /**
   * Release v3: inconclusive streaks carry across windows, a step is only left on evidence
   * (see stepMayAdvance), and a resumed hold bakes the rest of the step.
   */
  v3: boolean;
}

export function createAnalysedBake(ctx: AnalysedBakeContext) {
  const { input, state, controls } = ctx;
  const { plan } = input;
  const now = () => new Date();
  // A function, not an inline comparison: Update handlers change `controls` between awaits.
  const promoteRequested = () => controls.pending === 'promote';

  /**
   * A window cancelled before it reached a worker (a pause in the same instant it was scheduled)
   * ends as a cancellation rather than a report: that is an interrupted window with no
   * measurements, unless the whole forward path is being cancelled.
   */
  const windowReport = async (report: Promise<BakeReport>): Promise<BakeReport> => {
    try {
      return await report;
    } catch (err) {
      if (!isCancellation(err) || ctx.forward.consideredCancelled) throw err;
      return { results: [], decision: { action: 'continue' }, interrupted: true };
    }
  };

  return async function analysedBake(step: number, weight: number, taskDefinition: string): Promise<void> {
    const analysis = plan.canary.analysis!;
    let remaining = plan.canary.bakeMs;
    let acceptedByHuman = false;
    while (remaining > 0 && !promoteRequested()) {
      const startedAt = Date.now();
      const window = new CancellationScope();
      let settled = false;
      const reportPromise = window.run(() =>
        ctx.analysis.analyseBake({
          service: input.service,
          cluster: plan.production.cluster,
          canaryService: plan.production.canaryService,
          taskDefinition,
          bakeMs: remaining,
          analysis,
          ...(ctx.v3
            ? { prior: { failures: state.failedMeasurements, inconclusiveInARow: state.inconclusiveInARow } }
            : { priorFailures: state.failedMeasurements }),
        }),
      );
      reportPromise.then(
        () => (settled = true),
        () => (settled = true),
      );
      await condition(() => settled || state.paused || promoteRequested());
      const stoppedAt = Date.now();
      if (!settled) window.cancel();
      const report = await windowReport(reportPromise);
      const { decision } = report;
      const askedHuman = decision.action === 'ask-human';
      // A window that ran to its end covered the rest of the bake. One that was interrupted, or
      // (v3) stopped early to ask a human, leaves the time it did not bake.
      remaining = report.interrupted || (ctx.v3 && askedHuman) ? remaining - (stoppedAt - startedAt) : 0;
      state.recordMeasurements(step, weight, report.results, now());
      ctx.showDetails();
      if (remaining <= 0 && report.decision.action === 'continue' && !mayStepUp(step, acceptedByHuman)) {
        // Never step up on a failing measurement (nor, from v3, on no evidence): bake again at
        // this weight. Failures add up and an inconclusive streak carries over, so this repeats
        // only until the failure limit rolls back or the inconclusive limit asks a human.
        remaining = plan.canary.bakeMs;
        state.record(`the latest measurements at ${weight}% do not allow stepping up: baking again`, now());
      }

      if (report.decision.action === 'fail') {
        const failing = report.results.at(-1)?.signals.filter((s) => s.verdict === 'fail') ?? [];
        state.canaryFailed(failing);
        throw new CanaryFailed(`canary analysis failed at ${weight}%: ${report.decision.reason}`);
      }
      if (promoteRequested() && state.latestVerdict === 'fail') {
        // The promote was accepted on what was known; the window it interrupted says otherwise.
        controls.pending = undefined;
        state.record('promote not carried out: the latest canary measurement failed; baking on', now());
      }
      if (decision.action === 'ask-human' && !state.paused) {
        state.askHuman(decision.reason, now());
        ctx.showDetails();
        await ctx.askHumanInSlack(weight, decision.reason);
        const decided = await condition(() => !state.paused || promoteRequested(), analysis.decisionTimeoutMs);
        if (!decided) {
          throw new CanaryFailed(`no decision within ${Math.round(analysis.decisionTimeoutMs / 1000)} s after: ${decision.reason}`);
        }
        // Resuming a held canary accepts what was measured at this weight so far.
        acceptedByHuman = ctx.v3 && !promoteRequested();
      } else if (state.paused) {
        ctx.showDetails();
        await condition(() => !state.paused || promoteRequested());
      }
    }
  };

  /** v2: only a failing latest measurement keeps the canary at its weight. */
  function mayStepUp(step: number, acceptedByHuman: boolean): boolean {
    if (!ctx.v3) return state.latestVerdict !== 'fail';
    return stepMayAdvance(state.measurementsOf(step), acceptedByHuman);
  }
}
