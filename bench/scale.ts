/**
 * `npm run bench -- scale [--releases N] [--runs R]`: N releases in flight at once on one worker
 * process — all waiting for approval, then all approved together and baking. Prints how many were
 * in flight, the worker's peak RSS, and completed releases per second once all are approved.
 */
import { readFileSync } from 'node:fs';
import { decideRelease } from '../src/client/releases';
import type { ReleaseOutcome } from '../src/domain/release';
import { parseFlags } from './support/args';
import { benchServiceNames } from './support/bench-config';
import { startBenchRelease, tryStatus } from './support/bench-releases';
import { startBenchStack } from './support/bench-stack';
import { Prng, sleep } from './support/prng';
import { median, printTable } from './support/stats';
import { WorkerProcess } from './support/worker-process';

const FLAGS = {
  releases: { default: 50, min: 1, max: 2000, help: 'releases in flight at once' },
  runs: { default: 2, min: 1, max: 10, help: 'repetitions' },
};

/** Peak resident set size of a process in MiB (Linux: VmHWM). */
function peakRssMiB(pid: number): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
}

export async function run(args: string[]): Promise<void> {
  const { releases, runs } = parseFlags(args, FLAGS);
  const prng = new Prng(13);
  const inFlight: number[] = [];
  const rss: number[] = [];
  const throughput: number[] = [];
  for (let r = 0; r < runs; r++) {
    const services = benchServiceNames(releases, `sc${r}`);
    // A fresh stack and worker per run, so the peak RSS is this run's.
    const stack = await startBenchStack({ services, bake: '2s', deploymentDelayMs: 300 });
    const worker = await WorkerProcess.start(stack.workerEnv);
    try {
      const ids = await Promise.all(services.map((s) => startBenchRelease(stack.client, stack.taskQueue, stack.config, s, prng.sha())));
      const waiting = await untilAll(ids, async (id) => (await tryStatus(stack.client, id))?.stage === 'awaiting-approval');
      inFlight.push(waiting);
      const approvedAt = Date.now();
      await Promise.all(ids.map((id) => decideRelease(stack.client, id, 'approve', 'alice')));
      const outcomes = (await Promise.all(ids.map((id) => stack.client.workflow.getHandle(id).result()))) as ReleaseOutcome[];
      const seconds = (Date.now() - approvedAt) / 1000;
      const released = outcomes.filter((o) => o.result === 'released').length;
      if (released !== releases) console.log(`scale: only ${released}/${releases} released`);
      throughput.push(released / seconds);
      rss.push(peakRssMiB(worker.pid));
      console.log(`scale: run ${r + 1}: ${waiting} waiting at once; ${released} released in ${seconds.toFixed(1)} s after approval; worker peak RSS ${rss[r].toFixed(0)} MiB`);
    } finally {
      await worker.kill();
      await stack.stop();
    }
  }
  console.log('');
  printTable([
    { label: 'releases in flight at once', unit: 'releases', values: inFlight },
    { label: 'worker peak RSS', unit: 'MiB', values: rss },
    { label: 'completed after approval', unit: 'releases/s', values: throughput },
  ]);
  console.log(
    `scale: ${median(inFlight)} releases in flight on one worker, peak RSS ${Math.round(median(rss))} MiB, ` +
      `${median(throughput).toFixed(2)} releases/s completed once approved (medians of ${runs} runs; bake 3 × 2 s)`,
  );
}

/** Waits until `check` holds for every id (bounded); answers how many it holds for. */
async function untilAll(ids: string[], check: (id: string) => Promise<boolean>, timeoutMs = 300_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let count = 0;
  while (Date.now() < deadline) {
    count = (await Promise.all(ids.map(check))).filter(Boolean).length;
    if (count === ids.length) break;
    await sleep(500);
  }
  return count;
}
