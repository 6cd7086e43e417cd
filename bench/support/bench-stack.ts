/**
 * The stack a bench runs against, all on 127.0.0.1 and free ports (so it runs beside
 * `runway dev`): a Temporal dev server persisted to a SQLite file (restartable on the same
 * file) — or the Temporal server on a PostgreSQL cluster of its own (`temporal: 'postgres'`,
 * src/temporal/postgres-server.ts), both restartable — the sandbox, the Slack approvals server, a client, and a config for `services`.
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
import { type DevServer, RUNWAY_SEARCH_ATTRIBUTES, type SqliteCommits, startDevServer } from '../../src/temporal/dev-server';
import { startTemporalOnPostgres } from '../../src/temporal/postgres-server';
import { type BenchTiming, benchConfig } from './bench-config';

export interface BenchStackOptions extends BenchTiming {
  services: string[];
  /** How long a sandbox ECS deployment takes to settle. */
  deploymentDelayMs: number;
  /** `dev`: the CLI's dev server on SQLite; `postgres`: the Temporal server on PostgreSQL. @default 'dev' */
  temporal?: TemporalKind;
  /** Dynamic config values for the dev server on top of Runway's (the scale bench turns the priority matcher off with it). */
  serverDynamicConfig?: Readonly<Record<string, unknown>>;
  /** How the dev server's SQLite file commits (src/temporal/dev-server.ts); default `wal`, as Runway's embedded stack. */
  serverSqliteCommits?: SqliteCommits;
  log?: (line: string) => void;
}

export type TemporalKind = 'dev' | 'postgres';

export interface BenchStack {
  client: Client;
  sandbox: Sandbox;
  approvals: ApprovalsServer;
  config: RunwayConfig;
  taskQueue: string;
  /** Environment for `runway worker` / `runway` CLI processes. */
  workerEnv: Record<string, string>;
  temporalAddress: string;
  temporalKind: TemporalKind;
  /** The dev server's Prometheus metrics and its process (for its CPU time); not on PostgreSQL. */
  serverMetricsUrl?: string;
  serverPid?: () => number;
  /** Stops the Temporal server and starts it again on the same port and store. */
  restartTemporal(): Promise<void>;
  /** Restarts PostgreSQL under the running Temporal server (a crash: immediate stop); only with `temporal: 'postgres'`. */
  restartDatabase?: () => Promise<void>;
  stop(): Promise<void>;
}

export async function startBenchStack(opts: BenchStackOptions): Promise<BenchStack> {
  const log = opts.log ?? (() => {});
  const dir = mkdtempSync(path.join(os.tmpdir(), 'runway-bench-'));
  const stops: (() => Promise<void>)[] = [];
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  process.once('exit', removeDir); // a run ended by a signal (process.exit) leaves nothing behind either
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch((err) => log(`while stopping: ${(err as Error).message}`));
    stops.length = 0;
    process.removeListener('exit', removeDir);
    removeDir();
  };
  try {
    const binary = await resolveTemporalCli({ log });
    const temporalKind = opts.temporal ?? 'dev';
    const temporal = temporalKind === 'postgres' ? await postgresTemporal(binary, dir, log) : await devTemporal(binary, dir, log, opts.serverDynamicConfig, opts.serverSqliteCommits);
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
      temporalKind,
      ...(temporal.metricsUrl ? { serverMetricsUrl: temporal.metricsUrl } : {}),
      ...(temporal.pid ? { serverPid: temporal.pid } : {}),
      workerEnv: {
        ...sandboxClientEnv(sandbox.url),
        TEMPORAL_ADDRESS: temporal.address,
        TEMPORAL_NAMESPACE: 'default',
        RUNWAY_TASK_QUEUE: taskQueue,
        RUNWAY_CONFIG: configFile,
        // The delivery ledger counts within seconds (the local server lists closed runs at once), so a run can check it at its end.
        RUNWAY_DELIVERY_POLL_INTERVAL: '1s',
        RUNWAY_DELIVERY_SETTLE: '1s',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
      restartTemporal: () => temporal.restart(),
      ...(temporal.restartDatabase ? { restartDatabase: temporal.restartDatabase } : {}),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

interface BenchTemporal {
  address: string;
  metricsUrl?: string;
  pid?: () => number;
  restart(): Promise<void>;
  restartDatabase?: () => Promise<void>;
  stop(): Promise<void>;
}

/** The dev server on a SQLite file, restarted on the same port and file. */
async function devTemporal(binary: string, dir: string, log: (line: string) => void, dynamicConfig: Readonly<Record<string, unknown>> = {}, sqliteCommits?: SqliteCommits): Promise<BenchTemporal> {
  const serverOptions = { binary, dbFile: path.join(dir, 'temporal.db'), sqliteCommits, headless: true, searchAttributes: RUNWAY_SEARCH_ATTRIBUTES, logFile: path.join(dir, 'temporal.log'), dynamicConfig, log };
  let server: DevServer = await startDevServer({ ...serverOptions, port: 0, metricsPort: 0 });
  const port = Number(server.address.split(':').pop());
  const metricsPort = Number(new URL(server.metricsUrl!).port);
  return {
    address: server.address,
    metricsUrl: server.metricsUrl,
    pid: () => server.pid,
    restart: async () => {
      await server.stop();
      server = await startDevServer({ ...serverOptions, port, metricsPort });
    },
    stop: () => server.stop(),
  };
}

async function postgresTemporal(cli: string, dir: string, log: (line: string) => void): Promise<BenchTemporal> {
  const stack = await startTemporalOnPostgres({ dir, cli, searchAttributes: RUNWAY_SEARCH_ATTRIBUTES, log });
  return { address: stack.address, restart: stack.restartTemporal, restartDatabase: () => stack.restartPostgres('immediate'), stop: stack.stop };
}
