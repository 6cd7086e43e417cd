/**
 * The Temporal server (not the dev server) on PostgreSQL, without containers: the schemas set up
 * with `temporal-sql-tool` (create-database, setup-schema -v 0.0, update-schema from the module's
 * versioned schema files, for the main and the visibility store), a server config in the shape
 * of Temporal's development-postgres12.yaml on 127.0.0.1 ports, the server started from it, the
 * namespace created and Runway's search attributes registered with the Temporal CLI — what an
 * operator does by hand, each step once per database.
 */
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { choosePort, type DevServer, type SearchAttributeTypeName, spawnServer, waitUntilReady } from './dev-server';
import { findPostgresBinDir, type PostgresConnection, startPostgresCluster } from './postgres';
import { resolveTemporalServer, type TemporalServerBinaries } from './server-binary';
import { PRIORITY_MATCHER_CONFIG } from './task-priority';

const run = promisify(execFile);
const HOST = '127.0.0.1';
const DATABASES = { temporal: 'temporal', visibility: 'temporal_visibility' } as const;
const SERVICES = ['frontend', 'history', 'matching', 'worker'] as const;

/**
 * Dynamic config the server gets; everything else is the server's default (Updates and Worker
 * Deployment versions are on by default in 1.29; the priority matcher is not).
 */
export const SERVER_DYNAMIC_CONFIG: Record<string, unknown> = {
  // Same as the dev server: Runway's visibility queries (releases in flight, production records) and the chaos runner's polls exceed the default 10/s.
  'frontend.namespaceRPS.visibility': 100,
  // The shared workflows' tasks go before the releases' (src/domain/shared-workflow-priority.ts).
  ...PRIORITY_MATCHER_CONFIG,
};

/** Creates both databases and brings their schemas to the newest version the module ships. */
export async function setupTemporalSchemas(binaries: TemporalServerBinaries, pg: PostgresConnection, log: (line: string) => void): Promise<void> {
  const env = { ...process.env, SQL_PLUGIN: 'postgres12', SQL_HOST: pg.host, SQL_PORT: String(pg.port), SQL_USER: pg.user, SQL_PASSWORD: pg.password };
  for (const [store, database] of Object.entries(DATABASES)) {
    const schemaDir = path.join(binaries.postgresSchemaDir, store, 'versioned');
    const steps = [['create-database'], ['setup-schema', '-v', '0.0'], ['update-schema', '-d', schemaDir]];
    for (const step of steps) {
      log(`$ temporal-sql-tool --plugin postgres12 --db ${database} ${step.join(' ')}`);
      try {
        await run(binaries.sqlTool, ['--db', database, ...step], { env });
      } catch (err) {
        const e = err as { stderr?: string; message: string };
        throw new Error(`temporal-sql-tool ${step[0]} of ${database} failed: ${(e.stderr || e.message).trim().split('\n').slice(-5).join('\n')}`);
      }
    }
  }
}

export interface TemporalServerOptions {
  binaries: TemporalServerBinaries;
  postgres: PostgresConnection;
  /** Config, dynamic config and log go here. */
  dir: string;
  /** The Temporal CLI, for the namespace and the search attributes. */
  cli: string;
  /** @default 'default' */
  namespace?: string;
  searchAttributes: Readonly<Record<string, SearchAttributeTypeName>>;
  /** @default 4 */
  numHistoryShards?: number;
  /** @default 120_000 (the first start creates the system namespace and its workflows) */
  startTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface TemporalServerProcess extends DevServer {
  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and starts it again on the same ports and databases. */
  restart(): Promise<void>;
}

/** Writes the config, starts the server and registers the namespace and search attributes (both kept by the database). */
export async function startTemporalServer(opts: TemporalServerOptions): Promise<TemporalServerProcess> {
  const log = opts.log ?? (() => {});
  const namespace = opts.namespace ?? 'default';
  const ports = await freePorts(1 + SERVICES.length * 2);
  const address = `${HOST}:${ports[0]}`;
  await writeServerConfig(opts, ports);
  const logFile = path.join(opts.dir, 'temporal-server.log');
  const deadlineMs = opts.startTimeoutMs ?? 120_000;

  const start = async (): Promise<DevServer> => {
    const started = Date.now();
    const args = ['--root', opts.dir, '--config', 'config', '--env', 'development', '--allow-no-auth', 'start'];
    const proc = spawnServer(opts.binaries.server, args, logFile, { cwd: opts.dir });
    try {
      await waitUntilReady({ server: 'Temporal server', address, namespace: 'temporal-system', searchAttributes: [], deadline: started + deadlineMs, exited: proc.exited, lastLines: proc.output.lastLines });
      await registerNamespace(opts.cli, address, namespace, opts.searchAttributes, log);
      await waitUntilReady({ server: 'Temporal server', address, namespace, searchAttributes: Object.keys(opts.searchAttributes), deadline: started + deadlineMs, exited: proc.exited, lastLines: proc.output.lastLines });
    } catch (err) {
      await proc.stop();
      throw err;
    }
    log(`Temporal server ${path.basename(opts.binaries.server)} ready at ${address} in ${Date.now() - started} ms (pid ${proc.child.pid}, log ${logFile})`);
    return { address, pid: proc.child.pid!, stop: proc.stop };
  };

  let current = await start();
  return {
    address,
    get pid() {
      return current.pid;
    },
    stop: () => current.stop(),
    restart: async () => {
      await current.stop();
      current = await start();
    },
  };
}

/**
 * Free ports below 32768: the SQL stores keep each host's membership port in a SMALLINT column
 * (cluster_membership.rpc_port), so a port from the OS's ephemeral range (32768–60999 on Linux)
 * makes the server die at start with `value "37289" is out of range for type smallint`.
 */
async function freePorts(n: number): Promise<number[]> {
  const ports: number[] = [];
  let port = 20_000 + Math.floor(Math.random() * 10_000);
  while (ports.length < n) {
    if (port > 32_767) throw new Error('No free ports below 32768 on 127.0.0.1 for the Temporal server');
    const free = await choosePort(HOST, port, 'Temporal server').then(
      () => true,
      () => false,
    );
    if (free) ports.push(port);
    port++;
  }
  return ports;
}

async function writeServerConfig(opts: TemporalServerOptions, ports: number[]): Promise<void> {
  const configDir = path.join(opts.dir, 'config');
  await mkdir(configDir, { recursive: true });
  const dynamicConfigFile = path.join(configDir, 'dynamicconfig.yaml');
  const q = (s: string | number) => JSON.stringify(String(s)); // a JSON string is a YAML string
  const store = (database: string, maxConns: number) =>
    [
      '      sql:',
      '        pluginName: "postgres12"',
      `        databaseName: ${q(database)}`,
      `        connectAddr: ${q(`${opts.postgres.host}:${opts.postgres.port}`)}`,
      '        connectProtocol: "tcp"',
      `        user: ${q(opts.postgres.user)}`,
      `        password: ${q(opts.postgres.password)}`,
      `        maxConns: ${maxConns}`,
      `        maxIdleConns: ${maxConns}`,
      '        maxConnLifetime: "1h"',
    ].join('\n');
  const [frontendGrpc, ...rest] = ports;
  const services = SERVICES.map((name, i) => {
    const grpcPort = name === 'frontend' ? frontendGrpc : rest[i * 2];
    const lines = [`  ${name}:`, '    rpc:', `      grpcPort: ${grpcPort}`, `      membershipPort: ${rest[i * 2 + 1]}`, `      bindOnIP: ${q(HOST)}`];
    // The frontend's HTTP API (grpc-gateway) is off: Runway speaks gRPC only.
    return lines.join('\n');
  });
  const config = `# Written by Runway (src/temporal/postgres-server.ts); development-postgres12.yaml's shape.
log:
  stdout: true
  level: warn
persistence:
  defaultStore: postgres-default
  visibilityStore: postgres-visibility
  numHistoryShards: ${opts.numHistoryShards ?? 4}
  datastores:
    postgres-default:
${store(DATABASES.temporal, 20)}
    postgres-visibility:
${store(DATABASES.visibility, 10)}
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: ${q(HOST)}
services:
${services.join('\n')}
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: "active"
  currentClusterName: "active"
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: "frontend"
      rpcAddress: ${q(`${HOST}:${frontendGrpc}`)}
dcRedirectionPolicy:
  policy: "noop"
dynamicConfigClient:
  filepath: ${q(dynamicConfigFile)}
  pollInterval: "10s"
`;
  const dynamic = Object.entries(SERVER_DYNAMIC_CONFIG)
    .map(([key, value]) => `${key}:\n  - value: ${JSON.stringify(value)}\n    constraints: {}\n`)
    .join('');
  await writeFile(path.join(configDir, 'development.yaml'), config, { mode: 0o600 });
  await writeFile(dynamicConfigFile, dynamic);
}

/**
 * `temporal operator namespace create` and `search-attribute create`, as an operator would
 * (docker-compose.yml's one-shot service does the same). Both are skipped when already there,
 * so a restart on the same database re-runs this harmlessly.
 */
async function registerNamespace(cli: string, address: string, namespace: string, attributes: Readonly<Record<string, SearchAttributeTypeName>>, log: (line: string) => void): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    const exists = await connection.workflowService.describeNamespace({ namespace }).then(
      () => true,
      () => false,
    );
    const temporal = async (args: string[]) => {
      log(`$ temporal ${args.join(' ')}`);
      await run(cli, [...args, '--address', address]).catch((err: { stderr?: string; message: string }) => {
        throw new Error(`temporal ${args.slice(0, 3).join(' ')} failed: ${(err.stderr || err.message).trim()}`);
      });
    };
    if (!exists) await temporal(['operator', 'namespace', 'create', '--namespace', namespace, '--retention', '72h']);
    const { customAttributes } = await waitForNamespace(connection, namespace);
    const missing = Object.entries(attributes).filter(([name]) => !customAttributes?.[name]);
    // One --type per --name: CLI 1.5.1 pairs them by position and silently drops names beyond the types given.
    if (missing.length) await temporal(['operator', 'search-attribute', 'create', '--namespace', namespace, ...missing.flatMap(([name, type]) => ['--name', name, '--type', type])]);
  } finally {
    await connection.close();
  }
}

/** A namespace just created reaches every service's namespace cache within seconds; its search attributes can only be added once it has. */
async function waitForNamespace(connection: Connection, namespace: string) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      return await connection.operatorService.listSearchAttributes({ namespace });
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

export interface TemporalOnPostgres {
  address: string;
  /** Restarts the Temporal server process (same ports, same databases). */
  restartTemporal(): Promise<void>;
  /** Restarts PostgreSQL under the running Temporal server: `immediate` is a crash (recovery on start). */
  restartPostgres(mode?: 'fast' | 'immediate'): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The whole stack from nothing: PostgreSQL's binaries found (or a clear error saying how to
 * install them, before any long build), the server built or taken from the cache, a fresh
 * cluster, the schemas, the server, the namespace and the search attributes.
 */
export async function startTemporalOnPostgres(opts: {
  dir: string;
  cli: string;
  searchAttributes: Readonly<Record<string, SearchAttributeTypeName>>;
  log?: (line: string) => void;
}): Promise<TemporalOnPostgres> {
  const log = opts.log ?? (() => {});
  const binDir = await findPostgresBinDir();
  const binaries = await resolveTemporalServer({ log });
  const postgres = await startPostgresCluster({ binDir, log });
  try {
    const started = Date.now();
    await setupTemporalSchemas(binaries, postgres, log);
    log(`Temporal schemas set up in ${Date.now() - started} ms`);
    const server = await startTemporalServer({ binaries, postgres, dir: opts.dir, cli: opts.cli, searchAttributes: opts.searchAttributes, log });
    return {
      address: server.address,
      restartTemporal: () => server.restart(),
      restartPostgres: (mode = 'immediate') => postgres.restart(mode),
      stop: async () => {
        await server.stop();
        await postgres.stop();
      },
    };
  } catch (err) {
    await postgres.stop();
    throw err;
  }
}
