/** `runway worker` processes for end-to-end tests, and polling a release while they come and go. */
import type { Client } from '@temporalio/client';
import type { ReleaseStatus } from '../../src/domain/release';
import { statusQuery } from '../../src/domain/release-api';
import { testClient } from './temporal';
import { spawnRunway, type RunwayProcess } from './runway-process';
import { type SandboxStack, startSandboxStack } from './sandbox-stack';

export class WorkerFleet {
  readonly workers: RunwayProcess[] = [];

  constructor(private readonly env: Record<string, string>) {}

  /** Starts a worker and resolves once it polls the task queue. */
  async start(): Promise<RunwayProcess> {
    const worker = spawnRunway(['worker'], this.env);
    this.workers.push(worker);
    await worker.waitFor(/polling task queue/);
    return worker;
  }

  async kill(worker: RunwayProcess): Promise<void> {
    worker.child.kill('SIGKILL');
    await worker.exited;
  }

  async killAll(): Promise<void> {
    await Promise.all(this.workers.map((w) => this.kill(w)));
  }

  /** The last lines each worker wrote, for a test's failure message: which worker held what, and what it said last. */
  outputTails(lines = 15): string {
    return this.workers
      .map((w, i) => `worker ${i + 1} (pid ${w.child.pid}, ${w.child.exitCode === null && w.child.signalCode === null ? 'running' : `exited ${w.child.exitCode ?? w.child.signalCode}`}):\n${w.output().trimEnd().split('\n').slice(-lines).join('\n')}`)
      .join('\n');
  }
}

/** Polls a release's status until `predicate` holds; tolerates moments with no worker to answer. */
export async function untilRelease(client: Client, id: string, predicate: (s: ReleaseStatus) => boolean, timeoutMs = 180_000): Promise<ReleaseStatus> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const status = await client.workflow.getHandle(id).query(statusQuery).catch(() => undefined);
    if (status && predicate(status)) return status;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${id}: condition never met within ${timeoutMs / 1000} s`);
}

export interface CrashRig {
  client: Client;
  stack: SandboxStack;
  fleet: WorkerFleet;
}

/**
 * Registers the hooks every worker-killing test needs: a Temporal client, a sandbox with a
 * config pointing at it, and a fleet of worker processes, all torn down after the file.
 */
export function useCrashRig(options: { bake: string; service?: string }): CrashRig {
  const rig = {} as CrashRig;
  let closeClient: () => Promise<void> = async () => {};
  beforeAll(async () => {
    const { client, close } = await testClient();
    closeClient = close;
    rig.client = client;
    rig.stack = await startSandboxStack(options);
    rig.fleet = new WorkerFleet(rig.stack.env);
  });
  afterAll(async () => {
    await rig.fleet?.killAll();
    await rig.stack?.sandbox.close();
    await closeClient();
  });
  return rig;
}
