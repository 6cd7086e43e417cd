/**
 * The GitHub emulator's Actions runs, compare, scripted faults and deployment edge cases:
 * through the real @octokit/rest client where the wire matters, and driven directly with a
 * hand-set clock where run progression is the point.
 */
import type { Octokit } from '@octokit/rest';
import { type Sandbox, startSandbox } from '../../src/sandbox';
import { GitHubEmulator } from '../../src/sandbox/github/emulator';
import { ScenarioStore } from '../../src/sandbox/scenario';
import { gitHubClient } from '../support/sandbox-clients';
import { checkGitHubCallsAfterEach, gitHubAnswerViolations } from '../support/github-openapi';

const repo = { owner: 'acme', repo: 'checkout' };
const SHA = 'b'.repeat(40);

describe('through Octokit', () => {
  let sandbox: Sandbox;
  let github: Octokit;
  beforeEach(async () => {
    sandbox = await startSandbox({ port: 0, services: [], recordExchanges: true });
    github = gitHubClient(sandbox);
  });
  afterEach(() => sandbox.close());
  checkGitHubCallsAfterEach(() => sandbox);

  const dispatch = (extra: Record<string, unknown> = {}) =>
    github.rest.actions.createWorkflowDispatch({ ...repo, workflow_id: 'build.yml', ref: 'main', inputs: { runway_id: 'rel-1.abc', commit: SHA }, ...extra });

  it('dispatches: 200 with the run when return_run_details is asked, 204 otherwise, and lists runs by name', async () => {
    const withDetails = await dispatch({ return_run_details: true });
    expect(withDetails.status).toBe(200);
    const runId = (withDetails.data as { workflow_run_id: number }).workflow_run_id;
    expect(typeof runId).toBe('number');
    const plain = await dispatch();
    expect(plain.status).toBe(204);

    const runs = await github.rest.actions.listWorkflowRuns({ ...repo, workflow_id: 'build.yml', event: 'workflow_dispatch' });
    expect(runs.data.total_count).toBe(2);
    expect(runs.data.workflow_runs[1]).toMatchObject({ id: runId, display_title: 'build rel-1.abc', event: 'workflow_dispatch', head_branch: 'main' });
    const run = await github.rest.actions.getWorkflowRun({ ...repo, run_id: runId });
    expect(run.data.html_url).toContain(`/actions/runs/${runId}`);
  });

  it('acts like an older server when told: return_run_details is refused with 422 and nothing is dispatched', async () => {
    sandbox.setScenario({ github: { dispatchRunDetails: false } });
    await expect(dispatch({ return_run_details: true })).rejects.toMatchObject({ status: 422, message: expect.stringContaining('return_run_details') });
    const runs = await github.rest.actions.listWorkflowRuns({ ...repo, workflow_id: 'build.yml' });
    expect(runs.data.total_count).toBe(0);
  });

  it('compares: a commit is on every branch unless the scenario lists its branches', async () => {
    const onMain = await github.rest.repos.compareCommitsWithBasehead({ ...repo, basehead: `main...${SHA}` });
    expect(onMain.data.status).toBe('behind');
    sandbox.setScenario({ github: { branches: { [SHA]: ['feature/x'] } } });
    const off = await github.rest.repos.compareCommitsWithBasehead({ ...repo, basehead: `main...${SHA}` });
    expect(off.data).toMatchObject({ status: 'diverged', ahead_by: 1 });
    const onFeature = await github.rest.repos.compareCommitsWithBasehead({ ...repo, basehead: `feature/x...${SHA}` });
    expect(onFeature.data.status).toBe('behind');
  });

  it('rate limits on demand with GitHub headers: primary 403 with a reset, secondary 429 with retry-after', async () => {
    sandbox.setScenario({ github: { rateLimit: { count: 1, kind: 'primary', resetInS: 120 } } });
    const primary = await github.rest.checks.listForRef({ ...repo, ref: SHA }).catch((e: unknown) => e as { status: number; response: { headers: Record<string, string> } });
    expect(primary).toMatchObject({ status: 403, response: { headers: { 'x-ratelimit-remaining': '0' } } });
    const reset = Number((primary as { response: { headers: Record<string, string> } }).response.headers['x-ratelimit-reset']);
    expect(reset * 1000).toBeGreaterThan(Date.now() + 100_000);
    // Used up: the next call passes.
    await expect(github.rest.checks.listForRef({ ...repo, ref: SHA })).resolves.toMatchObject({ status: 200 });

    sandbox.setScenario({ github: { rateLimit: { count: 1, kind: 'secondary', resetInS: 30, match: 'deployments' } } });
    await expect(github.rest.checks.listForRef({ ...repo, ref: SHA })).resolves.toMatchObject({ status: 200 });
    await expect(github.rest.repos.listDeployments(repo)).rejects.toMatchObject({ status: 429, response: { headers: { 'retry-after': '30' } } });
  });

  it('fails the next calls with a scripted status, and answers 202 with no deployment after an auto-merge', async () => {
    sandbox.setScenario({ github: { failNext: { count: 1, status: 401 } } });
    await expect(github.rest.repos.listDeployments(repo)).rejects.toMatchObject({ status: 401, message: expect.stringContaining('Bad credentials') });

    sandbox.setScenario({ github: { autoMergeNext: 1 } });
    const accepted = await github.rest.repos.createDeployment({ ...repo, ref: 'topic', required_contexts: [] });
    expect(accepted.status).toBe(202);
    expect(accepted.data).toEqual({ message: 'Auto-merged main into topic on deployment.' });
    expect((await github.rest.repos.listDeployments(repo)).data).toEqual([]);
  });

  it('marks older non-production deployments inactive when a newer one succeeds (auto_inactive)', async () => {
    const create = async (releaseId: string) =>
      (await github.rest.repos.createDeployment({ ...repo, ref: SHA, environment: 'staging', required_contexts: [], payload: { releaseId }, production_environment: false })).data as { id: number };
    const older = await create('r1');
    await github.rest.repos.createDeploymentStatus({ ...repo, deployment_id: older.id, state: 'success' });
    const newer = await create('r2');
    await github.rest.repos.createDeploymentStatus({ ...repo, deployment_id: newer.id, state: 'success' });
    const statuses = await github.rest.repos.listDeploymentStatuses({ ...repo, deployment_id: older.id });
    expect(statuses.data.map((s) => s.state)).toEqual(['inactive', 'success']);
  });
});

describe('run progression (hand-set clock)', () => {
  function emulator() {
    let now = 1_700_000_000_000;
    const scenario = new ScenarioStore(0);
    const github = new GitHubEmulator({ scenario, now: () => now });
    const call = (method: string, path: string, body?: unknown) => {
      const answer = github.answer(path, { method, path, query: new URLSearchParams(), headers: { host: 'sandbox' }, body: body === undefined ? '' : JSON.stringify(body) });
      // Held to GitHub's description here too, as the calls through Octokit are after each test.
      expect(gitHubAnswerViolations({ method, path, requestBody: body }, answer)).toEqual([]);
      return answer;
    };
    return { scenario, call, advance: (ms: number) => (now += ms) };
  }

  it('moves queued → in_progress → completed with the scripted conclusion for the commit', () => {
    const { scenario, call, advance } = emulator();
    scenario.merge({ github: { builds: { [SHA]: { conclusion: 'failure', durationMs: 10_000 } } } });
    const dispatched = call('POST', '/repos/acme/checkout/actions/workflows/build.yml/dispatches', { ref: 'main', inputs: { commit: SHA, runway_id: 'x' }, return_run_details: true });
    const id = (dispatched.body as { workflow_run_id: number }).workflow_run_id;
    const read = () => call('GET', `/repos/acme/checkout/actions/runs/${id}`).body as { status: string; conclusion: string | null };
    expect(read()).toMatchObject({ status: 'queued', conclusion: null });
    advance(3_000);
    expect(read()).toMatchObject({ status: 'in_progress', conclusion: null });
    advance(7_000);
    expect(read()).toMatchObject({ status: 'completed', conclusion: 'failure' });
  });

  it('404s a workflow that is neither a file name nor a known id', () => {
    const { call } = emulator();
    expect(call('POST', '/repos/acme/checkout/actions/workflows/nope/dispatches', { ref: 'main' }).status).toBe(404);
  });
});
