/**
 * The chaos runner's core, shared by `npm run chaos` and test/e2e/chaos.test.ts: N releases of
 * mixed stories on a real stack while a ChaosMonkey kills workers and restarts Temporal (and,
 * on PostgreSQL, the database), then every release is audited at the sandbox.
 */
import { releaseId } from '../../src/domain/release-id';
import { auditRelease, ecsServices, sandboxView } from './chaos-audit';
import { untilGitHubRecordsWritten } from '../../src/release-client/github-records';
import { type BadCanaryMechanism, type ChaosRelease, driveRelease } from './chaos-release-driver';
import { ChaosMonkey } from './chaos-monkey';
import { CHAOS_SCENARIOS } from './chaos-scenarios';
import { benchServiceNames } from './bench-config';
import { type BenchStack, startBenchStack, type TemporalKind } from './bench-stack';
import { Prng } from './prng';
import { replayProblems } from './replay-check';
import { describeStuckRelease } from './stuck-release';
import { checkServerFeatures, type ServerFeatures } from './server-features';

export interface ChaosOptions {
  releases: number;
  seed: number;
  /** Releases in flight at once. */
  concurrency: number;
  temporalRestarts: number;
  /** The dev server on SQLite, or the Temporal server on PostgreSQL. @default 'dev' */
  temporal?: TemporalKind;
  /** PostgreSQL crash-restarts (postgres only). @default 0 */
  databaseRestarts?: number;
  /** `runway worker` processes at once. @default 1 */
  workers?: number;
  deadlineSeconds: number;
  /** Pause between strikes, ms. @default [1500, 4000] */
  gapMs?: [number, number];
  log?: (line: string) => void;
}

export interface ChaosReport {
  total: number;
  ok: number;
  duplicates: number;
  /** Side effects a story makes that never happened (steps skipped). */
  skipped: number;
  lostApprovals: number;
  kills: number;
  temporalRestarts: number;
  databaseRestarts: number;
  workerDeaths: number;
  /** Kills by the stage the struck release was really in right before the kill. */
  killMoments: Record<string, number>;
  /** Kills by stage and whether an activity had started (`canary (in-activity)`). */
  killMomentsDetailed: Record<string, number>;
  badCanary: BadCanaryMechanism;
  failures: { id: string; scenario: string; problems: string[] }[];
  /** Visibility queries and Worker Versioning on this server, checked after the run. */
  features: ServerFeatures;
  /** `chaos: <ok>/<N> releases correct, <d> duplicate side effects, <l> lost approvals, <k> kills` */
  line: string;
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? (() => {});
  const prng = new Prng(options.seed);
  const services = benchServiceNames(options.releases);
  const releases: ChaosRelease[] = shuffledMix(prng, options.releases).map((scenario, i) => {
    const version = prng.sha();
    return { id: releaseId(services[i], version), service: services[i], version, scenario, decideVia: prng.pick(['slack', 'cli'] as const) };
  });
  const stack = await startBenchStack({ services, bake: '1s', smokeInterval: '100ms', deploymentDelayMs: 300, temporal: options.temporal, log });
  const monkey = new ChaosMonkey(
    stack,
    prng,
    { temporalRestarts: options.temporalRestarts, databaseRestarts: options.databaseRestarts, workers: options.workers, gapMs: options.gapMs ?? [1500, 4000] },
    log,
  );
  try {
    const initial = new Map(ecsServices(stack.sandbox.state()).map((s) => [`${s.cluster}/${s.service}`, s.taskDefinition ?? '']));
    const badCanary = badCanaryMechanism(stack);
    await monkey.start();
    const deadline = Date.now() + options.deadlineSeconds * 1000;
    const ctx = { stack, badCanary, deadline, log };
    const finished = () => releases.every((r) => r.outcome || r.finished) || Date.now() > deadline;
    await Promise.all([runPool(releases, options.concurrency, deadline, (r) => driveRelease(ctx, r), log), monkey.run(finished, () => releases)]);

    for (const r of releases.filter((r) => !r.outcome)) for (const line of await describeStuckRelease(stack.client, r.id)) log(`chaos: ${line}`);
    // Every history must replay: a release a fresh worker could not pick up would stop for good.
    const notReplaying = await replayProblems(stack.client, releases.map((r) => r.id));
    const features = await checkServerFeatures(stack.client, releases, stack.taskQueue);
    // Deployment records reach GitHub through the installation's writer, at GitHub's pace, after the releases.
    await untilGitHubRecordsWritten(stack.client, stack.taskQueue, { timeoutMs: 300_000 }).catch((err: Error) => log(`chaos: ${err.message}`));
    const view = sandboxView(stack.sandbox, initial);
    let ok = 0;
    let duplicates = 0;
    let skipped = 0;
    let lostApprovals = 0;
    const failures: ChaosReport['failures'] = [];
    for (const r of releases) {
      const audit = auditRelease(r, r.outcome, view);
      duplicates += audit.duplicates;
      skipped += audit.skipped;
      if (audit.lostApproval) lostApprovals++;
      const replay = notReplaying.filter((p) => p.id === r.id).map((p) => `replay: ${p.problem}`);
      const problems = [...(r.error ? [`driver: ${r.error}`] : []), ...audit.problems, ...replay];
      if (problems.length === 0) ok++;
      else failures.push({ id: r.id, scenario: r.scenario, problems });
    }
    const line = `chaos: ${ok}/${releases.length} releases correct, ${duplicates} duplicate side effects, ${lostApprovals} lost approvals, ${monkey.kills} kills`;
    return {
      total: releases.length,
      ok,
      duplicates,
      skipped,
      lostApprovals,
      kills: monkey.kills,
      temporalRestarts: monkey.temporalRestarts,
      databaseRestarts: monkey.databaseRestarts,
      workerDeaths: monkey.workerDeaths,
      killMoments: monkey.moments,
      killMomentsDetailed: monkey.detailedMoments,
      badCanary,
      failures,
      features,
      line,
    };
  } finally {
    await monkey.stop();
    await stack.stop();
  }
}

/** Every story equally often (N/4 each, the remainder spread), in a seeded order. */
function shuffledMix(prng: Prng, n: number) {
  const mix = Array.from({ length: n }, (_, i) => CHAOS_SCENARIOS[i % CHAOS_SCENARIOS.length]);
  for (let i = mix.length - 1; i > 0; i--) {
    const j = prng.int(0, i);
    [mix[i], mix[j]] = [mix[j], mix[i]];
  }
  return mix;
}

/** The sandbox's canary-metrics switch when it has one; otherwise the image starts crashing at canary time. */
function badCanaryMechanism(stack: BenchStack): BadCanaryMechanism {
  try {
    stack.sandbox.setScenario({ canary: {} } as never);
    return 'canary-metrics';
  } catch {
    return 'crash-at-canary';
  }
}

/**
 * Drives `items` with at most `concurrency` in flight; starts none after `deadline`. A driver
 * that throws marks its release finished (with the error), so the monkey does not wait for it.
 */
async function runPool(items: ChaosRelease[], concurrency: number, deadline: number, work: (item: ChaosRelease) => Promise<void>, log: (line: string) => void): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const item = items[next++];
      if (Date.now() > deadline) {
        item.finished = true;
        item.error = 'not started: the run reached its deadline first';
        continue;
      }
      try {
        await work(item);
        if (!item.outcome) {
          item.finished = true;
          item.error = 'no outcome by the run deadline';
        }
      } catch (err) {
        item.finished = true;
        item.error = `driver failed: ${(err as Error).message ?? err}`;
        log(`chaos: ${item.id}: driver failed: ${(err as Error).stack ?? err}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, lane));
}
