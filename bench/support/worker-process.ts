/**
 * `runway worker` as a child process that a bench can SIGKILL, SIGTERM and restart: the same
 * command operators run, so recovery figures include a real process start.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeWorkflowBundle } from '../../workers/bundle-workflows';

const BIN = path.join(__dirname, '../../bin/runway.js');

/**
 * The memory setting the image runs `runway worker` with (Dockerfile's ENV; README "Running many
 * releases"), so a bench measures the worker as deployed. test/unit/worker-memory-env.test.ts keeps the two alike.
 */
export const IMAGE_MEMORY_ENV = { MALLOC_ARENA_MAX: '2' } as const;
const READY = /polling task queue/;

let prebuilt: Promise<string> | undefined;

/**
 * The workflows bundled once per bench process into a temporary file, which every worker loads
 * (RUNWAY_WORKFLOW_BUNDLE) as the image's worker loads the build's: a worker that bundles at
 * start keeps about 150 MiB more RSS, which would be counted against every release.
 */
function prebuiltWorkflowBundle(): Promise<string> {
  prebuilt ??= (async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'runway-bench-bundle-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'workflow-bundle.js');
    await writeWorkflowBundle(file);
    return file;
  })();
  return prebuilt;
}

export interface WorkerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class WorkerProcess {
  readonly exited: Promise<WorkerExit>;
  private output = '';
  /** The first lines it printed (its addresses), kept however much it prints later. */
  private startOutput = '';

  private constructor(readonly child: ChildProcess) {
    child.stdout!.on('data', (d) => this.keep(String(d)));
    child.stderr!.on('data', (d) => this.keep(String(d)));
    this.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    // A bench that exits without killing it (a signal turned into process.exit) takes the worker with it.
    const killAtExit = () => child.kill('SIGKILL');
    process.once('exit', killAtExit);
    void this.exited.then(() => process.removeListener('exit', killAtExit));
  }

  /** Starts `runway worker` and resolves once it polls the task queue (or rejects with its output). */
  static async start(env: Record<string, string>, timeoutMs = 60_000): Promise<WorkerProcess> {
    const child = spawn(process.execPath, [BIN, 'worker'], {
      env: { ...process.env, ...IMAGE_MEMORY_ENV, RUNWAY_WORKFLOW_BUNDLE: await prebuiltWorkflowBundle(), RUNWAY_METRICS_PORT: '0', RUNWAY_METRICS_HOST: '127.0.0.1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const worker = new WorkerProcess(child);
    await worker.ready(timeoutMs);
    return worker;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** The worker's /metrics address, from the line it prints at start (`metrics http://…/metrics`). */
  get metricsUrl(): string | undefined {
    return /metrics (http:\/\/\S+\/metrics)/.exec(this.startOutput)?.[1];
  }

  /** The worker's /metrics body now, or undefined when it has none or does not answer within 30 s. */
  async readMetrics(): Promise<string | undefined> {
    const url = this.metricsUrl;
    if (!url) return undefined;
    return fetch(url, { signal: AbortSignal.timeout(30_000) })
      .then((r) => r.text())
      .catch(() => undefined);
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The last few KiB the process printed, for error messages. */
  tail(): string {
    return this.output.slice(-4000);
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<WorkerExit> {
    if (this.running) this.child.kill(signal);
    return this.exited;
  }

  private keep(chunk: string): void {
    this.output = (this.output + chunk).slice(-16_000);
    if (this.startOutput.length < 16_000) this.startOutput += chunk;
    // Every worker's output in one file, for looking into a run afterwards.
    if (process.env.RUNWAY_BENCH_WORKER_LOG) appendFileSync(process.env.RUNWAY_BENCH_WORKER_LOG, chunk);
  }

  private async ready(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!READY.test(this.output)) {
      if (!this.running) throw new Error(`runway worker exited before polling:\n${this.tail()}`);
      if (Date.now() > deadline) {
        await this.kill();
        throw new Error(`runway worker did not poll within ${timeoutMs} ms:\n${this.tail()}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** Every worker's /metrics body, in order; undefined if any cannot be read (a sum over the workers would be short). */
export async function readEveryWorkerMetrics(workers: WorkerProcess[]): Promise<string[] | undefined> {
  const texts = await Promise.all(workers.map((worker) => worker.readMetrics()));
  return texts.every((text) => text !== undefined) ? texts : undefined;
}
