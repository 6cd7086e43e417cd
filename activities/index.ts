/**
 * Every side effect of a release, built from the clients it needs. The worker hands in real
 * clients; tests hand in fakes or real clients pointed at the sandbox.
 */
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { Client } from '@temporalio/client';
import type { CanaryAnalysisPlan } from '../src/domain/release';
import type { MetricsProvider } from '../src/metrics/provider';
import { createSentryClient } from '../src/sdk-clients/sentry';
import { createAnalysisActivities } from './canary-analysis';
import { createEcsActivities, type EcsActivityOptions } from './ecs';
import { createMigrationActivities } from './ecs-migration';
import { createEcsNativeActivities } from './ecs-native';
import { createEcsTaskActivities } from './ecs-tasks';
import { createGitHubActivities, type GitHubApi } from './github';
import { createGitHubBuildActivities, type GitHubBuildOptions } from './github-build';
import { createGitHubRecordActivities, createGitHubWriteSlots } from './github-records';
import type { GitHubWriteBudget } from '../src/domain/github-write-budget';
import { createSentryActivities, type SentryApi } from './sentry';
import { createSlackActivities, type SlackApi } from './slack';
import { createLaneActivities } from './lane';
import { createReleaseSlackHandOver } from './release-slack-hand-over';
import { createReleasesInFlightActivities } from './releases-in-flight';
import { createFreezeActivities } from './freeze';
import { createSmokeActivities } from './smoke';
import { createDecisionProofActivities, type DecisionProofKeys, TRUSTED_DECISIONS } from './decision-proof';
import { createWebhookActivities } from './webhook';
import { createDeliveryActivities, type DeliveryActivityOptions } from './delivery';

export interface ActivityClients {
  ecs: ECSClient;
  slack: SlackApi;
  github: GitHubApi;
  fetch?: typeof fetch;
  /** ECS waits' options; the worker sets `pollIntervalMs` from RUNWAY_DEPLOY_POLL_INTERVAL (deployment and migration waits). */
  ecsOptions?: EcsActivityOptions;
  /** Poll intervals of the GitHub build waits. */
  githubOptions?: GitHubBuildOptions;
  /** Sentry for release markers; without it, marker calls fail with a message saying SENTRY_AUTH_TOKEN is missing. */
  sentry?: SentryApi;
  /** RUNWAY_WEBHOOK_SECRET, which signs webhook deliveries; without it none is sent. */
  webhookSecret?: string;
  /** The pace of the installation's GitHub writer (RUNWAY_GITHUB_WRITE_BUDGET); GitHub's own limits by default. */
  githubWriteBudget?: GitHubWriteBudget;
  /** Runway's own Temporal client: a rollback stops the service's releases in flight through it. */
  temporal?: Client;
  /**
   * The keys decisions are verified with (RUNWAY_DECISION_HMAC_KEYS, `people.<name>.sshKeys`,
   * `approval.cli`), from the worker's own environment and config, never from a release's input.
   * Without them decisions are trusted as named (README, "Threat model").
   */
  decisionKeys?: DecisionProofKeys;
  /** Metrics for canary analysis; without it, analysis fails with a message saying PROMETHEUS_URL is missing. */
  metricsFor?: (analysis: CanaryAnalysisPlan) => MetricsProvider;
  /** The delivery ledger's reading of ended releases (how long it lets the visibility store settle). */
  deliveryOptions?: DeliveryActivityOptions;
  /** The heartbeat timeout of the Slack calls of the messengers this worker starts (ms; RUNWAY_SLACK_CALL_HEARTBEAT_TIMEOUT). */
  slackCallHeartbeatTimeoutMs?: number;
}

function noMetricsConfigured(): MetricsProvider {
  throw new Error('no metrics source is configured on the worker (set PROMETHEUS_URL)');
}

export function createActivities(clients: ActivityClients) {
  const ecsTasks = createEcsTaskActivities({ ecs: clients.ecs });
  return {
    ...createEcsActivities({ ecs: clients.ecs, options: clients.ecsOptions }),
    ...createEcsNativeActivities({ ecs: clients.ecs, options: clients.ecsOptions }),
    ...ecsTasks,
    ...createAnalysisActivities({ metricsFor: clients.metricsFor ?? noMetricsConfigured, crashedTasks: ecsTasks.countCrashedTasks }),
    ...createMigrationActivities({ ecs: clients.ecs, options: { pollIntervalMs: clients.ecsOptions?.pollIntervalMs } }),
    ...createSmokeActivities({ fetch: clients.fetch }),
    ...createReleasesInFlightActivities({ temporal: clients.temporal }),
    ...createLaneActivities({ temporal: clients.temporal }),
    ...createFreezeActivities({ temporal: clients.temporal }),
    ...createSlackActivities({ slack: clients.slack, temporal: clients.temporal }),
    ...createReleaseSlackHandOver({ temporal: clients.temporal, callHeartbeatTimeoutMs: clients.slackCallHeartbeatTimeoutMs }),
    ...createGitHubActivities({ github: clients.github }),
    ...createGitHubRecordActivities({ temporal: clients.temporal, github: clients.github, budget: clients.githubWriteBudget }),
    ...createGitHubBuildActivities({
      github: clients.github,
      options: clients.githubOptions,
      ...(clients.temporal ? { waitForWriteSlot: createGitHubWriteSlots({ temporal: clients.temporal, budget: clients.githubWriteBudget }) } : {}),
    }),
    ...createSentryActivities({ sentry: clients.sentry ?? createSentryClient({}) }),
    ...createWebhookActivities({ secret: clients.webhookSecret, fetch: clients.fetch }),
    ...createDecisionProofActivities(clients.decisionKeys ?? TRUSTED_DECISIONS),
    ...createDeliveryActivities({ temporal: clients.temporal, github: clients.github, options: clients.deliveryOptions }),
  };
}

export type ReleaseActivities = ReturnType<typeof createActivities>;
