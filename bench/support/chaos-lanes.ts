/**
 * Chaos with release lanes (issue 18, part 1): several releases of each service started at once —
 * every other one through `runway start --queue` (a CLI process), the rest from a raw Temporal
 * client — while the ChaosMonkey kills workers and restarts Temporal. Each release is approved
 * when it waits for approval (Slack click or CLI, by the seed), so in `queue` lanes every one must
 * reach production, one at a time.
 *
 * Counted at the sandbox, not from Runway's word: every ECS registration and task-definition
 * change of a service, in the order the sandbox answered them, is traced to the release whose
 * image it carries. A release's changes must form one unbroken run: a release changing the
 * service again after another release had begun is an overlap. The runs must come in the order
 * the lane granted them, and production must end on the last one's task definition.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { laneQuery, laneWorkflowId } from '../../src/domain/lane-api';
import type { LaneState } from '../../src/domain/lane';
import { releaseId } from '../../src/domain/release-id';
import type { SandboxCall } from '../../src/sandbox';
import { benchServiceNames } from './bench-config';
import { startBenchRelease } from './bench-releases';
import { type BenchStack, startBenchStack, type TemporalKind } from './bench-stack';
import { ecsServices } from './chaos-audit';
import { ChaosMonkey } from './chaos-monkey';
import { type ChaosRelease, driveRelease } from './chaos-release-driver';
import { Prng, sleep } from './prng';
import { replayProblems } from './replay-check';
import { describeStuckRelease } from './stuck-release';

export interface LaneChaosOptions {
  releases: number;
  /** Services the releases share (round robin): releases / services of each. */
  services: number;
  seed: number;
  temporalRestarts: number;
  temporal?: TemporalKind;
  databaseRestarts?: number;
  workers?: number;
  deadlineSeconds: number;
  log?: (line: string) => void;
}

export interface LaneChaosReport {
  total: number;
  ok: number;
  /** Times a release changed its service's ECS state again after another release of it had begun. */
  overlaps: number;
  kills: number;
  temporalRestarts: number;
  /** Releases started through `runway start --queue`, and how many of those CLI processes exited 0. */
  cliStarts: number;
  cliExitedOk: number;
  failures: { id: string; problems: string[] }[];
  line: string;
}

const RUNWAY_BIN = path.join(__dirname, '../../bin/runway.js');

export async function runLaneChaos(options: LaneChaosOptions): Promise<LaneChaosReport> {
  const log = options.log ?? (() => {});
  const prng = new Prng(options.seed);
  const services = benchServiceNames(options.services, 'lane');
  const releases: ChaosRelease[] = Array.from({ length: options.releases }, (_, i) => {
    const service = services[i % services.length]!;
    const version = prng.sha();
    return { id: releaseId(service, version), service, version, scenario: 'good', decideVia: prng.pick(['slack', 'cli'] as const) };
  });
  const stack = await startBenchStack({ services, bake: '1s', smokeInterval: '100ms', deploymentDelayMs: 300, temporal: options.temporal, log });
  const monkey = new ChaosMonkey(
    stack,
    prng,
    { temporalRestarts: options.temporalRestarts, databaseRestarts: options.databaseRestarts ?? 0, workers: options.workers ?? 1, gapMs: [1500, 4000] },
    log,
  );
  const cli = { starts: 0, ok: 0 };
  try {
    const initial = new Set(ecsServices(stack.sandbox.state()).map((s) => s.taskDefinition ?? ''));
    await monkey.start();
    const deadline = Date.now() + options.deadlineSeconds * 1000;
    const ctx = { stack, badCanary: 'canary-metrics' as const, deadline, log };
    const finished = () => releases.every((r) => r.outcome || r.finished) || Date.now() > deadline;
    // All at once: each service has several releases in flight, admitted by its lane in whatever order they arrive.
    const drivers = releases.map(async (r, i) => {
      const start = i % 2 === 1 ? () => startThroughCli(stack, r, cli, log) : undefined;
      try {
        await driveRelease(ctx, r, start);
        if (!r.outcome) Object.assign(r, { finished: true, error: 'no outcome by the run deadline' });
      } catch (err) {
        Object.assign(r, { finished: true, error: `driver failed: ${(err as Error).message}` });
      }
    });
    await Promise.all([Promise.all(drivers), monkey.run(finished, () => releases)]);
    for (const r of releases.filter((r) => !r.outcome)) for (const line of await describeStuckRelease(stack.client, r.id)) log(`chaos (lanes): ${line}`);
    // Every history must replay, as in the single-release chaos: a release a fresh worker could not pick up would stop for good.
    const notReplaying = await replayProblems(stack.client, releases.map((r) => r.id));

    const calls = stack.sandbox.calls().ecs;
    const versionOfTaskDefinition = taskDefinitionVersions(stack.sandbox.state());
    const failures: LaneChaosReport['failures'] = [];
    let overlaps = 0;
    for (const service of services) {
      const mine = releases.filter((r) => r.service === service);
      const lane = await readLaneState(stack, service);
      const trace = serviceTrace(calls, service, versionOfTaskDefinition, initial);
      const { runs, returns } = runsOf(trace);
      overlaps += returns.length;
      const problems = returns.map((v) => `overlap: ${releaseId(service, v)} changed ${service} again after another release had begun`);
      const granted = (lane?.log ?? []).filter((e) => e.event === 'granted').map((e) => e.workflowId);
      const ranInOrder = runs.map((v) => releaseId(service, v));
      if (JSON.stringify(ranInOrder) !== JSON.stringify(granted)) problems.push(`order: ran [${ranInOrder.join(', ')}], the lane granted [${granted.join(', ')}]`);
      const last = runs.at(-1);
      const production = ecsServices(stack.sandbox.state()).find((s) => s.cluster === 'production' && s.service === service);
      if (!last || versionOfTaskDefinition.get(production?.taskDefinition ?? '') !== last) problems.push(`end state: production does not run the last release's task definition`);
      if (problems.length) failures.push({ id: `${service} (lane)`, problems });
      for (const r of mine) {
        const own: string[] = [];
        if (r.error) own.push(`driver: ${r.error}`);
        if (r.outcome?.result !== 'released') own.push(`outcome: ended ${r.outcome?.result ?? 'without an outcome'} (${r.outcome?.reason ?? ''}), expected released`);
        if (!runs.includes(r.version)) own.push('never changed its service at the sandbox');
        own.push(...notReplaying.filter((p) => p.id === r.id).map((p) => `replay: ${p.problem}`));
        if (own.length) failures.push({ id: r.id, problems: own });
      }
    }
    // A release is correct when it ended released and its service's lane held at the sandbox.
    const failed = new Set(failures.map((f) => f.id));
    const ok = releases.filter((r) => !failed.has(r.id) && !failed.has(`${r.service} (lane)`)).length;
    const line = `chaos (lanes): ${ok}/${releases.length} releases correct, ${overlaps} overlapping deployments of one service (${services.length} services, ${Math.ceil(releases.length / services.length)} releases each), ${monkey.kills} kills`;
    return { total: releases.length, ok, overlaps, kills: monkey.kills, temporalRestarts: monkey.temporalRestarts, cliStarts: cli.starts, cliExitedOk: cli.ok, failures, line };
  } finally {
    await monkey.stop();
    await stack.stop();
  }
}

/**
 * `runway start --queue` in a process of its own, as CI runs it. It exits once the release holds
 * its lane; a Temporal restart can end it early, which leaves the release waiting all the same. If
 * it exited before the release existed (the server was down), the release is started from the client.
 */
async function startThroughCli(stack: BenchStack, r: ChaosRelease, cli: { starts: number; ok: number }, log: (line: string) => void): Promise<void> {
  cli.starts++;
  const child = spawn(process.execPath, [RUNWAY_BIN, 'start', '--service', r.service, '--version', r.version, '--requested-by', 'chaos', '--queue', '--queue-timeout', '1h'], {
    env: { ...process.env, ...stack.workerEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.resume();
  const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
  // The driver follows the release as soon as it exists; the CLI keeps waiting in the background.
  for (;;) {
    if (await workflowExists(stack.client, r.id)) break;
    const code = await Promise.race([exited, sleep(250).then(() => undefined)]);
    if (code !== undefined && !(await workflowExists(stack.client, r.id))) {
      log(`chaos: ${r.id}: runway start exited ${code} before the release existed (${stderr.trim().split('\n').at(-1) ?? ''}); starting it from the client`);
      await startBenchRelease(stack.client, stack.taskQueue, stack.config, r.service, r.version);
      break;
    }
  }
  void exited.then((code) => {
    if (code === 0) cli.ok++;
  });
}

/** True once the release's workflow exists; false while it does not, or the server cannot say. */
async function workflowExists(client: BenchStack['client'], id: string): Promise<boolean> {
  try {
    await client.workflow.getHandle(id).describe();
    return true;
  } catch {
    return false;
  }
}

async function readLaneState(stack: BenchStack, service: string): Promise<LaneState | undefined> {
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      return await stack.client.workflow.getHandle(laneWorkflowId(stack.taskQueue, service)).query(laneQuery);
    } catch {
      await sleep(500);
    }
  }
  return undefined;
}

/** Task definition ARN → the release version its image carries (`<repository>:<version>`). */
function taskDefinitionVersions(state: Record<string, unknown>): Map<string, string> {
  const defs = (state.ecs as { taskDefinitions: { taskDefinitionArn?: string; containerDefinitions?: { image?: string }[] }[] }).taskDefinitions;
  const out = new Map<string, string>();
  for (const td of defs) {
    const tag = td.containerDefinitions?.[0]?.image?.split(':').at(-1);
    if (td.taskDefinitionArn && tag && /^[0-9a-f]{40}$/.test(tag)) out.set(td.taskDefinitionArn, tag);
  }
  return out;
}

/** The versions behind each successful change of `service` (staging, production, its canary), in the sandbox's order. */
export function serviceTrace(calls: SandboxCall[], service: string, versions: Map<string, string>, initial: Set<string>): string[] {
  const trace: string[] = [];
  for (const call of [...calls].sort((a, b) => a.seq - b.seq)) {
    if (call.status < 200 || call.status >= 300) continue;
    const request = call.request as { service?: string; family?: string; taskDefinition?: string; containerDefinitions?: { image?: string }[] };
    if (call.operation === 'RegisterTaskDefinition' && (request.family === `${service}-staging` || request.family === `${service}-production`)) {
      const tag = request.containerDefinitions?.[0]?.image?.split(':').at(-1);
      if (tag) trace.push(tag);
    } else if (call.operation === 'UpdateService' && (request.service === service || request.service === `${service}-canary`) && request.taskDefinition) {
      if (initial.has(request.taskDefinition)) continue;
      const version = versions.get(request.taskDefinition);
      if (version) trace.push(version);
    }
  }
  return trace;
}

/** The trace as runs of one version each, and the versions that came back after another had begun (overlaps). */
export function runsOf(trace: string[]): { runs: string[]; returns: string[] } {
  const runs: string[] = [];
  const returns: string[] = [];
  for (const version of trace) {
    if (runs.at(-1) === version) continue;
    if (runs.includes(version)) returns.push(version);
    else runs.push(version);
  }
  return { runs, returns };
}
