/**
 * A private PostgreSQL cluster for a Temporal server, from the machine's own PostgreSQL
 * binaries (Debian's `postgresql` package, Homebrew's, or POSTGRES_BIN_DIR): `initdb` into a
 * fresh temporary directory, listening on 127.0.0.1 only (no Unix socket), password auth for
 * one superuser. PostgreSQL refuses to run as root, so as root every PostgreSQL command runs
 * through `runuser` as the `postgres` user (created as a system user when missing).
 */
import { execFile, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { chmod, chown, mkdtemp, readdir, rm, writeFile, appendFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { choosePort } from './dev-server';
import { isExecutableFile } from './go-build';

const run = promisify(execFile);
const SEARCHED_ROOTS = ['/usr/lib/postgresql', '/usr/local/opt/postgresql', '/opt/homebrew/opt'];
const SYSTEM_USER = 'postgres';

export interface PostgresConnection {
  host: string;
  port: number;
  user: string;
  password: string;
}

export interface PostgresCluster extends PostgresConnection {
  dataDir: string;
  logFile: string;
  /** Stops the server (`immediate`: like a crash, recovery on start; `fast`: clean) and starts it again. */
  restart(mode: 'fast' | 'immediate'): Promise<void>;
  /** Stops the server and removes the cluster. */
  stop(): Promise<void>;
}

export class PostgresNotFoundError extends Error {
  override name = 'PostgresNotFoundError';
  constructor(searched: string) {
    super(
      [
        `PostgreSQL's server programs (initdb, pg_ctl, postgres) were not found (${searched}).`,
        'Install PostgreSQL (12 or later) in one of these ways, then run this again:',
        '  - Debian/Ubuntu: sudo apt-get update && sudo apt-get install postgresql',
        '  - Fedora/RHEL: sudo dnf install postgresql-server',
        '  - macOS: brew install postgresql@15',
        '  - or point POSTGRES_BIN_DIR at the directory holding initdb and pg_ctl',
      ].join('\n'),
    );
  }
}

/** POSTGRES_BIN_DIR → `pg_ctl` on PATH → the newest /usr/lib/postgresql/<major>/bin (Debian keeps it off PATH). */
export async function findPostgresBinDir(env: NodeJS.ProcessEnv = process.env, roots: readonly string[] = SEARCHED_ROOTS): Promise<string> {
  const hasTools = async (dir: string) => (await isExecutableFile(path.join(dir, 'initdb'))) && (await isExecutableFile(path.join(dir, 'pg_ctl')));
  if (env.POSTGRES_BIN_DIR) {
    if (await hasTools(env.POSTGRES_BIN_DIR)) return env.POSTGRES_BIN_DIR;
    throw new Error(`POSTGRES_BIN_DIR is set to ${env.POSTGRES_BIN_DIR}, but initdb and pg_ctl are not both there.`);
  }
  for (const dir of (env.PATH ?? '').split(path.delimiter)) if (dir && (await hasTools(dir))) return dir;
  for (const root of roots) {
    const entries = await readdir(root).catch(() => [] as string[]);
    // Newest major first: /usr/lib/postgresql/15, …; Homebrew's postgresql@15 …
    const dirs = entries.sort((a, b) => Number(b.replace(/\D/g, '')) - Number(a.replace(/\D/g, ''))).map((e) => path.join(root, e, 'bin'));
    for (const dir of [path.join(root, 'bin'), ...dirs]) if (await hasTools(dir)) return dir;
  }
  throw new PostgresNotFoundError(`POSTGRES_BIN_DIR unset, no pg_ctl on PATH, nothing in ${roots.join(', ')}`);
}

export interface StartPostgresOptions {
  binDir: string;
  /** @default a free port */
  port?: number;
  log?: (line: string) => void;
}

export async function startPostgresCluster(opts: StartPostgresOptions): Promise<PostgresCluster> {
  const log = opts.log ?? (() => {});
  const asUser = process.getuid?.() === 0 ? await ensureSystemUser(log) : undefined;
  const pg = (tool: string, args: string[]) => {
    const file = path.join(opts.binDir, tool);
    return asUser ? run('runuser', ['-u', asUser.name, '--', file, ...args], { cwd: '/' }) : run(file, args);
  };
  // Its own directory under the temp dir: the postgres user must reach it, and a parent owned by root with mode 700 would stop it.
  const root = await mkdtemp(path.join(os.tmpdir(), 'runway-postgres-'));
  await chmod(root, 0o700);
  if (asUser) await chown(root, asUser.uid, asUser.gid);
  const dataDir = path.join(root, 'data');
  const logFile = path.join(root, 'postgres.log');
  const password = randomBytes(18).toString('base64url');
  const pwFile = path.join(root, 'password');
  await writeFile(pwFile, `${password}\n`, { mode: 0o600 });
  if (asUser) await chown(pwFile, asUser.uid, asUser.gid);
  const port = await choosePort('127.0.0.1', opts.port ?? 0, 'PostgreSQL');
  const user = 'temporal';

  const started = Date.now();
  log(`Creating a PostgreSQL cluster in ${dataDir}${asUser ? ` (running as the ${asUser.name} user: PostgreSQL refuses root)` : ''}`);
  try {
    await pg('initdb', ['-D', dataDir, '-U', user, `--pwfile=${pwFile}`, '--auth=scram-sha-256', '-E', 'UTF8', '--no-locale', '--no-instructions']);
  } catch (err) {
    throw new Error(`initdb failed: ${failure(err)}`);
  }
  await rm(pwFile, { force: true });
  // Loopback TCP only; no Unix socket (its default directory belongs to the system's own cluster).
  await appendFile(path.join(dataDir, 'postgresql.conf'), `\nlisten_addresses = '127.0.0.1'\nport = ${port}\nunix_socket_directories = ''\nmax_connections = 200\n`);
  if (asUser) {
    await writeFile(logFile, '');
    await chown(logFile, asUser.uid, asUser.gid);
  }

  const start = async () => {
    try {
      await pg('pg_ctl', ['-D', dataDir, '-l', logFile, '-w', '-t', '120', 'start']);
    } catch (err) {
      throw new Error(`PostgreSQL did not start (its log: ${logFile}): ${failure(err)}`);
    }
  };
  const stopServer = async (mode: 'fast' | 'immediate') => {
    await pg('pg_ctl', ['-D', dataDir, '-m', mode, '-w', '-t', '60', 'stop']);
  };
  await start();
  log(`PostgreSQL ready on 127.0.0.1:${port} in ${Date.now() - started} ms (user ${user})`);

  let stopped = false;
  // pg_ctl detaches the server: a run that ends without stop() (Ctrl-C turned into process.exit) must not leave it running.
  const stopAtExit = () => {
    const pgCtl = [path.join(opts.binDir, 'pg_ctl'), '-D', dataDir, '-m', 'immediate', 'stop'];
    spawnSync(asUser ? 'runuser' : pgCtl[0], asUser ? ['-u', asUser.name, '--', ...pgCtl] : pgCtl.slice(1), { stdio: 'ignore', cwd: '/' });
    rmSync(root, { recursive: true, force: true });
  };
  process.once('exit', stopAtExit);
  return {
    host: '127.0.0.1',
    port,
    user,
    password,
    dataDir,
    logFile,
    restart: async (mode) => {
      await stopServer(mode);
      await start();
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      process.removeListener('exit', stopAtExit);
      await stopServer('fast').catch((err) => log(`while stopping PostgreSQL: ${failure(err)}`));
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** The `postgres` system user (Debian's package creates it); created, without a home or a login shell, when missing. */
async function ensureSystemUser(log: (line: string) => void): Promise<{ name: string; uid: number; gid: number }> {
  const ids = async () => ({ uid: Number((await run('id', ['-u', SYSTEM_USER])).stdout), gid: Number((await run('id', ['-g', SYSTEM_USER])).stdout) });
  try {
    return { name: SYSTEM_USER, ...(await ids()) };
  } catch {
    log(`Creating the system user ${SYSTEM_USER} to run PostgreSQL (it refuses to run as root)`);
    await run('useradd', ['--system', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', SYSTEM_USER]);
    return { name: SYSTEM_USER, ...(await ids()) };
  }
}

function failure(err: unknown): string {
  const e = err as { stderr?: string; stdout?: string; message?: string };
  return (e.stderr || e.stdout || e.message || String(err)).trim();
}
