/**
 * `npm run bench -- overhead [--runs N]`: what Runway itself costs per release — a full release
 * (approved as soon as it asks) against an instant sandbox: zero bake, deployments that settle
 * at once, one smoke check. Prints wall time and history events per release.
 */
import { decideRelease } from '../src/client/releases';
import type { ReleaseOutcome } from '../src/domain/release';
import { parseFlags } from './support/args';
import { benchServiceNames } from './support/bench-config';
import { startBenchRelease, untilStatus } from './support/bench-releases';
import { startBenchStack } from './support/bench-stack';
import { Prng } from './support/prng';
import { median, printTable } from './support/stats';
import { WorkerProcess } from './support/worker-process';

const FLAGS = { runs: { default: 5, min: 1, max: 50, help: 'releases, one after another' } };

export async function run(args: string[]): Promise<void> {
  const { runs } = parseFlags(args, FLAGS);
  const services = benchServiceNames(runs + 1, 'oh');
  const stack = await startBenchStack({ services, bake: 0, smokeInterval: 0, smokeAttempts: 1, deploymentDelayMs: 0 });
  const worker = await WorkerProcess.start(stack.workerEnv);
  const prng = new Prng(11);
  const wall: number[] = [];
  const events: number[] = [];
  try {
    // The first release warms the worker (workflow bundle load, connections); it is not counted.
    for (let i = 0; i <= runs; i++) {
      const started = Date.now();
      const id = await startBenchRelease(stack.client, stack.taskQueue, stack.config, services[i], prng.sha());
      await untilStatus(stack.client, id, (s) => s.stage === 'awaiting-approval', 60_000, 10);
      await decideRelease(stack.client, id, 'approve', 'alice');
      const handle = stack.client.workflow.getHandle(id);
      const outcome = (await handle.result()) as ReleaseOutcome;
      const ms = Date.now() - started;
      if (outcome.result !== 'released') throw new Error(`${id} ended ${outcome.result}: ${outcome.reason}`);
      const historyLength = Number((await handle.describe()).raw.workflowExecutionInfo?.historyLength ?? 0);
      if (i === 0) continue;
      wall.push(ms);
      events.push(historyLength);
      console.log(`overhead: release ${i}: ${ms} ms, ${historyLength} history events`);
    }
    console.log('');
    printTable([
      { label: 'wall time per release', unit: 'ms', values: wall },
      { label: 'history events per release', unit: 'events', values: events },
    ]);
    console.log(`overhead: ${Math.round(median(wall))} ms and ${median(events)} history events per release (medians of ${runs} runs)`);
  } finally {
    await worker.kill();
    await stack.stop();
  }
}
