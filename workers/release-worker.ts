/**
 * The release worker: real clients from the environment, activities from their factories,
 * the workflow bundle. Used by `runway worker`, `runway dev` and tests.
 */
import { type NativeConnection, Worker, type WorkflowBundle, type WorkflowBundleOption } from '@temporalio/worker';
import { createActivities, type ActivityClients } from '../activities';
import { createEcsClient } from '../src/sdk-clients/ecs';
import { createGitHubClient } from '../src/sdk-clients/github';
import { createSentryClient } from '../src/sdk-clients/sentry';
import { createSlackClient } from '../src/sdk-clients/slack';
import { createPrometheusProvider } from '../src/metrics/prometheus';
import type { RunwayEnv } from '../src/config/env';
import { loadDecisionKeys } from '../src/config/decision-keys';
import { connectClient, dataConverterFor } from '../src/temporal/connection';
import type { DataConverter } from '@temporalio/common';
import { workerDeploymentOptions, type WorkerVersion } from '../src/temporal/worker-deployment';
import { workflowTaskPollOptions } from '../src/temporal/workflow-task-polls';

export interface ReleaseWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** Defaults to clients built from `env`. */
  clients?: ActivityClients;
  env?: RunwayEnv;
  /** How payloads are stored; defaults to `env`'s payload keys (encrypted with them, in clear without). */
  dataConverter?: DataConverter;
  /** A pre-built bundle (tests bundle once); otherwise the workflows are bundled at start. */
  workflowBundle?: WorkflowBundle;
  identity?: string;
  /**
   * Worker Versioning: the deployment and build this worker declares; every release it starts is
   * pinned to that build. Unset → an unversioned worker (in-process tests, history recording).
   */
  versioning?: WorkerVersion;
}

export function clientsFromEnv(env: RunwayEnv): ActivityClients {
  const prometheusUrl = env.PROMETHEUS_URL;
  return {
    ecs: createEcsClient(),
    slack: createSlackClient(env),
    github: createGitHubClient(env),
    // Release markers: the token and the webhook secret stay in these clients (never in workflow inputs).
    sentry: createSentryClient(env),
    webhookSecret: env.RUNWAY_WEBHOOK_SECRET,
    // Deployment records for all workers together, at GitHub's pace unless RUNWAY_GITHUB_WRITE_BUDGET says otherwise.
    githubWriteBudget: env.RUNWAY_GITHUB_WRITE_BUDGET,
    // Deployment and migration waits poll ECS this often (RUNWAY_DEPLOY_POLL_INTERVAL).
    ecsOptions: { pollIntervalMs: env.RUNWAY_DEPLOY_POLL_INTERVAL },
    // The delivery ledger counts a closed release once the visibility store has had this long to list it (RUNWAY_DELIVERY_SETTLE).
    deliveryOptions: { settleMs: env.RUNWAY_DELIVERY_SETTLE },
    // A messenger's Slack calls: how long one lost with its worker waits, and how often one waiting its turn heartbeats (RUNWAY_SLACK_CALL_HEARTBEAT_TIMEOUT).
    slackCallHeartbeatTimeoutMs: env.RUNWAY_SLACK_CALL_HEARTBEAT_TIMEOUT,
    ...(prometheusUrl ? { metricsFor: (analysis) => createPrometheusProvider({ baseUrl: prometheusUrl, queries: analysis.queries }) } : {}),
  };
}

export async function createReleaseWorker(options: ReleaseWorkerOptions): Promise<Worker> {
  const clients = options.clients ?? (await clientsWithTemporalFromEnv(requireEnv(options.env)));
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...(options.identity ? { identity: options.identity } : {}),
    ...(options.versioning ? { workerDeploymentOptions: workerDeploymentOptions(options.versioning) } : {}),
    activities: createActivities(clients),
    // Encrypted payloads when the environment has payload keys (README, "Encrypted payloads").
    ...(options.dataConverter ? { dataConverter: options.dataConverter } : options.env ? { dataConverter: dataConverterFor(options.env) } : {}),
    ...workflowCode(options),
    // Sized for thousands of releases in flight (README "Running many releases"): long waits hold
    // an activity slot each; the cache trades memory for replays. Tests without an env keep the SDK's.
    ...(options.env ? { maxConcurrentActivityTaskExecutions: options.env.RUNWAY_WORKER_ACTIVITY_SLOTS, maxCachedWorkflows: options.env.RUNWAY_WORKER_CACHED_WORKFLOWS } : {}),
    // Polls of the task queue itself, where a run's task lands when it is not cached here or its
    // sticky task waited over the 3 s below; the SDK's default gives it 2 of 10.
    ...(options.env ? workflowTaskPollOptions(options.env.RUNWAY_WORKER_WORKFLOW_POLLS) : {}),
    // After a crash, a workflow task queued for this (dead) worker's sticky queue moves to the
    // shared queue after this long (SDK default 10 s); a cache miss costs only a replay.
    stickyQueueScheduleToStartTimeout: '3s',
    // SIGTERM/SIGINT: ECS calls finish well within the grace time; long waits are cancelled at
    // its end, having checkpointed in their heartbeat, and their attempt is failed at once so
    // the next worker resumes them without waiting for a heartbeat timeout.
    shutdownGraceTime: '5s',
    // Whatever happens, the process ends: an orchestrator's SIGKILL would come next anyway.
    shutdownForceTime: '15s',
  });
}

/**
 * The clients from the environment, a Temporal client of the worker's own (a rollback stops
 * releases in flight through it), and the keys decisions are verified with: the worker's own
 * RUNWAY_DECISION_HMAC_KEYS and the people's SSH keys and approval.cli of its RUNWAY_CONFIG.
 */
async function clientsWithTemporalFromEnv(env: RunwayEnv): Promise<ActivityClients> {
  const decisionKeys = await loadDecisionKeys(env);
  const { client } = await connectClient(env);
  return { ...clientsFromEnv(env), temporal: client, decisionKeys };
}

/**
 * The workflow code: a bundle handed in (tests bundle once), else the pre-built one
 * RUNWAY_WORKFLOW_BUNDLE names (the image's, from `npm run build`), else the workflows bundled now.
 */
function workflowCode(options: ReleaseWorkerOptions): { workflowBundle: WorkflowBundleOption } | { workflowsPath: string } {
  if (options.workflowBundle) return { workflowBundle: options.workflowBundle };
  const file = options.env?.RUNWAY_WORKFLOW_BUNDLE;
  return file ? { workflowBundle: { codePath: file } } : { workflowsPath: require.resolve('../workflows') };
}

function requireEnv(env: RunwayEnv | undefined): RunwayEnv {
  if (!env) throw new Error('createReleaseWorker needs either clients or env');
  return env;
}
