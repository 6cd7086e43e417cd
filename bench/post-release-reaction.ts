/**
 * `npm run bench -- post-release-reaction [--runs N] [--interval-ms MS]`: how fast a release that
 * turns bad after promotion is reverted by its post-release watch. Each run releases a version
 * (a short canary, a watch of 30 intervals), waits until it is `verifying` (promoted: all of
 * production runs it), then at a random moment within one analysis interval makes the sandbox's
 * metrics for that version bad (15 % errors, on whichever track runs it: now all of production).
 * From that instant it measures (a) the rollback starting (the release's `rolling-back` stage, as
 * its history records it) and (b) the previous version serving all traffic again: the production
 * ECS service's PRIMARY deployment back on the task definition it ran before the release, with all
 * its tasks running and none left in another deployment (read from the sandbox's ECS state; its
 * deployments settle after 200 ms, as in rollback-reaction). Goal: (a) within one interval + 2 s.
 * The pipeline Runway replaces reports a bad deploy reverted within 90 s.
 */
import { decideRelease } from '../src/release-client/releases';
import { serviceServing, servesAllTraffic } from '../src/stack/sandbox-production';
import { parseFlags } from './support/args';
import { benchServiceNames } from './support/bench-config';
import { startBenchRelease, untilStatus } from './support/bench-releases';
import { startBenchStack } from './support/bench-stack';
import { Prng, sleep } from './support/prng';
import { fmt, median, printTable, summarise } from './support/stats';
import { WorkerProcess } from './support/worker-process';
import { releaseOutcome } from '../src/release-client/outcome';

const FLAGS = {
  runs: { default: 5, min: 1, max: 30, help: 'releases, one after another' },
  'interval-ms': { default: 5000, min: 1000, max: 60_000, help: 'analysis interval (canary and post-release watch)' },
};

/** What the replaced pipeline promises: "a bad deploy reverted within 90 seconds". */
const REPLACED_PIPELINE_MS = 90_000;
const DEPLOYMENT_DELAY_MS = 200;

export async function run(args: string[]): Promise<void> {
  const { runs, 'interval-ms': intervalMs } = parseFlags(args, FLAGS);
  const services = benchServiceNames(runs, 'prr');
  // One measurement per canary step, so promotion comes soon; a watch long enough never to pass first.
  const stack = await startBenchStack({ services, bake: intervalMs, analysisInterval: intervalMs, verify: intervalMs * 30, deploymentDelayMs: DEPLOYMENT_DELAY_MS });
  const worker = await WorkerProcess.start(stack.workerEnv);
  const prng = new Prng(16);
  const toRollback: number[] = [];
  const toServing: number[] = [];
  try {
    for (const service of services) {
      const { cluster, service: ecsService } = stack.config.services[service]!.production;
      const production = () => serviceServing(stack.sandbox.state(), cluster, ecsService);
      const previous = production()?.taskDefinition;
      if (!previous) throw new Error(`the sandbox has no production service ${cluster}/${ecsService}`);
      const version = prng.sha();
      const image = `${stack.config.services[service]!.image}:${version}`;
      const id = await startBenchRelease(stack.client, stack.taskQueue, stack.config, service, version);
      await untilStatus(stack.client, id, (s) => s.stage === 'awaiting-approval', 120_000);
      await decideRelease(stack.client, id, 'approve', 'alice');
      await untilStatus(stack.client, id, (s) => s.stage === 'verifying', 180_000);
      // Turn bad somewhere within an interval, so the watch's measurement phase is not always the same.
      await sleep(prng.int(0, intervalMs));
      const turnedBadAt = Date.now();
      stack.sandbox.setScenario({ canary: { [image]: { behaviour: 'errors' } } });

      const servingAt = await untilServing(() => servesAllTraffic(production(), previous), `${cluster}/${ecsService} back on ${previous}`);
      const outcome = await releaseOutcome(stack.client.workflow.getHandle(id));
      if (outcome.result !== 'rolled-back') throw new Error(`${id} ended ${outcome.result}, expected rolled-back: ${outcome.reason}`);
      const rollingBack = outcome.status.history.find((e) => e.stage === 'rolling-back');
      if (!rollingBack) throw new Error(`${id} has no rolling-back stage in its history`);
      const rollbackAt = Date.parse(rollingBack.at);
      toRollback.push(rollbackAt - turnedBadAt);
      toServing.push(servingAt - turnedBadAt);
      console.log(
        `post-release-reaction: ${service}: rollback started after ${rollbackAt - turnedBadAt} ms, previous version serving all traffic after ${servingAt - turnedBadAt} ms (${outcome.reason})`,
      );
    }
    console.log('');
    printTable([
      { label: 'bad → rollback started', unit: 'ms', values: toRollback },
      { label: 'bad → previous version serving', unit: 'ms', values: toServing },
    ]);
    const goal = intervalMs + 2000;
    const a = summarise(toRollback);
    const b = summarise(toServing);
    const range = (s: typeof a) => `${fmt(s.median / 1000)} s (min ${fmt(s.min / 1000)}, max ${fmt(s.max / 1000)})`;
    console.log(
      `post-release-reaction: rollback started after ${range(a)}, previous version serving all traffic after ${range(b)}; medians of ${runs} runs, ` +
        `${intervalMs} ms analysis interval, failureLimit 1, minRequests 1, ECS deployments settle in ${DEPLOYMENT_DELAY_MS} ms; ` +
        `goal (a) ≤ ${goal / 1000} s: ${median(toRollback) <= goal ? 'met' : 'missed'}; the replaced pipeline: ${REPLACED_PIPELINE_MS / 1000} s`,
    );
  } finally {
    await worker.kill();
    await stack.stop();
  }
}

/** When `check` first held (polled every 20 ms). */
async function untilServing(check: () => boolean, what: string): Promise<number> {
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    if (check()) return Date.now();
    await sleep(20);
  }
  throw new Error(`never: ${what}`);
}
