/**
 * Timeouts and retries per kind of activity. Long waits heartbeat often with a short heartbeat
 * timeout, so a crashed worker's activity is retried elsewhere within seconds, not minutes.
 */
import { ActivityCancellationType, type ActivityOptions, proxyActivities } from '@temporalio/workflow';
import type { ReleaseActivities } from '../activities';
import type { ReleasePlan } from '../src/domain/release';

/** Heartbeat timeout for long-running activities: how quickly a lost one is retried. */
export const HEARTBEAT_TIMEOUT_MS = 5_000;

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
 * Undo steps must not give up on transient errors: no maximumAttempts means they retry until
 * they succeed (non-retryable failures, such as a deleted service, still end them).
 */
const rollbackCall: ActivityOptions = {
  startToCloseTimeout: '20s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute' },
};

/**
 * Slack and GitHub are informative: a few retries, then the release goes on without them. The
 * overall bound matters because a rate limit's retry delay (GitHub's reset time) can be an hour:
 * a record that cannot be written within it is given up, not waited for.
 */
const notification: ActivityOptions = {
  startToCloseTimeout: '10s',
  scheduleToCloseTimeout: '3 minutes',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 5 },
};

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

export function releaseActivities(plan: ReleasePlan) {
  const deployWait: ActivityOptions = {
    startToCloseTimeout: plan.deployTimeoutMs + 60_000,
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    heartbeatTimeout: HEARTBEAT_TIMEOUT_MS,
    retry: { initialInterval: '1s', maximumInterval: '10s', maximumAttempts: 20 },
  };
  const smokeCheckMs = plan.smoke.timeoutMs + plan.smoke.intervalMs;
  const smoke: ActivityOptions = {
    startToCloseTimeout: plan.smoke.attempts * smokeCheckMs + 60_000,
    heartbeatTimeout: Math.max(HEARTBEAT_TIMEOUT_MS, smokeCheckMs + 5_000),
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
  const buildWaitMs = build?.mode === 'dispatch' ? build.timeoutMs : (build?.pendingDeadlineMs ?? 0);
  const buildWait: ActivityOptions = {
    startToCloseTimeout: buildWaitMs + 2 * 60_000,
    heartbeatTimeout: 3 * HEARTBEAT_TIMEOUT_MS,
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 10 },
  };
  return {
    ecs: proxyActivities<ReleaseActivities>(ecsCall),
    buildWait: proxyActivities<ReleaseActivities>(buildWait),
    analysis: proxyActivities<ReleaseActivities>(analysis),
    deployWait: proxyActivities<ReleaseActivities>(deployWait),
    rollback: proxyActivities<ReleaseActivities>(rollbackCall),
    rollbackWait: proxyActivities<ReleaseActivities>({ ...deployWait, retry: { ...rollbackCall.retry } }),
    smoke: proxyActivities<ReleaseActivities>(smoke),
    build: proxyActivities<ReleaseActivities>(ecsCall),
    notify: proxyActivities<ReleaseActivities>(notification),
    records: proxyActivities<ReleaseActivities>(deploymentRecord),
  };
}
