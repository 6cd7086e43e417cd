/**
 * The embedded default: Temporal dev server, sandbox emulators and a release worker in one
 * process tree, so nothing outside this machine is needed to see Runway work.
 */
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Worker } from '@temporalio/worker';
import { decisionKeysFrom, TRUSTED_DECISIONS_WARNING } from '../config/decision-keys';
import { type ApprovalsServer, groupMembershipFor, rollbacksFromConfig, startApprovalsServer } from '../approvals';
import { loadConfig } from '../config/load';
import { slackIdentityResolver } from '../config/people';
import { levelledLog, parseEnv, type RunwayEnv } from '../config/env';
import { startSandbox, type Sandbox } from '../sandbox';
import { resolveTemporalCli } from '../temporal/cli-binary';
import { connectClient, connectWorker } from '../temporal/connection';
import { installQuietRuntime } from '../temporal/runtime';
import { type DevServer, RUNWAY_SEARCH_ATTRIBUTES, startDevServer } from '../temporal/dev-server';
import { deploymentNameFromEnv, ensureCurrentVersionWhileRunning, makeUnversionedCurrent, type ResolvedWorkerVersion, workerVersionFromEnv } from '../temporal/worker-deployment';
import { ensureDeliveryLedger, readDeliveryLedger } from '../release-client/delivery';
import { deliveryMetricsText } from './delivery-metrics-text';
import type { RunwayProcesses } from './release-worker-factory';
import { startSandboxMetrics } from './sandbox-metrics-source';
import { sandboxCallLine, sandboxClientEnv, sandboxMetricsTargets, sandboxSeed } from './sandbox-seed';

export interface EmbeddedStackOptions {
  /** The release worker's factory, from the entry point (src/ never imports workers/). */
  processes: RunwayProcesses;
  /** Directory for the dev server's SQLite file and logs. @default ./.runway */
  stateDir?: string;
  /** Temporal frontend port. @default 7233 (Web UI on 8233) */
  temporalPort?: number;
  /** The Web UI decodes payloads through this codec server (with RUNWAY_PAYLOAD_KEYS set: `runway codec-server`). */
  uiCodecEndpoint?: string;
  /**
   * Where lines go: progress, the approvals server's, and at debug every sandbox call; the stack
   * writes what RUNWAY_LOG_LEVEL lets through.
   */
  log?: (line: string) => void;
}

export interface EmbeddedStack {
  env: RunwayEnv;
  temporal: DevServer;
  sandbox: Sandbox;
  worker: Worker;
  /** The worker's deployment and build, made current at start; undefined with RUNWAY_WORKER_VERSIONING=off. */
  workerVersion?: ResolvedWorkerVersion;
  approvals: ApprovalsServer;
  /** Which metrics source canary analysis asks (RUNWAY_SANDBOX_METRICS), in words. */
  metricsSource: string;
  /** Runway's delivery series (runway_*) from the task queue's delivery ledger, as a worker's /metrics serves them. */
  deliveryMetrics(): Promise<string>;
  /** How many ended releases and rollbacks the delivery ledger has counted (undefined when it does not answer). */
  deliveryCounted(): Promise<number | undefined>;
  stop(): Promise<void>;
}

export async function startEmbeddedStack(options: EmbeddedStackOptions): Promise<EmbeddedStack> {
  const baseEnv = parseEnv(process.env);
  installQuietRuntime(baseEnv.RUNWAY_LOG_LEVEL);
  const log = levelledLog(baseEnv.RUNWAY_LOG_LEVEL, options.log ?? (() => {}));
  const stateDir = path.resolve(options.stateDir ?? '.runway');
  const config = await loadConfig(baseEnv.RUNWAY_CONFIG);
  await mkdir(stateDir, { recursive: true });

  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch((err) => log(`while stopping: ${(err as Error).message}`));
    stops.length = 0;
  };
  try {
    const binary = await resolveTemporalCli({ log });
    const temporal = await startDevServer({
      binary,
      dbFile: path.join(stateDir, 'temporal.db'),
      port: options.temporalPort ?? 7233,
      uiPort: (options.temporalPort ?? 7233) + 1000,
      searchAttributes: RUNWAY_SEARCH_ATTRIBUTES,
      ...(options.uiCodecEndpoint ? { uiCodecEndpoint: options.uiCodecEndpoint } : {}),
      logFile: path.join(stateDir, 'temporal.log'),
      log,
    });
    stops.push(() => temporal.stop());

    // A fresh signing secret per run, shared by the sandbox's Slack (which signs clicks) and the
    // approvals server (which verifies them), exactly as a Slack app and its server share one.
    const signingSecret = randomBytes(32).toString('hex');
    const sandbox = await startSandbox({
      port: baseEnv.RUNWAY_SANDBOX_PORT,
      services: sandboxSeed(config),
      metricsTargets: sandboxMetricsTargets(config),
      signingSecret,
      onCall: (system, call) => log(sandboxCallLine(system, call), 'debug'),
    });
    stops.push(() => sandbox.close());
    const metrics = await startSandboxMetrics(baseEnv.RUNWAY_SANDBOX_METRICS, sandbox.url);
    stops.push(() => metrics.stop());

    // The worker's real clients find the sandbox through the standard variables only.
    Object.assign(process.env, sandboxClientEnv(sandbox.url), { TEMPORAL_ADDRESS: temporal.address, PROMETHEUS_URL: metrics.prometheusUrl });
    // The dev server lists a closed run at once: the delivery ledger may count it a second later.
    process.env.RUNWAY_DELIVERY_SETTLE ||= '1s';
    const env = parseEnv(process.env);
    const connection = await connectWorker(env);
    stops.push(() => connection.close());
    const workerVersion = workerVersionFromEnv(env);
    const worker = await options.processes.createReleaseWorker({ connection, namespace: env.TEMPORAL_NAMESPACE, taskQueue: env.RUNWAY_TASK_QUEUE, env, versioning: workerVersion });
    const running = worker.run();
    // The demo's default: no keys, so decisions are trusted as named (README, "Threat model").
    const decisionKeys = decisionKeysFrom(env, config);
    if (!decisionKeys.required) log(`runway dev: ${TRUSTED_DECISIONS_WARNING}`, 'debug');
    stops.push(async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    });

    const approvalsClient = await connectClient(env);
    stops.push(() => approvalsClient.close());
    if (workerVersion) {
      // One worker, one build: it is always the current version here (versioned workers get no
      // tasks before their deployment has one). Releases pinned to an older build of a previous
      // `runway dev` wait for a worker of that build; the line below names them.
      const state = await ensureCurrentVersionWhileRunning(running, {
        workflowService: approvalsClient.client.workflowService,
        namespace: env.TEMPORAL_NAMESPACE,
        version: workerVersion,
        policy: 'force',
        identity: 'runway dev',
      });
      if (state.draining.length > 0) log(`worker deployment "${workerVersion.deploymentName}": builds ${state.draining.join(', ')} still draining (no worker of theirs runs here)`);
    } else {
      // Versioning off: this unversioned worker is the one that must get new releases, even if
      // an earlier `runway dev` made a build of the deployment current.
      const deploymentName = deploymentNameFromEnv(env);
      const previous = deploymentName && (await makeUnversionedCurrent(approvalsClient.client.workflowService, env.TEMPORAL_NAMESPACE, deploymentName, 'runway dev'));
      if (previous) log(`worker deployment "${deploymentName}": new releases go to unversioned workers now (build "${previous}" was current)`);
    }
    const approvals = await startApprovalsServer({
      port: env.RUNWAY_APPROVALS_PORT,
      signingSecret,
      client: approvalsClient.client,
      identityForSlackUser: slackIdentityResolver(config),
      groupMembership: groupMembershipFor(config, env, log),
      rollbacks: rollbacksFromConfig(config, env.RUNWAY_TASK_QUEUE),
      // With RUNWAY_DECISION_HMAC_KEYS set, the worker requires proofs and this server signs with the same key.
      ...(decisionKeys.signing ? { decisionKey: decisionKeys.signing } : {}),
      log,
    });
    stops.push(() => approvals.close());
    const { client } = approvalsClient;
    // Counts every release of this task queue once (README, "Delivery metrics"); it lives in .runway/temporal.db between runs.
    await ensureDeliveryLedger(client, env.RUNWAY_TASK_QUEUE, { pollMs: 1000 });
    const deliveryMetrics = () => deliveryMetricsText(client, env.RUNWAY_TASK_QUEUE);
    const deliveryCounted = () => readDeliveryLedger(client, env.RUNWAY_TASK_QUEUE).then((s) => s.totals.counted, () => undefined);
    return { env, temporal, sandbox, worker, workerVersion, approvals, metricsSource: metrics.description, deliveryMetrics, deliveryCounted, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
