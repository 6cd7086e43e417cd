/**
 * Stage 8, the post-release watch (when the plan has `verify`): production at full traffic keeps
 * being analysed for the window, the new version held to what the previous version showed
 * before the canary began (its baseline). A failure ends the forward path, so the release rolls
 * production back by itself; inconclusive analysis holds it for a human as during the canary; a
 * promote ends the watch early. The release is `released` only once the window has passed.
 */
import { ReleaseStage } from '../../src/domain/release';
import type { ReleaseContext } from '../release-context';
import { VerificationFailed } from '../release-stopped';
import { holdForHuman, runAnalysisWindow } from '../traffic/analysis-window';
import type { TrafficStrategy } from '../traffic/traffic-strategy';

/** Before any canary traffic: the running version's numbers, which the watch will hold the new one to. */
export async function measureBaseline(release: ReleaseContext, revision?: string): Promise<void> {
  if (!release.plan.verify) return;
  const baseline = await release.acts.analysis.measureBaseline({ service: release.input.service, analysis: release.plan.canary.analysis, ...(revision ? { revision } : {}) });
  release.state.recordBaseline(baseline, release.now());
}

export async function watchProduction(release: ReleaseContext, traffic?: TrafficStrategy): Promise<void> {
  const { plan, state, controls } = release;
  const verify = plan.verify;
  if (!verify) return;
  const seconds = Math.round(verify.durationMs / 1000);
  release.enter(ReleaseStage.verifying, `watching production for ${seconds} s against the previous version's baseline`);
  state.startVerify(release.now());
  release.showDetails();
  release.slack.update(`In production; watching it for ${seconds} s before calling it released`);
  const analysis = plan.canary.analysis;
  const baseline = state.snapshot().verify?.baseline;
  const taskDefinition = await release.productionTaskDefinition();
  let remaining = verify.durationMs;
  while (remaining > 0 && controls.pending !== 'promote') {
    const { report, elapsedMs } = await runAnalysisWindow(release, () =>
      release.acts.watch.analyseBake({
        service: release.input.service,
        cluster: plan.production.cluster,
        // Crashed tasks now count on the production service, which runs the new version.
        canaryService: plan.production.service,
        taskDefinition,
        bakeMs: remaining,
        analysis,
        prior: state.verifyPrior,
        baseline: { requests: baseline?.requests, errorRate: baseline?.errorRate, p99Ms: baseline?.p99Ms },
        ...(traffic?.revisions ? { revisions: traffic.revisions } : {}),
      }),
    );
    const { decision } = report;
    // ECS may have rolled back by itself (the hook holding the previous revision timed out while no worker ran).
    if (traffic?.confirmInControl && decision.action !== 'fail') await traffic.confirmInControl();
    remaining = report.interrupted || decision.action === 'ask-human' ? remaining - elapsedMs : 0;
    state.recordVerifyMeasurements(report.results, release.now());
    release.showDetails();
    if (decision.action === 'fail') {
      state.verifyFailed(report.results.at(-1)?.signals.filter((s) => s.verdict === 'fail') ?? []);
      throw new VerificationFailed(`post-release watch failed in production: ${decision.reason}`);
    }
    if (decision.action === 'ask-human') {
      const outcome = await holdForHuman(release, {
        headline: 'Post-release watch held',
        held: `the ${release.input.service} post-release watch is held`,
        reason: decision.reason,
        timeoutMs: analysis.decisionTimeoutMs,
      });
      if (!outcome) throw new VerificationFailed(`no decision within ${Math.round(analysis.decisionTimeoutMs / 1000)} s after: ${decision.reason}`);
    }
  }
  release.record(controls.pending === 'promote' ? 'post-release watch ended early by a promote' : 'post-release watch passed');
}
