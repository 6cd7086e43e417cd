/** Runs the real `runway` CLI as a child process, as CI and operators do. */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

const BIN = path.join(__dirname, '../../bin/runway.js');

export interface RunwayResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunwayProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<RunwayResult>;
  /** Resolves when a line matching `pattern` appears on stdout or stderr. */
  waitFor: (pattern: RegExp, timeoutMs?: number) => Promise<void>;
}

export function spawnRunway(args: string[], env: Record<string, string>): RunwayProcess {
  const child = spawn(process.execPath, [BIN, ...args], {
    // Many workers run side by side in tests: each health/metrics port is any free one, on loopback.
    env: { ...process.env, RUNWAY_METRICS_PORT: '0', RUNWAY_METRICS_HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const listeners: (() => void)[] = [];
  child.stdout!.on('data', (d) => {
    stdout += d;
    listeners.forEach((l) => l());
  });
  child.stderr!.on('data', (d) => {
    stderr += d;
    listeners.forEach((l) => l());
  });
  const exited = new Promise<RunwayResult>((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
  const waitFor = (pattern: RegExp, timeoutMs = 60_000) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (pattern.test(stdout + stderr)) resolve();
      };
      listeners.push(check);
      check();
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; output:\n${stdout}${stderr}`)), timeoutMs);
      exited.then(() => {
        clearTimeout(timer);
        if (!pattern.test(stdout + stderr)) reject(new Error(`process exited before ${pattern}; output:\n${stdout}${stderr}`));
      });
    });
  return { child, output: () => stdout + stderr, exited, waitFor };
}

export async function runRunway(args: string[], env: Record<string, string>): Promise<RunwayResult> {
  return spawnRunway(args, env).exited;
}
