/**
 * The destructive half of the chaos runner: it SIGKILLs a worker process and starts a new
 * one, aiming each kill at a moment taken in turn from a cycle — a release deploying to staging,
 * smoke testing, waiting for approval, in canary, promoting, rolling back; each either inside an
 * activity (one has started on a worker) or between activities — and records the moment the
 * struck release was really in, read from Temporal right before the kill. With several workers
 * it kills the one running the struck release's activity (by its identity, `<pid>@<host>`),
 * otherwise one at random. Over the run it restarts the Temporal server on its store a few times
 * instead, and on PostgreSQL crashes and restarts the database too, these outages alternating
 * and spread over the releases' progress rather than bunched in the first strikes.
 */
import type { Client } from '@temporalio/client';
import { isTerminalStage } from '../../src/domain/release';
import { stageSearchAttribute } from '../../src/domain/release-api';
import type { BenchStack } from './bench-stack';
import type { ChaosRelease } from './chaos-release-driver';
import { type Prng, sleep } from './prng';
import { WorkerProcess } from './worker-process';

export const TARGET_STAGES = ['staging', 'smoke', 'awaiting-approval', 'canary', 'promoting', 'rolling-back'] as const;
export const POSITIONS = ['in-activity', 'between-activities'] as const;
export type Position = (typeof POSITIONS)[number];
/** How long a kill waits for its target moment before striking anyway. */
const TARGET_WAIT_MS = 5_000;
/** The forward stages in the order a release passes them. */
const STAGE_ORDER = ['queued', 'building', 'staging', 'smoke', 'awaiting-approval', 'migrating', 'canary', 'promoting'];
/** temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED */
const ACTIVITY_STARTED = 2;

/** How far along a release is, by stage (0 not started, 1 finished), for spreading restarts. */
const STAGE_PROGRESS: Record<string, number> = {
  queued: 0.05,
  building: 0.1,
  staging: 0.2,
  smoke: 0.3,
  'awaiting-approval': 0.4,
  migrating: 0.5,
  canary: 0.65,
  promoting: 0.85,
  'rolling-back': 0.85,
};

export interface MonkeyOptions {
  /** Temporal server restarts to make over the run. */
  temporalRestarts: number;
  /** PostgreSQL restarts to make over the run (needs `stack.restartDatabase`). @default 0 */
  databaseRestarts?: number;
  /** `runway worker` processes running at once. @default 1 */
  workers?: number;
  /** Pause between two strikes, in ms: [min, max]. */
  gapMs: [number, number];
}

/** Where a release was when the worker died, as Temporal saw it right before the kill. */
export interface KillMoment {
  releaseId?: string;
  /** The release's RunwayStage, or `no release in flight`. */
  stage: string;
  position?: Position;
  /** The started activity, when inside one. */
  activity?: string;
  /** Identity of the worker that runs it (`<pid>@<host>`). */
  workerIdentity?: string;
  /** The moment the kill aimed at. */
  target: string;
}

/** The cycle of kill targets: every stage inside an activity, then every stage between activities. */
export function killTargets(): { stage: string; position: Position }[] {
  return POSITIONS.flatMap((position) => TARGET_STAGES.map((stage) => ({ stage, position })));
}

/**
 * Progress of the whole run in [0, 1]: the mean of every release's progress. Restart i of R is
 * due once it passes (i + 1) / (R + 1).
 */
export function runProgress(releases: Pick<ChaosRelease, 'stage' | 'outcome' | 'finished'>[]): number {
  if (releases.length === 0) return 1;
  const each = releases.map((r) => (r.outcome || r.finished || (r.stage && isTerminalStage(r.stage as never)) ? 1 : r.stage ? (STAGE_PROGRESS[r.stage] ?? 0.5) : 0));
  return each.reduce((a, b) => a + b, 0) / releases.length;
}

/**
 * The order of the run's outages: Temporal restarts and database restarts alternating (database
 * first) while both remain. Outage k of E is due once the run is (k + 1) / (E + 1) along.
 */
export function outagePlan(temporalRestarts: number, databaseRestarts: number): ('temporal' | 'database')[] {
  const plan: ('temporal' | 'database')[] = [];
  let t = temporalRestarts;
  let d = databaseRestarts;
  while (t > 0 || d > 0) {
    if (d > 0 && (t === 0 || plan.at(-1) !== 'database')) {
      plan.push('database');
      d--;
    } else {
      plan.push('temporal');
      t--;
    }
  }
  return plan;
}

export class ChaosMonkey {
  kills = 0;
  temporalRestarts = 0;
  databaseRestarts = 0;
  /** Workers that died without being killed (should stay 0). */
  workerDeaths = 0;
  /** Every kill, with the moment the struck release was really in. */
  readonly killMoments: KillMoment[] = [];
  private workers: WorkerProcess[] = [];
  private readonly outages: ('temporal' | 'database')[];
  private readonly targets = killTargets();
  private nextTarget: number;

  constructor(
    private readonly stack: BenchStack,
    private readonly prng: Prng,
    private readonly options: MonkeyOptions,
    private readonly log: (line: string) => void,
  ) {
    this.nextTarget = prng.int(0, TARGET_STAGES.length - 1);
    this.outages = outagePlan(options.temporalRestarts, stack.restartDatabase ? (options.databaseRestarts ?? 0) : 0);
  }

  /** Kills by the stage the struck release was really in. */
  get moments(): Record<string, number> {
    return tally(this.killMoments.map((m) => m.stage));
  }

  /** Kills by stage and by whether an activity was running. */
  get detailedMoments(): Record<string, number> {
    return tally(this.killMoments.map((m) => (m.position ? `${m.stage} (${m.position})` : m.stage)));
  }

  /** Workers must not outlive a run that ends by a signal (process.exit): they would keep polling a dead server. */
  private readonly killAtExit = () => this.workers.forEach((w) => void w.kill('SIGKILL'));

  async start(): Promise<void> {
    process.once('exit', this.killAtExit);
    this.workers = await Promise.all(Array.from({ length: Math.max(1, this.options.workers ?? 1) }, () => WorkerProcess.start(this.stack.workerEnv)));
  }

  /** Strikes until `done()`; `releases` are all the run's releases (in flight or not). */
  async run(done: () => boolean, releases: () => ChaosRelease[]): Promise<void> {
    const inFlight = () => releases().filter((r) => r.stage && !r.finished && !r.outcome && !isTerminalStage(r.stage as never));
    for (let strike = 1; !done(); strike++) {
      await this.pause(this.prng.int(...this.options.gapMs), done);
      if (done()) return;
      await this.replaceIfDead();
      const outagesDone = this.temporalRestarts + this.databaseRestarts;
      const outage = this.outages[outagesDone];
      const restartDue = outage && runProgress(releases()) >= (outagesDone + 1) / (this.outages.length + 1);
      if (restartDue && inFlight().length > 0) {
        const along = `strike ${strike}, run ${Math.round(runProgress(releases()) * 100)} % along`;
        const started = Date.now();
        if (outage === 'database') {
          this.log(`chaos: crashing and restarting PostgreSQL under the Temporal server (${along})`);
          await this.stack.restartDatabase!();
          this.databaseRestarts++;
        } else {
          this.log(`chaos: restarting the Temporal ${this.stack.temporalKind === 'dev' ? 'dev server' : 'server'} (${along})`);
          await this.stack.restartTemporal();
          this.temporalRestarts++;
        }
        this.log(`chaos: ${outage === 'database' ? 'PostgreSQL' : 'Temporal'} back after ${Date.now() - started} ms`);
        continue;
      }
      const target = this.pickTarget(releases());
      const victim = await this.awaitTarget(target.stage, target.position, inFlight, done);
      await sleep(this.prng.int(0, 300));
      const candidates = inFlight();
      // Nothing left to hurt: a kill now would prove nothing (and would inflate the count).
      if (!victim && candidates.length === 0) continue;
      // Where the release really is now: the moment this kill hits.
      const moment = await this.momentOf(victim ?? this.prng.pick(candidates), `${target.stage} (${target.position})`);
      const index = this.victimWorker(moment);
      await this.workers[index].kill('SIGKILL');
      this.kills++;
      this.killMoments.push(moment);
      const holder = moment.workerIdentity?.startsWith(`${this.workers[index].pid}@`) ? ', the one running it' : '';
      const which = this.workers.length > 1 ? ` ${index + 1} of ${this.workers.length}${holder}` : '';
      this.log(`chaos: SIGKILL worker${which} #${this.kills}: ${moment.releaseId ?? '-'} in ${moment.stage}${moment.position ? ` (${moment.position}${moment.activity ? `: ${moment.activity}` : ''})` : ''}; aimed at ${moment.target}`);
      await sleep(this.prng.int(0, 1000));
      this.workers[index] = await WorkerProcess.start(this.stack.workerEnv);
    }
  }

  async stop(): Promise<void> {
    process.removeListener('exit', this.killAtExit);
    await Promise.all(this.workers.map((w) => w.kill('SIGKILL')));
  }

  /** The worker running the struck activity when one does; otherwise any. */
  private victimWorker(moment: KillMoment): number {
    const running = this.workers.findIndex((w) => moment.workerIdentity?.startsWith(`${w.pid}@`));
    return running >= 0 ? running : this.prng.int(0, this.workers.length - 1);
  }

  private async replaceIfDead(): Promise<void> {
    for (const [i, worker] of this.workers.entries()) {
      if (worker.running) continue;
      this.workerDeaths++;
      this.log(`chaos: a worker died on its own; starting another. Its last output:\n${worker.tail()}`);
      this.workers[i] = await WorkerProcess.start(this.stack.workerEnv);
    }
  }

  /**
   * The next target of the cycle that some release can still reach: one not started yet reaches
   * any; one in flight reaches its own stage, later ones, and rolling back. Short runs thus
   * spend their strikes on moments that can still happen.
   */
  private pickTarget(releases: ChaosRelease[]): { stage: string; position: Position } {
    const open = releases.filter((r) => !r.outcome && !r.finished && !(r.stage && isTerminalStage(r.stage as never)));
    const reachable = (stage: string) =>
      open.some((r) => !r.stage || stage === 'rolling-back' || (STAGE_ORDER.indexOf(r.stage) >= 0 && STAGE_ORDER.indexOf(r.stage) <= STAGE_ORDER.indexOf(stage)));
    for (let i = 0; i < this.targets.length; i++) {
      const target = this.targets[(this.nextTarget + i) % this.targets.length];
      if (reachable(target.stage)) {
        this.nextTarget += i + 1;
        return target;
      }
    }
    return this.targets[this.nextTarget++ % this.targets.length];
  }

  /** A release in `stage` at `position` once one is (undefined when none comes in time). */
  private async awaitTarget(stage: string, position: Position, inFlight: () => ChaosRelease[], done: () => boolean): Promise<ChaosRelease | undefined> {
    const deadline = Date.now() + TARGET_WAIT_MS;
    let inStage: ChaosRelease | undefined;
    while (Date.now() < deadline && !done()) {
      for (const r of inFlight().filter((x) => x.stage === stage)) {
        inStage ??= r;
        const now = await this.momentOf(r, '');
        if (now.stage === stage && now.position === position) return r;
      }
      await sleep(100);
    }
    if (!inStage) this.log(`chaos: no release reached ${stage} in time (stages: ${inFlight().map((r) => r.stage).join(', ') || 'none in flight'})`);
    return inStage;
  }

  /** The release's stage (its RunwayStage search attribute) and whether an activity of it has started. */
  private async momentOf(release: ChaosRelease | undefined, target: string): Promise<KillMoment> {
    if (!release) return { stage: 'no release in flight', target };
    try {
      const description = await describe(this.stack.client, release.id);
      return { releaseId: release.id, target, ...description };
    } catch {
      return { releaseId: release.id, stage: release.stage ?? 'unknown', target };
    }
  }

  private async pause(ms: number, done: () => boolean): Promise<void> {
    const until = Date.now() + ms;
    while (Date.now() < until && !done()) await sleep(100);
  }
}

async function describe(client: Client, id: string): Promise<{ stage: string; position: Position; activity?: string; workerIdentity?: string }> {
  const description = await client.workflow.getHandle(id).describe();
  const stage = description.typedSearchAttributes.get(stageSearchAttribute) ?? 'unknown';
  const started = description.raw.pendingActivities?.find((a) => a.state === ACTIVITY_STARTED);
  if (!started) return { stage, position: 'between-activities' };
  return { stage, position: 'in-activity', activity: started.activityType?.name ?? undefined, workerIdentity: started.lastWorkerIdentity ?? undefined };
}

function tally(keys: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const key of keys) counts[key] = (counts[key] ?? 0) + 1;
  return counts;
}
