/**
 * The release as data: what a release is asked to do (its plan, resolved from config when it
 * starts) and what it reports about itself. Deterministic: imported by workflow code.
 */
import type { AnalysisThresholds } from './canary-analysis';
import type { FreezePlan } from './freeze';
import type { SmokePlan } from './smoke';

/** Every stage a release can be in; also the values of the RunwayStage search attribute. */
export const ReleaseStage = {
  queued: 'queued',
  building: 'building',
  staging: 'staging',
  smoke: 'smoke',
  awaitingApproval: 'awaiting-approval',
  /** Held at the production gate by a freeze window (configured or ad hoc). */
  frozen: 'frozen',
  migrating: 'migrating',
  canary: 'canary',
  promoting: 'promoting',
  verifying: 'verifying',
  released: 'released',
  rollingBack: 'rolling-back',
  rolledBack: 'rolled-back',
  rejected: 'rejected',
  failed: 'failed',
} as const;
export type ReleaseStage = (typeof ReleaseStage)[keyof typeof ReleaseStage];

export const TERMINAL_STAGES: readonly ReleaseStage[] = [
  ReleaseStage.released,
  ReleaseStage.rolledBack,
  ReleaseStage.rejected,
  ReleaseStage.failed,
];

export function isTerminalStage(stage: ReleaseStage): boolean {
  return TERMINAL_STAGES.includes(stage);
}

/** An ECS service as Runway addresses it. */
export interface EcsServiceRef {
  cluster: string;
  service: string;
}

/** How production traffic moves to a new version (README "Choosing a production strategy"). */
export type ProductionStrategyName = 'two-service-canary' | 'ecs-canary' | 'ecs-linear' | 'ecs-blue-green';

/** The load balancer ECS's own strategies shift traffic on: two target groups behind listener rules. */
export interface ProductionLoadBalancer {
  targetGroupArn: string;
  alternateTargetGroupArn: string;
  productionListenerRule: string;
  testListenerRule?: string;
  roleArn: string;
  containerName: string;
  containerPort: number;
}

export interface ProductionPlan extends EcsServiceRef {
  /** Absent in plans from before strategies existed, and for the default: the two-service canary. */
  strategy?: ProductionStrategyName;
  /** two-service-canary: the ECS service that carries the canary. */
  canaryService?: string;
  /** ecs-*: what ECS shifts traffic on. */
  loadBalancer?: ProductionLoadBalancer;
  /** ecs-blue-green: the test listener's URL, where smoke checks reach the new revision. */
  testUrl?: string;
  /** ecs-blue-green: the approval is asked after the test-listener smoke test, right before production traffic moves. */
  approveAfterTestTraffic?: true;
}

/**
 * Everything a release needs to know about its service, resolved from the config file when the
 * release starts. It travels in the workflow input so that editing the config never changes a
 * release already in flight. It never carries secrets.
 */
export interface ReleasePlan {
  /** GitHub repository, `owner/name`. */
  repo: string;
  /** Image repository; the image is `<imageRepository>:<version>` unless given explicitly. */
  imageRepository: string;
  /** Name of the container whose image is replaced in the task definition. */
  container: string;
  staging: EcsServiceRef;
  production: ProductionPlan;
  /** Smoke checks against staging (src/domain/smoke.ts); releases started before `successes` existed carry the legacy shape. */
  smoke: SmokePlan;
  canary: {
    steps: number[];
    bakeMs: number;
    /** How each bake is measured; a bake of 0 skips baking and analysis altogether. */
    analysis: CanaryAnalysisPlan;
  };
  approval: {
    channel: string;
    approvers: string[];
    timeoutMs: number;
    allowSelfApproval: boolean;
    /** Slack user groups (S…) whose members may approve, besides `approvers`. */
    groups?: string[];
    /** Distinct approvers needed; absent means 1. */
    requiredApprovals?: number;
    /** When to post a reminder in the message's thread, after approval was requested (ms). */
    reminderMs?: number;
    /** The requester's Slack user id (config `people`): mentioned in replies, and self-approval by Slack id is refused. */
    requesterSlackId?: string;
    /** Slack user ids of the approvers `people` maps (name → id): reminders and canary holds mention them. */
    approverSlackIds?: Record<string, string>;
  };
  /** How long one ECS deployment may take before it counts as failed. */
  deployTimeoutMs: number;
  /** Base URL of the Temporal Web UI, for links in Slack and GitHub (no trailing slash). */
  webUiUrl?: string;
  /** Environment URLs for GitHub deployment records. */
  environmentUrls?: { staging?: string; production?: string };
  /** How the build stage gets an image. */
  build: BuildPlan;
  /** The branch the commit must be on (pre-release check); not checked when absent. */
  releaseBranch?: string;
  /** Pre-release check before a dispatched build: the commit's CI checks must be green. */
  requireGreenCi?: boolean;
  /** A one-off migration task run before production; never undone automatically. */
  migration?: { command: string[]; container: string };
  /**
   * The post-release watch: after promotion, production keeps being analysed at full traffic for
   * `durationMs` against what the previous version showed before the canary (its baseline), with
   * the canary's analysis settings; a failure rolls production back. Off when absent.
   */
  verify?: { durationMs: number };
  /** Release markers: a Sentry release of this version with a deploy per environment (README "Release markers and webhooks"). Absent when not configured. */
  sentry?: SentryMarkerPlan;
  /** Receivers of the release's events, each a signed JSON POST. Absent when there are none. */
  webhooks?: string[];
  /** Rolling back a finished release (`runway rollback`, the Slack button): whether it needs an approval first. @default none */
  rollback?: { approval: 'none' | 'required' };
  /**
   * The service's release lane (issue 18): `queue` runs releases one at a time in the order they
   * came, `supersede` lets a newer commit replace one waiting or not yet past approval. Absent in
   * plans made before lanes: such a release waits in a `queue` lane all the same.
   */
  lane?: { mode: 'queue' | 'supersede' };
  /**
   * The service's configured freeze windows (top level and its own) resolved to intervals when the
   * release started, with the break-glass policy. Absent when the config has no `freeze:`; ad hoc
   * freezes (`runway freeze start`) are read at the gate, not carried here.
   */
  freeze?: FreezePlan;
}

/** Where the release is recorded in Sentry; the token is the worker's (SENTRY_AUTH_TOKEN), never here. */
export interface SentryMarkerPlan {
  org: string;
  project: string;
  /** The repository as Sentry names it (its GitHub integration: `owner/name`). */
  repository: string;
  /** Sentry's release version is `<versionPrefix><commit SHA>`. */
  versionPrefix: string;
}

/** The build stage: verify CI's check runs, or dispatch a GitHub Actions build and wait for it. */
export type BuildPlan =
  /** `onlyRequiredChecks` (config `requireGreenCi: false`): only the `requiredChecks` are judged, other check runs are not looked at. */
  | { mode: 'checks'; requiredChecks: string[]; pendingDeadlineMs: number; onlyRequiredChecks?: boolean }
  | { mode: 'dispatch'; workflow: string; ref: string; imageOutput?: string; timeoutMs: number };

/** How the canary is measured during each bake (see src/domain/canary-analysis.ts). */
export interface CanaryAnalysisPlan {
  intervalMs: number;
  failureLimit: number;
  inconclusiveLimit: number;
  decisionTimeoutMs: number;
  thresholds: AnalysisThresholds;
  /** PromQL templates with {{service}}, {{environment}}, {{track}}, {{interval}}. */
  queries: { requests: string; errorRate: string; p99Ms: string };
}

/** Workflow input. Validated by the CLI before any workflow starts. */
export interface ReleaseInput {
  service: string;
  /** Git commit SHA being released. */
  version: string;
  image: string;
  requestedBy: string;
  reason: string;
  plan: ReleasePlan;
  /**
   * The GitHub Actions workflow run that started the release (`runway start` in a job of a run in
   * the service's repository): the build gate leaves that run's own check runs out, since its job
   * waits for the release. Absent for releases started elsewhere; never a secret.
   */
  startedBy?: { githubRunId: number; githubRunAttempt?: number };
  /** How long the release may wait in its service's lane for its turn (`runway start --queue-timeout`); absent: as long as it takes. */
  laneTimeoutMs?: number;
  /** `runway start --break-glass --reason T`: may pass a freeze with `freeze.breakGlass.required` approvals. */
  breakGlass?: { reason: string };
  /**
   * How long the release waits for its Slack messenger's word that its final update was sent
   * before it asks the messenger again (workflows/reporting/release-slack.ts,
   * SLACK_SENT_WORD_WAIT_MS: 10 minutes). Not set by the CLI; tests shorten it.
   */
  slackSentWordWaitMs?: number;
}

export type ReleaseResult = 'released' | 'rolled-back' | 'rejected' | 'failed';

/**
 * The type of the failure a release that did not reach production ends its workflow with
 * (rolled back, rejected or failed); the failure's one detail is its ReleaseOutcome. So the Web
 * UI and `ExecutionStatus = 'Failed'` show it apart from a released one, while clients read the
 * same outcome as from a completed release (src/release-client/outcome.ts).
 */
export const RELEASE_NOT_RELEASED = 'ReleaseNotReleased';

/** The failure's message: the result and its reason, what the Web UI shows first. */
export function notReleasedMessage(outcome: Pick<ReleaseOutcome, 'result' | 'reason'>): string {
  return `${outcome.result}: ${outcome.reason ?? 'no reason given'}`;
}

/** What the release workflow returns (and what `runway start --wait` turns into an exit code). */
export interface ReleaseOutcome {
  releaseId: string;
  result: ReleaseResult;
  reason?: string;
  /** The final status, so a finished release can be inspected without a worker to answer queries. */
  status: ReleaseStatus;
}

export interface ReleaseEvent {
  at: string;
  stage: ReleaseStage;
  message: string;
}

export interface ApprovalRecord {
  decision?: 'approved' | 'rejected';
  by?: string;
  at?: string;
  comment?: string;
  /** Attempts that the policy refused (signals cannot answer their sender, so they land here). */
  refused: { by: string; at: string; reason: string }[];
  /** Approvals recorded so far when several are required, oldest first. */
  approvals?: { by: string; at: string; comment?: string; group?: string }[];
}

/** One analysis measurement as the status shows it: the numbers and, when not a pass, why. */
export interface MeasurementRecord {
  at: string;
  verdict: 'pass' | 'fail' | 'inconclusive';
  requests?: number;
  errorRate?: number;
  stableErrorRate?: number;
  p99Ms?: number;
  stableP99Ms?: number;
  crashedTasks: number;
  /** `signal: detail` of each signal that did not pass. */
  notes: string[];
}

export interface AnalysisStepRecord {
  /** 1-based canary step. */
  step: number;
  weight: number;
  measurements: MeasurementRecord[];
}

/** The previous version's numbers before the canary began: what the post-release watch holds the new one to. */
export interface BaselineRecord {
  at: string;
  requests?: number;
  errorRate?: number;
  p99Ms?: number;
}

/** The post-release watch as the status shows it. */
export interface VerifyRecord {
  durationMs: number;
  baseline?: BaselineRecord;
  startedAt?: string;
  /** When the window ends if nothing holds it (workflow time). */
  endsAt?: string;
  measurements: MeasurementRecord[];
  /** The signals that failed production in the window, with measured values and thresholds. */
  failure?: { signal: string; detail: string }[];
}

/** Answer of the `status` query. */
export interface ReleaseStatus {
  releaseId: string;
  service: string;
  version: string;
  image: string;
  requestedBy: string;
  reason: string;
  stage: ReleaseStage;
  startedAt: string;
  updatedAt: string;
  finishedAt?: string;
  canary: {
    steps: number[];
    /** 1-based index of the current step, 0 before the canary starts. */
    step: number;
    /** Requested traffic weight of the current step, in percent. */
    weight: number;
    /** Share of tasks the canary really has (its share of traffic), in percent. */
    actualWeight: number;
    /** Every analysis measurement, per canary step (absent before the first one). */
    analysis?: AnalysisStepRecord[];
    /** Why the release waits for a human about the canary (analysis inconclusive). */
    awaitingDecision?: string;
    /** The signals that failed the canary, with measured values and thresholds. */
    failure?: { signal: string; detail: string }[];
  };
  /** The task definitions this release (or rollback) left running, per environment: what a later rollback puts back. */
  deployed?: { staging?: string; production?: string };
  /** The post-release watch (when the plan has one): its window, the baseline and what it measured. */
  verify?: VerifyRecord;
  approval: ApprovalRecord;
  /** True while an operator holds the canary at its current weight. */
  paused?: boolean;
  /** Operator controls used, oldest first. */
  controls?: { action: string; by: string; reason?: string; at: string }[];
  result?: ReleaseResult;
  /** Why the release ended the way it did (failure reason, rejection reason). */
  outcomeReason?: string;
  /** The production gate's freeze, while or after a freeze held the release (absent when none did). */
  freeze?: FreezeRecord;
  /** Every action taken, oldest first. */
  history: ReleaseEvent[];
}

/** A freeze that held the release at its production gate, and its break-glass approvals. */
export interface FreezeRecord {
  /** "frozen until 2026-12-24T09:00Z: year-end freeze" */
  text: string;
  reasons: string[];
  /** When the freeze ends, when known (an ad hoc freeze ends when someone ends it). */
  until?: string;
  /** Still held at the gate. */
  holding: boolean;
  /** A break-glass release: its reason, the approvals so far and how many it needs. */
  breakGlass?: { reason: string; required: number; approvals: { by: string; at: string; comment?: string; group?: string }[] };
}
