import type { Worker } from '@temporalio/worker';
import type { Command } from 'commander';
import { loadConfig } from '../../config/load';
import { loadDecisionKeys, TRUSTED_DECISIONS_WARNING } from '../../config/decision-keys';
import { startSandbox } from '../../sandbox';
import { startEmbeddedStack } from '../../stack/embedded-stack';
import { sandboxCallLine, sandboxMetricsTargets, sandboxSeed } from '../../stack/sandbox-seed';
import { connectClient, connectWorker } from '../../temporal/connection';
import { ensureDeliveryLedger } from '../../release-client/delivery';
import { deliveryMetricsText } from '../../stack/delivery-metrics-text';
import { deliveryLedgerId } from '../../domain/delivery-api';
import { installQuietRuntime } from '../../temporal/runtime';
import { freeLoopbackPort, startWorkerHealthServer } from '../../temporal/worker-health';
import { gitHubAppFromEnv, levelledLog, type RunwayEnv } from '../../config/env';
import { readGitHubAppKey } from '../../sdk-clients/github';
import type { RunwayProcesses } from '../../stack/release-worker-factory';
import {
  type CurrentVersionPolicy,
  currentBuildOf,
  deploymentNameFromEnv,
  describeWorkerVersion,
  ensureCurrentVersionWhileRunning,
  type ResolvedWorkerVersion,
  type VersionState,
  WorkerVersionError,
  WorkerVersionTimeout,
  workerVersionFromEnv,
} from '../../temporal/worker-deployment';
import { cliEnv, withClient } from '../context';
import { CliError } from '../errors';
import { ExitCode } from '../exit-codes';
import { runAction } from '../run-action';
import { workerProcessMetrics } from '../../metrics/worker-memory';

/** Resolves when the process gets Ctrl-C or SIGTERM. */
function untilStopped(): Promise<string> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
}

const say = (line: string) => process.stdout.write(`${line}\n`);

export function configureProcessCommands(program: Command, processes: RunwayProcesses): void {
  program
    .command('worker')
    .description('run a release worker (TEMPORAL_ADDRESS, RUNWAY_TASK_QUEUE, RUNWAY_BUILD_ID, AWS/Slack/GitHub from the environment); GET /healthz and /metrics (Prometheus) on RUNWAY_METRICS_PORT, default 9464')
    .option('--set-current', 'make this build the current version of its worker deployment, so new releases run on it (a build that was current before and was moved away from is left there)')
    .action(
      runAction(async (opts: { setCurrent?: boolean }) => {
        const env = cliEnv();
        // An unreadable or invalid GitHub App key stops the worker now, naming GITHUB_APP_PRIVATE_KEY_PATH (exit 2).
        const gitHubApp = gitHubAppFromEnv(env);
        if (gitHubApp) readGitHubAppKey(gitHubApp.privateKeyPath);
        const versioning = workerVersionFromEnv(env);
        // The SDK's Prometheus exporter on a loopback port of its own; the health server forwards /metrics to it.
        const sdkMetricsAddress = `127.0.0.1:${await freeLoopbackPort()}`;
        installQuietRuntime(env.RUNWAY_LOG_LEVEL, { prometheusBindAddress: sdkMetricsAddress });
        let worker: Worker | undefined;
        let deliveryMetrics: (() => Promise<string>) | undefined;
        const processMetrics = workerProcessMetrics();
        // Up before the connection: /healthz answers 503 until the worker polls, and 503 again once it stops.
        const health = await startWorkerHealthServer({
          host: env.RUNWAY_METRICS_HOST,
          port: env.RUNWAY_METRICS_PORT,
          ready: () => worker?.getState() === 'RUNNING',
          sdkMetricsAddress,
          extraMetrics: async () => `${(await deliveryMetrics?.()) ?? ''}${await processMetrics.render()}`,
        }).catch((err: unknown) => {
          throw new CliError(`runway worker: RUNWAY_METRICS_PORT: cannot listen on ${env.RUNWAY_METRICS_HOST}:${env.RUNWAY_METRICS_PORT} (${(err as Error).message})`, ExitCode.error);
        });
        say(`runway worker: health ${health.url}/healthz, metrics ${health.url}/metrics (RUNWAY_METRICS_PORT)`);
        try {
          await runWorker(env, versioning, opts, processes, (created) => (worker = created), (render) => (deliveryMetrics = render));
        } finally {
          await health.close();
        }
      }),
    );

  program
    .command('sandbox')
    .description('run the local emulators (ECS, Slack, GitHub, service health) seeded from the config')
    .option('--config <path>', 'config file (default: $RUNWAY_CONFIG or ./runway.config.yaml)')
    .action(
      runAction(async (opts: { config?: string }) => {
        const env = cliEnv();
        const config = await loadConfig(opts.config ?? env.RUNWAY_CONFIG);
        const log = levelledLog(env.RUNWAY_LOG_LEVEL, (line) => process.stderr.write(`${line}\n`));
        const sandbox = await startSandbox({
          port: env.RUNWAY_SANDBOX_PORT,
          services: sandboxSeed(config),
          metricsTargets: sandboxMetricsTargets(config),
          onCall: (system, call) => log(sandboxCallLine(system, call), 'debug'),
        });
        printSandbox(sandbox.url);
        await untilStopped();
        await sandbox.close();
      }),
    );

  program
    .command('dev')
    .description('start the embedded default: Temporal dev server + Web UI, sandbox, worker (Ctrl-C stops all)')
    .action(
      runAction(async () => {
        const stack = await startEmbeddedStack({ processes, log: (l) => process.stderr.write(`${l}\n`) });
        // Runway's delivery series on RUNWAY_METRICS_PORT, as a worker serves them (the SDK's own metrics only under runway worker).
        const metrics = await startWorkerHealthServer({
          host: '127.0.0.1',
          port: stack.env.RUNWAY_METRICS_PORT,
          ready: () => stack.worker.getState() === 'RUNNING',
          extraMetrics: () => stack.deliveryMetrics(),
        }).catch((err: unknown) => {
          say(`runway dev: warning: no metrics endpoint: cannot listen on 127.0.0.1:${stack.env.RUNWAY_METRICS_PORT} (${(err as Error).message}); set RUNWAY_METRICS_PORT`);
          return undefined;
        });
        say(`Temporal   ${stack.temporal.address}  (namespace ${stack.env.TEMPORAL_NAMESPACE}, data in .runway/temporal.db)`);
        say(`Web UI     ${stack.temporal.uiUrl ?? '(headless)'}`);
        if (metrics) say(`Metrics    ${metrics.url}/metrics  (Runway's delivery series, runway_*)`);
        printSandbox(stack.sandbox.url);
        say(`Analysis   ${stack.metricsSource}`);
        say(`Worker     task queue "${stack.env.RUNWAY_TASK_QUEUE}"${stack.workerVersion ? `, ${describeWorkerVersion(stack.workerVersion)}, current` : ', unversioned'}`);
        say('');
        say('Start a release in another terminal:  npx runway start --service checkout --version $(git rev-parse HEAD 2>/dev/null || echo 0123456789abcdef0123456789abcdef01234567) --wait');
        say('Ctrl-C stops everything.');
        const signal = await untilStopped();
        say(`\n${signal}: stopping worker, sandbox and Temporal…`);
        await metrics?.close();
        await stack.stop();
        say('stopped.');
      }),
    );
}

/** Connects, creates and runs the worker until it stops; `onCreated` hands it to the health server at once. */
async function runWorker(
  env: RunwayEnv,
  versioning: ResolvedWorkerVersion | undefined,
  opts: { setCurrent?: boolean },
  processes: RunwayProcesses,
  onCreated: (worker: Worker) => void,
  onDeliveryMetrics: (render: () => Promise<string>) => void,
): Promise<void> {
  const connection = await connectWorker(env);
  const worker = await processes.createReleaseWorker({ connection, namespace: env.TEMPORAL_NAMESPACE, taskQueue: env.RUNWAY_TASK_QUEUE, env, versioning });
  onCreated(worker);
  // In the background: a slow Temporal answer must not hold up polling, nor a shutdown.
  const deliveryStarting = startDeliveryMetrics(env).then((started) => {
    if (started) onDeliveryMetrics(started.render);
    return started;
  });
  const delivery = { close: async () => (await deliveryStarting)?.close() };
  if (!(await loadDecisionKeys(env)).required) say(`runway worker: ${TRUSTED_DECISIONS_WARNING}`);
  // The SDK drains the worker on SIGINT/SIGTERM: in-flight activities get the grace time.
  const running = worker.run();
  if (versioning) {
    say(`runway worker: ${describeWorkerVersion(versioning)}`);
    const policy: CurrentVersionPolicy = opts.setCurrent ? 'switch' : 'bootstrap';
    const state = await settleVersion(env, versioning, policy, running).catch(async (err: unknown) => {
      if (policy === 'bootstrap' && err instanceof WorkerVersionTimeout) {
        // A server just restarted (or slow) answers late; this worker's build may well be current
        // already, so stopping it would only stop releases. Poll, and keep trying in the background.
        say(`runway worker: warning: ${err.message} Polling anyway; trying again in the background.`);
        settleVersionInBackground(env, versioning, running);
        return undefined;
      }
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running.catch(() => {});
      await closeWithin(delivery.close(), 2000);
      await connection.close();
      throw err instanceof WorkerVersionError ? new CliError(`runway worker: ${err.message}`, ExitCode.error) : err;
    });
    if (state) for (const line of versionReport(versioning, state)) say(`runway worker: ${line}`);
  } else {
    say('runway worker: Worker Versioning off (RUNWAY_WORKER_VERSIONING=off): an unversioned worker; releases are not pinned to a build');
    const deploymentName = deploymentNameFromEnv(env);
    const current = deploymentName ? await withClient(env, (client) => currentBuildOf(client.workflowService, env.TEMPORAL_NAMESPACE, deploymentName)) : undefined;
    if (current) {
      say(
        `runway worker: warning: new releases on this task queue go to build "${current}" of worker deployment "${deploymentName}", never to this worker; ` +
          `to send them to unversioned workers: temporal worker deployment set-current-version --deployment-name ${deploymentName} --unversioned`,
      );
    }
  }
  say(
    `runway worker: polling task queue "${env.RUNWAY_TASK_QUEUE}" on ${env.TEMPORAL_ADDRESS} (namespace ${env.TEMPORAL_NAMESPACE}); ` +
      `${env.RUNWAY_WORKER_ACTIVITY_SLOTS} activity slots, ${env.RUNWAY_WORKER_CACHED_WORKFLOWS} cached workflows, ${env.RUNWAY_WORKER_WORKFLOW_POLLS} workflow-task polls; ` +
      (env.RUNWAY_WORKFLOW_BUNDLE ? `workflows from ${env.RUNWAY_WORKFLOW_BUNDLE} (RUNWAY_WORKFLOW_BUNDLE)` : 'workflows bundled at start'),
  );
  await running;
  await closeWithin(delivery.close(), 2000);
  await connection.close();
}

/** Waits for `closing`, at most `ms`: a connection that does not close must not keep a stopped worker's process alive. */
async function closeWithin(closing: Promise<unknown>, ms: number): Promise<void> {
  await Promise.race([closing.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, ms).unref())]);
}

/** Applies the start-up policy to this worker's version through a short-lived client connection. */
async function settleVersion(env: RunwayEnv, version: ResolvedWorkerVersion, policy: CurrentVersionPolicy, running: Promise<void>): Promise<VersionState> {
  return withClient(env, (client) =>
    ensureCurrentVersionWhileRunning(running, { workflowService: client.workflowService, namespace: env.TEMPORAL_NAMESPACE, version, policy }),
  );
}

/** Start-up's bootstrap, retried without a bound until it settles or the worker stops; says how it ended. */
function settleVersionInBackground(env: RunwayEnv, version: ResolvedWorkerVersion, running: Promise<void>): void {
  withClient(env, (client) =>
    ensureCurrentVersionWhileRunning(running, { workflowService: client.workflowService, namespace: env.TEMPORAL_NAMESPACE, version, policy: 'bootstrap', timeoutMs: Number.POSITIVE_INFINITY }),
  ).then(
    (state) => {
      for (const line of versionReport(version, state)) say(`runway worker: ${line}`);
    },
    (err: unknown) => say(`runway worker: warning: the worker's version was not settled: ${err instanceof Error ? err.message : String(err)}`),
  );
}

/** What an operator needs to know at start: is this build current, how to switch, what still drains. */
function versionReport(version: ResolvedWorkerVersion, state: VersionState): string[] {
  const lines = [
    state.current
      ? `build "${version.buildId}" is the current version of "${version.deploymentName}" (${state.summary})`
      : `build "${version.buildId}" is not the current version of "${version.deploymentName}": ${state.summary}`,
  ];
  if (!state.current) {
    lines.push(
      `this worker runs only releases pinned to build "${version.buildId}"; to send new releases to it: ` +
        `temporal worker deployment set-current-version --deployment-name ${version.deploymentName} --build-id ${version.buildId}${state.movedAwayFrom ? '' : ' (or start a worker with --set-current)'}`,
    );
  }
  if (state.draining.length > 0) lines.push(`builds still draining (keep their workers until their releases end): ${state.draining.join(', ')}`);
  return lines;
}

function printSandbox(url: string): void {
  say(`Sandbox    ${url}`);
  say(`  ECS        ${url}  (AWS_ENDPOINT_URL_ECS)`);
  say(`  Slack      ${url}/slack/api/  (SLACK_API_URL)`);
  say(`  GitHub     ${url}/github  (GITHUB_API_URL)`);
  say(`  Sentry     ${url}/sentry  (SENTRY_URL)   webhooks: ${url}/webhooks/<name>  (signed with RUNWAY_WEBHOOK_SECRET)`);
  say(`  health     ${url}/services/<cluster>/<service>/health`);
  say(`  calls      ${url}/_sandbox/calls   scenario: PUT ${url}/_sandbox/scenario`);
}

/**
 * The delivery ledger of this task queue (started unless it runs) and the runway_* series /metrics
 * serves from it. A ledger that cannot be started is a warning, not a reason to stop releasing.
 */
async function startDeliveryMetrics(env: RunwayEnv): Promise<{ render: () => Promise<string>; close: () => Promise<void> } | undefined> {
  let connected: Awaited<ReturnType<typeof connectClient>> | undefined;
  try {
    connected = await connectClient(env);
    const { client } = connected;
    await ensureDeliveryLedger(client, env.RUNWAY_TASK_QUEUE, { pollMs: env.RUNWAY_DELIVERY_POLL_INTERVAL });
    return { render: () => deliveryMetricsText(client, env.RUNWAY_TASK_QUEUE), close: connected.close };
  } catch (err) {
    await connected?.close().catch(() => undefined);
    say(`runway worker: warning: the delivery ledger ${deliveryLedgerId(env.RUNWAY_TASK_QUEUE)} could not be started (${(err as Error).message}); /metrics serves the SDK's metrics only`);
    return undefined;
  }
}
