/**
 * Who makes a build current (bootstrap / --set-current / runway dev) and the wait for a version
 * the server has not registered yet, against a scripted WorkflowService (no server).
 */
import type { WorkflowService } from '@temporalio/client';
import { currentBuildOf, ensureCurrentVersion, type CurrentVersionPolicy, makeUnversionedCurrent, WorkerVersionError, WorkerVersionTimeout } from '../../src/temporal/worker-deployment';

const DEPLOYMENT = 'runway';
const TOKEN = new Uint8Array([1, 2, 3]);
const CURRENT = 2;
const DRAINING = 4;

interface Build {
  buildId: string;
  status?: number;
  /** It has been current or ramping at some point. */
  activated?: boolean;
}

function grpcError(code: number, details: string): Error {
  return Object.assign(new Error(`${code} ${details}`), { code, details, metadata: {} });
}

/** A deployment as describeWorkerDeployment shows it; `undefined` = not found. */
function deployment(builds: Build[], current?: string, options: { everHadCurrent?: boolean } = {}) {
  return {
    conflictToken: TOKEN,
    workerDeploymentInfo: {
      name: DEPLOYMENT,
      routingConfig: {
        ...(current ? { currentDeploymentVersion: { deploymentName: DEPLOYMENT, buildId: current } } : {}),
        ...(current || options.everHadCurrent ? { currentVersionChangedTime: { seconds: 1 } } : {}),
      },
      versionSummaries: builds.map((b) => ({
        deploymentVersion: { deploymentName: DEPLOYMENT, buildId: b.buildId },
        status: b.status ?? 1,
        ...(b.activated ? { firstActivationTime: { seconds: 1 } } : {}),
      })),
    },
  };
}

/** Answers describe calls in turn from `describes` (an Error is thrown; the last answer repeats); records set calls. */
function scripted(describes: (ReturnType<typeof deployment> | Error | undefined)[], setAnswers: (Error | { previous?: string })[] = [{}]) {
  const sets: { buildId: string; conflictToken?: Uint8Array }[] = [];
  let d = 0;
  let s = 0;
  const service = {
    async describeWorkerDeployment() {
      const answer = describes[Math.min(d++, describes.length - 1)];
      if (answer === undefined) throw grpcError(5, 'Worker Deployment not found');
      if (answer instanceof Error) throw answer;
      return answer;
    },
    async setWorkerDeploymentCurrentVersion(request: { buildId: string; conflictToken?: Uint8Array }) {
      const answer = setAnswers[Math.min(s++, setAnswers.length - 1)];
      if (answer instanceof Error) throw answer;
      sets.push({ buildId: request.buildId, conflictToken: request.conflictToken });
      return answer.previous ? { previousDeploymentVersion: { deploymentName: DEPLOYMENT, buildId: answer.previous } } : {};
    },
  };
  return { service: service as unknown as WorkflowService, sets };
}

const ensure = (service: WorkflowService, buildId: string, policy: CurrentVersionPolicy, timeoutMs = 2000) =>
  ensureCurrentVersion({ workflowService: service, namespace: 'default', version: { deploymentName: DEPLOYMENT, buildId }, policy, timeoutMs, retryMs: 1 });

describe('making a build current', () => {
  it('bootstrap: the first build of a deployment makes itself current, once the server knows it', async () => {
    // Not found (nobody polled yet), then the deployment without this version, then with it;
    // the first set is refused because the version has no pollers yet.
    const { service, sets } = scripted(
      [undefined, deployment([]), deployment([{ buildId: '0.1.0' }])],
      [grpcError(9, 'no Worker Deployment found with name runway; does your Worker Deployment have pollers?'), {}],
    );
    await expect(ensure(service, '0.1.0', 'bootstrap')).resolves.toMatchObject({ current: true, madeCurrent: true, summary: 'made current by this worker: the deployment had no current version' });
    expect(sets).toEqual([{ buildId: '0.1.0', conflictToken: TOKEN }]);
  });

  it('bootstrap: a later build leaves the current one to the operator', async () => {
    const { service, sets } = scripted([deployment([{ buildId: '0.1.0', status: CURRENT, activated: true }, { buildId: '0.2.0' }], '0.1.0')]);
    await expect(ensure(service, '0.2.0', 'bootstrap')).resolves.toMatchObject({ current: false, currentBuildId: '0.1.0', summary: 'new releases go to build "0.1.0"' });
    expect(sets).toEqual([]);
  });

  it('bootstrap: a deployment an operator switched to unversioned workers stays so', async () => {
    const { service, sets } = scripted([deployment([{ buildId: '0.1.0', status: DRAINING, activated: true }], undefined, { everHadCurrent: true })]);
    await expect(ensure(service, '0.1.0', 'bootstrap')).resolves.toMatchObject({ current: false, summary: 'new releases go to unversioned workers', draining: [] });
    expect(sets).toEqual([]);
  });

  it('a build that is already current changes nothing, and names the builds still draining', async () => {
    const { service, sets } = scripted([deployment([{ buildId: '0.1.0', status: DRAINING, activated: true }, { buildId: '0.2.0', status: CURRENT, activated: true }], '0.2.0')]);
    for (const policy of ['bootstrap', 'switch', 'force'] as const) {
      await expect(ensure(service, '0.2.0', policy)).resolves.toMatchObject({ current: true, madeCurrent: false, draining: ['0.1.0'] });
    }
    expect(sets).toEqual([]);
  });

  it('--set-current switches to a new build, but not back to one an operator moved away from', async () => {
    const fresh = scripted([deployment([{ buildId: '0.1.0', status: CURRENT, activated: true }, { buildId: '0.2.0' }], '0.1.0')], [{ previous: '0.1.0' }]);
    await expect(ensure(fresh.service, '0.2.0', 'switch')).resolves.toMatchObject({ current: true, madeCurrent: true, previousBuildId: '0.1.0' });
    expect(fresh.sets).toEqual([{ buildId: '0.2.0', conflictToken: TOKEN }]);

    const rolledBack = scripted([deployment([{ buildId: '0.1.0', status: CURRENT, activated: true }, { buildId: '0.2.0', status: DRAINING, activated: true }], '0.1.0')]);
    await expect(ensure(rolledBack.service, '0.2.0', 'switch')).resolves.toMatchObject({ current: false, movedAwayFrom: true });
    expect(rolledBack.sets).toEqual([]);
    // runway dev always takes over.
    await expect(ensure(rolledBack.service, '0.2.0', 'force')).resolves.toMatchObject({ current: true, madeCurrent: true });
  });

  it('a concurrent change (conflict token) is looked at again: another worker of the same build won', async () => {
    const { service, sets } = scripted(
      [deployment([{ buildId: '0.1.0' }]), deployment([{ buildId: '0.1.0', status: CURRENT, activated: true }], '0.1.0')],
      [grpcError(9, 'conflict token mismatch')],
    );
    await expect(ensure(service, '0.1.0', 'bootstrap')).resolves.toMatchObject({ current: true, madeCurrent: false });
    expect(sets).toEqual([]);
  });

  it('gives up after its bound with the reason, when the version never registers', async () => {
    const { service } = scripted([deployment([])]);
    const failure = ensure(service, '0.1.0', 'bootstrap', 50);
    // A timeout, which runway worker survives at start (it polls and keeps trying), unlike a refusal.
    await expect(failure).rejects.toThrow(WorkerVersionTimeout);
    await expect(failure).rejects.toThrow(
      'build "0.1.0" of worker deployment "runway" could not be made current within 50 ms: the deployment has no version "0.1.0" yet (the worker has not polled)',
    );
  });

  it('says to turn versioning off on a server without Worker Deployments', async () => {
    const { service } = scripted([grpcError(12, 'unknown method DescribeWorkerDeployment')]);
    const failure = ensure(service, '0.1.0', 'bootstrap');
    await expect(failure).rejects.toThrow('does not support Worker Deployments (Temporal 1.28 or later is needed); set RUNWAY_WORKER_VERSIONING=off');
    // A refusal, not a timeout: runway worker stops on it instead of polling on.
    const error = await failure.catch((err: unknown) => err);
    expect(error).toBeInstanceOf(WorkerVersionError);
    expect(error).not.toBeInstanceOf(WorkerVersionTimeout);
  });

  it('with versioning off: names the build that takes new releases, and runway dev hands them to unversioned workers', async () => {
    const versioned = scripted([deployment([{ buildId: '0.1.0', status: CURRENT, activated: true }], '0.1.0')]);
    await expect(currentBuildOf(versioned.service, 'default', DEPLOYMENT)).resolves.toBe('0.1.0');
    await expect(makeUnversionedCurrent(versioned.service, 'default', DEPLOYMENT)).resolves.toBe('0.1.0');
    expect(versioned.sets).toEqual([{ buildId: '', conflictToken: undefined }]);

    // Nothing to do without a deployment, or on a server without Worker Deployments.
    for (const answer of [undefined, grpcError(12, 'unknown method DescribeWorkerDeployment')]) {
      const none = scripted([answer]);
      await expect(makeUnversionedCurrent(none.service, 'default', DEPLOYMENT)).resolves.toBeUndefined();
      expect(none.sets).toEqual([]);
    }
  });
});
