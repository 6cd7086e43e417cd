/**
 * One canary step's bake with analysis: windows of measurement for the rest of the bake (one
 * activity per window keeps the history small). Pause and promote cut a window short, which
 * hands back what it measured; paused time does not count. Failing analysis ends the forward
 * path; inconclusive analysis holds the canary until a human decides, and silence rolls it back.
 * Failures add up over the whole canary and an inconclusive streak carries across windows and
 * steps; a step is left only on evidence.
 */
import { condition } from '@temporalio/workflow';
import { stepMayAdvance } from '../../src/domain/canary-analysis';
import type { ReleaseContext } from '../release-context';
import { CanaryFailed } from '../release-stopped';
import { holdForHuman, runAnalysisWindow } from './analysis-window';
import type { TrafficStrategy } from './traffic-strategy';

export async function analysedBake(release: ReleaseContext, traffic: TrafficStrategy, step: number, weight: number): Promise<void> {
  const { plan, state, controls } = release;
  const analysis = plan.canary.analysis;
  const promoteRequested = () => controls.pending === 'promote';
  const taskDefinition = await release.productionTaskDefinition();
  let remaining = plan.canary.bakeMs;
  let acceptedByHuman = false;
  while (remaining > 0 && !promoteRequested()) {
    const { report, elapsedMs } = await runAnalysisWindow(release, () =>
      release.acts.analysis.analyseBake({
        service: release.input.service,
        cluster: traffic.canaryTarget.cluster,
        canaryService: traffic.canaryTarget.service,
        taskDefinition,
        bakeMs: remaining,
        analysis,
        prior: { failures: state.failedMeasurements, inconclusiveInARow: state.inconclusiveInARow },
        ...(traffic.revisions ? { revisions: traffic.revisions } : {}),
      }),
    );
    const { decision } = report;
    // A window resumed after no worker ran for a while may have outlived what held the traffic (ECS
    // rolls back a hook that timed out). A failing one rolls back anyway, without the extra look.
    if (traffic.confirmInControl && decision.action !== 'fail') await traffic.confirmInControl();
    // A window that ran to its end covered the rest of the bake. One that was interrupted, or
    // stopped early to ask a human, leaves the time it did not bake.
    remaining = report.interrupted || decision.action === 'ask-human' ? remaining - elapsedMs : 0;
    state.recordMeasurements(step, weight, report.results, release.now());
    release.showDetails();
    if (remaining <= 0 && decision.action === 'continue' && !stepMayAdvance(state.measurementsOf(step), acceptedByHuman)) {
      // Never step up on a failing measurement nor on no evidence: bake again at this weight.
      // Failures add up and an inconclusive streak carries over, so this repeats only until the
      // failure limit rolls back or the inconclusive limit asks a human.
      remaining = plan.canary.bakeMs;
      release.record(`the latest measurements at ${weight}% do not allow stepping up: baking again`);
    }

    if (decision.action === 'fail') {
      const failing = report.results.at(-1)?.signals.filter((s) => s.verdict === 'fail') ?? [];
      state.canaryFailed(failing);
      throw new CanaryFailed(`canary analysis failed at ${weight}%: ${decision.reason}`);
    }
    if (promoteRequested() && state.latestVerdict === 'fail') {
      // The promote was accepted on what was known; the window it interrupted says otherwise.
      controls.pending = undefined;
      release.record('promote not carried out: the latest canary measurement failed; baking on');
    }
    if (decision.action === 'ask-human' && !state.paused) {
      const outcome = await holdForHuman(release, {
        headline: `Canary held at ${weight}%`,
        held: `the ${release.input.service} canary is held at ${weight}%`,
        reason: decision.reason,
        timeoutMs: analysis.decisionTimeoutMs,
      });
      if (!outcome) throw new CanaryFailed(`no decision within ${Math.round(analysis.decisionTimeoutMs / 1000)} s after: ${decision.reason}`);
      // Resuming a held canary accepts what was measured at this weight so far.
      acceptedByHuman = outcome === 'resumed';
    } else if (state.paused) {
      release.showDetails();
      await waitWhilePaused(traffic, () => !state.paused || promoteRequested());
    }
  }
}

/**
 * An operator's pause: as long as they like, unless what holds the traffic gives up by itself
 * (an ECS hook's timeout), which is then noticed once its time has passed and ends the release.
 */
async function waitWhilePaused(traffic: TrafficStrategy, resumed: () => boolean): Promise<void> {
  for (;;) {
    const limitMs = traffic.pauseLimitMs?.();
    if (limitMs === undefined) return void (await condition(resumed));
    if (await condition(resumed, Math.max(1000, limitMs))) return;
    await traffic.confirmInControl?.();
  }
}
