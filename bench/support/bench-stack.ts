/**
 * The stack a bench runs against, all on 127.0.0.1 and free ports (so it runs beside
 * `runway dev`): a Temporal dev server persisted to a SQLite file (restartable on the same
 * file), the sandbox, the Slack approvals server, a client, and a config for `services`.
 * Workers are separate `runway worker` processes (see worker-process.ts) with `workerEnv`.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { type ApprovalsServer, rollbacksFromConfig, startApprovalsServer } from '../../src/approvals';
import { slackIdentityResolver } from '../../src/config/people';
import { parseEnv } from '../../src/config/env';
import type { RunwayConfig } from '../../src/config/schema';
import { startSandbox, type Sandbox } from '../../src/sandbox';
import { sandboxClientEnv, sandboxMetricsTargets, sandboxSeed } from '../../src/stack/sandbox-seed';
import { resolveTemporalCli } from '../../src/temporal/cli-binary';
import { connectClient } from '../../src/temporal/connection';
import { type DevServer, RUNWAY_SEARCH_ATTRIBUTES, startDevServer } from '../../src/temporal/dev-server';
import { type BenchTiming, benchConfig } from './bench-config';

export interface BenchStackOptions extends BenchTiming {
  services: string[];
  /** How long a sandbox ECS deployment takes to settle. */
  deploymentDelayMs: number;
  log?: (line: string) => void;
}

export interface BenchStack {
  client: Client;
  sandbox: Sandbox;
  approvals: ApprovalsServer;
  config: RunwayConfig;
  taskQueue: string;
  /** Environment for `runway worker` / `runway` CLI processes. */
  workerEnv: Record<string, string>;
  temporalAddress: string;
  /** Stops the dev server and starts it again on the same port and SQLite file. */
  restartTemporal(): Promise<void>;
  stop(): Promise<void>;
}

export async function startBenchStack(opts: BenchStackOptions): Promise<BenchStack> {
  const log = opts.log ?? (() => {});
  const dir = mkdtempSync(path.join(os.tmpdir(), 'runway-bench-'));
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch((err) => log(`while stopping: ${(err as Error).message}`));
    stops.length = 0;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const binary = await resolveTemporalCli({ log });
    const dbFile = path.join(dir, 'temporal.db');
    const serverOptions = { binary, dbFile, headless: true, searchAttributes: RUNWAY_SEARCH_ATTRIBUTES, logFile: path.join(dir, 'temporal.log'), log };
    let temporal: DevServer = await startDevServer({ ...serverOptions, port: 0 });
    const port = Number(temporal.address.split(':').pop());
    stops.push(() => temporal.stop());

    const signingSecret = randomBytes(32).toString('hex');
    const placeholder = benchConfig('http://127.0.0.1:1', opts.services, opts).config;
    const sandbox = await startSandbox({
      port: 0,
      services: sandboxSeed(placeholder),
      metricsTargets: sandboxMetricsTargets(placeholder),
      deploymentDelayMs: opts.deploymentDelayMs,
      signingSecret,
    });
    stops.push(() => sandbox.close());
    // Short bakes measure short windows: enough traffic that even the 10 % canary is measurable.
    sandbox.setScenario({ traffic: { rps: 5000 } });
    const { text, config } = benchConfig(sandbox.url, opts.services, opts);
    const configFile = path.join(dir, 'runway.config.yaml');
    writeFileSync(configFile, text);

    const { client, close } = await connectClient(parseEnv({ TEMPORAL_ADDRESS: temporal.address }));
    stops.push(close);
    const taskQueue = `bench-${randomBytes(4).toString('hex')}`;
    const approvals = await startApprovalsServer({
      port: 0,
      signingSecret,
      client,
      identityForSlackUser: slackIdentityResolver(config),
      rollbacks: rollbacksFromConfig(config, taskQueue),
    });
    stops.push(() => approvals.close());

    return {
      client,
      sandbox,
      approvals,
      config,
      taskQueue,
      temporalAddress: temporal.address,
      workerEnv: {
        ...sandboxClientEnv(sandbox.url),
        TEMPORAL_ADDRESS: temporal.address,
        TEMPORAL_NAMESPACE: 'default',
        RUNWAY_TASK_QUEUE: taskQueue,
        RUNWAY_CONFIG: configFile,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
      restartTemporal: async () => {
        await temporal.stop();
        temporal = await startDevServer({ ...serverOptions, port });
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
