/**
 * `npm run bench -- rollback-reaction [--runs N] [--interval-ms MS]`: how fast a canary that
 * turns bad is taken out of traffic. Each run releases a version, waits until its canary serves
 * its first step, then at a random moment within one analysis interval makes the sandbox's
 * metrics for that version bad (15 % errors). It measures the time from that instant until
 * UpdateService takes the canary to 0 tasks (traffic back on stable) and until the whole
 * rollback has finished. Goal: traffic at 0 within one interval + 2 s (median).
 */
import { decideRelease } from '../src/release-client/releases';
import type { ReleaseOutcome } from '../src/domain/release';
import { parseFlags } from './support/args';
import { benchServiceNames } from './support/bench-config';
import { startBenchRelease, untilStatus } from './support/bench-releases';
import { startBenchStack } from './support/bench-stack';
import { Prng, sleep } from './support/prng';
import { median, printTable } from './support/stats';
import { WorkerProcess } from './support/worker-process';

const FLAGS = {
  runs: { default: 5, min: 1, max: 30, help: 'releases, one after another' },
  'interval-ms': { default: 5000, min: 500, max: 60_000, help: 'canary analysis interval' },
};

interface UpdateServiceCall {
  at: string;
  operation: string;
  request: { service?: string; desiredCount?: number };
}

export async function run(args: string[]): Promise<void> {
  const { runs, 'interval-ms': intervalMs } = parseFlags(args, FLAGS);
  const services = benchServiceNames(runs, 'rr');
  // A long bake: the canary must still be at its first step when it turns bad.
  const stack = await startBenchStack({ services, bake: intervalMs * 20, analysisInterval: intervalMs, deploymentDelayMs: 200 });
  const worker = await WorkerProcess.start(stack.workerEnv);
  const prng = new Prng(7);
  const toZero: number[] = [];
  const toComplete: number[] = [];
  try {
    for (const service of services) {
      const version = prng.sha();
      const image = `${stack.config.services[service]!.image}:${version}`;
      const id = await startBenchRelease(stack.client, stack.taskQueue, stack.config, service, version);
      await untilStatus(stack.client, id, (s) => s.stage === 'awaiting-approval', 120_000);
      await decideRelease(stack.client, id, 'approve', 'alice');
      await untilStatus(stack.client, id, (s) => s.canary.step === 1, 120_000);
      // Turn bad somewhere within an interval, so the analysis phase is not always the same.
      await sleep(prng.int(0, intervalMs));
      const turnedBadAt = Date.now();
      stack.sandbox.setScenario({ canary: { [image]: { behaviour: 'errors' } } });

      const zeroAt = await untilCanaryEmptied(() => stack.sandbox.calls().ecs as UpdateServiceCall[], `${service}-canary`, turnedBadAt);
      const outcome = (await stack.client.workflow.getHandle(id).result()) as ReleaseOutcome;
      const doneAt = Date.parse(outcome.status.finishedAt ?? new Date().toISOString());
      if (outcome.result !== 'rolled-back') throw new Error(`${id} ended ${outcome.result}, expected rolled-back: ${outcome.reason}`);
      toZero.push(zeroAt - turnedBadAt);
      toComplete.push(doneAt - turnedBadAt);
      console.log(`rollback-reaction: ${service}: canary at 0 after ${zeroAt - turnedBadAt} ms, rolled back after ${doneAt - turnedBadAt} ms (${outcome.reason})`);
    }
    console.log('');
    printTable([
      { label: 'bad → canary traffic at 0', unit: 'ms', values: toZero },
      { label: 'bad → rollback complete', unit: 'ms', values: toComplete },
    ]);
    const goal = intervalMs + 2000;
    console.log(
      `rollback-reaction: canary at 0 after ${Math.round(median(toZero))} ms, rollback complete after ${Math.round(median(toComplete))} ms (medians of ${runs} runs, ${intervalMs} ms interval; goal ≤ ${goal} ms to 0: ${median(toZero) <= goal ? 'met' : 'missed'})`,
    );
  } finally {
    await worker.kill();
    await stack.stop();
  }
}

/** When the sandbox answered the UpdateService that set the canary's desired count to 0. */
async function untilCanaryEmptied(calls: () => UpdateServiceCall[], canaryService: string, since: number): Promise<number> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const hit = calls().find(
      (c) => c.operation === 'UpdateService' && c.request.service === canaryService && c.request.desiredCount === 0 && Date.parse(c.at) >= since,
    );
    if (hit) return Date.parse(hit.at);
    await sleep(20);
  }
  throw new Error(`the canary ${canaryService} was never taken to 0 tasks`);
}
