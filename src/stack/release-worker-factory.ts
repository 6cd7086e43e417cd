/**
 * How the CLI and the embedded stack get a release worker without importing workers/. The
 * process entry point (bin/runway.js) hands in workers/release-worker's factory: workers/
 * assembles activities, clients and the workflow bundle, and sits above src/, which never
 * imports it (eslint.config.mjs).
 */
import type { NativeConnection, Worker } from '@temporalio/worker';
import type { RunwayEnv } from '../config/env';
import type { WorkerVersion } from '../temporal/worker-deployment';

export interface CreateReleaseWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  env: RunwayEnv;
  /** The deployment and build the worker declares (Worker Versioning); unset → unversioned. */
  versioning?: WorkerVersion;
}

export type CreateReleaseWorker = (options: CreateReleaseWorkerOptions) => Promise<Worker>;

/** The processes the CLI can start, handed in by the entry point. */
export interface RunwayProcesses {
  createReleaseWorker: CreateReleaseWorker;
}
