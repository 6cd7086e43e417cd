/**
 * Building Go binaries once per machine into a per-user cache directory (outside the repo):
 * the Temporal CLI (cli-binary.ts) and the Temporal server with its SQL schema tool
 * (server-binary.ts). One builder per cache dir at a time; the others wait for its result.
 */
import { spawn } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import { access, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** How often a long build or a wait for another builder prints that it is still alive. */
const PROGRESS_INTERVAL_MS = 15_000;

export interface GoBuild {
  /** What is built, for messages: "the Temporal CLI". */
  what: string;
  /** With its version, for the first line: "the Temporal CLI v1.5.1". */
  title: string;
  cacheDir: string;
  /** `go install` arguments after `install -v`: flags, then `module/cmd@version`s. */
  installArgs: string[];
  /** Binaries `go install` writes (named after their package) and their names in the cache dir. */
  binaries: { built: string; target: string }[];
  /** Appended to a build failure: what else the user can do. */
  failureHint: string;
}

/** `${XDG_CACHE_HOME:-~/.cache}/runway/<name>`: outside the repo, shared by every clone. */
export function runwayCacheDir(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const cacheHome = env.XDG_CACHE_HOME || path.join(env.HOME || os.homedir(), '.cache');
  return path.join(cacheHome, 'runway', name);
}

export async function isExecutableFile(file: string): Promise<boolean> {
  try {
    if (!(await stat(file)).isFile()) return false;
    await access(file, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export async function findOnPath(name: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.resolve(dir, name);
    if (await isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/** `go` on PATH, or undefined. */
export const findGo = (env: NodeJS.ProcessEnv) => findOnPath(process.platform === 'win32' ? 'go.exe' : 'go', env);

const targetsOf = (build: GoBuild) => build.binaries.map((b) => path.join(build.cacheDir, b.target));

async function allBuilt(build: GoBuild): Promise<boolean> {
  for (const file of targetsOf(build)) if (!(await isExecutableFile(file))) return false;
  return true;
}

/**
 * One builder per cache dir: `mkdir` of the lock dir is atomic, so concurrent processes (two
 * jest runs, `runway dev` and CI) agree on who builds; the others wait for the binaries. The build
 * goes into a private GOBIN and is renamed into place, so nobody ever runs a half-written file.
 */
export async function buildWithLock(go: string, build: GoBuild, env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<void> {
  const lockDir = path.join(build.cacheDir, '.build.lock');
  await mkdir(build.cacheDir, { recursive: true });
  const started = Date.now();
  let lastNotice = 0;
  for (;;) {
    if (await allBuilt(build)) return;
    if (await tryLock(lockDir)) break;
    if (await lockIsStale(lockDir)) {
      log(`Removing a stale build lock of ${build.what} left by a process that no longer runs (${lockDir}).`);
      await rm(lockDir, { recursive: true, force: true });
      continue;
    }
    if (Date.now() - lastNotice >= PROGRESS_INTERVAL_MS) {
      lastNotice = Date.now();
      log(`Another process is building ${build.what} into ${build.cacheDir}; waiting (${elapsed(started)}).`);
    }
    await delay(500);
  }
  try {
    if (await allBuilt(build)) return; // finished between our check and the lock
    await goInstall(go, build, env, log);
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

async function goInstall(go: string, build: GoBuild, env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<void> {
  const gobin = path.join(build.cacheDir, `.build-${process.pid}`);
  await rm(gobin, { recursive: true, force: true });
  await mkdir(gobin, { recursive: true });
  log(`Building ${build.title} from its Go module into ${build.cacheDir} — the first build takes several minutes…`);
  const args = ['install', '-v', ...build.installArgs]; // -v: one line per compiled package, the only progress signal a long compile gives
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
  const ticker = setInterval(() => log(`  …still building ${build.what} (${elapsed(started)}, ${packages} packages compiled)`), PROGRESS_INTERVAL_MS);
  const code = await new Promise<number | string>((resolve) => {
    child.on('error', (err) => resolve(err.message));
    child.on('close', (exitCode, signal) => resolve(exitCode ?? signal ?? 'unknown'));
  }).finally(() => clearInterval(ticker));
  let missing = false;
  for (const b of build.binaries) if (!(await isExecutableFile(path.join(gobin, b.built)))) missing = true;
  if (code !== 0 || missing) {
    await rm(gobin, { recursive: true, force: true });
    const packagesBuilt = build.installArgs.filter((a) => a.includes('@'));
    throw new Error(
      `Building ${build.what} with \`go install ${packagesBuilt.join(' ')}\` failed (${code}). Last output:\n` +
        tail.map((l) => `  ${l}`).join('\n') +
        `\n${build.failureHint}`,
    );
  }
  // Same directory tree, so each rename is atomic.
  for (const b of build.binaries) await rename(path.join(gobin, b.built), path.join(build.cacheDir, b.target));
  await rm(gobin, { recursive: true, force: true });
  log(`Built ${build.what} in ${elapsed(started)}: ${targetsOf(build).join(', ')}`);
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

export function elapsed(since: number): string {
  const s = Math.round((Date.now() - since) / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
