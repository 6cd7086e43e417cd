/**
 * The destructive half of the chaos runner: at seeded moments it SIGKILLs the worker process
 * (preferring moments when some release is in a chosen stage: deploying, smoke testing,
 * waiting for approval, in canary, rolling back) and starts a new one; at a few seeded moments
 * it restarts the Temporal dev server on its SQLite file instead.
 */
import type { BenchStack } from './bench-stack';
import type { ChaosRelease } from './chaos-release-driver';
import { type Prng, sleep } from './prng';
import { WorkerProcess } from './worker-process';

const TARGET_STAGES = ['any', 'staging', 'smoke', 'awaiting-approval', 'canary', 'promoting', 'rolling-back'] as const;
/** How long a kill waits for a release to be in its chosen stage before striking anyway. */
const TARGET_WAIT_MS = 5_000;

export interface MonkeyOptions {
  /** Dev server restarts to make over the run. */
  temporalRestarts: number;
  /** Pause between two strikes, in ms: [min, max]. */
  gapMs: [number, number];
}

export class ChaosMonkey {
  kills = 0;
  temporalRestarts = 0;
  /** Workers that died without being killed (should stay 0). */
  workerDeaths = 0;
  /** Kills by the stage the struck release was in. */
  readonly moments: Record<string, number> = {};
  private worker?: WorkerProcess;
  private readonly restartAt = new Set<number>();

  constructor(
    private readonly stack: BenchStack,
    private readonly prng: Prng,
    private readonly options: MonkeyOptions,
    private readonly log: (line: string) => void,
  ) {
    // Spread the restarts over the run: the first at the second or third strike, then every five or so.
    for (let i = 0; i < options.temporalRestarts; i++) this.restartAt.add(prng.int(2 + i * 5, 3 + i * 5));
  }

  async start(): Promise<void> {
    this.worker = await WorkerProcess.start(this.stack.workerEnv);
  }

  /** Strikes until `done()`; `inFlight()` lists the releases still running. */
  async run(done: () => boolean, inFlight: () => ChaosRelease[]): Promise<void> {
    for (let strike = 1; !done(); strike++) {
      await this.pause(this.prng.int(...this.options.gapMs), done);
      if (done()) return;
      await this.replaceIfDead();
      if (this.restartAt.has(strike)) {
        this.log(`chaos: restarting the Temporal dev server (strike ${strike})`);
        await this.stack.restartTemporal();
        this.temporalRestarts++;
        continue;
      }
      const target = this.prng.pick(TARGET_STAGES);
      const struck = await this.awaitStage(target, inFlight, done);
      await sleep(this.prng.int(0, 300));
      await this.worker!.kill('SIGKILL');
      this.kills++;
      this.moments[struck] = (this.moments[struck] ?? 0) + 1;
      this.log(`chaos: SIGKILL worker #${this.kills} (${struck})`);
      await sleep(this.prng.int(0, 1000));
      this.worker = await WorkerProcess.start(this.stack.workerEnv);
    }
  }

  async stop(): Promise<void> {
    await this.worker?.kill('SIGKILL');
  }

  private async replaceIfDead(): Promise<void> {
    if (this.worker?.running) return;
    this.workerDeaths++;
    this.log(`chaos: the worker died on its own; starting another. Its last output:\n${this.worker?.tail()}`);
    this.worker = await WorkerProcess.start(this.stack.workerEnv);
  }

  /** The stage of a release in `target` once one is (or 'any' when none comes in time). */
  private async awaitStage(target: string, inFlight: () => ChaosRelease[], done: () => boolean): Promise<string> {
    const deadline = Date.now() + TARGET_WAIT_MS;
    while (target !== 'any' && Date.now() < deadline && !done()) {
      if (inFlight().some((r) => r.stage === target)) return target;
      await sleep(50);
    }
    if (target !== 'any') this.log(`chaos: no release reached ${target} in time (stages: ${inFlight().map((r) => r.stage).join(', ')})`);
    return 'any';
  }

  private async pause(ms: number, done: () => boolean): Promise<void> {
    const until = Date.now() + ms;
    while (Date.now() < until && !done()) await sleep(100);
  }
}
