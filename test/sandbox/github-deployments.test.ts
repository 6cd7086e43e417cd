/**
 * GitHub deployment records across several releases, through the production client against the
 * sandbox's GitHub emulator: which deployment a rollback restores, production deployments made
 * inactive when a newer one succeeds, re-runs of the same release id, and the environment named
 * in every status (and in the demo's call summary).
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { createGitHubActivities, type DeploymentEnvironment, type DeploymentState } from '../../activities/github';
import { createGitHubClient } from '../../src/sdk-clients/github';
import { type Sandbox, startSandbox } from '../../src/sandbox';
import { summariseCalls } from '../../src/stack/call-summary';
import { quietLogger } from '../support/activity-env';
import { gitHubClient } from '../support/sandbox-clients';
import { checkGitHubCallsAfterEach } from '../support/github-openapi';

const REPO = 'acme/checkout';
const SHA = 'e'.repeat(40);
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

let sandbox: Sandbox;
let records: ReturnType<typeof createGitHubActivities>;

beforeEach(async () => {
  sandbox = await startSandbox({ port: 0, services: [], recordExchanges: true });
  const github = createGitHubClient({ GITHUB_TOKEN: 'ghp_test', GITHUB_API_URL: `${sandbox.url}/github` }, { retries: 0, log: quiet });
  records = createGitHubActivities({ github });
});
afterEach(() => sandbox.close());
checkGitHubCallsAfterEach(() => sandbox);

function run<I, R>(activity: (input: I) => Promise<R>, input: I): Promise<R> {
  return new MockActivityEnvironment({}, { logger: quietLogger }).run(activity, input) as Promise<R>;
}

const create = (environment: DeploymentEnvironment, releaseId: string, runId?: string) =>
  run(records.createDeployment, { repo: REPO, ref: SHA, environment, releaseId, runId, environmentUrl: `http://${environment}` }).then((d) => d.deploymentId);

/** Sets a status the way the release workflow will (naming the environment), or without it as today's workflow does. */
const setState = (deploymentId: number, state: DeploymentState, environment?: DeploymentEnvironment) =>
  run(records.setDeploymentStatus, { repo: REPO, deploymentId, state, description: state, environment, environmentUrl: 'http://env' });

const restore = (environment: DeploymentEnvironment, releaseId: string, runId?: string) =>
  run(records.restorePreviousDeployment, { repo: REPO, environment, releaseId, runId, logUrl: `http://ui/${releaseId}` });

type EmulatedDeployment = { id: number; payload: unknown; statuses: { state: string; environment: string }[] };
const deployments = () => (sandbox.state().github as { deployments: EmulatedDeployment[] }).deployments;
const states = (id: number) => deployments().find((d) => d.id === id)!.statuses.map((s) => s.state);

describe('restorePreviousDeployment', () => {
  it('skips deployments that were rolled back: A released, B and C rolled back → A is shown again', async () => {
    const a = await create('staging', 'release-a');
    await setState(a, 'success');
    const b = await create('staging', 'release-b');
    await setState(b, 'success');
    await setState(b, 'failure');
    expect(await restore('staging', 'release-b')).toMatchObject({ restored: { deploymentId: a }, changed: true });
    const c = await create('staging', 'release-c');
    await setState(c, 'success');
    await setState(c, 'failure');

    // B once succeeded but its latest status is failure: it is not what ran before C.
    const restored = await restore('staging', 'release-c');
    expect(restored).toMatchObject({ restored: { deploymentId: a }, changed: true });
    expect(states(a).at(-1)).toBe('success');
    expect(states(b).at(-1)).toBe('failure');
  });

  it('treats an earlier run of the same release id as a previous deployment when the run id is given', async () => {
    const first = await create('production', 'release-x', 'run-1');
    await setState(first, 'success', 'production');
    const second = await create('production', 'release-x', 'run-2');
    await setState(second, 'success', 'production');
    await setState(second, 'failure', 'production');

    const restored = await restore('production', 'release-x', 'run-2');
    expect(restored).toMatchObject({ restored: { deploymentId: first }, changed: true });
    expect(states(first)).toEqual(['success', 'inactive', 'success']);
  });
});

describe('createDeployment with a run id', () => {
  it('makes a new deployment for a re-run of the same release id, and reuses it on a retry of that run', async () => {
    const first = await create('staging', 'release-x', 'run-1');
    const rerun = await create('staging', 'release-x', 'run-2');
    const retried = await create('staging', 'release-x', 'run-2');
    expect(rerun).not.toBe(first);
    expect(retried).toBe(rerun);
    expect(deployments().map((d) => d.payload)).toEqual([
      { releaseId: 'release-x', runId: 'run-1' },
      { releaseId: 'release-x', runId: 'run-2' },
    ]);
  });

  it('without a run id keeps matching by release id alone', async () => {
    const first = await create('staging', 'release-y');
    expect(await create('staging', 'release-y')).toBe(first);
    expect(deployments().map((d) => d.payload)).toEqual([{ releaseId: 'release-y' }]);
  });
});

describe('setDeploymentStatus in production', () => {
  it('marks earlier successful production deployments inactive, leaving failed ones and other environments alone', async () => {
    const failed = await create('production', 'release-1');
    await setState(failed, 'failure', 'production');
    const older = await create('production', 'release-2');
    await setState(older, 'success', 'production');
    const staging = await create('staging', 'release-2');
    await setState(staging, 'success', 'staging');
    const newer = await create('production', 'release-3');
    await setState(newer, 'in_progress', 'production');
    expect(states(older)).toEqual(['success']);

    await setState(newer, 'success', 'production');
    expect(states(older)).toEqual(['success', 'inactive']);
    expect(states(failed)).toEqual(['failure']);
    expect(states(staging)).toEqual(['success']);
    expect(states(newer)).toEqual(['in_progress', 'success']);

    // A retry writes nothing more.
    await setState(newer, 'success', 'production');
    expect(states(older)).toEqual(['success', 'inactive']);
    expect(states(newer)).toEqual(['in_progress', 'success']);
  });

  it('works out the environment from GitHub when the input does not name it', async () => {
    const older = await create('production', 'release-1');
    await setState(older, 'success');
    const newer = await create('production', 'release-2');
    await setState(newer, 'success');
    expect(states(older)).toEqual(['success', 'inactive']);
    expect(deployments().flatMap((d) => d.statuses.map((s) => s.environment))).toEqual(['production', 'production', 'production']);
  });

  it('finishes marking earlier deployments on a retry after a crash between the two writes', async () => {
    const older = await create('production', 'release-1');
    await setState(older, 'success', 'production');
    const newer = await create('production', 'release-2');
    // The first attempt wrote success (without auto_inactive, as GitHub's production does) and died before marking the older one.
    await gitHubClient(sandbox).rest.repos.createDeploymentStatus({ owner: 'acme', repo: 'checkout', deployment_id: newer, state: 'success', description: 'success', environment_url: 'http://env', auto_inactive: false });
    expect(states(older)).toEqual(['success']);

    await setState(newer, 'success', 'production');
    expect(states(older)).toEqual(['success', 'inactive']);
    expect(states(newer)).toEqual(['success']);
  });
});

it('names the environment of every deployment status, in the request and in the demo summary', async () => {
  const staging = await create('staging', 'release-1');
  await setState(staging, 'in_progress');
  const production = await create('production', 'release-1');
  await setState(production, 'success', 'production');

  const lines = summariseCalls(sandbox.calls());
  expect(lines).toContain('  status in_progress (staging): in_progress');
  expect(lines).toContain('  status success (production): success');
});
