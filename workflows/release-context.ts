/**
 * What every stage of one release shares: its input and plan, its state, the activities, the
 * undo stack, the operator's controls, and the ways it tells the world (search attributes, Web
 * UI details, the Slack message, GitHub deployment records). Stages are functions of it.
 *
 * Constructing it registers the release's query, Update and signal handlers, so it must happen
 * before the workflow's first await.
 */
import {
  CancellationScope,
  isCancellation,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { ReleaseInput, ReleaseOutcome, ReleasePlan, ReleaseResult, ReleaseStage } from '../src/domain/release';
import { ReleaseState } from '../src/domain/release-state';
import { canaryWeightSearchAttribute, stageSearchAttribute, statusQuery } from '../src/domain/release-api';
import { approverMentions, slackMention } from '../src/slack/mention';
import { releaseActivities, type ReleaseActivityGroups } from './activity-options';
import { Compensations, failureMessage } from './compensations';
import { registerApprovalHandlers } from './handlers/approval-handlers';
import { registerBreakGlassHandlers } from './handlers/break-glass-handlers';
import { type Controls, registerControlHandlers } from './handlers/control-handlers';
import { DecisionProver } from './handlers/decision-proof';
import { currentDetails } from './reporting/current-details';
import { DeploymentRecords } from './reporting/deployment-records';
import { releaseMessageOf } from './reporting/release-message';
import { ReleaseMarkers } from './reporting/release-markers';
import { ReleaseSlack } from './reporting/release-slack';
import type { ReleaseLane } from './release-lane';

export class ReleaseContext {
  readonly input: ReleaseInput;
  readonly plan: ReleasePlan;
  readonly releaseId: string;
  readonly runId: string;
  readonly state: ReleaseState;
  readonly acts: ReleaseActivityGroups;
  /** Each step that changes something registers its undo here (the saga). */
  readonly undo = new Compensations();
  /** Promote and abort, once an operator's Update has been accepted. */
  readonly controls: Controls = {};
  /** The forward path runs in its own scope so an operator's abort can interrupt it anywhere. */
  readonly forward = new CancellationScope();
  readonly slack: ReleaseSlack;
  readonly deployments: DeploymentRecords;
  /** Sentry release markers and webhooks (nothing at all when the plan configures neither). */
  readonly markers: ReleaseMarkers;
  /** One-line results of staging and smoke, shown in the Slack message. */
  readonly summaries: { staging?: string; smoke?: string } = {};
  /** Its place in the service's release lane, when it was admitted through one (releases and rollbacks since lanes). */
  lane?: ReleaseLane;
  private productionTd?: Promise<string>;

  constructor(input: ReleaseInput) {
    const info = workflowInfo();
    this.input = input;
    this.plan = input.plan;
    this.releaseId = info.workflowId;
    this.runId = info.runId;
    this.state = new ReleaseState(input, new Date(), info.workflowId);
    this.acts = releaseActivities(this.plan);
    const { plan } = this;
    const runUrl = plan.webUiUrl ? `${plan.webUiUrl}/namespaces/${info.namespace}/workflows/${info.workflowId}/${info.runId}` : undefined;
    this.slack = new ReleaseSlack({
      notify: this.acts.notify,
      notifyUpdate: this.acts.notifyUpdate,
      handOver: this.acts.slackHandOver,
      record: (message) => this.record(message),
      ...(input.slackSentWordWaitMs !== undefined ? { sentWordWaitMs: input.slackSentWordWaitMs } : {}),
      channel: plan.approval.channel,
      bestEffort: this.bestEffort,
      messageFor: (headline, withButtons) => ({
        ...releaseMessageOf(this.state.snapshot(), input, headline, withButtons),
        runId: this.runId,
        repo: plan.repo,
        runUrl,
        staging: this.summaries.staging,
        smoke: this.summaries.smoke,
      }),
    });
    this.deployments = new DeploymentRecords({
      records: this.acts.records,
      recordQueue: this.acts.recordQueue,
      bestEffort: this.bestEffort,
      repo: plan.repo,
      ref: input.version,
      releaseId: this.releaseId,
      runId: this.runId,
      logUrl: runUrl,
      environmentUrls: plan.environmentUrls,
    });
    this.markers = new ReleaseMarkers({
      markers: this.acts.markers,
      bestEffort: this.bestEffort,
      input,
      runId: this.runId,
      workflowType: info.workflowType,
      runUrl,
      status: () => this.state.snapshot(),
      now: () => this.now(),
      record: (message) => this.record(message),
    });

    setHandler(statusQuery, () => this.state.snapshot());
    // Decisions are proven before they count (handlers/decision-proof.ts); one prover per run keeps its nonces.
    const prover = new DecisionProver(input.service);
    registerApprovalHandlers(this.state, plan.approval, input.requestedBy, prover);
    registerControlHandlers(this.state, plan.approval, input.requestedBy, this.controls, () => this.forward.cancel(), prover);
    // Answers only while a --break-glass release is frozen at its gate (workflows/stages/freeze-gate.ts).
    registerBreakGlassHandlers(this.state, plan.approval, input, (by, pending) =>
      this.slack.reply('announcing a break-glass approval', `Break-glass approved by ${by} for ${input.service} ${this.shortVersion}${pending > 0 ? `; ${pending} more needed` : ''}`),
      prover,
    );
  }

  /** The commit as people read it. */
  get shortVersion(): string {
    return this.input.version.slice(0, 12);
  }

  /**
   * The production task definition with the new image, prepared once: by the migration when
   * there is one (its task runs that revision), else when production traffic starts.
   */
  productionTaskDefinition(): Promise<string> {
    this.productionTd ??= this.acts.ecs
      .prepareTaskDefinition({ source: this.plan.production, container: this.plan.container, image: this.state.image })
      .then((td) => td.taskDefinitionArn);
    return this.productionTd;
  }

  /** Workflow time: deterministic, safe to measure with. */
  now(): Date {
    return new Date();
  }

  /** Moves to a stage: the status, the RunwayStage search attribute and the Web UI details. */
  enter(stage: ReleaseStage, message: string): void {
    this.state.enter(stage, message, this.now());
    upsertSearchAttributes([{ key: stageSearchAttribute, value: stage }]);
    this.showDetails();
    this.markers.stageEntered(stage);
  }

  /** Adds a line to the release's history. */
  record(message: string): void {
    this.state.record(message, this.now());
  }

  /** Refreshes the Web UI's current details from the status. */
  showDetails(): void {
    setCurrentDetails(currentDetails(this.state.snapshot(), this.plan));
  }

  /** Records the canary's position: the status, the RunwayCanaryWeight search attribute and the Web UI details. */
  setCanary(step: number, weight: number, actualWeight: number): void {
    this.state.setCanary(step, weight, actualWeight, this.now());
    upsertSearchAttributes([{ key: canaryWeightSearchAttribute, value: weight }]);
    this.showDetails();
  }

  /** Ends the release: its final stage in the status, the search attribute and the Web UI details. */
  finish(result: ReleaseResult, reason?: string): void {
    this.state.finish(result, reason, this.now());
    upsertSearchAttributes([{ key: stageSearchAttribute, value: this.state.stage }]);
    this.showDetails();
    this.markers.finished(result);
  }

  /** What the workflow returns: the result, and the final status so a finished release needs no worker to inspect. */
  outcome(): ReleaseOutcome {
    const status = this.state.snapshot();
    return { releaseId: this.releaseId, result: status.result!, ...(status.outcomeReason ? { reason: status.outcomeReason } : {}), status };
  }

  /** Slack and GitHub inform; their failures are recorded but never stop or fail a release. */
  readonly bestEffort = async <T>(what: string, call: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await call();
    } catch (err) {
      if (isCancellation(err)) throw err;
      this.record(`${what} failed (release continues): ${failureMessage(err)}`);
      return undefined;
    }
  };

  /** The approvers as Slack mentions (people with a Slack id, then user groups). */
  approverMentions(): string {
    const { approvers, groups, approverSlackIds } = this.plan.approval;
    const people = Object.fromEntries(Object.entries(approverSlackIds ?? {}).map(([name, slack]) => [name, { slack }]));
    return approverMentions(approvers, groups, people);
  }

  /** The requester as a Slack mention when their Slack id is known, else by name. */
  requesterMention(): string {
    return slackMention(this.input.requestedBy, this.plan.approval.requesterSlackId);
  }
}
