/**
 * `npm run bench -- crash-resume [--runs N]`: how long a release stands still after its worker
 * is SIGKILLed — from the kill to the first call the release makes at the sandbox afterwards —
 * (a) restarting the only worker, (b) with a standby worker already polling; at two moments:
 *
 * - in a deployment wait (a heartbeating activity): bound by the activity's heartbeat timeout;
 * - while waiting for approval, approved right after the kill (a workflow task): bound by the
 *   sticky queue's schedule-to-start timeout, or by the new worker's start.
 *
 * Each run releases its own service and is terminated once it moved, so runs do not interact.
 */
import type { Client } from '@temporalio/client';
import { decideRelease } from '../src/release-client/releases';
import { parseFlags } from './support/args';
import { benchServiceNames } from './support/bench-config';
import { startBenchRelease, untilStatus } from './support/bench-releases';
import { type BenchStack, startBenchStack } from './support/bench-stack';
import { Prng, sleep } from './support/prng';
import { median, printTable } from './support/stats';
import { WorkerProcess } from './support/worker-process';

const FLAGS = { runs: { default: 3, min: 1, max: 20, help: 'runs per mode and moment' } };
const MODES = ['restart', 'standby'] as const;
const MOMENTS = ['deploy-wait', 'approval'] as const;
type Mode = (typeof MODES)[number];
type Moment = (typeof MOMENTS)[number];
/** temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED */
const ACTIVITY_STARTED = 2;

export async function run(args: string[]): Promise<void> {
  const { runs } = parseFlags(args, FLAGS);
  const services = benchServiceNames(runs * MODES.length * MOMENTS.length, 'cr');
  // Deployments slow enough that a kill lands inside the wait.
  const stack = await startBenchStack({ services, bake: '1s', deploymentDelayMs: 6_000 });
  const prng = new Prng(7);
  const results: Record<string, number[]> = {};
  const workers: WorkerProcess[] = [];
  try {
    let next = 0;
    for (const mode of MODES) {
      while (workers.length < (mode === 'standby' ? 2 : 1)) workers.push(await WorkerProcess.start(stack.workerEnv));
      for (const moment of MOMENTS) {
        for (let i = 0; i < runs; i++) {
          const ms = await measure(stack, workers, mode, moment, services[next++], prng.sha());
          (results[`${mode} / ${moment}`] ??= []).push(ms);
          console.log(`crash-resume: ${mode}, kill in ${moment}: moved again after ${ms} ms`);
        }
      }
    }
    console.log('');
    printTable(Object.entries(results).map(([label, values]) => ({ label, unit: 'ms', values })));
    const m = (k: string) => Math.round(median(results[k]));
    console.log(
      `crash-resume: medians over ${runs} runs — restart: deploy-wait ${m('restart / deploy-wait')} ms, approval ${m('restart / approval')} ms; ` +
        `standby: deploy-wait ${m('standby / deploy-wait')} ms, approval ${m('standby / approval')} ms`,
    );
  } finally {
    await Promise.all(workers.map((w) => w.kill()));
    await stack.stop();
  }
}

/** One release, one kill; answers the milliseconds from the kill to the release's next sandbox call. */
async function measure(stack: BenchStack, workers: WorkerProcess[], mode: Mode, moment: Moment, service: string, version: string): Promise<number> {
  const { client } = stack;
  const id = await startBenchRelease(client, stack.taskQueue, stack.config, service, version);
  if (moment === 'deploy-wait') await untilWaiting(client, id);
  else await untilStatus(client, id, (s) => s.stage === 'awaiting-approval');
  // Let the last workflow task settle so the kill finds the release at rest in that moment.
  await sleep(500);
  const victim = await activeWorker(client, id, workers, moment);
  // The clock starts once the worker is really dead (its exit seen), not when the signal is sent.
  await victim.kill('SIGKILL');
  const killedAt = Date.now();
  workers.splice(workers.indexOf(victim), 1);
  const restarting = mode === 'restart' ? WorkerProcess.start(stack.workerEnv).then((w) => workers.push(w)) : Promise.resolve();
  // The approval arrives right after the crash, as a click would; it waits for a worker to take it.
  const deciding = moment === 'approval' ? decideRelease(client, id, 'approve', 'alice').catch(() => undefined) : Promise.resolve();
  const movedAt = await nextCallAfter(stack, service, killedAt);
  await restarting;
  await deciding;
  await client.workflow.getHandle(id).terminate('crash-resume bench: measured').catch(() => undefined);
  if (mode === 'standby') workers.push(await WorkerProcess.start(stack.workerEnv));
  return movedAt - killedAt;
}

async function untilWaiting(client: Client, id: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const { raw } = await client.workflow.getHandle(id).describe();
    if (raw.pendingActivities?.some((a) => a.activityType?.name === 'waitForDeployment' && a.state === ACTIVITY_STARTED)) return;
    await sleep(50);
  }
  throw new Error(`${id}: no deployment wait started`);
}

/** The worker running the release's activity, or the one whose cache holds the workflow (sticky). */
async function activeWorker(client: Client, id: string, workers: WorkerProcess[], moment: Moment): Promise<WorkerProcess> {
  const handle = client.workflow.getHandle(id);
  let identity: string | undefined;
  if (moment === 'deploy-wait') {
    identity = (await handle.describe()).raw.pendingActivities?.find((a) => a.activityType?.name === 'waitForDeployment')?.lastWorkerIdentity ?? undefined;
  } else {
    const history = await handle.fetchHistory();
    identity = [...(history.events ?? [])].reverse().find((e) => e.workflowTaskStartedEventAttributes?.identity)?.workflowTaskStartedEventAttributes?.identity ?? undefined;
  }
  const pid = Number(identity?.split('@')[0]);
  const found = workers.find((w) => w.pid === pid);
  if (!found) throw new Error(`${id}: no running worker has identity ${identity}`);
  return found;
}

/** When the sandbox next heard from this release (its service's calls), polled every 20 ms. */
async function nextCallAfter(stack: BenchStack, service: string, after: number): Promise<number> {
  for (let i = 0; i < 6000; i++) {
    const calls = stack.sandbox.calls();
    const times = Object.values(calls)
      .flat()
      .filter((c) => Date.parse(c.at) > after && JSON.stringify(c).includes(service))
      .map((c) => Date.parse(c.at));
    if (times.length) return Math.min(...times);
    await sleep(20);
  }
  throw new Error(`${service}: no call within 120 s of the kill`);
}
