/**
 * In-memory activities for workflow tests: an ECS with services and task definitions, a smoke
 * test whose answer the test chooses, Slack and GitHub that only record. Every call is logged
 * so tests can assert what the workflow did, in which order.
 */
import { createDeliveryActivities } from '../../activities/delivery';
import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { ReleaseActivities } from '../../activities';
import type { AnalyseBakeInput, BakeReport } from '../../activities/canary-analysis';
import { createDecisionProofActivities, type DecisionProofKeys, TRUSTED_DECISIONS } from '../../activities/decision-proof';
import type { ServiceSnapshot, UpdateServiceInput } from '../../activities/ecs';
import { type SlackCalls, type SlackInTurnInput, slackInTurn } from '../../activities/slack';
import type { SlackTurnAnswer } from '../../src/domain/slack-turns';
import { createLaneActivities, type LaneActivities } from '../../activities/lane';
import type { MeasurementResult, TrackMetrics } from '../../src/domain/canary-analysis';
import { createReleaseSlackHandOver } from '../../activities/release-slack-hand-over';
import { sharedTestClient } from './temporal';
import type { AdHocFreeze } from '../../src/domain/freeze-api';

export interface FakeOptions {
  smokeFails?: boolean;
  /** How long the smoke test takes. */
  smokeDelayMs?: number;
  /** Services (cluster/service) whose deployment fails. */
  failingDeployments?: string[];
  /** How long posting the Slack message takes (a slow Slack); logs `postReleaseMessage:done` when it returns. */
  slackPostDelayMs?: number;
  /** How long each Slack message update takes; logs `updateReleaseMessage:done` when it returns. */
  slackUpdateDelayMs?: number;
  /** A messenger's call told to come back (`sendSlackInTurn`) instead of sent, by call number (1-based): logs `sendSlackInTurn:deferred`. Default: every call goes. */
  slackTurn?: (call: number, input: SlackInTurnInput) => { turnAtMs: number; comeBackAtMs: number } | undefined;
  /** Task definitions ECS no longer has ACTIVE (a rollback to them is refused). */
  goneTaskDefinitions?: string[];
  /** Releases of the service a rollback finds in flight (and stops). */
  releasesInFlight?: string[];
  /** Sentry and webhook calls fail (a receiver or Sentry that is down): non-retryable, so a test needs no retry waits. */
  markersFail?: boolean;
  /** What measureBaseline answers (the running version before the canary); default: the passing stable numbers. */
  baseline?: TrackMetrics;
  /** What each canary bake window reports, by call number (1-based); default: it lasts the bake and measures a pass. */
  analysis?: (call: number, input: AnalyseBakeInput) => BakeReport | Promise<BakeReport>;
  /** The commit's CI is not green: verifyBuild fails with this message. */
  ciFails?: string;
  /** Services (cluster/service) whose restore to their previous task definition is refused (a failing undo). */
  failingUndos?: string[];
  /** Tasks of the stable production service. @default 9 */
  productionTasks?: number;
  /** Keys the worker verifies decisions with (proofs required); default: none, decisions trusted as named. */
  decisionKeys?: DecisionProofKeys;
  /** The first this-many GitHub deployment writes are turned away as GitHubWritesBusy (a crowded worker). */
  gitHubWritesBusy?: number;
  /** What watchFreeze answers (ad hoc freezes of the service); default none. */
  adHocFreezes?: () => AdHocFreeze[];
  /**
   * Every release is granted its service's lane at once, with no lane workflow: for suites about
   * something else that keep several releases of one service waiting side by side. Lanes
   * themselves are tested with the real lane (the default).
   */
  laneFree?: boolean;
}

const PASSING: MeasurementResult = {
  measurement: { at: '2026-01-01T00:00:00.000Z', canary: { requests: 500, errorRate: 0.001, p99Ms: 100 }, stable: { requests: 4500, errorRate: 0.001, p99Ms: 100 }, crashedTasks: 0 },
  verdict: 'pass',
  signals: [],
};
export const passingBake: BakeReport = { results: [PASSING], decision: { action: 'continue' } };

/**
 * The default window: like the real activity, it lasts the bake (heartbeating), and a pause or
 * promote (a cancellation) gets back what was measured so far. Everything measured passes.
 */
export async function bakeLikeTheRealWindow(bakeMs: number): Promise<BakeReport> {
  const endsAt = Date.now() + bakeMs;
  try {
    while (Date.now() < endsAt) {
      await Context.current().sleep(Math.min(100, endsAt - Date.now()));
      Context.current().heartbeat();
    }
    return passingBake;
  } catch (err) {
    if (err instanceof CancelledFailure) return { ...passingBake, interrupted: true };
    throw err;
  }
}

export interface FakeCall {
  name: string;
  input: unknown;
}

/** The real lane activities on the file's shared test client, as the worker has them (the server tells them when a holder closes). */
async function realLane(): Promise<LaneActivities> {
  return createLaneActivities({ temporal: await sharedTestClient() });
}

/** The Slack messenger's hand-over, on the file's shared test client: it starts the real messenger workflow. */
async function realSlackHandOver() {
  return createReleaseSlackHandOver({ temporal: await sharedTestClient() });
}

/** The delivery ledger reads the test server's visibility store, like the worker's (a short settle: the dev server lists closed runs at once). */
async function realDelivery() {
  return createDeliveryActivities({ temporal: await sharedTestClient(), options: { settleMs: 500 } });
}

export function createFakeActivities(options: FakeOptions = {}) {
  const calls: FakeCall[] = [];
  const services = new Map<string, ServiceSnapshot>([
    ['staging/checkout', { taskDefinition: 'td/checkout-staging:1', desiredCount: 2, runningCount: 2 }],
    ['production/checkout', { taskDefinition: 'td/checkout-production:1', desiredCount: options.productionTasks ?? 9, runningCount: options.productionTasks ?? 9 }],
    ['production/checkout-canary', { taskDefinition: 'td/checkout-production:1', desiredCount: 0, runningCount: 0 }],
  ]);
  let revision = 1;
  let bakes = 0;
  let slackTurnCalls = 0;
  /** Told to come back as `options.slackTurn` says, logged; every other call goes. */
  const fakeTurn = (input: SlackInTurnInput): SlackTurnAnswer => {
    const told = options.slackTurn?.(++slackTurnCalls, input);
    if (!told) return { go: true };
    log('sendSlackInTurn:deferred', { ...input, ...told });
    return { go: false, ...told, promisedUntilMs: told.turnAtMs };
  };
  const fakeTurns = (input: SlackInTurnInput) => slackInTurn(activities, fakeTurn)(input);
  let busyWrites = options.gitHubWritesBusy ?? 0;
  const turnAwayWhileBusy = () => {
    if (busyWrites <= 0) return;
    busyWrites -= 1;
    throw ApplicationFailure.create({ message: 'too many GitHub writes are waiting in this worker', type: 'GitHubWritesBusy', nextRetryDelay: 50 });
  };
  const log = (name: string, input: unknown) => calls.push({ name, input: JSON.parse(JSON.stringify(input ?? null)) });
  const key = (ref: { cluster: string; service: string }) => `${ref.cluster}/${ref.service}`;

  const notFaked = (name: string) => async (input: unknown): Promise<never> => {
    log(name, input);
    throw ApplicationFailure.nonRetryable(`${name} is not faked`, 'NotFaked');
  };

  const activities: ReleaseActivities = {
    async describeService(ref) {
      log('describeService', ref);
      return { ...services.get(key(ref))! };
    },
    async prepareTaskDefinition(input) {
      log('prepareTaskDefinition', input);
      revision += 1;
      return { taskDefinitionArn: `td/${input.source.service}-${input.source.cluster}:${revision}`, registered: true };
    },
    async updateService(input: UpdateServiceInput) {
      log('updateService', input);
      if (options.failingUndos?.includes(key(input)) && input.taskDefinition?.endsWith(':1')) {
        throw ApplicationFailure.nonRetryable(`not authorized to perform ecs:UpdateService on ${key(input)}`, 'AccessDenied');
      }
      const previous = { ...services.get(key(input))! };
      services.set(key(input), {
        taskDefinition: input.taskDefinition ?? previous.taskDefinition,
        desiredCount: input.desiredCount ?? previous.desiredCount,
        runningCount: input.desiredCount ?? previous.desiredCount,
      });
      return { previous, changed: true };
    },
    async waitForDeployment(input) {
      log('waitForDeployment', input);
      if (options.failingDeployments?.includes(key(input)) && !input.taskDefinition.endsWith(':1')) {
        throw ApplicationFailure.nonRetryable(`deployment to ${key(input)} failed: tasks failed to start`, 'DeploymentFailed');
      }
      return { runningCount: services.get(key(input))!.desiredCount };
    },
    // The release lane is Temporal itself (a lane workflow on the test server), never faked.
    handSlackItemsOver: async (input) => {
      log('handSlackItemsOver', input);
      return (await realSlackHandOver()).handSlackItemsOver(input);
    },
    enterLane: async (input) => (options.laneFree ? { decision: { kind: 'granted' } } : (await realLane()).enterLane(input)),
    passLaneApproval: async (input) => (options.laneFree ? { ok: true } : (await realLane()).passLaneApproval(input)),
    awaitRunClosed: async (input) => (await realLane()).awaitRunClosed(input),
    collectEndedReleases: async (input) => (await realDelivery()).collectEndedReleases(input),
    // ECS's own strategies (activities/ecs-native.ts): not faked yet; a workflow test that reaches them fails naming the call.
    startNativeDeployment: notFaked('startNativeDeployment'),
    awaitLifecycleHook: notFaked('awaitLifecycleHook'),
    answerLifecycleHook: notFaked('answerLifecycleHook'),
    rollBackServiceDeployment: notFaked('rollBackServiceDeployment'),
    awaitServiceDeploymentEnd: notFaked('awaitServiceDeploymentEnd'),
    async runSmokeTest(input) {
      log('runSmokeTest', input);
      if (options.smokeDelayMs) await Context.current().sleep(options.smokeDelayMs);
      if (options.smokeFails) throw ApplicationFailure.nonRetryable('smoke check 1/2 GET /health → 503', 'SmokeTestFailed');
      return { checks: [{ status: 200, ms: 1 }] };
    },
    async postReleaseMessage(input) {
      log('postReleaseMessage', input);
      if (options.slackPostDelayMs) {
        await Context.current().sleep(options.slackPostDelayMs);
        log('postReleaseMessage:done', null);
      }
      return { channel: input.channel, ts: '1.0001' };
    },
    async updateReleaseMessage(input) {
      log('updateReleaseMessage', input);
      if (options.slackUpdateDelayMs) {
        await Context.current().sleep(options.slackUpdateDelayMs);
        log('updateReleaseMessage:done', null);
      }
    },
    async postThreadReply(input) {
      log('postThreadReply', input);
      return { channel: input.channel, ts: '1.0002' };
    },
    // As the real one, over whichever three calls it is given (withSlackInTurn): here the three above.
    sendSlackInTurn: (input) => fakeTurns(input),
    async verifyBuild(input) {
      log('verifyBuild', input);
      if (options.ciFails) throw ApplicationFailure.nonRetryable(options.ciFails, 'ChecksFailed');
      return { checks: ['ci'] };
    },
    async checkReleaseBranch(input) {
      log('checkReleaseBranch', input);
      return { branch: input.branch ?? 'main', status: 'behind' };
    },
    async dispatchBuild(input) {
      log('dispatchBuild', input);
      return { runId: 42, url: `https://github.com/${input.repo}/actions/runs/42`, correlationId: input.releaseId, dispatched: true };
    },
    async waitForBuild(input) {
      log('waitForBuild', input);
      const image = input.imageOutput ? input.imageOutput.replace('{{image}}', input.image) : input.image;
      return { image, runId: input.runId, conclusion: 'success', url: `https://github.com/${input.repo}/actions/runs/${input.runId}` };
    },
    async restorePreviousDeployment(input) {
      log('restorePreviousDeployment', input);
      return { changed: false };
    },
    async createDeployment(input) {
      log('createDeployment', input);
      turnAwayWhileBusy();
      return { deploymentId: input.environment === 'staging' ? 1 : 2 };
    },
    async setDeploymentStatus(input) {
      log('setDeploymentStatus', input);
      turnAwayWhileBusy();
    },
    // Records are written at once, in the order the release hands them over: these tests are about
    // the release. The writer's queue, pace and ids are tested with the real writer (test/workflow/github-writer.test.ts).
    async queueGitHubRecord({ request }) {
      await activities.writeGitHubRecord({ request, deploymentId: request.key.environment === 'staging' ? 1 : 2 });
    },
    async writeGitHubRecord({ request, deploymentId }) {
      if (request.kind === 'create') return { ...(await activities.createDeployment(request.input)), requests: 2 };
      if (request.kind === 'status') await activities.setDeploymentStatus({ ...request.input, deploymentId: deploymentId ?? 0 });
      else await activities.restorePreviousDeployment(request.input);
      return { requests: 1 };
    },
    // Records never queue up here (written as handed over), so nothing is ever parked.
    takeParkedGitHubRecords: notFaked('takeParkedGitHubRecords'),
    async countCrashedTasks(input) {
      log('countCrashedTasks', input);
      return { crashed: 0, reasons: [] };
    },
    async checkTaskDefinition(input) {
      log('checkTaskDefinition', input);
      return options.goneTaskDefinitions?.includes(input.taskDefinition) ? { status: 'INACTIVE' } : { status: 'ACTIVE', image: 'registry.local/checkout:old' };
    },
    async watchFreeze(input) {
      log('watchFreeze', input);
      return { freezes: options.adHocFreezes?.() ?? [] };
    },
    async stopReleasesInFlight(input) {
      log('stopReleasesInFlight', input);
      return { stopped: (options.releasesInFlight ?? []).map((releaseId) => ({ releaseId, ended: 'CANCELLED' })) };
    },
    async createSentryRelease(input) {
      log('createSentryRelease', input);
      if (options.markersFail) throw ApplicationFailure.nonRetryable('Sentry answered 503', 'SentryUnavailable');
      return { version: input.version, commits: 'refs' };
    },
    async recordSentryDeploy(input) {
      log('recordSentryDeploy', input);
      if (options.markersFail) throw ApplicationFailure.nonRetryable('Sentry answered 503', 'SentryUnavailable');
      return { deployId: `${input.environment}-1`, created: true };
    },
    async finalizeSentryRelease(input) {
      log('finalizeSentryRelease', input);
      if (options.markersFail) throw ApplicationFailure.nonRetryable('Sentry answered 503', 'SentryUnavailable');
      return { finalized: true, dateReleased: input.dateReleased };
    },
    async deliverWebhook(input) {
      log('deliverWebhook', input);
      if (options.markersFail) throw ApplicationFailure.nonRetryable('the receiver answered 500', 'WebhookRefused');
      return { status: 204 };
    },
    async measureBaseline(input) {
      log('measureBaseline', input);
      return options.baseline ?? PASSING.measurement.stable;
    },
    async analyseBake(input) {
      log('analyseBake', input);
      bakes += 1;
      return options.analysis ? options.analysis(bakes, input) : bakeLikeTheRealWindow(input.bakeMs);
    },
    async runMigration(input) {
      log('runMigration', input);
      return { taskArn: 'arn:task/migration', exitCode: 0 };
    },
    // The real verifier (not logged): with no keys given, decisions are trusted as named.
    ...createDecisionProofActivities(options.decisionKeys ?? TRUSTED_DECISIONS),
  };
  return { activities, calls, services, names: () => calls.map((c) => c.name) };
}

/**
 * Activities whose messenger calls (`sendSlackInTurn`) go through their own three Slack calls: for
 * a test that replaces one of them, every call going now.
 */
export function withSlackInTurn<A extends SlackCalls>(activities: A): A & { sendSlackInTurn: ReturnType<typeof slackInTurn> } {
  return { ...activities, sendSlackInTurn: slackInTurn(activities, () => ({ go: true })) };
}
