/**
 * The release's activities in groups, one proxy per group, each with the timeouts and retries
 * of its kind of work. A group is typed as just its own activities, so calling an activity
 * under another group's policy (a GitHub write with ECS's retries, a long wait with a 10 s
 * timeout) is a compile error. Long waits heartbeat often with a short heartbeat timeout, so a
 * crashed worker's activity is retried elsewhere within seconds, not minutes.
 */
import { ActivityCancellationType, type ActivityOptions, proxyActivities } from '@temporalio/workflow';
import type { ReleaseActivities } from '../activities';
import type { ReleasePlan } from '../src/domain/release';
import { smokeMaxDurationMs } from '../src/domain/smoke';
import { SLACK_CALL_HEARTBEAT_TIMEOUT_MS } from '../src/domain/slack-budget';

/** Heartbeat timeout for long-running activities: how quickly a lost one is retried. */
export const HEARTBEAT_TIMEOUT_MS = 5_000;

/** Activities `K` of the worker, as one group's proxy sees them. */
type Group<K extends keyof ReleaseActivities> = Pick<ReleaseActivities, K>;

/** Which activities each group may call. */
export interface ReleaseActivityGroups {
  /** Single ECS calls on the forward path. */
  ecs: Group<'describeService' | 'prepareTaskDefinition' | 'updateService' | 'checkTaskDefinition'>;
  /** Single GitHub reads that gate the release (release branch, CI checks looked at once). */
  github: Group<'checkReleaseBranch' | 'verifyBuild'>;
  /** Waiting for CI: a dispatched build, or checks still running. */
  buildWait: Group<'dispatchBuild' | 'waitForBuild' | 'verifyBuild'>;
  /** Waiting for ECS: a deployment to be the one running, a migration task to finish. */
  deployWait: Group<'waitForDeployment' | 'runMigration'>;
  smoke: Group<'runSmokeTest'>;
  /** One canary bake window with its measurements; the baseline before the canary. */
  analysis: Group<'analyseBake' | 'measureBaseline'>;
  /** One window of the post-release watch (as long as the watch itself). */
  watch: Group<'analyseBake'>;
  /** ECS's own deployments (ecs-* strategies): starting one, answering its lifecycle hooks. */
  native: Group<'startNativeDeployment' | 'answerLifecycleHook'>;
  /** Waiting for an ECS deployment to pause at a hook or to end. */
  nativeWait: Group<'awaitLifecycleHook' | 'awaitServiceDeploymentEnd'>;
  /** Undo steps: retried until they succeed. */
  rollback: Group<'updateService'>;
  rollbackWait: Group<'waitForDeployment'>;
  /** Undo under ECS's own strategies: ECS's rollback of the deployment, or the previous revision deployed again. */
  nativeRollback: Group<'rollBackServiceDeployment' | 'startNativeDeployment'>;
  nativeRollbackWait: Group<'awaitServiceDeploymentEnd'>;
  /** Slack: informative, a few tries then the release goes on without it. */
  notify: Group<'postReleaseMessage' | 'updateReleaseMessage' | 'postThreadReply'>;
  /** The message's updates, withdrawable: a cancelled one is waited for until its activity has stopped. */
  notifyUpdate: Group<'updateReleaseMessage'>;
  /** Slack items handed to the run's messenger workflow (issue 20): only Temporal is needed, so tried until taken. */
  slackHandOver: Group<'handSlackItemsOver'>;
  /** GitHub deployment records: kept trying for their bound, since they say what runs where. */
  records: Group<'createDeployment' | 'setDeploymentStatus' | 'restorePreviousDeployment'>;
  /** Deployment records handed to the installation's GitHub writer (issue 20), which writes them at GitHub's pace. */
  recordQueue: Group<'queueGitHubRecord'>;
  /** Release markers (Sentry) and webhook deliveries: informative, tried with backoff for a bounded time. */
  markers: Group<'createSentryRelease' | 'recordSentryDeploy' | 'finalizeSentryRelease' | 'deliverWebhook'>;
  /** A rollback stopping the service's releases in flight and waiting while they roll themselves back. */
  releaseControl: Group<'stopReleasesInFlight'>;
  /** The service's release lane: asking for a place, and to go past approval (issue 18). */
  lane: Group<'enterLane' | 'passLaneApproval'>;
  /** The production gate's look at ad hoc freezes (the freeze workflow). */
  freeze: Group<'watchFreeze'>;
}

/**
 * Single ECS API calls take well under a second; the start-to-close timeout is also how long a
 * call lost in a worker crash waits before its retry, so it is kept short.
 */
const ecsCall: ActivityOptions = {
  startToCloseTimeout: '10s',
  // On abort, wait for an in-flight call to finish: a rollback must never race a late update.
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '20s', maximumAttempts: 10 },
};

/**
 * Single GitHub reads. Octokit paces and retries inside the call (secondary rate limits answer
 * with a wait), so a call gets longer than an ECS call before it counts as lost.
 */
const gitHubCall: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '20s', maximumAttempts: 10 },
};

/**
 * Undo steps must not give up on transient errors: no maximumAttempts means they retry until
 * they succeed (non-retryable failures, such as a deleted service, still end them).
 */
const rollbackCall: ActivityOptions = {
  startToCloseTimeout: '20s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute' },
};

/**
 * Slack is informative: a few retries, then the release goes on without it. The overall bound
 * matters because a rate limit's retry delay can be long: what cannot be sent within it is
 * given up, not waited for.
 */
const notification: ActivityOptions = {
  startToCloseTimeout: '10s',
  scheduleToCloseTimeout: '3 minutes',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 5 },
};

/**
 * Slack: a call may wait its turn on the worker's Slack pacer (Slack's own limits: one post a second
 * per channel, about 50 updates a minute): 2,000 releases announcing in one channel is 33 minutes
 * of posts and 40 of final updates. So it has an hour, and heartbeats while it waits. Its heartbeat
 * timeout is what a worker's crash costs the call (before the pacer, its 10 s start-to-close): at
 * 60 s, the chaos suite's release whose worker was killed again and again during its Slack post
 * never finished in its four minutes. A call heartbeats only once it has waited 5 s, so only calls
 * queued behind Slack's limits cost the server heartbeats. Slack's answer itself takes at most 8 s
 * (the client's timeout); five failed attempts (Slack down) still give up within about half a
 * minute, a rate limit being a wait in the pacer, not a failed attempt. A messenger's calls take
 * their heartbeat timeout from its input (RUNWAY_SLACK_CALL_HEARTBEAT_TIMEOUT): `slackCallWith`;
 * since 2026-12-07 they wait here for at most about 2 minutes, a longer wait being spent on the
 * messenger's timer (src/domain/slack-turns.ts).
 */
export const slackCall: ActivityOptions = {
  startToCloseTimeout: '60 minutes',
  heartbeatTimeout: SLACK_CALL_HEARTBEAT_TIMEOUT_MS,
  scheduleToCloseTimeout: '60 minutes',
  retry: notification.retry,
};

/** A Slack call with this heartbeat timeout (ms); the default one without. */
export function slackCallWith(heartbeatTimeoutMs: number | undefined): ActivityOptions {
  return heartbeatTimeoutMs === undefined ? slackCall : { ...slackCall, heartbeatTimeout: heartbeatTimeoutMs };
}

/**
 * GitHub deployment records, written at one per second per worker: when many releases write at
 * once, a write may be turned away (GitHubWritesBusy) again and again before its turn comes. Five
 * attempts gave up on most records at 50 releases in flight (bench scale); these keep trying for
 * the same 3 minutes instead, so the record of what runs where survives a burst.
 */
const deploymentRecord: ActivityOptions = {
  ...notification,
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s' },
};

/**
 * Sentry and webhook receivers inform, like Slack: bounded by the same 3 minutes, but with no
 * attempt limit inside it, so a receiver that is down for a minute still gets its delivery
 * (1 s, 2 s, 4 s … up to 30 s apart). What is not delivered by then is recorded and given up.
 */
const marker: ActivityOptions = {
  startToCloseTimeout: '15s',
  scheduleToCloseTimeout: '3 minutes',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
};

export function releaseActivities(plan: ReleasePlan): ReleaseActivityGroups {
  const deployWait: ActivityOptions = {
    startToCloseTimeout: plan.deployTimeoutMs + 60_000,
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    heartbeatTimeout: HEARTBEAT_TIMEOUT_MS,
    retry: { initialInterval: '1s', maximumInterval: '10s', maximumAttempts: 20 },
  };
  // The whole smoke test in one call: its warm-up, a last check at the deadline and the passing
  // checks in a row after the first (smokeMaxDurationMs), plus a minute. It heartbeats every
  // second, also while waiting or while a request is in flight, so a lost worker's test is taken
  // up elsewhere within the usual heartbeat timeout and goes on from its heartbeat details (same
  // warm-up deadline). A failed test is not retried (non-retryable); a lost attempt is.
  const smoke: ActivityOptions = {
    startToCloseTimeout: smokeMaxDurationMs(plan.smoke) + 60_000,
    heartbeatTimeout: HEARTBEAT_TIMEOUT_MS,
    retry: { initialInterval: '1s', maximumAttempts: 3 },
  };
  // One bake window per call; it heartbeats every second while waiting, so a pause (which
  // cancels it) gets its measurements back within about a heartbeat, and a lost worker's window
  // resumes elsewhere from its heartbeat details.
  const analysis: ActivityOptions = {
    startToCloseTimeout: plan.canary.bakeMs + 5 * 60_000,
    // Shorter than other heartbeats: the SDK sends at most one per 0.8 × this, which bounds how
    // long a pause waits for the window's measurements.
    heartbeatTimeout: 5_000,
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: { initialInterval: '1s', maximumInterval: '10s', maximumAttempts: 10 },
  };
  // Waiting for CI: a dispatched build or checks still pending. Polls heartbeat; a retry resumes
  // the same run (or the same deadline) from the heartbeat details.
  const build = plan.build;
  const buildWaitMs = Math.max(build.mode === 'dispatch' ? build.timeoutMs : build.pendingDeadlineMs, CI_GREEN_DEADLINE_MS);
  const buildWait: ActivityOptions = {
    startToCloseTimeout: buildWaitMs + 2 * 60_000,
    heartbeatTimeout: 3 * HEARTBEAT_TIMEOUT_MS,
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 10 },
  };
  return {
    ecs: proxyActivities<ReleaseActivityGroups['ecs']>(ecsCall),
    github: proxyActivities<ReleaseActivityGroups['github']>(gitHubCall),
    buildWait: proxyActivities<ReleaseActivityGroups['buildWait']>(buildWait),
    deployWait: proxyActivities<ReleaseActivityGroups['deployWait']>(deployWait),
    smoke: proxyActivities<ReleaseActivityGroups['smoke']>(smoke),
    analysis: proxyActivities<ReleaseActivityGroups['analysis']>(analysis),
    watch: proxyActivities<ReleaseActivityGroups['watch']>({ ...analysis, startToCloseTimeout: (plan.verify?.durationMs ?? 0) + 5 * 60_000 }),
    native: proxyActivities<ReleaseActivityGroups['native']>(ecsCall),
    nativeWait: proxyActivities<ReleaseActivityGroups['nativeWait']>(deployWait),
    rollback: proxyActivities<ReleaseActivityGroups['rollback']>(rollbackCall),
    nativeRollback: proxyActivities<ReleaseActivityGroups['nativeRollback']>(rollbackCall),
    nativeRollbackWait: proxyActivities<ReleaseActivityGroups['nativeRollbackWait']>({ ...deployWait, retry: { ...rollbackCall.retry } }),
    rollbackWait: proxyActivities<ReleaseActivityGroups['rollbackWait']>({ ...deployWait, retry: { ...rollbackCall.retry } }),
    notify: proxyActivities<ReleaseActivityGroups['notify']>(slackCall),
    notifyUpdate: proxyActivities<ReleaseActivityGroups['notifyUpdate']>({ ...slackCall, cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED }),
    records: proxyActivities<ReleaseActivityGroups['records']>(deploymentRecord),
    // Like a record's hand-over; the final's waits for the message to be done (Slack's pace under load), heartbeating.
    slackHandOver: proxyActivities<ReleaseActivityGroups['slackHandOver']>({
      startToCloseTimeout: slackCall.startToCloseTimeout,
      heartbeatTimeout: 2 * HEARTBEAT_TIMEOUT_MS,
      retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s' },
    }),
    // Handing a record over only needs Temporal, which the release needs anyway: tried until it is taken.
    // A hand-over waits for the writer to take it, which under load (hundreds of releases starting
    // at once) is one of its workflow tasks behind theirs: tens of seconds, not a failure. A
    // hand-over that waits heartbeats, so one lost with its worker is retried within seconds.
    recordQueue: proxyActivities<ReleaseActivityGroups['recordQueue']>({
      startToCloseTimeout: '2 minutes',
      heartbeatTimeout: 2 * HEARTBEAT_TIMEOUT_MS,
      retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s' },
    }),
    markers: proxyActivities<ReleaseActivityGroups['markers']>(marker),
    // A gate that cannot read ad hoc freezes keeps trying (it must not pass a freeze it cannot see).
    freeze: proxyActivities<ReleaseActivityGroups['freeze']>({ ...gitHubCall, retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' } }),
    // A stopped release undoes up to two environments, each a deployment wait.
    releaseControl: proxyActivities<ReleaseActivityGroups['releaseControl']>({
      startToCloseTimeout: 2 * (plan.deployTimeoutMs + 60_000) + 5 * 60_000,
      heartbeatTimeout: 3 * HEARTBEAT_TIMEOUT_MS,
      retry: { initialInterval: '1s', maximumInterval: '10s', maximumAttempts: 10 },
    }),
    // The lane answers at once; while the server is away the release waits for it, it never goes without.
    lane: proxyActivities<ReleaseActivityGroups['lane']>(laneCall),
  };
}

/** Asking the release lane (an Update on the lane workflow): short, and retried for as long as it takes. */
export const laneCall: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s' },
};

/** How long the CI-green rule waits for a commit's checks still running before a dispatched build. */
export const CI_GREEN_DEADLINE_MS = 10 * 60_000;
