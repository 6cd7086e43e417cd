/**
 * `npm run bench -- overhead [--runs N] [--poll-ms MS]`: what Runway itself costs per release — a
 * full release (approved as soon as it asks) against an instant sandbox: zero bake, deployments
 * that settle at once, one smoke check, and deployment waits polling ECS every `--poll-ms`
 * (RUNWAY_DEPLOY_POLL_INTERVAL; default 50 ms) instead of the production 2 s. Measured twice, with
 * GitHub's write pacing (RUNWAY_GITHUB_WRITE_BUDGET=github, the default) and with it off, and
 * beside a bare Temporal workflow on the same server with the same no-op activities and timers in
 * the same batches as the release (bench/support/bare-release.ts): Runway's time as a multiple of
 * that is the cost Runway adds over Temporal's own.
 */
import type { temporal } from '@temporalio/proto';
import { decideRelease } from '../src/release-client/releases';
import { DEPLOY_POLL_INTERVAL } from '../src/config/env';
import { parseFlags } from './support/args';
import { type BareBatch } from './support/bare/workflows';
import { batchesOf, startBareWorker } from './support/bare-release';
import { benchServiceNames } from './support/bench-config';
import { startBenchRelease, untilStatus } from './support/bench-releases';
import { type BenchStack, startBenchStack } from './support/bench-stack';
import { Prng } from './support/prng';
import { median, printTable } from './support/stats';
import { WorkerProcess } from './support/worker-process';
import { releaseOutcome } from '../src/release-client/outcome';

const FLAGS = {
  runs: { default: 5, min: 1, max: 50, help: 'releases per variant, one after another (and as many bare workflows)' },
  'poll-ms': { default: 50, min: DEPLOY_POLL_INTERVAL.minMs, max: DEPLOY_POLL_INTERVAL.maxMs, help: 'deployment-wait poll interval, ms' },
};

/** The two ways the worker paces GitHub writes. */
const VARIANTS = [
  { label: 'GitHub pacing', budget: 'github' },
  { label: 'pacing off', budget: 'off' },
] as const;

interface Figures {
  label: string;
  wall: number[];
  events: number[];
  /** The last measured release's commands, for the bare workflow. */
  batches: BareBatch[];
}

export async function run(args: string[]): Promise<void> {
  const flags = parseFlags(args, FLAGS);
  const { runs } = flags;
  const pollMs = flags['poll-ms'];
  // One warm-up release per variant plus the measured ones, each on its own service.
  const services = benchServiceNames((runs + 1) * VARIANTS.length, 'oh');
  const stack = await startBenchStack({ services, bake: 0, smokeInterval: 0, smokeSuccesses: 1, deploymentDelayMs: 0 });
  const prng = new Prng(11);
  const results: Figures[] = [];
  try {
    for (const [v, variant] of VARIANTS.entries()) {
      const worker = await WorkerProcess.start({ ...stack.workerEnv, RUNWAY_DEPLOY_POLL_INTERVAL: `${pollMs}ms`, RUNWAY_GITHUB_WRITE_BUDGET: variant.budget });
      try {
        results.push(await measure(stack, services.slice(v * (runs + 1), (v + 1) * (runs + 1)), variant.label, prng));
      } finally {
        await worker.kill();
      }
    }
    const shape = results.at(-1)!.batches;
    const bare = await startBareWorker(stack.client, stack.temporalAddress);
    const bareWall: number[] = [];
    try {
      await bare.time(shape); // warm-up
      for (let i = 0; i < runs; i++) bareWall.push(await bare.time(shape));
    } finally {
      await bare.stop();
    }
    const activities = shape.reduce((n, b) => n + b.activities, 0);
    const timers = shape.reduce((n, b) => n + b.timersMs.length, 0);
    console.log('');
    printTable([
      ...results.flatMap((r) => [
        { label: `wall time per release (${r.label})`, unit: 'ms', values: r.wall },
        { label: `history events per release (${r.label})`, unit: 'events', values: r.events },
      ]),
      { label: `bare workflow: ${activities} no-op activities, ${timers} timers in ${shape.length} batches`, unit: 'ms', values: bareWall },
    ]);
    const bareMs = median(bareWall);
    const ratio = (r: Figures) => `${Math.round(median(r.wall))} ms, ${(median(r.wall) / bareMs).toFixed(2)}× bare, ${median(r.events)} history events (${r.label})`;
    console.log(
      `overhead: ${results.map(ratio).join('; ')}; bare Temporal workflow of the same shape ${Math.round(bareMs)} ms ` +
        `(medians of ${runs} runs; ${pollMs} ms deployment polls)`,
    );
  } finally {
    await stack.stop();
  }
}

/** Releases `services` one after another (the first warms the worker and is not counted). */
async function measure(stack: BenchStack, services: string[], label: string, prng: Prng): Promise<Figures> {
  const figures: Figures = { label, wall: [], events: [], batches: [] };
  for (const [i, service] of services.entries()) {
    const started = Date.now();
    const id = await startBenchRelease(stack.client, stack.taskQueue, stack.config, service, prng.sha());
    await untilStatus(stack.client, id, (s) => s.stage === 'awaiting-approval', 60_000, 10);
    await decideRelease(stack.client, id, 'approve', 'alice');
    const handle = stack.client.workflow.getHandle(id);
    const outcome = await releaseOutcome(handle);
    const ms = Date.now() - started;
    if (outcome.result !== 'released') throw new Error(`${id} ended ${outcome.result}: ${outcome.reason}`);
    const events = ((await handle.fetchHistory()).events ?? []) as temporal.api.history.v1.IHistoryEvent[];
    if (i === 0) continue;
    figures.wall.push(ms);
    figures.events.push(events.length);
    figures.batches = batchesOf(events);
    console.log(`overhead: ${label}, release ${i}: ${ms} ms, ${events.length} history events`);
  }
  return figures;
}
