/**
 * `npm run bench -- scale [--releases N[,N...]] [--runs R] [--approval-wait SECONDS]`: N releases
 * in flight at once on one worker process — started together, waiting for approval, then every
 * one that reached approval approved together and baking. For each N (a ramp such as 10,25,50)
 * prints how many reached approval in time, the worker's peak RSS, and completed releases per
 * second once approved. Releases that did not reach approval in time are left out of the
 * approval (and terminated), so a partial figure is still printed.
 */
import { readFileSync } from 'node:fs';
import type { Client } from '@temporalio/client';
import { decideRelease } from '../src/release-client/releases';
import type { ReleaseOutcome } from '../src/domain/release';
import type { GitHubDeployment, Sandbox } from '../src/sandbox';
import { parseFlags, takeListFlag } from './support/args';
import { benchServiceNames } from './support/bench-config';
import { startBenchRelease, tryStatus } from './support/bench-releases';
import { startBenchStack } from './support/bench-stack';
import { Prng, sleep } from './support/prng';
import { fmt, median } from './support/stats';
import { WorkerProcess } from './support/worker-process';
import { releaseOutcome } from '../src/release-client/outcome';

const FLAGS = {
  runs: { default: 2, min: 1, max: 10, help: 'repetitions per N' },
  'approval-wait': { default: 300, min: 10, max: 3600, help: 'seconds to wait for every release to reach approval' },
  'result-wait': { default: 600, min: 10, max: 3600, help: 'seconds to wait for approved releases to finish' },
};

/** One run of N releases. */
interface RunFigures {
  releases: number;
  waiting: number;
  approved: number;
  released: number;
  /** Released releases whose production GitHub deployment ended marked success (records kept up). */
  recorded: number;
  rssMiB: number;
  perSecond: number;
}

const rate = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : '-');
const finiteMedian = (values: number[]) => median(values.filter(Number.isFinite));

/** Peak resident set size of a process in MiB (Linux: VmHWM). */
function peakRssMiB(pid: number): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
}

export async function run(args: string[]): Promise<void> {
  const { values: ramp, rest } = takeListFlag(args, 'releases', { default: [50], min: 1, max: 2000 });
  const flags = parseFlags(rest, FLAGS);
  const prng = new Prng(13);
  const rows: { n: number; runs: RunFigures[] }[] = [];
  for (const n of ramp) {
    const runs: RunFigures[] = [];
    for (let r = 0; r < flags.runs; r++) {
      const figures = await runOnce(n, `sc${n}r${r}`, prng, flags['approval-wait'] * 1000, flags['result-wait'] * 1000);
      runs.push(figures);
      console.log(
        `scale: N=${n} run ${r + 1}: ${figures.waiting}/${n} reached approval; ${figures.released}/${figures.approved} approved released, ` +
          `${rate(figures.perSecond)} releases/s; ${figures.recorded}/${figures.released} production deployments marked success on GitHub; ` +
          `worker peak RSS ${figures.rssMiB.toFixed(0)} MiB`,
      );
    }
    rows.push({ n, runs });
  }
  console.log('');
  const header = ['N', 'reached approval', 'released', 'GitHub success', 'peak RSS MiB', 'releases/s'];
  const table = [
    header,
    ...rows.map(({ n, runs }) => [
      String(n),
      `${fmt(median(runs.map((f) => f.waiting)))}/${n}`,
      `${fmt(median(runs.map((f) => f.released)))}`,
      `${fmt(median(runs.map((f) => f.recorded)))}`,
      fmt(median(runs.map((f) => f.rssMiB))),
      rate(finiteMedian(runs.map((f) => f.perSecond))),
    ]),
  ];
  const widths = header.map((_, c) => Math.max(...table.map((row) => row[c].length)));
  for (const row of table) console.log(row.map((cell, c) => cell.padStart(widths[c])).join('  '));
  console.log(
    `scale: ${rows
      .map(({ n, runs }) => {
        const m = (pick: (f: RunFigures) => number) => median(runs.map(pick));
        return `N=${n}: ${fmt(m((f) => f.waiting))} reached approval, peak RSS ${Math.round(m((f) => f.rssMiB))} MiB, ${rate(finiteMedian(runs.map((f) => f.perSecond)))} releases/s`;
      })
      .join('; ')} (medians of ${flags.runs} run(s) per N; one worker; bake 3 × 2 s)`,
  );
}

/** A fresh stack and worker (so the peak RSS is this run's), N releases started together. */
async function runOnce(n: number, prefix: string, prng: Prng, approvalWaitMs: number, resultWaitMs: number): Promise<RunFigures> {
  const services = benchServiceNames(n, prefix);
  const stack = await startBenchStack({ services, bake: '2s', deploymentDelayMs: 300 });
  const worker = await WorkerProcess.start(stack.workerEnv);
  const { client } = stack;
  try {
    const ids = await Promise.all(services.map((s) => startBenchRelease(client, stack.taskQueue, stack.config, s, prng.sha())));
    const waitingIds = await untilAll(ids, async (id) => (await tryStatus(client, id))?.stage === 'awaiting-approval', approvalWaitMs);
    const approvedAt = Date.now();
    // Only those waiting: one that never got there must not make the whole figure throw.
    const decisions = await Promise.allSettled(waitingIds.map((id) => decideRelease(client, id, 'approve', 'alice')));
    const approvedIds = waitingIds.filter((_, i) => decisions[i].status === 'fulfilled');
    const outcomes = await Promise.allSettled(approvedIds.map((id) => resultWithin(client, id, resultWaitMs)));
    const seconds = (Date.now() - approvedAt) / 1000;
    const releasedIds = approvedIds.filter((_, i) => { const o = outcomes[i]; return o.status === 'fulfilled' && o.value.result === 'released'; });
    const released = releasedIds.length;
    const recorded = countProductionSuccess(stack.sandbox, releasedIds.map((id) => services[ids.indexOf(id)]));
    const stragglers = ids.filter((id) => !approvedIds.includes(id));
    await Promise.allSettled(stragglers.map((id) => client.workflow.getHandle(id).terminate('scale bench: did not reach approval in time')));
    // Nothing approved: no throughput to speak of (shown as "-").
    const perSecond = approvedIds.length > 0 ? released / seconds : NaN;
    return { releases: n, waiting: waitingIds.length, approved: approvedIds.length, released, recorded, rssMiB: peakRssMiB(worker.pid), perSecond };
  } finally {
    await worker.kill();
    await stack.stop();
  }
}

/**
 * How many of these services' releases have a production GitHub deployment whose latest status
 * is success. Deployment records are notifications (paced at one write per second per worker,
 * given up after 3 minutes), so under load they can lag behind or miss what ECS did.
 */
function countProductionSuccess(sandbox: Sandbox, services: string[]): number {
  const { github } = sandbox.state() as { github: { deployments: GitHubDeployment[] } };
  return services.filter((service) =>
    github.deployments.some((d) => d.repo === `acme/${service}` && d.environment === 'production' && d.statuses.at(-1)?.state === 'success'),
  ).length;
}

async function resultWithin(client: Client, id: string, timeoutMs: number): Promise<ReleaseOutcome> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${id}: no result within ${timeoutMs} ms`)), timeoutMs)));
  try {
    return (await Promise.race([releaseOutcome(client.workflow.getHandle(id)), timeout])) as ReleaseOutcome;
  } finally {
    clearTimeout(timer);
  }
}

/** Waits until `check` holds for every id or `timeoutMs` passes; answers the ids it holds for. */
async function untilAll(ids: string[], check: (id: string) => Promise<boolean>, timeoutMs: number): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let holding: string[] = [];
  while (Date.now() < deadline) {
    const results = await Promise.all(ids.map(check));
    holding = ids.filter((_, i) => results[i]);
    if (holding.length === ids.length) break;
    await sleep(500);
  }
  return holding;
}
