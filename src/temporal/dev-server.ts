/**
 * Runs `temporal server start-dev` as a child process and waits until it really serves:
 * gRPC answers, the namespace exists and the requested search attributes are registered.
 * The SDK's TestWorkflowEnvironment gives the server a fixed 5 s, too little on a busy 2-core
 * CI machine, hence our own deadline.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import net from 'node:net';
import { Connection } from '@temporalio/client';
import { PRIORITY_MATCHER_CONFIG } from './task-priority';
import { CACHED_SEARCH_ATTRIBUTES_CONFIG } from './search-attribute-cache';

export type SearchAttributeTypeName = 'Keyword' | 'Int' | 'Text' | 'Bool' | 'Double' | 'Datetime' | 'KeywordList';

export interface DevServerOptions {
  binary: string;
  /** SQLite file; omitted = in-memory (everything is lost when the process ends). */
  dbFile?: string;
  /**
   * How the SQLite file commits (with `dbFile`): `wal` (the default), `wal-unsynced` or
   * `rollback-journal` (the dev server's own). See SQLITE_COMMIT_PRAGMAS.
   */
  sqliteCommits?: SqliteCommits;
  /** @default 127.0.0.1 */
  ip?: string;
  /** Frontend gRPC port. @default 7233; 0 = a free port */
  port?: number;
  /** Web UI port. @default port + 1000; 0 = a free port */
  uiPort?: number;
  /** No Web UI. */
  headless?: boolean;
  /** A codec server the Web UI decodes payloads through (`--ui-codec-endpoint`; README, "Encrypted payloads"). */
  uiCodecEndpoint?: string;
  /** @default 'default' */
  namespace?: string;
  searchAttributes?: Readonly<Record<string, SearchAttributeTypeName>>;
  /** The server's Prometheus `/metrics` on this port (0 = a free one); omitted = none. */
  metricsPort?: number;
  /** Dynamic config values on top of Runway's (`--dynamic-config-value`; the benches turn the priority matcher off, or search attributes read on each use, with it to compare). */
  dynamicConfig?: Readonly<Record<string, unknown>>;
  /** @default 60_000 */
  startTimeoutMs?: number;
  log?: (line: string) => void;
  /** Server stdout/stderr are appended here; omitted = discarded (the last lines are kept for errors). */
  logFile?: string;
}

export interface DevServer {
  /** host:port for Connection / NativeConnection. */
  address: string;
  uiUrl?: string;
  /** The server's Prometheus metrics, when `metricsPort` was given. */
  metricsUrl?: string;
  pid: number;
  stop(): Promise<void>;
}

export type SqliteCommits = 'wal' | 'wal-unsynced' | 'rollback-journal';

/**
 * `--sqlite-pragma` values per commit mode. The dev server keeps its state in one SQLite file with
 * one connection, so every write of every workflow waits for the one before it.
 * - `rollback-journal`: SQLite's default and the dev server's own: each commit copies the pages it
 *   changes to a journal, syncs it, writes the file and syncs it again.
 * - `wal` (Runway's): appends the commit to a write-ahead log and syncs the log once; as durable
 *   — a commit acknowledged has reached the disk, so an approval Runway confirmed survives the
 *   machine losing power — with one sync per commit instead of two.
 * - `wal-unsynced` (`synchronous=NORMAL`): the log is synced only at checkpoints. A killed server
 *   loses nothing, but the machine losing power can take back the last commits: an approval the
 *   approver saw confirmed could be gone. Only for benches comparing what the syncs cost.
 * README "Running many releases" has the figures.
 */
export const SQLITE_COMMIT_PRAGMAS: Readonly<Record<SqliteCommits, readonly string[]>> = {
  wal: ['journal_mode=WAL', 'synchronous=FULL'],
  'wal-unsynced': ['journal_mode=WAL', 'synchronous=NORMAL'],
  'rollback-journal': [],
};

export const RUNWAY_SEARCH_ATTRIBUTES = {
  RunwayService: 'Keyword',
  RunwayVersion: 'Keyword',
  RunwayStage: 'Keyword',
  RunwayApprover: 'Keyword',
  RunwayCanaryWeight: 'Int',
} as const satisfies Record<string, SearchAttributeTypeName>;

const STOP_GRACE_MS = 5_000;
const POLL_MS = 200;

/** How many times a start that lost a race for one of its ports is tried in all. */
const BIND_RACE_ATTEMPTS = 3;

/**
 * Starts the server, and starts it again when it lost a race for a port: the CLI picks its
 * internal services' ports (history, matching, …) itself, free when it looked, and another process
 * (a parallel test's server, any outgoing connection's ephemeral port) can take one before the
 * service binds it. The server then exits with "address already in use" (CI, 2026-12-05: the
 * matching service). Ports asked for as 0 are chosen afresh each time.
 */
export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startDevServerOnce(opts);
    } catch (err) {
      if (!(err instanceof PortRaceLost) || attempt >= BIND_RACE_ATTEMPTS) throw err;
      opts.log?.(`The Temporal dev server lost a port to another process (${err.port}); starting it again (attempt ${attempt + 1} of ${BIND_RACE_ATTEMPTS})`);
    }
  }
}

/** The server exited because a port it was to listen on was taken meanwhile. */
class PortRaceLost extends Error {
  constructor(
    message: string,
    readonly port: string,
  ) {
    super(message);
  }
}

async function startDevServerOnce(opts: DevServerOptions): Promise<DevServer> {
  const log = opts.log ?? (() => {});
  const ip = opts.ip ?? '127.0.0.1';
  // A server bound to every interface is still reached through loopback.
  const connectHost = ip === '0.0.0.0' || ip === '::' ? '127.0.0.1' : ip;
  const namespace = opts.namespace ?? 'default';
  const port = await choosePort(ip, opts.port ?? 7233, 'gRPC');
  const uiPort = opts.headless ? undefined : await choosePort(ip, opts.uiPort ?? port + 1000, 'Web UI');
  const metricsPort = opts.metricsPort === undefined ? undefined : await choosePort(ip, opts.metricsPort, 'metrics');
  const searchAttributes = opts.searchAttributes ?? {};

  const args = ['server', 'start-dev', '--ip', ip, '--port', String(port), '--log-level', 'warn'];
  args.push(...(uiPort === undefined ? ['--headless'] : ['--ui-port', String(uiPort)]));
  if (opts.dbFile) {
    args.push('--db-filename', opts.dbFile);
    for (const pragma of SQLITE_COMMIT_PRAGMAS[opts.sqliteCommits ?? 'wal']) args.push('--sqlite-pragma', pragma);
  }
  if (metricsPort !== undefined) args.push('--metrics-port', String(metricsPort));
  if (opts.uiCodecEndpoint && uiPort !== undefined) args.push('--ui-codec-endpoint', opts.uiCodecEndpoint);
  // "default" always exists; --namespace creates more (and gives them the search attributes).
  if (namespace !== 'default') args.push('--namespace', namespace);
  for (const [name, type] of Object.entries(searchAttributes)) args.push('--search-attribute', `${name}=${type}`);
  // The shared workflows' tasks go before the releases' (src/domain/shared-workflow-priority.ts),
  // and search attributes are read once, not on each use (./search-attribute-cache.ts).
  for (const [key, value] of Object.entries({ ...PRIORITY_MATCHER_CONFIG, ...CACHED_SEARCH_ATTRIBUTES_CONFIG, ...opts.dynamicConfig })) args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);

  const address = `${connectHost.includes(':') ? `[${connectHost}]` : connectHost}:${port}`;
  log(`Starting the Temporal dev server on ${address}${uiPort === undefined ? ' (headless)' : `, Web UI on :${uiPort}`}${opts.dbFile ? `, state in ${opts.dbFile}` : ''}`);
  const started = Date.now();
  const { child, output, exited, stop } = spawnServer(opts.binary, args, opts.logFile);

  try {
    await waitUntilReady({
      address,
      namespace,
      searchAttributes: Object.keys(searchAttributes),
      deadline: started + (opts.startTimeoutMs ?? 60_000),
      exited,
      lastLines: output.lastLines,
    });
  } catch (err) {
    await stop();
    const lostPort = output.bindFailure();
    if (lostPort) throw new PortRaceLost((err as Error).message, lostPort);
    throw err;
  }
  log(`Temporal dev server ready at ${address} in ${Date.now() - started} ms (pid ${child.pid})`);
  return {
    address,
    uiUrl: uiPort === undefined ? undefined : `http://${connectHost}:${uiPort}`,
    ...(metricsPort === undefined ? {} : { metricsUrl: `http://${connectHost}:${metricsPort}/metrics` }),
    pid: child.pid!,
    stop,
  };
}

/** A server process whose output is drained (to `logFile`, last lines kept) and which `stop()` ends: SIGTERM, then SIGKILL after a grace time. */
export function spawnServer(binary: string, args: string[], logFile: string | undefined, options: { cwd?: string } = {}) {
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  const output = captureOutput(child, logFile);
  const exited = new Promise<string>((resolve) => {
    child.on('error', (err) => resolve(`could not be started: ${err.message}`));
    child.on('exit', (code, signal) => resolve(`exited with ${signal ?? `code ${code}`}`));
  });
  // A parent that exits without stop() (a signal turned into process.exit) takes the server with it.
  const killAtExit = () => child.kill('SIGKILL');
  process.once('exit', killAtExit);
  void exited.then(() => process.removeListener('exit', killAtExit));
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= terminate(child, exited).finally(() => output.close()));
  return { child, output, exited, stop };
}

/** 0 → a port the OS says is free; otherwise fail early and clearly if someone already listens. */
export async function choosePort(ip: string, port: number, what: string): Promise<number> {
  if (port === 0) return listenOnce(ip, 0);
  try {
    await listenOnce(ip, port);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new Error(`${what} port ${port} is in use — is another Temporal server running? Stop it or choose another port.`);
    throw new Error(`Cannot use ${what} port ${port} on ${ip}: ${(err as Error).message}`);
  }
  return port;
}

function listenOnce(ip: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ host: ip, port, exclusive: true }, () => {
      const bound = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(bound));
    });
  });
}

/** Go's words for a listener whose port another process holds: `listen tcp 127.0.0.1:36929: bind: address already in use`. */
const BIND_FAILURE = /listen tcp \S*:(\d+): bind: address already in use/;

/** Keeps draining the pipes (a full pipe would block the server) and the last lines for errors. */
export function captureOutput(child: ChildProcess, logFile: string | undefined) {
  const tail: string[] = [];
  /** A port lost to another process, however long the panic that follows it (more than the tail keeps). */
  let bindFailure: string | undefined;
  const file: WriteStream | undefined = logFile ? createWriteStream(logFile, { flags: 'a' }) : undefined;
  for (const stream of [child.stdout, child.stderr]) {
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      file?.write(chunk);
      for (const line of chunk.split('\n')) {
        if (!line.trim()) continue;
        tail.push(line);
        bindFailure ??= BIND_FAILURE.exec(line)?.[1];
      }
      tail.splice(0, Math.max(0, tail.length - 20));
    });
  }
  return {
    /** The port of the first "bind: address already in use" the server printed, if any. */
    bindFailure: () => bindFailure,
    lastLines: () => (tail.length ? tail.map((l) => `  ${l}`).join('\n') : '  (no output)'),
    close: () => new Promise<void>((resolve) => (file ? file.end(() => resolve()) : resolve())),
  };
}

export interface ReadyCheck {
  /** For messages. @default 'Temporal dev server' */
  server?: string;
  address: string;
  namespace: string;
  searchAttributes: string[];
  deadline: number;
  exited: Promise<string>;
  lastLines: () => string;
}

export async function waitUntilReady(check: ReadyCheck): Promise<void> {
  let exitReason: string | undefined;
  void check.exited.then((reason) => (exitReason = reason));
  let lastProblem = 'no answer yet';
  let connection: Connection | undefined;
  try {
    for (;;) {
      if (exitReason) throw new Error(`The ${check.server ?? 'Temporal dev server'} ${exitReason} before it was ready. Last output:\n${check.lastLines()}`);
      if (Date.now() > check.deadline) {
        throw new Error(`The ${check.server ?? 'Temporal dev server'} at ${check.address} was not ready in time (${lastProblem}). Last output:\n${check.lastLines()}`);
      }
      try {
        const remaining = Math.max(500, check.deadline - Date.now());
        connection ??= await Connection.connect({ address: check.address, connectTimeout: Math.min(2_000, remaining) });
        // A stuck call must not outlive the start deadline: each round gets a few seconds at most.
        const conn = connection;
        lastProblem = await conn.withDeadline(Math.min(Date.now() + 5_000, check.deadline + 500), () => readinessProblem(conn, check));
        if (!lastProblem) return;
      } catch (err) {
        lastProblem = (err as Error).message;
      }
      await Promise.race([delay(POLL_MS), check.exited]);
    }
  } finally {
    await connection?.close();
  }
}

/** '' when ready, otherwise what is still missing. */
async function readinessProblem(connection: Connection, check: ReadyCheck): Promise<string> {
  await connection.workflowService.getSystemInfo({});
  await connection.workflowService.describeNamespace({ namespace: check.namespace });
  if (!check.searchAttributes.length) return '';
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: check.namespace });
  const missing = check.searchAttributes.filter((name) => !customAttributes?.[name]);
  return missing.length ? `search attributes not registered yet: ${missing.join(', ')}` : '';
}

export async function terminate(child: ChildProcess, exited: Promise<string>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const graceOver = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), STOP_GRACE_MS)));
  const stopped = await Promise.race([exited.then(() => true), graceOver]);
  clearTimeout(timer);
  if (!stopped) {
    child.kill('SIGKILL');
    await exited;
  }
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
