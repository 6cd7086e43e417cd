import type { Command } from 'commander';
import { loadConfig } from '../../config/load';
import { startSandbox } from '../../sandbox';
import { startEmbeddedStack } from '../../stack/embedded-stack';
import { sandboxMetricsTargets, sandboxSeed } from '../../stack/sandbox-seed';
import { connectWorker } from '../../temporal/connection';
import { installQuietRuntime } from '../../temporal/runtime';
import { createReleaseWorker } from '../../../workers/release-worker';
import { cliEnv } from '../context';
import { runAction } from '../run-action';

/** Resolves when the process gets Ctrl-C or SIGTERM. */
function untilStopped(): Promise<string> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
}

const say = (line: string) => process.stdout.write(`${line}\n`);

export function configureProcessCommands(program: Command): void {
  program
    .command('worker')
    .description('run a release worker (TEMPORAL_ADDRESS, RUNWAY_TASK_QUEUE, AWS/Slack/GitHub from the environment)')
    .action(
      runAction(async () => {
        const env = cliEnv();
        installQuietRuntime(process.env.RUNWAY_LOG_LEVEL === 'debug' ? 'DEBUG' : 'WARN');
        const connection = await connectWorker(env);
        const worker = await createReleaseWorker({ connection, namespace: env.TEMPORAL_NAMESPACE, taskQueue: env.RUNWAY_TASK_QUEUE, env });
        say(`runway worker: polling task queue "${env.RUNWAY_TASK_QUEUE}" on ${env.TEMPORAL_ADDRESS} (namespace ${env.TEMPORAL_NAMESPACE})`);
        // The SDK drains the worker on SIGINT/SIGTERM: in-flight activities get the grace time.
        await worker.run();
        await connection.close();
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
        const sandbox = await startSandbox({ port: env.RUNWAY_SANDBOX_PORT, services: sandboxSeed(config), metricsTargets: sandboxMetricsTargets(config) });
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
        const stack = await startEmbeddedStack({ log: (l) => process.stderr.write(`${l}\n`) });
        say(`Temporal   ${stack.temporal.address}  (namespace ${stack.env.TEMPORAL_NAMESPACE}, data in .runway/temporal.db)`);
        say(`Web UI     ${stack.temporal.uiUrl ?? '(headless)'}`);
        printSandbox(stack.sandbox.url);
        say(`Worker     task queue "${stack.env.RUNWAY_TASK_QUEUE}"`);
        say('');
        say('Start a release in another terminal:  npx runway start --service checkout --version $(git rev-parse HEAD 2>/dev/null || echo 0123456789abcdef0123456789abcdef01234567) --wait');
        say('Ctrl-C stops everything.');
        const signal = await untilStopped();
        say(`\n${signal}: stopping worker, sandbox and Temporal…`);
        await stack.stop();
        say('stopped.');
      }),
    );
}

function printSandbox(url: string): void {
  say(`Sandbox    ${url}`);
  say(`  ECS        ${url}  (AWS_ENDPOINT_URL_ECS)`);
  say(`  Slack      ${url}/slack/api/  (SLACK_API_URL)`);
  say(`  GitHub     ${url}/github  (GITHUB_API_URL)`);
  say(`  health     ${url}/services/<cluster>/<service>/health`);
  say(`  calls      ${url}/_sandbox/calls   scenario: PUT ${url}/_sandbox/scenario`);
}
