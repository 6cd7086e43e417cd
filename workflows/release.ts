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
import type { BakeReport } from '../activities/canary-analysis';
import type { ServiceSnapshot } from '../activities/ecs';
import type { DeploymentState } from '../activities/github';
import type { SlackMessageRef } from '../activities/slack';
import { releaseActivities } from './activity-options';
import { currentDetails } from './current-details';
import { releaseMessageOf } from './release-message';
import { slackMention } from '../src/slack/mention';
import { registerApprovalHandlers } from './approval-handlers';
import { Compensations, failureMessage } from './compensations';
import { type Controls, registerControlHandlers } from './control-handlers';

/** Thrown inside the workflow to leave the forward path when the release is rejected. */
class ReleaseRejected extends Error {}

/** Thrown inside the workflow when canary analysis fails the canary or nobody decides in time. */
class CanaryFailed extends Error {}

/**
 * Releases started after this marker: pre-release branch check and dispatched builds, Slack
 * approval request posted without holding up the decision and a reminder, a migration stage,
 * canary analysis during each bake, previous GitHub deployments restored on rollback and a
 * rollback reply in Slack. Older histories replay the original sequence.
 */
const RELEASE_V2_PATCH = 'runway-release-v2';

export async function release(input: ReleaseInput): Promise<ReleaseOutcome> {
  const { plan } = input;
  const info = workflowInfo();
  const state = new ReleaseState(input, new Date());
  const v2 = patched(RELEASE_V2_PATCH);
  const acts = releaseActivities(plan);
  const undo = new Compensations();
  const runUrl = plan.webUiUrl ? `${plan.webUiUrl}/namespaces/${info.namespace}/workflows/${info.workflowId}/${info.runId}` : undefined;
  const deployments: Partial<Record<'staging' | 'production', number>> = {};
  let slackMessage: SlackMessageRef | undefined;
  /** The approval request's post while it may still be retrying (v2 does not wait for it). */
  let slackPosting: Promise<unknown> | undefined;
  /** Before a release ends: let a slow post finish (or record its failure) so the last update lands. */
  const settleSlackPost = async () => {
    await slackPosting?.catch(() => undefined);
  };

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
    ...releaseMessageOf(state.snapshot(), input, headline, withButtons),
    repo: plan.repo,
    runUrl,
    staging: summaries.staging,
    smoke: summaries.smoke,
  });
  const summaries: { staging?: string; smoke?: string } = {};
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
    // v2 reads what runs before changing it and registers the undo first: an update retried
    // after a crash finds its own change in place and cannot say what ran before it.
    const before = v2 ? await acts.ecs.describeService(ref) : undefined;
    if (before) undo.add(`restore ${what} (${ref.cluster}/${ref.service}) to ${before.taskDefinition}`, () => restoreService(ref, before));
    const { previous, changed } = await acts.ecs.updateService({ ...ref, taskDefinition });
    if (!before) undo.add(`restore ${what} (${ref.cluster}/${ref.service}) to ${previous.taskDefinition}`, () => restoreService(ref, previous));
    state.record(`${what}: ${changed ? 'updated' : 'already on'} ${taskDefinition}`, now());
    const { runningCount } = await acts.deployWait.waitForDeployment({ ...ref, taskDefinition, timeoutMs: plan.deployTimeoutMs });
    state.record(`${what}: ${runningCount} task(s) running ${taskDefinition}`, now());
    return `${runningCount} task(s) running ${taskDefinition.split('/').pop()}`;
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

  /** The pre-release branch rule, then the image: built by a dispatched CI run, or verified by the commit's checks. */
  const buildImage = async (): Promise<string> => {
    if (v2 && plan.releaseBranch) {
      const branch = await acts.build.checkReleaseBranch({ repo: plan.repo, version: input.version, branch: plan.releaseBranch });
      state.record(`release-branch rule: the commit is on ${branch.branch} (${branch.status})`, now());
    }
    const build = v2 ? plan.build : undefined;
    if (build?.mode === 'dispatch') {
      const run = await acts.buildWait.dispatchBuild({ repo: plan.repo, workflow: build.workflow, ref: build.ref, version: input.version, releaseId: info.workflowId });
      state.record(`build ${run.dispatched ? 'dispatched' : 'found already dispatched'}: ${build.workflow} run ${run.runId} ${run.url}`, now());
      showDetails();
      const built = await acts.buildWait.waitForBuild({
        repo: plan.repo,
        runId: run.runId,
        version: input.version,
        image: input.image,
        imageOutput: build.imageOutput,
        timeoutMs: build.timeoutMs,
      });
      state.useImage(built.image);
      state.record(`build run ${built.runId} ${built.conclusion}: ${built.image}`, now());
      return built.image;
    }
    const checks = build?.mode === 'checks' ? build : undefined;
    const verified = await (checks ? acts.buildWait : acts.build).verifyBuild({
      repo: plan.repo,
      version: input.version,
      image: input.image,
      ...(checks ? { requiredChecks: checks.requiredChecks, pendingDeadlineMs: checks.pendingDeadlineMs } : {}),
    });
    state.record(`build verified: ${verified.checks.join(', ')} green`, now());
    return input.image;
  };

  /** The original approval wait: the request is posted first, then the decision awaited. */
  const awaitDecisionV1 = async (): Promise<boolean> => {
    slackMessage = await bestEffort('posting the approval request to Slack', () =>
      acts.notify.postReleaseMessage({ channel: plan.approval.channel, message: slackMessageFor('Waiting for approval', true) }),
    );
    return condition(() => state.isDecided, plan.approval.timeoutMs);
  };

  /**
   * Posts the approval request without waiting for Slack (a decision from the CLI is not held up
   * by a slow or failing Slack), reminds the approvers in the thread once, and waits for a
   * decision until the approval timeout.
   */
  const awaitDecision = async (): Promise<boolean> => {
    const posting = bestEffort('posting the approval request to Slack', () =>
      acts.notify.postReleaseMessage({ channel: plan.approval.channel, message: slackMessageFor('Waiting for approval', true) }),
    ).then((ref) => (slackMessage = ref));
    // Handled here too, so a cancelled post never surfaces as an unhandled rejection.
    posting.catch(() => undefined);
    slackPosting = posting;
    const { timeoutMs, reminderMs } = plan.approval;
    let decided = false;
    if (reminderMs !== undefined && reminderMs < timeoutMs) {
      decided = await condition(() => state.isDecided, reminderMs);
      if (!decided) {
        await posting;
        await remindApprovers();
        decided = await condition(() => state.isDecided, timeoutMs - reminderMs);
      }
    } else {
      decided = await condition(() => state.isDecided, timeoutMs);
    }
    // Not awaiting the post: a decision moves the release on even while Slack is slow. Later
    // updates use the message once it exists.
    return decided;
  };
  const remindApprovers = async () => {
    const ref = slackMessage;
    if (!ref) return;
    const who = [...plan.approval.approvers, ...(plan.approval.groups ?? []).map((g) => `<!subteam^${g}>`)].join(', ');
    await bestEffort('posting the approval reminder', () =>
      acts.notify.postThreadReply({ ...ref, text: `Reminder: ${input.service} ${input.version.slice(0, 12)} is still waiting for approval (${who}).` }),
    );
    state.record('reminded the approvers in Slack', now());
  };

  /** Runs the migration task with the new task definition, which the canary then reuses. */
  const runMigration = async (tdInput: { source: EcsServiceRef; container: string; image: string }) => {
    const migration = plan.migration!;
    enter(ReleaseStage.migrating, `running the database migration: ${migration.command.join(' ')}`);
    const td = await acts.ecs.prepareTaskDefinition(tdInput);
    const result = await acts.deployWait.runMigration({
      cluster: plan.production.cluster,
      taskDefinition: td.taskDefinitionArn,
      container: migration.container,
      command: migration.command,
      releaseId: info.workflowId,
    });
    // Never undone: a schema change cannot be rolled back safely by a machine.
    state.record(`migration finished with exit code ${result.exitCode} (${result.taskArn}); it is not undone on rollback`, now());
    return td;
  };

  /**
   * A window cancelled before it reached a worker (a pause in the same instant it was scheduled)
   * ends as a cancellation rather than a report: that is an interrupted window with no
   * measurements, unless the whole forward path is being cancelled.
   */
  const windowReport = async (report: Promise<BakeReport>): Promise<BakeReport> => {
    try {
      return await report;
    } catch (err) {
      if (!isCancellation(err) || forward.consideredCancelled) throw err;
      return { results: [], decision: { action: 'continue' }, interrupted: true };
    }
  };

  // A function, not an inline comparison: Update handlers change `controls` between awaits.
  const promoteRequested = () => controls.pending === 'promote';

  /**
   * Bakes at the current weight while a heartbeating activity measures the canary every
   * interval (one activity per window keeps the history small). Pause and promote cancel the
   * window, which hands back what it measured; paused time does not count. Failing analysis
   * ends the forward path; inconclusive analysis holds the canary until a human decides.
   */
  const analysedBake = async (step: number, weight: number, taskDefinition: string) => {
    const analysis = plan.canary.analysis!;
    let remaining = plan.canary.bakeMs;
    while (remaining > 0 && !promoteRequested()) {
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
          priorFailures: state.failedMeasurements,
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
      // A window that was not interrupted covered the rest of the bake (or ended it with a verdict).
      remaining = report.interrupted ? remaining - (stoppedAt - startedAt) : 0;
      state.recordMeasurements(step, weight, report.results, now());
      showDetails();
      if (remaining <= 0 && report.decision.action === 'continue' && state.latestVerdict === 'fail') {
        // Never step up on a failing measurement: bake again at this weight. Failures add up
        // over the canary, so this repeats at most until the failure limit.
        remaining = plan.canary.bakeMs;
        state.record(`the latest measurement at ${weight}% failed: baking again before stepping up`, now());
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
      if (report.decision.action === 'ask-human' && !state.paused) {
        state.askHuman(report.decision.reason, now());
        showDetails();
        await updateSlack(`Canary held at ${weight}%: analysis is inconclusive, a human must decide`);
        const decided = await condition(() => !state.paused || promoteRequested(), analysis.decisionTimeoutMs);
        if (!decided) {
          throw new CanaryFailed(`no decision within ${Math.round(analysis.decisionTimeoutMs / 1000)} s after: ${report.decision.reason}`);
        }
      } else if (state.paused) {
        showDetails();
        await condition(() => !state.paused || promoteRequested());
      }
    }
  };

  try {
    await forward.run(async () => {
      // 1. Build: the commit must be releasable; CI builds the image (or already has).
      enter(ReleaseStage.building, `verifying the build of ${input.version.slice(0, 12)}`);
      const image = await buildImage();

      // 2. Staging: copy the current task definition with the new image and roll it out.
      enter(ReleaseStage.staging, `deploying ${image} to staging`);
      await recordDeployment('staging');
      const stagingTd = await acts.ecs.prepareTaskDefinition({ source: plan.staging, container: plan.container, image });
      summaries.staging = await deployService(plan.staging, stagingTd.taskDefinitionArn, 'staging');

      // 3. Smoke test against staging.
      enter(ReleaseStage.smoke, `smoke testing ${plan.smoke.url}`);
      const smoke = await acts.smoke.runSmokeTest(plan.smoke);
      summaries.smoke = `${smoke.checks.length} check(s) answered ${smoke.checks.map((c) => c.status).join(', ')}`;
      state.record(`smoke test passed: ${summaries.smoke}`, now());
      await setDeploymentState('staging', 'success', `${input.version.slice(0, 12)} passed smoke tests`);

      // 4. Approval: a person decides, through Slack, the CLI or a signal; silence rejects.
      const approvers = [...plan.approval.approvers, ...(plan.approval.groups ?? []).map((g) => `members of ${g}`)];
      enter(ReleaseStage.awaitingApproval, `waiting for approval from ${approvers.join(', ')}`);
      const decided = v2 ? await awaitDecision() : await awaitDecisionV1();
      if (!decided) state.decide('rejected', 'runway', `no decision within ${Math.round(plan.approval.timeoutMs / 1000)} s`, now());
      if (state.approval.decision === 'rejected') throw new ReleaseRejected(state.approval.comment ?? `rejected by ${state.approval.by}`);
      await updateSlack(`Approved by ${state.approval.by}`);

      // 5. Migration (optional): a one-off task with the new image, before any production traffic.
      const productionTdInput = { source: plan.production, container: plan.container, image };
      let productionTd = v2 && plan.migration ? await runMigration(productionTdInput) : undefined;

      // 6. Canary: a second service in the stable service's target group takes a growing share.
      enter(ReleaseStage.canary, `starting the production canary`);
      await recordDeployment('production');
      const canaryRef = { cluster: plan.production.cluster, service: plan.production.canaryService };
      productionTd ??= await acts.ecs.prepareTaskDefinition(productionTdInput);
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
      const analysed = v2 && plan.canary.analysis !== undefined;
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

      // 7. Promote: roll the stable service to the new version, then empty the canary.
      enter(ReleaseStage.promoting, `promoting ${image} to all of production`);
      await deployService(plan.production, productionTd.taskDefinitionArn, 'production');
      await acts.ecs.updateService({ ...canaryRef, desiredCount: 0 });
      state.setCanary(plan.canary.steps.length, 100, 100, now());
      upsertSearchAttributes([{ key: canaryWeightSearchAttribute, value: 100 }]);
      await setDeploymentState('production', 'success', `${input.version.slice(0, 12)} released`);
      await settleSlackPost();
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
    for (const environment of ['staging', 'production'] as const) {
      await setDeploymentState(environment, 'failure', `rolled back: ${reason}`);
      // GitHub should show what really runs again: the environment's previous deployment.
      if (v2 && deployments[environment] !== undefined) {
        await bestEffort(`restoring the previous GitHub ${environment} deployment`, () =>
          acts.notify.restorePreviousDeployment({ repo: plan.repo, environment, releaseId: info.workflowId, logUrl: runUrl }),
        );
      }
    }
    await settleSlackPost();
    state.finish(result, finalReason, now());
    upsertSearchAttributes([{ key: stageSearchAttribute, value: state.stage }]);
    showDetails();
    await updateSlack(result === 'rejected' ? `Rejected: ${reason}` : `Rolled back: ${reason}`);
    if (v2 && slackMessage && result !== 'rejected') {
      const ref = slackMessage;
      const requester = slackMention(input.requestedBy, plan.approval.requesterSlackId);
      await bestEffort('replying in the Slack thread', () =>
        acts.notify.postThreadReply({ ...ref, text: `${requester} your release of ${input.service} ${input.version.slice(0, 12)} ${result === 'failed' ? 'stopped, and its rollback is incomplete' : 'was rolled back'}: ${finalReason}` }),
      );
    }
    return { releaseId: info.workflowId, result, reason: finalReason, status: state.snapshot() };
  }
}
