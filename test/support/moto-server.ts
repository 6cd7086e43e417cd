/**
 * moto's ECS server — an ECS implementation written by others, from AWS's documentation and
 * botocore's model — as a second opinion on what Runway sends and reads. Installed from PyPI
 * (`moto[server]`, pinned) into a virtualenv in `${XDG_CACHE_HOME:-~/.cache}/runway/moto-<version>/`,
 * started on a loopback port, stopped by the caller.
 *
 * The venv is built beside its final place and renamed into it, so concurrent callers never run
 * a half-installed one. It is run as `<venv>/bin/python -m moto.server` (never through the
 * console script, whose first line names the directory the venv was built in).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { findPythonWithPip, PythonToolMissingError, runTool, runwayCacheDir } from './python-tools';

export const MOTO_VERSION = '5.2.5';

export function motoVenvDir(env: NodeJS.ProcessEnv = process.env): string {
  return runwayCacheDir(`moto-${MOTO_VERSION}`, env);
}

function venvPython(dir: string): string {
  return process.platform === 'win32' ? path.join(dir, 'Scripts', 'python.exe') : path.join(dir, 'bin', 'python');
}

/** The venv's python, installing moto[server] into the cache first when it is not there. */
export function ensureMoto(opts: { env?: NodeJS.ProcessEnv; log?: (line: string) => void } = {}): string {
  const dir = motoVenvDir(opts.env);
  const marker = path.join(dir, '.installed');
  if (existsSync(marker)) return venvPython(dir);
  const python = findPythonWithPip();
  if (!python) {
    throw new PythonToolMissingError(
      [
        `moto ${MOTO_VERSION} (the independent ECS implementation the moto round-trip runs against) is not installed in ${dir},`,
        'and no Python 3 with pip is on PATH to install it. Install Python 3 with pip and venv (e.g. apt-get install python3-pip python3-venv),',
        'then run .ci/run or `node --import tsx scripts/ensure-ecs-tools.ts`.',
      ].join('\n'),
    );
  }
  const building = `${dir}.${process.pid}.partial`;
  rmSync(building, { recursive: true, force: true });
  try {
    opts.log?.(`Installing moto[server]==${MOTO_VERSION} from PyPI into ${dir} (once; about a minute)…`);
    runTool(python, ['-m', 'venv', building], `creating a Python virtualenv in ${building} (python3-venv may be missing)`);
    runTool(venvPython(building), ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', `moto[server]==${MOTO_VERSION}`], `pip install moto[server]==${MOTO_VERSION}`);
    runTool(venvPython(building), ['-c', 'import moto.server, moto.ecs'], 'importing moto.server from the new virtualenv');
    runTool(venvPython(building), ['-c', `open(${JSON.stringify(path.join(building, '.installed'))}, "w").write("moto[server]==${MOTO_VERSION}\\n")`], 'marking the virtualenv installed');
    try {
      renameSync(building, dir);
    } catch {
      // Another process finished first (its venv is in place), or a broken one without a marker is in the way.
      if (existsSync(marker)) return venvPython(dir);
      rmSync(dir, { recursive: true, force: true });
      renameSync(building, dir);
    }
    return venvPython(dir);
  } finally {
    rmSync(building, { recursive: true, force: true });
  }
}

async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface MotoServer {
  /** `http://127.0.0.1:<port>`: the endpoint for an ECSClient. */
  url: string;
  stop(): Promise<void>;
}

/** Starts moto's server on 127.0.0.1 and waits until it answers. */
export async function startMoto(opts: { log?: (line: string) => void; readyTimeoutMs?: number; env?: Record<string, string> } = {}): Promise<MotoServer> {
  const python = ensureMoto({ log: opts.log });
  const port = await freeLoopbackPort();
  const child: ChildProcess = spawn(python, ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...opts.env } });
  const tail: string[] = [];
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    tail.push(...chunk.split('\n').filter(Boolean));
    tail.splice(0, Math.max(0, tail.length - 20));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 30_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto's server exited (${child.exitCode}) before answering:\n${tail.join('\n')}`);
    try {
      // moto answers its own dashboard API once it serves.
      const res = await fetch(`${url}/moto-api/data.json`);
      if (res.ok) return { url, stop };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`moto's server did not answer on ${url} within ${opts.readyTimeoutMs ?? 30_000} ms:\n${tail.join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
