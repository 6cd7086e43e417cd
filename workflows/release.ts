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
import { canaryShare, canaryStepsBeforePromotion, canaryTaskCount, roundedCanaryTaskCount } from '../src/domain/canary-plan';
import {
  type EcsServiceRef,
  type ReleaseInput,
  type ReleaseOutcome,
  type ReleaseResult,
  ReleaseStage,
} from '../src/domain/release';
import { ReleaseState } from '../src/domain/release-state';
import { canaryWeightSearchAttribute, stageSearchAttribute, statusQuery } from '../src/messages';
import { escapeMrkdwn } from '../src/slack/escape';
import { approverMentions, slackMention } from '../src/slack/mention';
import type { ServiceSnapshot } from '../activities/ecs';
import type { DeploymentState } from '../activities/github';
import { releaseActivities } from './activity-options';
import { CanaryFailed, createAnalysedBake } from './analysed-bake';
import { currentDetails } from './current-details';
import { releaseMessageOf } from './release-message';
import { ReleaseSlack } from './release-slack';
import { registerApprovalHandlers } from './approval-handlers';
import { Compensations, failureMessage, type UndoEnvironment } from './compensations';
import { type Controls, registerControlHandlers } from './control-handlers';

/** Thrown inside the workflow to leave the forward path when the release is rejected. */
class ReleaseRejected extends Error {}

/** Thrown inside the workflow when a pre-release rule refuses the commit. */
class PreReleaseRefused extends Error {}

/**
 * Releases started after this marker: pre-release branch check and dispatched builds, Slack
 * approval request posted without holding up the decision and a reminder, a migration stage,
 * canary analysis during each bake, previous GitHub deployments restored on rollback and a
 * rollback reply in Slack. Older histories replay the original sequence.
 */
const RELEASE_V2_PATCH = 'runway-release-v2';

/**
 * Releases started after this marker (on top of v2): the CI-green rule before a dispatched
 * build; canary counts by closest share; inconclusive streaks carried across bake windows and
 * steps left only on evidence; a resumed hold bakes the rest of its step; Slack updates and
 * replies in the background (a slow Slack never holds up the canary), approvals so far shown,
 * the reminder and holds mentioning the approvers, a thread reply for every unhappy ending;
 * GitHub records per run, earlier production deployments marked inactive, and an environment
 * whose undo failed is not shown as restored.
 */
const RELEASE_V3_PATCH = 'runway-release-v3';

export async function release(input: ReleaseInput): Promise<ReleaseOutcome> {
  const { plan } = input;
  const info = workflowInfo();
  const state = new ReleaseState(input, new Date());
  const v2 = patched(RELEASE_V2_PATCH);
  const v3 = v2 && patched(RELEASE_V3_PATCH);
  const acts = releaseActivities(plan);
  const undo = new Compensations();
  const runUrl = plan.webUiUrl ? `${plan.webUiUrl}/namespaces/${info.namespace}/workflows/${info.workflowId}/${info.runId}` : undefined;
  const deployments: Partial<Record<'staging' | 'production', number>> = {};
  const summaries: { staging?: string; smoke?: string } = {};

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

  const slack = new ReleaseSlack({
    notify: acts.notify,
    channel: plan.approval.channel,
    bestEffort,
    inBackground: v3,
    messageFor: (headline, withButtons) => ({
      ...releaseMessageOf(state.snapshot(), input, headline, withButtons),
      ...(v3 ? { runId: info.runId } : {}),
      repo: plan.repo,
      runUrl,
      staging: summaries.staging,
      smoke: summaries.smoke,
    }),
  });
  const approversToMention = () => approverMentions(plan.approval.approvers, plan.approval.groups, peopleOf(plan.approval.approverSlackIds));
  const requester = () => slackMention(input.requestedBy, plan.approval.requesterSlackId);

  const recordDeployment = async (environment: 'staging' | 'production') => {
    const created = await bestEffort(`creating the GitHub ${environment} deployment`, () =>
      acts.records.createDeployment({
        repo: plan.repo,
        ref: input.version,
        environment,
        releaseId: info.workflowId,
        ...(v3 ? { runId: info.runId } : {}),
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
      acts.records.setDeploymentStatus({
        repo: plan.repo,
        deploymentId,
        state: deploymentState,
        description,
        logUrl: runUrl,
        environmentUrl: plan.environmentUrls?.[environment],
        ...(v3 ? { environment, production: environment === 'production' } : {}),
      }),
    );
  };

  /** Puts a service back on the task definition it ran before, and waits until it really runs it. */
  const restoreService = async (ref: EcsServiceRef, previous: ServiceSnapshot) => {
    await acts.rollback.updateService({ ...ref, taskDefinition: previous.taskDefinition, desiredCount: previous.desiredCount });
    await acts.rollbackWait.waitForDeployment({ ...ref, taskDefinition: previous.taskDefinition, timeoutMs: plan.deployTimeoutMs });
  };

  /** Rolls a service to `taskDefinition` and registers the undo that restores what it ran before. */
  const deployService = async (ref: EcsServiceRef, taskDefinition: string, what: UndoEnvironment) => {
    const restore = (previous: ServiceSnapshot) =>
      undo.add(`restore ${what} (${ref.cluster}/${ref.service}) to ${previous.taskDefinition}`, () => restoreService(ref, previous), { environment: what });
    // v2 reads what runs before changing it and registers the undo first: an update retried
    // after a crash finds its own change in place and cannot say what ran before it.
    const before = v2 ? await acts.ecs.describeService(ref) : undefined;
    if (before) restore(before);
    const { previous, changed } = await acts.ecs.updateService({ ...ref, taskDefinition });
    if (!before) restore(previous);
    state.record(`${what}: ${changed ? 'updated' : 'already on'} ${taskDefinition}`, now());
    const { runningCount } = await acts.deployWait.waitForDeployment({ ...ref, taskDefinition, timeoutMs: plan.deployTimeoutMs });
    state.record(`${what}: ${runningCount} task(s) running ${taskDefinition}`, now());
    return `${runningCount} task(s) running ${taskDefinition.split('/').pop()}`;
  };

  /**
   * Bakes at the current weight without analysis (releases started before it existed). Pausing
   * stops the clock (the weight holds); a promote ends the bake early. Workflow time is
   * deterministic, so measuring elapsed time here is safe.
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

  const analysedBake = createAnalysedBake({
    input,
    state,
    controls,
    analysis: acts.analysis,
    forward,
    showDetails,
    v3,
    askHumanInSlack: async (weight, reason) => {
      await slack.update(`Canary held at ${weight}%: analysis is inconclusive, a human must decide`);
      if (v3) {
        await slack.reply(
          'asking for a canary decision in Slack',
          `${approversToMention()} the ${input.service} canary is held at ${weight}%: ${escapeMrkdwn(reason)}. Decide with \`runway resume|promote|abort ${info.workflowId}\`.`,
        );
      }
    },
  });

  /** The pre-release rules, then the image: built by a dispatched CI run, or verified by the commit's checks. */
  const buildImage = async (): Promise<string> => {
    if (v2 && plan.releaseBranch) {
      const branch = await acts.build.checkReleaseBranch({ repo: plan.repo, version: input.version, branch: plan.releaseBranch });
      state.record(`release-branch rule: the commit is on ${branch.branch} (${branch.status})`, now());
    }
    const build = v2 ? plan.build : undefined;
    if (build?.mode === 'dispatch') {
      if (v3 && plan.requireGreenCi) await requireGreenCi();
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

  /** The CI-green rule before Runway spends a build on the commit; a refusal names the rule. */
  const requireGreenCi = async () => {
    try {
      const verified = await acts.buildWait.verifyBuild({ repo: plan.repo, version: input.version, image: input.image, requiredChecks: [], pendingDeadlineMs: 10 * 60_000 });
      state.record(`ci-green rule: ${verified.checks.join(', ')} green`, now());
    } catch (err) {
      if (isCancellation(err)) throw err;
      throw new PreReleaseRefused(`ci-green rule: ${failureMessage(err)}`);
    }
  };

  /**
   * Waits until the approval is decided or `untilMs` (workflow time) passes. From v3 on, each of
   * several required approvals shows in the Slack message as it arrives.
   */
  const decidedBy = async (untilMs: number): Promise<boolean> => {
    while (!state.isDecided) {
      const left = untilMs - Date.now();
      if (left <= 0) return false;
      const seen = state.approvedBy.length;
      const changed = await condition(() => state.isDecided || (v3 && state.approvedBy.length !== seen), left);
      if (!changed) return false;
      if (!state.isDecided) await slack.update(`Approved by ${state.approvedBy.join(', ')}; waiting for more approvals`);
    }
    return true;
  };

  /**
   * v2 and later: posts the approval request without waiting for Slack (a decision from the CLI
   * is not held up by a slow or failing Slack), reminds the approvers in the thread once, and
   * waits for a decision until the approval timeout.
   */
  const awaitDecision = async (): Promise<boolean> => {
    slack.startPosting();
    const { timeoutMs, reminderMs } = plan.approval;
    const remindAfter = reminderMs !== undefined && reminderMs < timeoutMs ? reminderMs : undefined;
    if (!v3) {
      if (remindAfter === undefined) return condition(() => state.isDecided, timeoutMs);
      if (await condition(() => state.isDecided, remindAfter)) return true;
      await slack.settle();
      await remindApprovers();
      return condition(() => state.isDecided, timeoutMs - remindAfter);
    }
    const deadline = Date.now() + timeoutMs;
    if (remindAfter === undefined) return decidedBy(deadline);
    if (await decidedBy(Date.now() + remindAfter)) return true;
    // The reminder goes in the message's thread: wait for the post, unless a decision comes first.
    await condition(() => state.isDecided || slack.settled, deadline - Date.now());
    if (!state.isDecided) await remindApprovers();
    return decidedBy(deadline);
  };
  const remindApprovers = async () => {
    if (!slack.ref) return;
    const who = v3
      ? approversToMention()
      : [...plan.approval.approvers, ...(plan.approval.groups ?? []).map((g) => `<!subteam^${g}>`)].join(', ');
    await slack.reply('posting the approval reminder', `Reminder: ${input.service} ${input.version.slice(0, 12)} is still waiting for approval (${who}).`);
    state.record('reminded the approvers in Slack', now());
  };

  /** Runs the migration task with the new task definition, which the canary then reuses. */
  const runMigration = async (tdInput: { source: EcsServiceRef; container: string; image: string }) => {
    const migration = plan.migration!;
    enter(ReleaseStage.migrating, `running the database migration: ${migration.command.join(' ')}`);
    const td = await acts.ecs.prepareTaskDefinition(tdInput);
    const result = await acts.deployWait.runMigration({
      cluster: plan.production.cluster,
      service: plan.production.service,
      taskDefinition: td.taskDefinitionArn,
      container: migration.container,
      command: migration.command,
      releaseId: info.workflowId,
    });
    // Never undone: a schema change cannot be rolled back safely by a machine.
    state.record(`migration finished with exit code ${result.exitCode} (${result.taskArn}); it is not undone on rollback`, now());
    return td;
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
      const decided = v2 ? await awaitDecision() : (await slack.postAndWait(), await condition(() => state.isDecided, plan.approval.timeoutMs));
      // A decision in the same instant as the timeout stands.
      if (!decided && !state.isDecided) state.decide('rejected', 'runway', `no decision within ${Math.round(plan.approval.timeoutMs / 1000)} s`, now());
      if (state.approval.decision === 'rejected') throw new ReleaseRejected(state.approval.comment ?? `rejected by ${state.approval.by}`);
      await slack.update(`Approved by ${state.approval.by}`);

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
        { urgent: true, environment: 'production' },
      );
      const analysed = v2 && plan.canary.analysis !== undefined;
      const taskCount = v3 ? canaryTaskCount : roundedCanaryTaskCount;
      const steps = canaryStepsBeforePromotion(plan.canary.steps);
      for (const [index, weight] of steps.entries()) {
        if (controls.pending === 'promote') break;
        const count = taskCount(stable.desiredCount, weight);
        await acts.ecs.updateService({ ...canaryRef, taskDefinition: productionTd.taskDefinitionArn, desiredCount: count });
        await acts.deployWait.waitForDeployment({ ...canaryRef, taskDefinition: productionTd.taskDefinitionArn, timeoutMs: plan.deployTimeoutMs });
        state.setCanary(index + 1, weight, canaryShare(stable.desiredCount, count), now());
        upsertSearchAttributes([{ key: canaryWeightSearchAttribute, value: weight }]);
        showDetails();
        await slack.update(`Canary at ${weight}%`);
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
      await slack.settle();
      state.finish('released', undefined, now());
      upsertSearchAttributes([{ key: stageSearchAttribute, value: ReleaseStage.released }]);
      showDetails();
      await slack.finalUpdate('Released to production');
    });
    return { releaseId: info.workflowId, result: 'released', status: state.snapshot() };
  } catch (err) {
    const rejected = err instanceof ReleaseRejected;
    const aborted = controls.pending === 'abort' && isCancellation(err);
    const reason = rejected || err instanceof CanaryFailed || err instanceof PreReleaseRefused
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
    const notRestored = new Set(failed.map((r) => r.environment));
    const result: ReleaseResult = failed.length > 0 ? 'failed' : intended;
    const finalReason = failed.length > 0 ? `${reason}; rollback incomplete: ${failed.map((f) => f.description).join('; ')}` : reason;
    for (const environment of ['staging', 'production'] as const) {
      if (v3 && notRestored.has(environment)) {
        // GitHub must not show the previous version as running when its restore did not happen.
        await setDeploymentState(environment, 'error', `rollback incomplete: ${reason}`);
        continue;
      }
      await setDeploymentState(environment, 'failure', `rolled back: ${reason}`);
      // GitHub should show what really runs again: the environment's previous deployment.
      if (v2 && deployments[environment] !== undefined) {
        await bestEffort(`restoring the previous GitHub ${environment} deployment`, () =>
          acts.records.restorePreviousDeployment({ repo: plan.repo, environment, releaseId: info.workflowId, ...(v3 ? { runId: info.runId } : {}), logUrl: runUrl }),
        );
      }
    }
    await slack.settle();
    state.finish(result, finalReason, now());
    upsertSearchAttributes([{ key: stageSearchAttribute, value: state.stage }]);
    showDetails();
    await slack.finalUpdate(result === 'rejected' ? `Rejected: ${reason}` : `Rolled back: ${reason}`);
    if (v2 && (v3 || result !== 'rejected')) {
      const what = result === 'failed' ? 'stopped, and its rollback is incomplete' : result === 'rejected' ? 'was rejected' : 'was rolled back';
      await slack.reply('replying in the Slack thread', `${requester()} your release of ${input.service} ${input.version.slice(0, 12)} ${what}: ${escapeMrkdwn(finalReason)}`);
      await slack.settle();
    }
    return { releaseId: info.workflowId, result, reason: finalReason, status: state.snapshot() };
  }
}

/** The plan's approver → Slack id map in the shape the mention helpers take. */
function peopleOf(slackIds: Record<string, string> | undefined): Record<string, { slack: string }> {
  return Object.fromEntries(Object.entries(slackIds ?? {}).map(([name, slack]) => [name, { slack }]));
}
