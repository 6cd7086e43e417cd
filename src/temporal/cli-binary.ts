/**
 * Finds the `temporal` CLI (dev server + Web UI in one binary), building it from its Go module
 * when the machine has none. The SDK's own download from temporal.download is never used: that
 * host is unreachable on locked-down CI, and a pinned Go build is reproducible.
 *
 * Order: TEMPORAL_CLI → `temporal` on PATH → the per-user cache → `go install` into the cache.
 */
import { spawn } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import { access, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export const TEMPORAL_CLI_VERSION = '1.5.1';
const GO_MODULE = 'github.com/temporalio/cli/cmd/temporal';
const BINARY_NAME = process.platform === 'win32' ? 'temporal.exe' : 'temporal';
/** How often a long build or a wait for another builder prints that it is still alive. */
const PROGRESS_INTERVAL_MS = 15_000;

export interface ResolveTemporalCliOptions {
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
  /** Build with Go when nothing is found. @default true */
  build?: boolean;
}

export class TemporalCliNotFoundError extends Error {
  override name = 'TemporalCliNotFoundError';
  constructor(searched: string, goMissing: boolean) {
    super(
      [
        `The Temporal CLI (temporal ${TEMPORAL_CLI_VERSION}) was not found (${searched})` +
          (goMissing ? ', and Go is not on PATH to build it.' : '.'),
        'Install it in one of these ways:',
        '  - macOS/Linux with Homebrew: brew install temporal',
        '  - download a release archive from https://github.com/temporalio/cli/releases and put `temporal` on PATH',
        `  - with Go ≥ 1.25: go install ${GO_MODULE}@v${TEMPORAL_CLI_VERSION}`,
        '  - or run Temporal in Docker instead: docker compose up (docker-compose.yml in this repository)',
        '  - or point TEMPORAL_CLI at an existing binary: export TEMPORAL_CLI=/path/to/temporal',
      ].join('\n'),
    );
  }
}

/** `${XDG_CACHE_HOME:-~/.cache}/runway/temporal-<version>`: outside the repo, shared by every clone. */
export function temporalCliCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const cacheHome = env.XDG_CACHE_HOME || path.join(env.HOME || os.homedir(), '.cache');
  return path.join(cacheHome, 'runway', `temporal-${TEMPORAL_CLI_VERSION}`);
}

export async function resolveTemporalCli(opts: ResolveTemporalCliOptions = {}): Promise<string> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? (() => {});

  if (env.TEMPORAL_CLI) return checkExplicitBinary(path.resolve(env.TEMPORAL_CLI));

  const onPath = await findOnPath(BINARY_NAME, env);
  if (onPath) return onPath;

  const cacheDir = temporalCliCacheDir(env);
  const cached = path.join(cacheDir, BINARY_NAME);
  if (await isExecutableFile(cached)) return cached;

  const go = await findOnPath(process.platform === 'win32' ? 'go.exe' : 'go', env);
  const searched = `TEMPORAL_CLI unset, no \`temporal\` on PATH, nothing in ${cacheDir}`;
  if (opts.build === false || !go) throw new TemporalCliNotFoundError(searched, !go);
  return buildWithLock(go, cacheDir, env, log);
}

/** TEMPORAL_CLI is an explicit choice: a wrong value is an error, never a silent fallback. */
async function checkExplicitBinary(file: string): Promise<string> {
  const info = await stat(file).catch(() => undefined);
  if (!info) throw new Error(`TEMPORAL_CLI is set to ${file}, but that file does not exist.`);
  if (!info.isFile()) throw new Error(`TEMPORAL_CLI is set to ${file}, but that is not a file.`);
  if (!(await isExecutableFile(file))) throw new Error(`TEMPORAL_CLI is set to ${file}, but that file is not executable (chmod +x it).`);
  return file;
}

async function isExecutableFile(file: string): Promise<boolean> {
  try {
    if (!(await stat(file)).isFile()) return false;
    await access(file, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function findOnPath(name: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.resolve(dir, name);
    if (await isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/**
 * One builder per cache dir: `mkdir` of the lock dir is atomic, so concurrent processes (two
 * jest runs, `runway dev` and CI) agree on who builds; the others wait for the binary. The build
 * goes into a private GOBIN and is renamed into place, so nobody ever runs a half-written file.
 */
async function buildWithLock(go: string, cacheDir: string, env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<string> {
  const target = path.join(cacheDir, BINARY_NAME);
  const lockDir = path.join(cacheDir, '.build.lock');
  await mkdir(cacheDir, { recursive: true });
  const started = Date.now();
  let lastNotice = 0;
  for (;;) {
    if (await isExecutableFile(target)) return target;
    if (await tryLock(lockDir)) break;
    if (await lockIsStale(lockDir)) {
      log(`Removing a stale Temporal CLI build lock left by a process that no longer runs (${lockDir}).`);
      await rm(lockDir, { recursive: true, force: true });
      continue;
    }
    if (Date.now() - lastNotice >= PROGRESS_INTERVAL_MS) {
      lastNotice = Date.now();
      log(`Another process is building the Temporal CLI into ${cacheDir}; waiting (${elapsed(started)}).`);
    }
    await delay(500);
  }
  try {
    if (await isExecutableFile(target)) return target; // finished between our check and the lock
    await goInstall(go, cacheDir, target, env, log);
    return target;
  } finally {
    await rm(lockDir, { recursive: true, force: true });
  }
}

async function tryLock(lockDir: string): Promise<boolean> {
  try {
    await mkdir(lockDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  await writeFile(path.join(lockDir, 'owner'), JSON.stringify({ pid: process.pid, host: os.hostname() }));
  return true;
}

/** A lock whose owner died (killed CI job) must not block every later run forever. */
async function lockIsStale(lockDir: string): Promise<boolean> {
  let owner: { pid?: number; host?: string };
  try {
    owner = JSON.parse(await readFile(path.join(lockDir, 'owner'), 'utf8')) as typeof owner;
  } catch {
    // No owner file yet: either being written right now, or the owner died in between.
    const info = await stat(lockDir).catch(() => undefined);
    return !!info && Date.now() - info.mtimeMs > 60_000;
  }
  if (owner.host !== os.hostname() || typeof owner.pid !== 'number') return false; // cannot tell: keep waiting
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

async function goInstall(go: string, cacheDir: string, target: string, env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<void> {
  const gobin = path.join(cacheDir, `.build-${process.pid}`);
  await rm(gobin, { recursive: true, force: true });
  await mkdir(gobin, { recursive: true });
  log(`Building the Temporal CLI v${TEMPORAL_CLI_VERSION} from its Go module into ${cacheDir} — the first build takes several minutes…`);
  const args = [
    'install',
    '-v', // one line per compiled package: the only progress signal a long compile gives
    '-ldflags',
    `-X github.com/temporalio/cli/temporalcli.Version=${TEMPORAL_CLI_VERSION}`,
    `${GO_MODULE}@v${TEMPORAL_CLI_VERSION}`,
  ];
  log(`$ GOBIN=${gobin} ${go} ${args.map((a) => (a.includes(' ') ? `"${a}"` : a)).join(' ')}`);
  const started = Date.now();
  const tail: string[] = [];
  let packages = 0;
  // The machine's Go settings (GOPROXY, GOSUMDB, GOFLAGS, caches) are used as they are.
  const child = spawn(go, args, { env: { ...env, GOBIN: gobin }, stdio: ['ignore', 'pipe', 'pipe'] });
  const onLine = (line: string) => {
    if (!line.trim()) return;
    tail.push(line);
    if (tail.length > 30) tail.shift();
    // `-v` package names are bare import paths; everything else (downloads, errors) is shown.
    if (/^[\w.~-]+(\/[\w.~-]+)*$/.test(line)) packages++;
    else log(`  ${line}`);
  };
  splitLines(child.stdout, onLine);
  splitLines(child.stderr, onLine);
  const ticker = setInterval(() => log(`  …still building the Temporal CLI (${elapsed(started)}, ${packages} packages compiled)`), PROGRESS_INTERVAL_MS);
  const code = await new Promise<number | string>((resolve) => {
    child.on('error', (err) => resolve(err.message));
    child.on('close', (exitCode, signal) => resolve(exitCode ?? signal ?? 'unknown'));
  }).finally(() => clearInterval(ticker));
  const built = path.join(gobin, BINARY_NAME);
  if (code !== 0 || !(await isExecutableFile(built))) {
    await rm(gobin, { recursive: true, force: true });
    throw new Error(
      `Building the Temporal CLI with \`go install ${GO_MODULE}@v${TEMPORAL_CLI_VERSION}\` failed (${code}). Last output:\n` +
        tail.map((l) => `  ${l}`).join('\n') +
        `\nCheck \`go env GOPROXY GOSUMDB\` and network access to the Go module proxy, or install the CLI another way and set TEMPORAL_CLI.`,
    );
  }
  await rename(built, target); // same directory tree, so the rename is atomic
  await rm(gobin, { recursive: true, force: true });
  log(`Built the Temporal CLI in ${elapsed(started)}: ${target}`);
}

function splitLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let buffered = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    lines.forEach(onLine);
  });
  stream.on('end', () => buffered && onLine(buffered));
}

function elapsed(since: number): string {
  const s = Math.round((Date.now() - since) / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
