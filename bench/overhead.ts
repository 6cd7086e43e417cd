/**
 * `npm run bench -- overhead [--runs N] [--poll-ms MS] [--default-poll 0|1]`: what Runway itself
 * costs per release — a full release (approved as soon as it asks) against an instant sandbox:
 * zero bake, deployments that settle at once, one smoke check, and deployment waits polling ECS
 * every `--poll-ms` (RUNWAY_DEPLOY_POLL_INTERVAL; default 50 ms) instead of the production 2 s.
 * Prints wall time and history events per release; with `--default-poll 1` (the default) it
 * measures the same with the 2 s poll too, so both figures are on one line.
 */
import { decideRelease } from '../src/release-client/releases';
import { DEPLOY_POLL_INTERVAL } from '../src/config/env';
import { parseFlags } from './support/args';
import { benchServiceNames } from './support/bench-config';
import { startBenchRelease, untilStatus } from './support/bench-releases';
import { type BenchStack, startBenchStack } from './support/bench-stack';
import { Prng } from './support/prng';
import { median, printTable } from './support/stats';
import { WorkerProcess } from './support/worker-process';
import { releaseOutcome } from '../src/release-client/outcome';

const FLAGS = {
  runs: { default: 5, min: 1, max: 50, help: 'releases per poll interval, one after another' },
  'poll-ms': { default: 50, min: DEPLOY_POLL_INTERVAL.minMs, max: DEPLOY_POLL_INTERVAL.maxMs, help: 'deployment-wait poll interval of the fast runs, ms' },
  'default-poll': { default: 1, min: 0, max: 1, help: `also measure with the default ${DEPLOY_POLL_INTERVAL.defaultMs} ms poll (1) or not (0)` },
};

interface Figures {
  pollMs: number;
  wall: number[];
  events: number[];
}

export async function run(args: string[]): Promise<void> {
  const flags = parseFlags(args, FLAGS);
  const { runs } = flags;
  const polls = flags['default-poll'] ? [flags['poll-ms'], DEPLOY_POLL_INTERVAL.defaultMs] : [flags['poll-ms']];
  // One warm-up release per worker plus the measured ones, each on its own service.
  const services = benchServiceNames((runs + 1) * polls.length, 'oh');
  const stack = await startBenchStack({ services, bake: 0, smokeInterval: 0, smokeSuccesses: 1, deploymentDelayMs: 0 });
  const prng = new Prng(11);
  const results: Figures[] = [];
  try {
    for (const [p, pollMs] of polls.entries()) {
      const worker = await WorkerProcess.start({ ...stack.workerEnv, RUNWAY_DEPLOY_POLL_INTERVAL: `${pollMs}ms` });
      try {
        results.push(await measure(stack, services.slice(p * (runs + 1), (p + 1) * (runs + 1)), pollMs, prng));
      } finally {
        await worker.kill();
      }
    }
    console.log('');
    printTable(
      results.flatMap((r) => [
        { label: `wall time per release (poll ${r.pollMs} ms)`, unit: 'ms', values: r.wall },
        { label: `history events per release (poll ${r.pollMs} ms)`, unit: 'events', values: r.events },
      ]),
    );
    const [fast, slow] = results;
    const describe = (r: Figures) => `${Math.round(median(r.wall))} ms and ${median(r.events)} history events per release`;
    console.log(
      `overhead: ${describe(fast)} with ${fast.pollMs} ms deployment polls` +
        (slow ? `; ${describe(slow)} with the default ${slow.pollMs} ms polls` : '') +
        ` (medians of ${runs} runs)`,
    );
  } finally {
    await stack.stop();
  }
}

/** Releases `services` one after another (the first warms the worker and is not counted). */
async function measure(stack: BenchStack, services: string[], pollMs: number, prng: Prng): Promise<Figures> {
  const figures: Figures = { pollMs, wall: [], events: [] };
  for (const [i, service] of services.entries()) {
    const started = Date.now();
    const id = await startBenchRelease(stack.client, stack.taskQueue, stack.config, service, prng.sha());
    await untilStatus(stack.client, id, (s) => s.stage === 'awaiting-approval', 60_000, 10);
    await decideRelease(stack.client, id, 'approve', 'alice');
    const handle = stack.client.workflow.getHandle(id);
    const outcome = await releaseOutcome(handle);
    const ms = Date.now() - started;
    if (outcome.result !== 'released') throw new Error(`${id} ended ${outcome.result}: ${outcome.reason}`);
    const historyLength = Number((await handle.describe()).raw.workflowExecutionInfo?.historyLength ?? 0);
    if (i === 0) continue;
    figures.wall.push(ms);
    figures.events.push(historyLength);
    console.log(`overhead: poll ${pollMs} ms, release ${i}: ${ms} ms, ${historyLength} history events`);
  }
  return figures;
}
