/**
 * `npm run bench -- rollback-reaction [--runs N] [--interval-ms MS] [--strategies a,b,…]`: how fast
 * a version that turns bad while it serves production is taken out of traffic, under every
 * production strategy side by side in one run (one Temporal server, sandbox and worker; the runs
 * interleave the strategies, so a slower moment of the machine falls on all of them alike).
 *
 * Each run releases a version and waits until it serves: the two-service canary, ECS canary and
 * ECS linear at their first step (10 %, 10 %, 25 %); ECS blue-green with all production traffic
 * on green during its bake, which is its post-release watch (the `verifying` stage). Then, at a
 * random moment within one analysis interval, the sandbox's metrics for that image turn bad (15 %
 * errors). From that instant it measures:
 *
 * (a) 0 % of production traffic on the bad version.
 *     - two-service-canary: when the sandbox answered the UpdateService that took the canary
 *       service to 0 tasks (its share of tasks is its share of traffic).
 *     - ecs-*: when the sandbox answered the StopServiceDeployment (or ContinueServiceDeployment
 *       ROLLBACK) of the release's service deployment. The sandbox's ECS moves the rollback's
 *       weights (`trafficWeights`) to 0 inside that very call, before answering it
 *       (src/sandbox/ecs/native-deployment.ts startRollback), so the call's time is the instant
 *       the weights dropped; polling GET /_sandbox/state would add the poll's own delay (≤ 20 ms
 *       plus reading the state). The bench still polls the weights until the new revision has
 *       0 % of production traffic — a rollback that fails keeps its weights, and only the poll
 *       says so — and takes the poll's time when no rollback call came (a hook that timed out).
 *       Real ECS accepts the call and then moves the listener rule's weights, so on AWS (a) is
 *       this plus the load balancer's update.
 * (b) the rollback complete: the release finished rolled-back (its `finishedAt`): every undo done
 *     (under ECS's own strategies, ECS's rollback waited for until ECS reports it
 *     ROLLBACK_SUCCESSFUL — the tables show when the release saw that — then staging put back), its
 *     records and messages written.
 *
 * The failing measurement is the first `fail` among the release's recorded measurements (the
 * canary analysis, or the post-release watch for blue-green); its `at` is when the analysis
 * activity took it (before its queries), so "failing measurement → 0 %" is Runway's reaction to
 * a verdict: the query, the workflow task and the rollback call. "bad → failing measurement" is
 * the wait for the next analysis interval, at most one interval.
 *
 * Goals (issue 17): blue-green (a) ≤ 1 s after the failing measurement; the canaries (a) within one
 * analysis interval + 2 s of the version turning bad (medians).
 *
 * `--metrics emulator,prometheus` (issue 19) runs each strategy against two metrics sources side by
 * side: the sandbox's query emulator (a bad version's numbers jump at once) and a real Prometheus
 * (Debian's package) scraping the sample service's own counters every second, which Runway's
 * `increase()` over the analysis interval dilutes with the healthy past. The real arm has its own
 * worker (PROMETHEUS_URL pointing at that Prometheus) and task queue.
 */
import { decideRelease } from '../src/release-client/releases';
import type { MeasurementRecord, ProductionStrategyName, ReleaseStatus } from '../src/domain/release';
import { parseFlags, takeChoiceListFlag } from './support/args';
import { benchServiceNames, type BenchServiceOverride } from './support/bench-config';
import { startBenchRelease, untilStatus } from './support/bench-releases';
import { type BenchStack, startBenchStack } from './support/bench-stack';
import { Prng, sleep } from './support/prng';
import { productionWeightOf, rollbackCall, taskDefinitionImages, trafficWeights } from './support/sandbox-traffic';
import { fmt, printTable, summarise } from './support/stats';
import { WorkerProcess } from './support/worker-process';
import { prometheusBinary, type PrometheusServer, startPrometheus } from '../src/stack/local-prometheus';
import { BenchArgsError } from './support/args';
import { releaseOutcome } from '../src/release-client/outcome';

const FLAGS = {
  runs: { default: 5, min: 1, max: 30, help: 'releases per strategy, one after another' },
  // The config refuses analysis intervals under a second.
  'interval-ms': { default: 5000, min: 1000, max: 60_000, help: 'analysis interval (canary and post-release watch)' },
};

const STRATEGIES = ['two-service-canary', 'ecs-canary', 'ecs-linear', 'ecs-blue-green'] as const satisfies readonly ProductionStrategyName[];
type Strategy = (typeof STRATEGIES)[number];
const METRICS = ['emulator', 'prometheus'] as const;
type MetricsSource = (typeof METRICS)[number];

/** One strategy measured with one metrics source. */
interface Arm {
  strategy: Strategy;
  metrics: MetricsSource;
  label: string;
  services: string[];
  taskQueue: string;
}

/** Blue-green's goal: production off the bad version this soon after the measurement that failed it. */
const BLUE_GREEN_GOAL_MS = 1000;
const POLL_MS = 20;

/** How each strategy's run is set up and read. */
const PROFILES: Record<Strategy, { prefix: string; serving: string; isServing: (s: ReleaseStatus) => boolean; measurements: (s: ReleaseStatus) => MeasurementRecord[] }> = {
  'two-service-canary': { prefix: 'rr-tsc', serving: 'canary at its first step', isServing: atFirstStep, measurements: canaryMeasurements },
  'ecs-canary': { prefix: 'rr-ecan', serving: 'canary at its first step', isServing: atFirstStep, measurements: canaryMeasurements },
  'ecs-linear': { prefix: 'rr-elin', serving: 'first linear step', isServing: atFirstStep, measurements: canaryMeasurements },
  'ecs-blue-green': { prefix: 'rr-ebg', serving: 'all traffic on green, baking (verifying)', isServing: (s) => s.stage === 'verifying', measurements: (s) => s.verify?.measurements ?? [] },
};

function atFirstStep(s: ReleaseStatus): boolean {
  return s.canary.step === 1;
}

function canaryMeasurements(s: ReleaseStatus): MeasurementRecord[] {
  return (s.canary.analysis ?? []).flatMap((a) => a.measurements);
}

interface RunFigures {
  badToFailing: number;
  failingToZero: number;
  badToZero: number;
  /** ECS's own strategies: when the release recorded that ECS reported its rollback done. */
  badToEcsRolledBack?: number;
  badToComplete: number;
}

export async function run(args: string[]): Promise<void> {
  const { values: strategies, rest: afterStrategies } = takeChoiceListFlag(args, 'strategies', STRATEGIES, STRATEGIES);
  const { values: sources, rest } = takeChoiceListFlag(afterStrategies, 'metrics', METRICS, ['emulator']);
  const { runs, 'interval-ms': intervalMs } = parseFlags(rest, FLAGS, [
    `--strategies ${STRATEGIES.join('|')}[,...] (default all)`,
    `--metrics ${METRICS.join('|')}[,...] (default emulator)`,
  ]);
  if (sources.includes('prometheus') && !prometheusBinary()) throw new BenchArgsError("--metrics prometheus: no prometheus binary on PATH (Debian's prometheus package, or PROMETHEUS_BIN)");
  const arms: Arm[] = sources.flatMap((metrics) =>
    strategies.map((strategy) => ({
      strategy,
      metrics,
      label: sources.length > 1 ? `${strategy} / ${metrics === 'emulator' ? 'query emulator' : 'real Prometheus'}` : strategy,
      services: benchServiceNames(runs, `${PROFILES[strategy].prefix}${metrics === 'prometheus' ? '-p' : ''}`),
      taskQueue: '',
    })),
  );
  const perService: Record<string, BenchServiceOverride> = {};
  for (const arm of arms) {
    for (const service of arm.services) {
      // Blue-green's bake is its post-release watch: long enough never to pass first.
      perService[service] = arm.strategy === 'ecs-blue-green' ? { strategy: arm.strategy, verify: intervalMs * 30 } : { strategy: arm.strategy };
    }
  }
  // A long bake: a canary must still be at its first step when it turns bad.
  const stack = await startBenchStack({
    services: arms.flatMap((a) => a.services),
    bake: intervalMs * 20,
    analysisInterval: intervalMs,
    deploymentDelayMs: 200,
    perService,
  });
  const workers: WorkerProcess[] = [];
  let prometheus: PrometheusServer | undefined;
  const prng = new Prng(7);
  const figures = new Map<Arm, RunFigures[]>(arms.map((a) => [a, []]));
  try {
    workers.push(await WorkerProcess.start(stack.workerEnv));
    if (sources.includes('prometheus')) {
      // A real Prometheus scraping the sample service every second, and a worker of its own asking it.
      prometheus = await startPrometheus([{ job: 'sample-service', targets: [new URL(stack.sandbox.url).host], metricsPath: '/prometheus/metrics' }]);
      await prometheus.untilScraped('sample-service', 2);
      const taskQueue = `${stack.taskQueue}-prometheus`;
      workers.push(await WorkerProcess.start({ ...stack.workerEnv, RUNWAY_TASK_QUEUE: taskQueue, PROMETHEUS_URL: prometheus.url }));
      for (const arm of arms) if (arm.metrics === 'prometheus') arm.taskQueue = taskQueue;
    }
    for (const arm of arms) if (arm.metrics === 'emulator') arm.taskQueue = stack.taskQueue;
    for (let i = 0; i < runs; i++) {
      for (const arm of arms) figures.get(arm)!.push(await oneRun(stack, arm, arm.services[i]!, intervalMs, prng));
    }
    for (const arm of arms) {
      console.log('');
      console.log(`rollback-reaction: ${arm.label} (${PROFILES[arm.strategy].serving} when it turns bad)`);
      const f = figures.get(arm)!;
      printTable([
        { label: 'bad → failing measurement', unit: 'ms', values: f.map((r) => r.badToFailing) },
        { label: 'failing measurement → 0 % traffic', unit: 'ms', values: f.map((r) => r.failingToZero) },
        { label: 'bad → 0 % traffic', unit: 'ms', values: f.map((r) => r.badToZero) },
        ...(arm.strategy === 'two-service-canary' ? [] : [{ label: 'bad → ECS reports rollback done', unit: 'ms', values: f.flatMap((r) => r.badToEcsRolledBack ?? []) }]),
        { label: 'bad → rollback complete', unit: 'ms', values: f.map((r) => r.badToComplete) },
      ]);
    }
    console.log('');
    for (const arm of arms) console.log(summaryLine(arm, figures.get(arm)!, intervalMs));
    console.log(`rollback-reaction: medians of ${runs} run(s) per strategy, ${intervalMs} ms analysis interval, failureLimit 1, minRequests 1, ECS deployments settle in 200 ms`);
  } finally {
    for (const w of workers) await w.kill();
    await prometheus?.stop();
    await stack.stop();
  }
}

async function oneRun(stack: BenchStack, arm: Arm, service: string, intervalMs: number, prng: Prng): Promise<RunFigures> {
  const { strategy } = arm;
  const profile = PROFILES[strategy];
  const { cluster, service: ecsService } = stack.config.services[service]!.production;
  const version = prng.sha();
  const image = `${stack.config.services[service]!.image}:${version}`;
  const id = await startBenchRelease(stack.client, arm.taskQueue, stack.config, service, version);
  await untilStatus(stack.client, id, (s) => s.stage === 'awaiting-approval', 120_000);
  await decideRelease(stack.client, id, 'approve', 'alice');
  await untilStatus(stack.client, id, profile.isServing, 180_000);
  // Under ECS's own strategies, the revision that serves the new version: green, with production traffic.
  const green = strategy === 'two-service-canary' ? undefined : servingRevision(stack, cluster, ecsService, image);
  // Turn bad somewhere within an interval, so the analysis phase is not always the same.
  await sleep(prng.int(0, intervalMs));
  const turnedBadAt = Date.now();
  stack.sandbox.setScenario({ canary: { [image]: { behaviour: 'errors' } } });

  const zero = green
    ? await untilRevisionOut(stack, cluster, ecsService, green, turnedBadAt)
    : { at: await untilCanaryEmptied(stack, `${ecsService}-canary`, turnedBadAt), how: 'UpdateService desiredCount 0 on the canary service' };
  const outcome = await releaseOutcome(stack.client.workflow.getHandle(id));
  if (outcome.result !== 'rolled-back') throw new Error(`${id} ended ${outcome.result}, expected rolled-back: ${outcome.reason}`);
  const doneAt = Date.parse(outcome.status.finishedAt ?? new Date().toISOString());
  const failing = profile.measurements(outcome.status).find((m) => m.verdict === 'fail');
  if (!failing) throw new Error(`${id} rolled back without a failed measurement: ${outcome.reason}`);
  const failingAt = Date.parse(failing.at);
  const early = failingAt < turnedBadAt ? ` — NOTE: the failing measurement came ${turnedBadAt - failingAt} ms before the version turned bad` : '';
  // The release records the end of ECS's rollback when it sees it (workflows/traffic/ecs-native.ts takeTrafficBack).
  const ecsDone = outcome.status.history.find((e) => / ended ROLLBACK_SUCCESSFUL$/.test(e.message));
  const figures: RunFigures = {
    badToFailing: failingAt - turnedBadAt,
    failingToZero: zero.at - failingAt,
    badToZero: zero.at - turnedBadAt,
    ...(ecsDone ? { badToEcsRolledBack: Date.parse(ecsDone.at) - turnedBadAt } : {}),
    badToComplete: doneAt - turnedBadAt,
  };
  const ecsLine = figures.badToEcsRolledBack === undefined ? '' : `, ECS's rollback seen done after ${figures.badToEcsRolledBack} ms`;
  console.log(
    `rollback-reaction: ${arm.label} ${service}: failing measurement after ${figures.badToFailing} ms, 0 % traffic ${figures.failingToZero} ms later ` +
      `(${figures.badToZero} ms after bad; ${zero.how})${ecsLine}, rolled back after ${figures.badToComplete} ms (${outcome.reason})${early}`,
  );
  return figures;
}

/** Green's task definition: the revision ECS moves production traffic to, running the release's image. */
function servingRevision(stack: BenchStack, cluster: string, service: string, image: string): string {
  const state = stack.sandbox.state();
  const weights = trafficWeights(state, cluster, service) ?? [];
  const green = weights.length === 2 ? weights[1]! : undefined;
  if (!green || green.production <= 0 || !taskDefinitionImages(state, green.taskDefinition).includes(image)) {
    throw new Error(`${cluster}/${service}: ${image} serves no production traffic yet (weights ${JSON.stringify(weights)})`);
  }
  return green.taskDefinition;
}

/**
 * When production traffic left `revision`: the rollback call's time (the sandbox moved the weights
 * in it), once the polled weights confirm 0 %; the poll's time when no call did it.
 */
async function untilRevisionOut(stack: BenchStack, cluster: string, service: string, revision: string, since: number): Promise<{ at: number; how: string }> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (productionWeightOf(stack.sandbox.state(), cluster, service, revision) === 0) {
      const seenAt = Date.now();
      const call = rollbackCall(stack.sandbox.calls().ecs, cluster, service, since);
      if (!call) return { at: seenAt, how: 'weights seen at 0 with no rollback call' };
      const callAt = Date.parse(call.at);
      return { at: callAt, how: `${call.operation}; weights seen at 0 by the poll ${seenAt - callAt} ms later` };
    }
    await sleep(POLL_MS);
  }
  throw new Error(`${cluster}/${service}: ${revision} kept production traffic`);
}

/** When the sandbox answered the UpdateService that set the canary's desired count to 0. */
async function untilCanaryEmptied(stack: BenchStack, canaryService: string, since: number): Promise<number> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const hit = (stack.sandbox.calls().ecs as { at: string; operation: string; request: { service?: string; desiredCount?: number } }[]).find(
      (c) => c.operation === 'UpdateService' && c.request.service === canaryService && c.request.desiredCount === 0 && Date.parse(c.at) >= since,
    );
    if (hit) return Date.parse(hit.at);
    await sleep(POLL_MS);
  }
  throw new Error(`the canary ${canaryService} was never taken to 0 tasks`);
}

function summaryLine(arm: Arm, f: RunFigures[], intervalMs: number): string {
  const { strategy } = arm;
  const zero = summarise(f.map((r) => r.badToZero));
  const afterFailing = summarise(f.map((r) => r.failingToZero));
  const complete = summarise(f.map((r) => r.badToComplete));
  const s = (ms: number) => (Math.abs(ms) < 1000 ? `${Math.round(ms)} ms` : `${fmt(ms / 1000)} s`);
  const range = (x: typeof zero) => `${s(x.median)} (min ${s(x.min)}, max ${s(x.max)})`;
  const goal =
    strategy === 'ecs-blue-green'
      ? `goal (a) ≤ ${s(BLUE_GREEN_GOAL_MS)} after the failing measurement: ${afterFailing.median <= BLUE_GREEN_GOAL_MS ? 'met' : 'missed'}`
      : `goal (a) ≤ ${s(intervalMs + 2000)} after bad: ${zero.median <= intervalMs + 2000 ? 'met' : 'missed'}`;
  return (
    `rollback-reaction: ${arm.label.padEnd(18)} (a) 0 % traffic ${range(zero)} after bad, ${range(afterFailing)} after the failing measurement; ` +
    `(b) rollback complete ${range(complete)} after bad; ${goal}`
  );
}
