/**
 * One canary step's bake with analysis: a heartbeating activity measures the canary every
 * interval for the rest of the bake (one activity per window keeps the history small). Pause
 * and promote cancel the window, which hands back what it measured; paused time does not count.
 * Failing analysis ends the forward path; inconclusive analysis holds the canary until a human
 * decides, and silence rolls it back. Failures add up over the whole canary and an inconclusive
 * streak carries across windows and steps; a step is left only on evidence.
 */
import { CancellationScope, condition, isCancellation } from '@temporalio/workflow';
import type { BakeReport } from '../../activities/canary-analysis';
import { stepMayAdvance } from '../../src/domain/canary-analysis';
import { escapeMrkdwn } from '../../src/slack/escape';
import type { ReleaseContext } from '../release-context';
import { CanaryFailed } from '../release-stopped';
import type { TrafficStrategy } from './traffic-strategy';

export async function analysedBake(release: ReleaseContext, traffic: TrafficStrategy, step: number, weight: number): Promise<void> {
  const { plan, state, controls } = release;
  const analysis = plan.canary.analysis;
  // A function, not an inline comparison: Update handlers change `controls` between awaits.
  const promoteRequested = () => controls.pending === 'promote';
  const taskDefinition = await release.productionTaskDefinition();
  let remaining = plan.canary.bakeMs;
  let acceptedByHuman = false;
  while (remaining > 0 && !promoteRequested()) {
    const startedAt = Date.now();
    const window = new CancellationScope();
    let settled = false;
    const reportPromise = window.run(() =>
      release.acts.analysis.analyseBake({
        service: release.input.service,
        cluster: traffic.canaryTarget.cluster,
        canaryService: traffic.canaryTarget.service,
        taskDefinition,
        bakeMs: remaining,
        analysis,
        prior: { failures: state.failedMeasurements, inconclusiveInARow: state.inconclusiveInARow },
      }),
    );
    reportPromise.then(
      () => (settled = true),
      () => (settled = true),
    );
    await condition(() => settled || state.paused || promoteRequested());
    const stoppedAt = Date.now();
    if (!settled) window.cancel();
    const report = await windowReport(release, reportPromise);
    const { decision } = report;
    // A window that ran to its end covered the rest of the bake. One that was interrupted, or
    // stopped early to ask a human, leaves the time it did not bake.
    remaining = report.interrupted || decision.action === 'ask-human' ? remaining - (stoppedAt - startedAt) : 0;
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
      state.askHuman(decision.reason, release.now());
      release.showDetails();
      askHumanInSlack(release, weight, decision.reason);
      const decided = await condition(() => !state.paused || promoteRequested(), analysis.decisionTimeoutMs);
      if (!decided) throw new CanaryFailed(`no decision within ${Math.round(analysis.decisionTimeoutMs / 1000)} s after: ${decision.reason}`);
      // Resuming a held canary accepts what was measured at this weight so far.
      acceptedByHuman = !promoteRequested();
      // The hold is over: redraw the message without its Resume / Promote / Roll back buttons.
      const decidedBy = state.snapshot().controls?.at(-1)?.by;
      release.slack.update(`Canary ${acceptedByHuman ? 'resumed' : 'promoted'} at ${weight}%${decidedBy ? ` by ${decidedBy}` : ''}`);
    } else if (state.paused) {
      release.showDetails();
      await condition(() => !state.paused || promoteRequested());
    }
  }
}

/**
 * A window cancelled before it reached a worker (a pause in the same instant it was scheduled)
 * ends as a cancellation rather than a report: that is an interrupted window with no
 * measurements, unless the whole forward path is being cancelled.
 */
async function windowReport(release: ReleaseContext, report: Promise<BakeReport>): Promise<BakeReport> {
  try {
    return await report;
  } catch (err) {
    if (!isCancellation(err) || release.forward.consideredCancelled) throw err;
    return { results: [], decision: { action: 'continue' }, interrupted: true };
  }
}

/**
 * Tells Slack the canary is held (the message, rendered from the held status, gets Resume /
 * Promote / Roll back buttons) and asks the approvers in the thread, with the commands that decide.
 */
function askHumanInSlack(release: ReleaseContext, weight: number, reason: string): void {
  release.slack.update(`Canary held at ${weight}%: analysis is inconclusive, a human must decide`);
  release.slack.reply(
    'asking for a canary decision in Slack',
    `${release.approverMentions()} the ${release.input.service} canary is held at ${weight}%: ${escapeMrkdwn(reason)}. Decide with the Resume / Promote / Roll back buttons on the message, or \`runway resume|promote|abort ${release.releaseId}\`.`,
  );
}
