/**
 * GitHub activities through the production client (Octokit with throttling and retry plugins)
 * against the sandbox's GitHub emulator, each run in a MockActivityEnvironment so heartbeats
 * and resumed heartbeat details are real.
 */
import type { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createGitHubActivities } from '../../activities/github';
import { createGitHubBuildActivities } from '../../activities/github-build';
import { createGitHubClient } from '../../src/sdk-clients/github';
import { type Sandbox, startSandbox } from '../../src/sandbox';
import { failureOf, quietLogger } from '../support/activity-env';
import { checkGitHubCallsAfterEach } from '../support/github-openapi';

const REPO = 'acme/checkout';
const SHA = 'c'.repeat(40);
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

let sandbox: Sandbox;
let build: ReturnType<typeof createGitHubBuildActivities>;
let records: ReturnType<typeof createGitHubActivities>;

beforeEach(async () => {
  sandbox = await startSandbox({ port: 0, services: [], recordExchanges: true });
  const github = createGitHubClient({ GITHUB_TOKEN: 'ghp_test', GITHUB_API_URL: `${sandbox.url}/github` }, { retries: 0, log: quiet });
  build = createGitHubBuildActivities({ github, options: { pollIntervalMs: 20, findRunTimeoutMs: 500 } });
  records = createGitHubActivities({ github });
});
afterEach(() => sandbox.close());
checkGitHubCallsAfterEach(() => sandbox);

/** Runs an activity as attempt 1 of workflow run `run-1`, or resumed from `heartbeatDetails`. */
function env(heartbeatDetails?: unknown) {
  const info = { heartbeatDetails, workflowExecution: { workflowId: 'release-checkout-c', runId: 'run-1-abcdef' } };
  const mock = new MockActivityEnvironment(info, { logger: quietLogger });
  const beats: unknown[] = [];
  mock.on('heartbeat', (d: unknown) => beats.push(d));
  // MockActivityEnvironment.run infers no result type; this keeps each activity's own.
  const run = <I, R>(activity: (input: I) => Promise<R>, input: I) => mock.run(activity, input) as Promise<R>;
  return { mock, beats, run };
}

const githubCalls = (prefix: string) => sandbox.calls().github.filter((c) => c.operation.startsWith(prefix));
const DISPATCHES = 'POST /repos/acme/checkout/actions/workflows/build.yml/dispatches';
const dispatchInput = { repo: REPO, workflow: 'build.yml', ref: 'main', version: SHA, releaseId: 'release-checkout-c' };

describe('dispatchBuild', () => {
  it('dispatches once with the correlation id and commit, using the run id GitHub returns; a retry reuses the run', async () => {
    const first = await env().run(build.dispatchBuild, dispatchInput);
    expect(first).toMatchObject({ dispatched: true, correlationId: 'release-checkout-c.run-1-ab' });
    expect(githubCalls(DISPATCHES)[0]!.request).toMatchObject({ ref: 'main', inputs: { runway_id: first.correlationId, commit: SHA }, return_run_details: true });

    const retry = await env().run(build.dispatchBuild, dispatchInput);
    expect(retry).toEqual({ ...first, dispatched: false });
    expect(githubCalls(DISPATCHES)).toHaveLength(1);
  });

  it('falls back to finding the run by its name when the server refuses return_run_details', async () => {
    sandbox.setScenario({ github: { dispatchRunDetails: false } });
    const result = await env().run(build.dispatchBuild, dispatchInput);
    expect(result.dispatched).toBe(true);
    expect(githubCalls(DISPATCHES).map((c) => c.status)).toEqual([422, 204]);
    const runs = sandbox.state().github as { workflowRuns: { id: number }[] };
    expect(runs.workflowRuns.map((r) => r.id)).toEqual([result.runId]);
  });

  it('does not dispatch again when resumed after a dispatch whose run is visible', async () => {
    const first = await env().run(build.dispatchBuild, dispatchInput);
    const resumed = await env({ dispatchedAt: Date.now() }).run(build.dispatchBuild, dispatchInput);
    expect(resumed.runId).toBe(first.runId);
    expect(githubCalls(DISPATCHES)).toHaveLength(1);
  });

  it('resumed after a dispatch whose run never shows up, fails for good naming run-name instead of dispatching again', async () => {
    const resumed = env({ dispatchedAt: Date.now() });
    const failure = await failureOf(resumed.run(build.dispatchBuild, dispatchInput));
    expect(failure).toMatchObject({ nonRetryable: true, type: 'BuildRunNotFound' });
    expect(failure.message).toMatch(/dispatched run of build\.yml .* could not be found/);
    expect(failure.message).toContain('run-name: build ${{ inputs.runway_id }}');
    expect(githubCalls(DISPATCHES)).toHaveLength(0);
    // It looked for the run until findRunTimeoutMs, not just once.
    expect(githubCalls('GET /repos/acme/checkout/actions/workflows/build.yml/runs').length).toBeGreaterThan(1);
  });

  it('dispatches on the retry after GitHub refused the dispatch (rate limit): a refusal clears the dispatched mark', async () => {
    sandbox.setScenario({ github: { rateLimit: { count: 1, kind: 'secondary', resetInS: 1, match: 'dispatches' } } });
    const first = env();
    const limited = await failureOf(first.run(build.dispatchBuild, dispatchInput));
    expect(limited).toMatchObject({ nonRetryable: false, type: 'GitHubRateLimited' });
    const lastBeat = first.beats.at(-1) as { dispatchedAt?: number };
    expect(lastBeat.dispatchedAt).toBeUndefined();

    const retry = await env(lastBeat).run(build.dispatchBuild, dispatchInput);
    expect(retry.dispatched).toBe(true);
    expect(githubCalls(DISPATCHES).map((c) => c.status)).toEqual([429, 200]);
  });

  it('names the workflow and the token permission on 404 and 403, without retrying', async () => {
    sandbox.setScenario({ github: { failNext: { count: 1, status: 404, match: 'actions/workflows' } } });
    const missing = await failureOf(env().run(build.dispatchBuild, dispatchInput));
    expect(missing).toMatchObject({ nonRetryable: true, type: 'NotFound' });
    expect(missing.message).toMatch(/repository acme\/checkout or workflow build\.yml not found/);

    sandbox.setScenario({ github: { failNext: { count: 2, status: 403, match: 'dispatches' } } });
    const forbidden = await failureOf(env().run(build.dispatchBuild, dispatchInput));
    expect(forbidden).toMatchObject({ nonRetryable: true, type: 'AccessDenied' });
    expect(forbidden.message).toMatch(/GITHUB_TOKEN lacks permission actions: write/);
  });
});

describe('waitForBuild', () => {
  const waitInput = (runId: number) => ({ repo: REPO, runId, version: SHA, image: `registry/checkout:${SHA}`, imageOutput: '{{image}}-run{{runNumber}}', timeoutMs: 30_000 });

  it('heartbeats the run id until the run completes and returns the image it produced', async () => {
    sandbox.setScenario({ github: { builds: { [SHA]: { conclusion: 'success', durationMs: 300 } } } });
    const { runId } = await env().run(build.dispatchBuild, dispatchInput);
    const { beats, run } = env();
    const result = await run(build.waitForBuild, waitInput(runId));
    expect(result).toMatchObject({ runId, conclusion: 'success', image: `registry/checkout:${SHA}-run1` });
    expect(result.url).toContain(`/actions/runs/${runId}`);
    expect(beats.length).toBeGreaterThan(0);
    expect(beats[0]).toMatchObject({ runId });
  });

  it('fails for good on a failed run, naming its URL', async () => {
    sandbox.setScenario({ github: { builds: { [SHA]: { conclusion: 'failure', durationMs: 0 } } } });
    const { runId, url } = await env().run(build.dispatchBuild, dispatchInput);
    const failure = await failureOf(env().run(build.waitForBuild, waitInput(runId)));
    expect(failure).toMatchObject({ nonRetryable: true, type: 'BuildFailed', message: `build ${url} ended failure` });
  });

  it('keeps the deadline of the attempt it resumes (heartbeat details), so a crash does not extend it', async () => {
    sandbox.setScenario({ github: { builds: { [SHA]: { durationMs: 3_600_000 } } } });
    const { runId } = await env().run(build.dispatchBuild, dispatchInput);
    const resumed = env({ runId, startedAt: Date.now() - 60_000 });
    const failure = await failureOf(resumed.run(build.waitForBuild, waitInput(runId)));
    expect(failure).toMatchObject({ nonRetryable: true, type: 'BuildTimedOut' });
    expect(githubCalls(DISPATCHES)).toHaveLength(1);
  });
});

describe('verifyBuild', () => {
  const verify = (extra: object = {}, details?: unknown) =>
    env(details).run(build.verifyBuild, { repo: REPO, version: SHA, image: 'img', ...extra });

  it('passes green checks and names failing ones', async () => {
    await expect(verify({ requiredChecks: ['build', 'test'] })).resolves.toEqual({ checks: ['build', 'test'] });
    sandbox.setScenario({ checks: { [SHA]: 'failure' } });
    const failure = await failureOf(verify({ pendingDeadlineMs: 10_000 }));
    expect(failure).toMatchObject({ nonRetryable: true, type: 'BuildNotReady', message: `CI checks failed for ${REPO}@${SHA}: test (failure)` });
  });

  it('names missing required checks once the deadline passes', async () => {
    const failure = await failureOf(verify({ requiredChecks: ['build', 'lint', 'e2e'], pendingDeadlineMs: 100 }));
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toMatch(/required but missing: lint, e2e/);
  });

  it('polls pending checks, heartbeating, and fails past the deadline naming them', async () => {
    sandbox.setScenario({ checks: { [SHA]: 'pending' } });
    const { beats, run } = env();
    const failure = await failureOf(run(build.verifyBuild, { repo: REPO, version: SHA, image: 'img', pendingDeadlineMs: 150 }));
    expect(failure.message).toMatch(/after waiting 150 ms: still pending: test \(in_progress\)/);
    expect(beats.length).toBeGreaterThan(0);
    expect(githubCalls('GET /repos/acme/checkout/commits').length).toBeGreaterThan(1);
  });

  it('passes once pending checks turn green before the deadline', async () => {
    sandbox.setScenario({ checks: { [SHA]: 'pending' } });
    const { mock, run } = env();
    mock.once('heartbeat', () => sandbox.setScenario({ checks: { [SHA]: 'success' } }));
    await expect(run(build.verifyBuild, { repo: REPO, version: SHA, image: 'img', pendingDeadlineMs: 30_000 })).resolves.toEqual({ checks: ['build', 'test'] });
  });

  it('turns a rate limit into a retryable failure with GitHub\'s wait as the next retry delay, without waiting in process', async () => {
    sandbox.setScenario({ github: { rateLimit: { count: 1, kind: 'primary', resetInS: 120 } } });
    const primary = await failureOf(verify());
    expect(primary).toMatchObject({ nonRetryable: false, type: 'GitHubRateLimited' });
    expect(primary.nextRetryDelay).toBeGreaterThan(100_000);
    expect(githubCalls('GET')).toHaveLength(1);

    sandbox.setScenario({ github: { rateLimit: { count: 1, kind: 'secondary', resetInS: 30 } } });
    const secondary: ApplicationFailure = await failureOf(verify());
    expect(secondary).toMatchObject({ nonRetryable: false, type: 'GitHubRateLimited', nextRetryDelay: 30_000 });
    expect(githubCalls('GET')).toHaveLength(2);
  });

  it('says the token was refused on 401', async () => {
    sandbox.setScenario({ github: { failNext: { count: 1, status: 401 } } });
    const failure = await failureOf(verify());
    expect(failure).toMatchObject({ nonRetryable: true, type: 'AccessDenied' });
    expect(failure.message).toMatch(/GITHUB_TOKEN was refused/);
  });
});

describe('checkReleaseBranch', () => {
  it('accepts a commit on the branch and refuses one that is not, naming the rule', async () => {
    await expect(env().run(build.checkReleaseBranch, { repo: REPO, version: SHA })).resolves.toEqual({ branch: 'main', status: 'behind' });
    sandbox.setScenario({ github: { branches: { [SHA]: ['feature/x'] } } });
    const failure = await failureOf(env().run(build.checkReleaseBranch, { repo: REPO, version: SHA, branch: 'main' }));
    expect(failure).toMatchObject({ nonRetryable: true, type: 'NotOnReleaseBranch' });
    expect(failure.message).toMatch(/^release-branch rule: commit c+ is not on main of acme\/checkout/);
  });
});

describe('deployment records', () => {
  const deploymentInput = (releaseId: string) => ({ repo: REPO, ref: SHA, environment: 'staging' as const, releaseId, logUrl: 'http://ui/run', environmentUrl: 'http://staging' });

  it('creates one deployment per release with explicit settings, even when retried', async () => {
    const first = await env().run(records.createDeployment, deploymentInput('r1'));
    const again = await env().run(records.createDeployment, deploymentInput('r1'));
    expect(again).toEqual(first);
    const creates = githubCalls('POST /repos/acme/checkout/deployments');
    expect(creates).toHaveLength(1);
    expect(creates[0]!.request).toMatchObject({ auto_merge: false, required_contexts: [], production_environment: false, transient_environment: false });
  });

  it('creates a deployment already in progress when asked, and a retry writes neither again', async () => {
    const input = { ...deploymentInput('r1'), inProgress: 'abc deploying' };
    const first = await env().run(records.createDeployment, input);
    expect(await env().run(records.createDeployment, input)).toEqual(first);
    expect(githubCalls('POST /repos/acme/checkout/deployments').filter((c) => c.operation.endsWith('/deployments'))).toHaveLength(1);
    const statuses = githubCalls(`POST /repos/acme/checkout/deployments/${first.deploymentId}/statuses`);
    expect(statuses.map((c) => c.request)).toEqual([expect.objectContaining({ state: 'in_progress', description: 'abc deploying', environment: 'staging', environment_url: 'http://staging' })]);
  });

  it('reports a 202 (auto-merged, nothing created) as its own non-retryable failure', async () => {
    sandbox.setScenario({ github: { autoMergeNext: 1 } });
    const failure = await failureOf(env().run(records.createDeployment, deploymentInput('r1')));
    expect(failure).toMatchObject({ nonRetryable: true, type: 'DeploymentNotCreated' });
    expect(failure.message).toMatch(/answered 202 .*Auto-merged main/);
  });

  it('on rollback marks the previous successful deployment active again, once', async () => {
    const status = (deploymentId: number, state: 'in_progress' | 'success' | 'failure') =>
      env().run(records.setDeploymentStatus, { repo: REPO, deploymentId, state, description: state, environmentUrl: 'http://staging' });
    const previous = await env().run(records.createDeployment, deploymentInput('r1'));
    await status(previous.deploymentId, 'success');
    const current = await env().run(records.createDeployment, deploymentInput('r2'));
    await status(current.deploymentId, 'success');
    await status(current.deploymentId, 'success'); // a retry: no second status
    await status(current.deploymentId, 'failure');

    const restore = { repo: REPO, environment: 'staging' as const, releaseId: 'r2', logUrl: 'http://ui/r2' };
    const restored = await env().run(records.restorePreviousDeployment, restore);
    expect(restored).toEqual({ restored: { deploymentId: previous.deploymentId, ref: SHA, sha: SHA }, changed: true });
    expect(await env().run(records.restorePreviousDeployment, restore)).toMatchObject({ changed: false });

    const { deployments } = sandbox.state().github as { deployments: { id: number; statuses: { state: string; environment_url: string }[] }[] };
    const states = (id: number) => deployments.find((d) => d.id === id)!.statuses.map((s) => s.state);
    expect(states(previous.deploymentId)).toEqual(['success', 'inactive', 'success']);
    expect(states(current.deploymentId)).toEqual(['success', 'failure']);
    expect(deployments.find((d) => d.id === previous.deploymentId)!.statuses[2]!.environment_url).toBe('http://staging');
  });
});

describe('verifyBuild against re-run and many check runs', () => {
  it('judges only the latest run of each check: a failed run that was re-run green passes', async () => {
    sandbox.setScenario({ github: { checkRuns: { [SHA]: [{ name: 'test', conclusion: 'failure' }, { name: 'build', conclusion: 'success' }, { name: 'test', conclusion: 'success' }] } } });
    await expect(env().run(build.verifyBuild, { repo: REPO, version: SHA, image: 'img', requiredChecks: ['test'] })).resolves.toEqual({ checks: ['build', 'test'] });
  });

  it('pages through more check runs than fit on one page, finding a required one on the second', async () => {
    const many = Array.from({ length: 130 }, (_, i) => ({ name: `check-${i}`, conclusion: 'success' as const }));
    sandbox.setScenario({ github: { checkRuns: { [SHA]: many } } });
    const result = await env().run(build.verifyBuild, { repo: REPO, version: SHA, image: 'img', requiredChecks: ['check-129'] });
    expect(result.checks).toHaveLength(130);
    expect(githubCalls('GET /repos/acme/checkout/commits')).toHaveLength(2);
  });
});
