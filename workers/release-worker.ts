/**
 * The release worker: real clients from the environment, activities from their factories,
 * the workflow bundle. Used by `runway worker`, `runway dev` and tests.
 */
import { type NativeConnection, Worker, type WorkflowBundle } from '@temporalio/worker';
import { createActivities, type ActivityClients } from '../activities';
import { createEcsClient } from '../src/clients/ecs';
import { createGitHubClient } from '../src/clients/github';
import { createSlackClient } from '../src/clients/slack';
import type { RunwayEnv } from '../src/env';

export interface ReleaseWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** Defaults to clients built from `env`. */
  clients?: ActivityClients;
  env?: RunwayEnv;
  /** A pre-built bundle (tests bundle once); otherwise the workflows are bundled at start. */
  workflowBundle?: WorkflowBundle;
  identity?: string;
}

export function clientsFromEnv(env: RunwayEnv): ActivityClients {
  return { ecs: createEcsClient(), slack: createSlackClient(env), github: createGitHubClient(env) };
}

export async function createReleaseWorker(options: ReleaseWorkerOptions): Promise<Worker> {
  const clients = options.clients ?? clientsFromEnv(requireEnv(options.env));
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...(options.identity ? { identity: options.identity } : {}),
    activities: createActivities(clients),
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: require.resolve('../workflows') }),
    // A lost workflow task moves back to the shared queue quickly after a crash (default 10 s).
    stickyQueueScheduleToStartTimeout: '3s',
    // SIGTERM/SIGINT: let in-flight activities finish or checkpoint, then exit.
    shutdownGraceTime: '10s',
  });
}

function requireEnv(env: RunwayEnv | undefined): RunwayEnv {
  if (!env) throw new Error('createReleaseWorker needs either clients or env');
  return env;
}
