/**
 * Temporal Worker Versioning for Runway's workers: which deployment and build a worker declares,
 * and who makes a build the deployment's current version (README "Upgrading Runway").
 *
 * A release is pinned to the build it started on (`defaultVersioningBehavior: 'PINNED'`), new
 * releases go to the current version, and versioned workers get no tasks until their deployment
 * has one. Versions are managed through the client's gRPC WorkflowService, never the CLI.
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isGrpcServiceError, type WorkflowService } from '@temporalio/client';
import { deploymentNameProblem, EnvError, type RunwayEnv } from '../config/env';

/** A worker deployment version: what `workerDeploymentOptions.version` takes. */
export interface WorkerVersion {
  deploymentName: string;
  buildId: string;
}

export interface ResolvedWorkerVersion extends WorkerVersion {
  /** Where the build id came from, for the worker's start-up line. */
  buildIdFrom: 'RUNWAY_BUILD_ID' | 'package.json';
  deploymentNameFrom: 'RUNWAY_DEPLOYMENT_NAME' | 'RUNWAY_TASK_QUEUE';
}

type VersioningEnv = Pick<RunwayEnv, 'RUNWAY_WORKER_VERSIONING' | 'RUNWAY_BUILD_ID' | 'RUNWAY_DEPLOYMENT_NAME' | 'RUNWAY_TASK_QUEUE'>;

/**
 * The version a worker declares, or undefined with `RUNWAY_WORKER_VERSIONING=off`.
 * Build id: `RUNWAY_BUILD_ID`, else Runway's package.json version (`0.1.0`: the deployment name
 * already says whose build it is). Deployment name: `RUNWAY_DEPLOYMENT_NAME`, else the task
 * queue's name, so each task queue (one Runway installation) is switched on its own.
 */
export function workerVersionFromEnv(env: VersioningEnv, packageVersion: () => string = runwayPackageVersion): ResolvedWorkerVersion | undefined {
  if (env.RUNWAY_WORKER_VERSIONING === 'off') return undefined;
  const deploymentName = deploymentNameFromEnv(env);
  if (!deploymentName) {
    throw new EnvError(
      `invalid environment: RUNWAY_DEPLOYMENT_NAME: not set, and its default, the task queue name (RUNWAY_TASK_QUEUE), cannot be used: ${deploymentNameProblem(env.RUNWAY_TASK_QUEUE)}; set RUNWAY_DEPLOYMENT_NAME`,
    );
  }
  return {
    deploymentName,
    buildId: env.RUNWAY_BUILD_ID ?? packageVersion(),
    buildIdFrom: env.RUNWAY_BUILD_ID ? 'RUNWAY_BUILD_ID' : 'package.json',
    deploymentNameFrom: env.RUNWAY_DEPLOYMENT_NAME ? 'RUNWAY_DEPLOYMENT_NAME' : 'RUNWAY_TASK_QUEUE',
  };
}

/** `RUNWAY_DEPLOYMENT_NAME`, else the task queue's name when Temporal accepts it as one. */
export function deploymentNameFromEnv(env: Pick<RunwayEnv, 'RUNWAY_DEPLOYMENT_NAME' | 'RUNWAY_TASK_QUEUE'>): string | undefined {
  return env.RUNWAY_DEPLOYMENT_NAME ?? (deploymentNameProblem(env.RUNWAY_TASK_QUEUE) ? undefined : env.RUNWAY_TASK_QUEUE);
}

/** Two folders up from the sources (src/temporal/), three from the compiled dist/src/temporal/. */
const PACKAGE_JSON = [path.resolve(__dirname, '../../package.json'), path.resolve(__dirname, '../../../package.json')].find((file) => existsSync(file)) ?? path.resolve(__dirname, '../../package.json');

/** The `version` of Runway's own package.json. */
export function runwayPackageVersion(file = PACKAGE_JSON): string {
  let version: unknown;
  try {
    version = (JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown }).version;
  } catch (err) {
    throw new EnvError(`cannot read Runway's version from ${file} (${(err as Error).message}); set RUNWAY_BUILD_ID`);
  }
  if (typeof version !== 'string' || version.trim() === '') throw new EnvError(`${file} has no version; set RUNWAY_BUILD_ID`);
  return version.trim();
}

/** `workerDeploymentOptions` for Worker.create: every workflow stays on the build it started on. */
export function workerDeploymentOptions(version: WorkerVersion) {
  return {
    useWorkerVersioning: true,
    version: { deploymentName: version.deploymentName, buildId: version.buildId },
    defaultVersioningBehavior: 'PINNED',
  } as const;
}

/**
 * Who makes a build current when its worker starts:
 * - `bootstrap` (`runway worker`): only when the deployment has never had a current version —
 *   the first Runway of an installation starts working by itself; later builds wait for the operator.
 * - `switch` (`runway worker --set-current`): make it current, unless this build was current
 *   (or ramping) before and has been moved away from, so a restarting replica never undoes a rollback.
 * - `force` (`runway dev`, tests): always.
 */
export type CurrentVersionPolicy = 'bootstrap' | 'switch' | 'force';

export interface EnsureCurrentVersionOptions {
  workflowService: WorkflowService;
  namespace: string;
  version: WorkerVersion;
  policy: CurrentVersionPolicy;
  /** Recorded by the server as who changed the deployment. */
  identity?: string;
  /** How long to wait for the worker's version to reach the server (its first poll). @default 30 s */
  timeoutMs?: number;
  /** @default 250 ms */
  retryMs?: number;
  /** Stops waiting, e.g. when the worker failed. */
  signal?: AbortSignal;
}

export interface VersionState {
  /** This build is the deployment's current version now. */
  current: boolean;
  /** This call made it current. */
  madeCurrent: boolean;
  /** The current build (undefined: none, or unversioned workers). */
  currentBuildId?: string;
  /** The build that was current before this call made this one current. */
  previousBuildId?: string;
  /** This build was current (or ramping) before and was moved away from: `--set-current` leaves it. */
  movedAwayFrom: boolean;
  /** Other builds still draining: releases pinned to them are open and need their workers. */
  draining: string[];
  /** Why it is (or is not) current, for the worker's start-up output. */
  summary: string;
}

export class WorkerVersionError extends Error {
  override name = 'WorkerVersionError';
}

/** The server did not settle the version within the bound, for reasons worth another try (not a refusal). */
export class WorkerVersionTimeout extends WorkerVersionError {
  override name = 'WorkerVersionTimeout';
}

const DRAINING = 4; // WORKER_DEPLOYMENT_VERSION_STATUS_DRAINING (@temporalio/proto is not a direct dependency)

/** gRPC codes worth another try while a worker's version registers: NOT_FOUND, FAILED_PRECONDITION (incl. a conflict token), UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED. */
const RETRYABLE = new Set([5, 9, 14, 4, 8, 10]);
const UNIMPLEMENTED = 12;
const PERMISSION_DENIED = 7;

type Description = Awaited<ReturnType<WorkflowService['describeWorkerDeployment']>>;

type Decision = { kind: 'done'; state: VersionState } | { kind: 'wait'; why: string } | { kind: 'set' };

/**
 * Applies `policy` to this worker's version and reports where it stands. Setting a version
 * current fails until the version has polled the server, so this retries (bounded by
 * `timeoutMs`) and then throws a WorkerVersionError saying why.
 */
export async function ensureCurrentVersion(options: EnsureCurrentVersionOptions): Promise<VersionState> {
  const { workflowService, namespace, version, policy } = options;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  const label = `build "${version.buildId}" of worker deployment "${version.deploymentName}"`;
  let lastProblem = 'nothing answered yet';
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      const description = await describe(workflowService, namespace, version.deploymentName);
      const decision = description ? decide(description, version, policy) : { kind: 'wait' as const, why: 'the deployment does not exist on the server yet (its first worker has not polled)' };
      if (decision.kind === 'done') return decision.state;
      if (decision.kind === 'wait') lastProblem = decision.why;
      else {
        const answer = await workflowService.setWorkerDeploymentCurrentVersion({
          namespace,
          deploymentName: version.deploymentName,
          buildId: version.buildId,
          // A concurrent change (another worker bootstrapping, an operator) wins: decide again.
          conflictToken: description!.conflictToken,
          identity: options.identity ?? defaultIdentity(),
        });
        const previousBuildId = answer.previousDeploymentVersion?.buildId || undefined;
        const draining = drainingBuilds(description!, version.buildId);
        const why = previousBuildId ? `it replaces build "${previousBuildId}"` : 'the deployment had no current version';
        return { current: true, madeCurrent: true, movedAwayFrom: false, currentBuildId: version.buildId, previousBuildId, draining, summary: `made current by this worker: ${why}` };
      }
    } catch (err) {
      if (!isGrpcServiceError(err)) throw err;
      if (err.code === UNIMPLEMENTED) {
        throw new WorkerVersionError(`${label}: this Temporal server does not support Worker Deployments (Temporal 1.28 or later is needed); set RUNWAY_WORKER_VERSIONING=off to run unversioned workers`);
      }
      if (err.code === PERMISSION_DENIED) {
        throw new WorkerVersionError(`${label}: the worker's credentials may not manage worker deployments (${err.details}); let an operator set the current version, or set RUNWAY_WORKER_VERSIONING=off`);
      }
      if (!RETRYABLE.has(err.code)) throw new WorkerVersionError(`${label}: ${err.details || err.message}`);
      lastProblem = err.details || err.message;
    }
    if (Date.now() >= deadline) {
      throw new WorkerVersionTimeout(
        `${label} could not be made current within ${timeoutMs >= 1000 ? `${Math.round(timeoutMs / 1000)} s` : `${timeoutMs} ms`}: ${lastProblem}. ` +
          'The server learns of a version from its workers\' polls: is the worker polling its task queue on this server and namespace? ' +
          '(A server without Worker Versioning: set RUNWAY_WORKER_VERSIONING=off.)',
      );
    }
    await sleep(options.retryMs ?? 250, options.signal);
  }
}

async function describe(workflowService: WorkflowService, namespace: string, deploymentName: string): Promise<Description | undefined> {
  try {
    return await workflowService.describeWorkerDeployment({ namespace, deploymentName });
  } catch (err) {
    if (isGrpcServiceError(err) && err.code === 5) return undefined; // NOT_FOUND: nobody has polled yet
    throw err;
  }
}

function decide(description: Description, version: WorkerVersion, policy: CurrentVersionPolicy): Decision {
  const info = description.workerDeploymentInfo;
  const routing = info?.routingConfig;
  const currentBuildId = routing?.currentDeploymentVersion?.buildId || undefined;
  if (currentBuildId === version.buildId) {
    return { kind: 'done', state: { current: true, madeCurrent: false, movedAwayFrom: false, currentBuildId, draining: drainingBuilds(description, version.buildId), summary: 'it already was' } };
  }
  const mine = info?.versionSummaries?.find((v) => v.deploymentVersion?.buildId === version.buildId);
  if (policy === 'bootstrap' && (currentBuildId || routing?.currentVersionChangedTime)) {
    return { kind: 'done', state: notCurrent(description, version) };
  }
  if (policy === 'switch' && mine?.firstActivationTime) {
    const state = notCurrent(description, version);
    return { kind: 'done', state: { ...state, movedAwayFrom: true, summary: `${state.summary}; this build was current before and was moved away from, so --set-current leaves it there` } };
  }
  if (!mine) return { kind: 'wait', why: `the deployment has no version "${version.buildId}" yet (the worker has not polled)` };
  return { kind: 'set' };
}

function notCurrent(description: Description, version: WorkerVersion): VersionState {
  const routing = description.workerDeploymentInfo?.routingConfig;
  const currentBuildId = routing?.currentDeploymentVersion?.buildId || undefined;
  const ramping = routing?.rampingDeploymentVersion?.buildId === version.buildId ? `; it is ramping (${routing?.rampingVersionPercentage ?? 0} % of new releases)` : '';
  const where = currentBuildId ? `new releases go to build "${currentBuildId}"` : 'new releases go to unversioned workers';
  return { current: false, madeCurrent: false, movedAwayFrom: false, currentBuildId, draining: drainingBuilds(description, version.buildId), summary: `${where}${ramping}` };
}

function drainingBuilds(description: Description, except: string): string[] {
  return (description.workerDeploymentInfo?.versionSummaries ?? [])
    .filter((v) => v.status === DRAINING && v.deploymentVersion?.buildId && v.deploymentVersion.buildId !== except)
    .map((v) => v.deploymentVersion!.buildId!);
}

function defaultIdentity(): string {
  return `runway worker ${process.pid}@${os.hostname()}`;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * For unversioned workers (`RUNWAY_WORKER_VERSIONING=off`): the build new releases on the task
 * queue go to while its deployment has a current version — releases an unversioned worker never
 * gets. Undefined when there is none, or the server has no Worker Deployments (best effort).
 */
export async function currentBuildOf(workflowService: WorkflowService, namespace: string, deploymentName: string): Promise<string | undefined> {
  try {
    const description = await describe(workflowService, namespace, deploymentName);
    return description?.workerDeploymentInfo?.routingConfig?.currentDeploymentVersion?.buildId || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Sends new releases of the deployment to unversioned workers (its current version becomes
 * "unversioned"), as `runway dev` does when versioning is off. Returns the build that was current.
 */
export async function makeUnversionedCurrent(workflowService: WorkflowService, namespace: string, deploymentName: string, identity?: string): Promise<string | undefined> {
  const previous = await currentBuildOf(workflowService, namespace, deploymentName);
  if (!previous) return undefined;
  await workflowService.setWorkerDeploymentCurrentVersion({ namespace, deploymentName, buildId: '', identity: identity ?? defaultIdentity() });
  return previous;
}

/**
 * ensureCurrentVersion while the worker runs (`running` = worker.run()): the version registers
 * through the worker's polls, so a worker that stops first ends the wait with its own error.
 */
export async function ensureCurrentVersionWhileRunning(running: Promise<unknown>, options: Omit<EnsureCurrentVersionOptions, 'signal'>): Promise<VersionState> {
  const stopped = new AbortController();
  running.then(
    () => stopped.abort(new WorkerVersionError('the worker stopped before its version was settled')),
    (err: unknown) => stopped.abort(err),
  );
  return ensureCurrentVersion({ ...options, signal: stopped.signal });
}

/** One line for a worker's start-up output: deployment, build, where the build id came from. */
export function describeWorkerVersion(version: ResolvedWorkerVersion): string {
  const from = version.buildIdFrom === 'RUNWAY_BUILD_ID' ? 'RUNWAY_BUILD_ID' : "Runway's package.json version";
  const name = version.deploymentNameFrom === 'RUNWAY_DEPLOYMENT_NAME' ? 'RUNWAY_DEPLOYMENT_NAME' : 'the task queue name';
  return `worker deployment "${version.deploymentName}" (${name}), build "${version.buildId}" (${from})`;
}
