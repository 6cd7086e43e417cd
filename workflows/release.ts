/**
 * One release of one service: build → staging → smoke → approval → canary → promote, with a
 * compensating rollback when anything fails, is rejected or is cancelled.
 *
 * Deterministic orchestration only: every side effect is an activity; time is workflow time.
 */
import {
  CancellationScope,
  condition,
  isCancellation,
  patched,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { canaryShare, canaryStepsBeforePromotion, canaryTaskCount } from '../src/domain/canary-plan';
import {
  type EcsServiceRef,
  type ReleaseInput,
  type ReleaseOutcome,
  type ReleaseResult,
  ReleaseStage,
} from '../src/domain/release';
import { ReleaseState } from '../src/domain/release-state';
import { canaryWeightSearchAttribute, stageSearchAttribute, statusQuery } from '../src/messages';
import type { ReleaseMessage } from '../src/slack/release-message';
import type { ServiceSnapshot } from '../activities/ecs';
import type { DeploymentState } from '../activities/github';
import type { SlackMessageRef } from '../activities/slack';
import { releaseActivities } from './activity-options';
import { currentDetails } from './current-details';
import { registerApprovalHandlers } from './approval-handlers';
import { Compensations, failureMessage } from './compensations';
import { type Controls, registerControlHandlers } from './control-handlers';

/** Thrown inside the workflow to leave the forward path when the release is rejected. */
class ReleaseRejected extends Error {}

/** Thrown inside the workflow when canary analysis fails the canary or nobody decides in time. */
class CanaryFailed extends Error {}

/** Marks releases that measure their canary during each bake (older histories only waited). */
const CANARY_ANALYSIS_PATCH = 'canary-analysis';

export async function release(input: ReleaseInput): Promise<ReleaseOutcome> {
  const { plan } = input;
  const info = workflowInfo();
  const state = new ReleaseState(input, new Date());
  const acts = releaseActivities(plan);
  const undo = new Compensations();
  const runUrl = plan.webUiUrl ? `${plan.webUiUrl}/namespaces/${info.namespace}/workflows/${info.workflowId}/${info.runId}` : undefined;
  const deployments: Partial<Record<'staging' | 'production', number>> = {};
  let slackMessage: SlackMessageRef | undefined;

  // The forward path runs in its own scope so an operator's abort can interrupt it anywhere.
  const forward = new CancellationScope();
  const controls: Controls = {};
  setHandler(statusQuery, () => state.snapshot());
  registerApprovalHandlers(state, plan.approval, input.requestedBy);
  registerControlHandlers(state, plan.approval.approvers, controls, () => forward.cancel());

  const now = () => new Date();
  const enter = (stage: ReleaseStage, message: string) => {
    state.enter(stage, message, now());
    upsertSearchAttributes([{ key: stageSearchAttribute, value: stage }]);
    showDetails();
  };
  const showDetails = () => setCurrentDetails(currentDetails(state.snapshot()));

  /** Slack and GitHub inform; their failures are recorded but never stop or fail a release. */
  const bestEffort = async <T>(what: string, call: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await call();
    } catch (err) {
      if (isCancellation(err)) throw err;
      state.record(`${what} failed (release continues): ${failureMessage(err)}`, now());
      return undefined;
    }
  };

  const slackMessageFor = (headline: string, withButtons = false): ReleaseMessage => ({
    releaseId: state.snapshot().releaseId,
    service: input.service,
    version: input.version,
    repo: plan.repo,
    requestedBy: input.requestedBy,
    reason: input.reason,
    headline,
    lines: state.snapshot().history.slice(-8).map((e) => e.message),
    runUrl,
    withButtons,
  });
  const updateSlack = async (headline: string) => {
    const ref = slackMessage;
    if (!ref) return;
    await bestEffort('updating the Slack message', () =>
      acts.notify.updateReleaseMessage({ ...ref, message: slackMessageFor(headline) }),
    );
  };

  const recordDeployment = async (environment: 'staging' | 'production') => {
    const created = await bestEffort(`creating the GitHub ${environment} deployment`, () =>
      acts.notify.createDeployment({
        repo: plan.repo,
        ref: input.version,
        environment,
        releaseId: info.workflowId,
        logUrl: runUrl,
        environmentUrl: plan.environmentUrls?.[environment],
      }),
    );
    if (created) {
      deployments[environment] = created.deploymentId;
      await setDeploymentState(environment, 'in_progress', `${input.version.slice(0, 12)} deploying`);
    }
  };
  const setDeploymentState = async (environment: 'staging' | 'production', deploymentState: DeploymentState, description: string) => {
    const deploymentId = deployments[environment];
    if (deploymentId === undefined) return;
    await bestEffort(`setting the GitHub ${environment} deployment to ${deploymentState}`, () =>
      acts.notify.setDeploymentStatus({
        repo: plan.repo,
        deploymentId,
        state: deploymentState,
        description,
        logUrl: runUrl,
        environmentUrl: plan.environmentUrls?.[environment],
      }),
    );
  };

  /** Puts a service back on the task definition it ran before, and waits until it really runs it. */
  const restoreService = async (ref: EcsServiceRef, previous: ServiceSnapshot) => {
    await acts.rollback.updateService({ ...ref, taskDefinition: previous.taskDefinition, desiredCount: previous.desiredCount });
    await acts.rollbackWait.waitForDeployment({ ...ref, taskDefinition: previous.taskDefinition, timeoutMs: plan.deployTimeoutMs });
  };

  /** Rolls a service to `taskDefinition` and registers the undo that restores what it ran before. */
  const deployService = async (ref: EcsServiceRef, taskDefinition: string, what: string) => {
    const { previous, changed } = await acts.ecs.updateService({ ...ref, taskDefinition });
    undo.add(`restore ${what} (${ref.cluster}/${ref.service}) to ${previous.taskDefinition}`, () => restoreService(ref, previous));
    state.record(`${what}: ${changed ? 'updated' : 'already on'} ${taskDefinition}`, now());
    const { runningCount } = await acts.deployWait.waitForDeployment({ ...ref, taskDefinition, timeoutMs: plan.deployTimeoutMs });
    state.record(`${what}: ${runningCount} task(s) running ${taskDefinition}`, now());
  };

  /**
   * Bakes at the current weight. Pausing stops the clock (the weight holds); a promote ends the
   * bake early. Workflow time is deterministic, so measuring elapsed time here is safe.
   */
  const bake = async (ms: number) => {
    let remaining = ms;
    while (remaining > 0 && controls.pending !== 'promote') {
      const startedAt = Date.now();
      const interrupted = await condition(() => state.paused || controls.pending === 'promote', remaining);
      remaining -= Date.now() - startedAt;
      if (!interrupted) return;
      if (state.paused) {
        showDetails();
        await condition(() => !state.paused || controls.pending === 'promote');
      }
    }
  };

  /**
   * Bakes at the current weight while a heartbeating activity measures the canary every
   * interval (one activity per window keeps the history small). Pause and promote cancel the
   * window, which hands back what it measured; paused time does not count. Failing analysis
   * ends the forward path; inconclusive analysis holds the canary until a human decides.
   */
  const analysedBake = async (step: number, weight: number, taskDefinition: string) => {
    const analysis = plan.canary.analysis!;
    let remaining = plan.canary.bakeMs;
    while (remaining > 0 && controls.pending !== 'promote') {
      const startedAt = Date.now();
      const window = new CancellationScope();
      let settled = false;
      const reportPromise = window.run(() =>
        acts.analysis.analyseBake({
          service: input.service,
          cluster: plan.production.cluster,
          canaryService: plan.production.canaryService,
          taskDefinition,
          bakeMs: remaining,
          analysis,
        }),
      );
      reportPromise.then(
        () => (settled = true),
        () => (settled = true),
      );
      await condition(() => settled || state.paused || controls.pending === 'promote');
      const stoppedAt = Date.now();
      if (!settled) window.cancel();
      const report = await reportPromise;
      // A window that was not interrupted covered the rest of the bake (or ended it with a verdict).
      remaining = report.interrupted ? remaining - (stoppedAt - startedAt) : 0;
      state.recordMeasurements(step, weight, report.results, now());
      showDetails();

      if (report.decision.action === 'fail') {
        const failing = report.results.at(-1)?.signals.filter((s) => s.verdict === 'fail') ?? [];
        state.canaryFailed(failing);
        throw new CanaryFailed(`canary analysis failed at ${weight}%: ${report.decision.reason}`);
      }
      if (controls.pending === 'promote' && state.latestVerdict === 'fail') {
        // The promote was accepted on what was known; the window it interrupted says otherwise.
        controls.pending = undefined;
        state.record('promote not carried out: the latest canary measurement failed; baking on', now());
      }
      if (report.decision.action === 'ask-human' && !state.paused) {
        state.askHuman(report.decision.reason, now());
        showDetails();
        await updateSlack(`Canary held at ${weight}%: analysis is inconclusive, a human must decide`);
        const decided = await condition(() => !state.paused || controls.pending === 'promote', analysis.decisionTimeoutMs);
        if (!decided) {
          throw new CanaryFailed(`no decision within ${Math.round(analysis.decisionTimeoutMs / 1000)} s after: ${report.decision.reason}`);
        }
      } else if (state.paused) {
        showDetails();
        await condition(() => !state.paused || controls.pending === 'promote');
      }
    }
  };

  try {
    await forward.run(async () => {
      // 1. Build: CI already built the image; the commit's checks must be green.
      enter(ReleaseStage.building, `verifying the build of ${input.image}`);
      const build = await acts.build.verifyBuild({ repo: plan.repo, version: input.version, image: input.image });
      state.record(`build verified: ${build.checks.join(', ')} green`, now());

      // 2. Staging: copy the current task definition with the new image and roll it out.
      enter(ReleaseStage.staging, `deploying ${input.image} to staging`);
      await recordDeployment('staging');
      const stagingTd = await acts.ecs.prepareTaskDefinition({ source: plan.staging, container: plan.container, image: input.image });
      await deployService(plan.staging, stagingTd.taskDefinitionArn, 'staging');

      // 3. Smoke test against staging.
      enter(ReleaseStage.smoke, `smoke testing ${plan.smoke.url}`);
      const smoke = await acts.smoke.runSmokeTest(plan.smoke);
      state.record(`smoke test passed: ${smoke.checks.length} check(s) answered ${smoke.checks.map((c) => c.status).join(', ')}`, now());
      await setDeploymentState('staging', 'success', `${input.version.slice(0, 12)} passed smoke tests`);

      // 4. Approval: a person decides, through Slack, the CLI or a signal; silence rejects.
      enter(ReleaseStage.awaitingApproval, `waiting for approval from ${plan.approval.approvers.join(', ')}`);
      slackMessage = await bestEffort('posting the approval request to Slack', () =>
        acts.notify.postReleaseMessage({ channel: plan.approval.channel, message: slackMessageFor('Waiting for approval', true) }),
      );
      const decided = await condition(() => state.isDecided, plan.approval.timeoutMs);
      if (!decided) state.decide('rejected', 'runway', `no decision within ${Math.round(plan.approval.timeoutMs / 1000)} s`, now());
      if (state.approval.decision === 'rejected') throw new ReleaseRejected(state.approval.comment ?? `rejected by ${state.approval.by}`);
      await updateSlack(`Approved by ${state.approval.by}`);

      // 5. Canary: a second service in the stable service's target group takes a growing share.
      enter(ReleaseStage.canary, `starting the production canary`);
      await recordDeployment('production');
      const canaryRef = { cluster: plan.production.cluster, service: plan.production.canaryService };
      const productionTd = await acts.ecs.prepareTaskDefinition({ source: plan.production, container: plan.container, image: input.image });
      const stable = await acts.ecs.describeService(plan.production);
      undo.add(
        `take the canary (${canaryRef.cluster}/${canaryRef.service}) to 0 tasks`,
        async () => {
          await acts.rollback.updateService({ ...canaryRef, desiredCount: 0 });
          state.setCanary(state.snapshot().canary.step, 0, 0, now());
          upsertSearchAttributes([{ key: canaryWeightSearchAttribute, value: 0 }]);
        },
        { urgent: true },
      );
      const analysed = plan.canary.analysis !== undefined && patched(CANARY_ANALYSIS_PATCH);
      const steps = canaryStepsBeforePromotion(plan.canary.steps);
      for (const [index, weight] of steps.entries()) {
        if (controls.pending === 'promote') break;
        const count = canaryTaskCount(stable.desiredCount, weight);
        await acts.ecs.updateService({ ...canaryRef, taskDefinition: productionTd.taskDefinitionArn, desiredCount: count });
        await acts.deployWait.waitForDeployment({ ...canaryRef, taskDefinition: productionTd.taskDefinitionArn, timeoutMs: plan.deployTimeoutMs });
        state.setCanary(index + 1, weight, canaryShare(stable.desiredCount, count), now());
        upsertSearchAttributes([{ key: canaryWeightSearchAttribute, value: weight }]);
        showDetails();
        await updateSlack(`Canary at ${weight}%`);
        if (analysed) await analysedBake(index + 1, weight, productionTd.taskDefinitionArn);
        else await bake(plan.canary.bakeMs);
      }

      // 6. Promote: roll the stable service to the new version, then empty the canary.
      enter(ReleaseStage.promoting, `promoting ${input.image} to all of production`);
      await deployService(plan.production, productionTd.taskDefinitionArn, 'production');
      await acts.ecs.updateService({ ...canaryRef, desiredCount: 0 });
      state.setCanary(plan.canary.steps.length, 100, 100, now());
      upsertSearchAttributes([{ key: canaryWeightSearchAttribute, value: 100 }]);
      await setDeploymentState('production', 'success', `${input.version.slice(0, 12)} released`);
      state.finish('released', undefined, now());
      upsertSearchAttributes([{ key: stageSearchAttribute, value: ReleaseStage.released }]);
      showDetails();
      await updateSlack('Released to production');
    });
    return { releaseId: info.workflowId, result: 'released', status: state.snapshot() };
  } catch (err) {
    const rejected = err instanceof ReleaseRejected;
    const aborted = controls.pending === 'abort' && isCancellation(err);
    const reason = rejected
      ? err.message
      : aborted
        ? controls.abortReason!
        : isCancellation(err)
          ? 'the release was cancelled'
          : failureMessage(err);
    // Non-cancellable: a cancelled release must still undo, settle GitHub and Slack, and finish.
    const outcome = await CancellationScope.nonCancellable(() => rollBack(rejected ? 'rejected' : 'rolled-back', reason));
    if (isCancellation(err) && !aborted) throw err;
    return outcome;
  }

  /** Runs every registered undo, then settles GitHub and Slack, and ends the release. */
  async function rollBack(intended: 'rejected' | 'rolled-back', reason: string): Promise<ReleaseOutcome> {
    enter(ReleaseStage.rollingBack, `rolling back: ${reason}`);
    const reports = await undo.runAll((r) =>
      state.record(r.error ? `undo failed: ${r.description}: ${r.error}` : `undone: ${r.description}`, now()),
    );
    const failed = reports.filter((r) => r.error);
    const result: ReleaseResult = failed.length > 0 ? 'failed' : intended;
    const finalReason = failed.length > 0 ? `${reason}; rollback incomplete: ${failed.map((f) => f.description).join('; ')}` : reason;
    await setDeploymentState('staging', 'failure', `rolled back: ${reason}`);
    await setDeploymentState('production', 'failure', `rolled back: ${reason}`);
    state.finish(result, finalReason, now());
    upsertSearchAttributes([{ key: stageSearchAttribute, value: state.stage }]);
    showDetails();
    await updateSlack(result === 'rejected' ? `Rejected: ${reason}` : `Rolled back: ${reason}`);
    return { releaseId: info.workflowId, result, reason: finalReason, status: state.snapshot() };
  }
}
