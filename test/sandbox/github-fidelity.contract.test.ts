/**
 * The GitHub emulator behaving as api.github.com does where Runway's correctness depends on it,
 * through the real @octokit/rest client: auto_inactive, check-run filters and paging, and the
 * `latency` scenario knob the crash tests use (effect at once, answer held).
 */
import type { Octokit } from '@octokit/rest';
import { type Sandbox, startSandbox } from '../../src/sandbox';
import { gitHubClient } from '../support/sandbox-clients';
import { checkGitHubCallsAfterEach } from '../support/github-openapi';

const repo = { owner: 'acme', repo: 'checkout' };
const SHA = 'f'.repeat(40);

let sandbox: Sandbox;
let github: Octokit;
beforeEach(async () => {
  sandbox = await startSandbox({ port: 0, services: [], recordExchanges: true });
  github = gitHubClient(sandbox);
});
afterEach(() => sandbox.close());
checkGitHubCallsAfterEach(() => sandbox);

describe('auto_inactive', () => {
  const create = async (environment: string, production: boolean) =>
    ((await github.rest.repos.createDeployment({ ...repo, ref: SHA, environment, required_contexts: [], production_environment: production })).data as { id: number }).id;
  const setState = (id: number, state: 'success' | 'failure' | 'in_progress') => github.rest.repos.createDeploymentStatus({ ...repo, deployment_id: id, state });
  const states = async (id: number) => (await github.rest.repos.listDeploymentStatuses({ ...repo, deployment_id: id })).data.map((s) => s.state);

  it('makes only earlier successful deployments inactive, never failed or unfinished ones', async () => {
    const succeeded = await create('staging', false);
    await setState(succeeded, 'success');
    const failed = await create('staging', false);
    await setState(failed, 'failure');
    const unfinished = await create('staging', false);
    await setState(unfinished, 'in_progress');
    const newest = await create('staging', false);
    await setState(newest, 'success');

    expect(await states(succeeded)).toEqual(['inactive', 'success']);
    expect(await states(failed)).toEqual(['failure']);
    expect(await states(unfinished)).toEqual(['in_progress']);
  });

  it('leaves production deployments alone', async () => {
    const older = await create('production', true);
    await setState(older, 'success');
    const newer = await create('production', true);
    await setState(newer, 'success');
    expect(await states(older)).toEqual(['success']);
  });
});

describe('check runs', () => {
  beforeEach(() => {
    sandbox.setScenario({
      github: { checkRuns: { [SHA]: [{ name: 'test', conclusion: 'failure' }, { name: 'build', conclusion: 'success' }, { name: 'test', conclusion: 'success' }] } },
    });
  });

  it('shows the latest run of each name by default and with filter=latest, every run with filter=all', async () => {
    const summary = (runs: { name: string; conclusion: string | null }[]) => runs.map((r) => `${r.name}:${r.conclusion}`).sort();
    const byDefault = await github.rest.checks.listForRef({ ...repo, ref: SHA });
    expect(summary(byDefault.data.check_runs)).toEqual(['build:success', 'test:success']);
    const latest = await github.rest.checks.listForRef({ ...repo, ref: SHA, filter: 'latest' });
    expect(latest.data.total_count).toBe(2);
    const all = await github.rest.checks.listForRef({ ...repo, ref: SHA, filter: 'all' });
    expect(all.data.total_count).toBe(3);
    expect(summary(all.data.check_runs)).toEqual(['build:success', 'test:failure', 'test:success']);
  });

  it('pages with per_page and page, counting every match in total_count', async () => {
    const pages = await Promise.all([1, 2, 3].map((page) => github.rest.checks.listForRef({ ...repo, ref: SHA, filter: 'all', per_page: 2, page })));
    expect(pages.map((p) => p.data.check_runs.length)).toEqual([2, 1, 0]);
    expect(pages.map((p) => p.data.total_count)).toEqual([3, 3, 3]);
    const ids = pages.flatMap((p) => p.data.check_runs.map((r) => r.id));
    expect(new Set(ids).size).toBe(3);
  });
});

describe('latency knob', () => {
  it('applies the call at once but holds its answer, for the next `count` matching calls only', async () => {
    sandbox.setScenario({ github: { latency: { ms: 5_000, count: 1, match: 'dispatches' } } });
    let answered = false;
    const dispatch = github.rest.actions
      .createWorkflowDispatch({ ...repo, workflow_id: 'build.yml', ref: 'main', inputs: { runway_id: 'r.1', commit: SHA } })
      .then((res) => {
        answered = true;
        return res.status;
      });
    // The run exists while the answer is still held back.
    for (let i = 0; i < 300 && (sandbox.state().github as { workflowRuns: unknown[] }).workflowRuns.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect((sandbox.state().github as { workflowRuns: unknown[] }).workflowRuns).toHaveLength(1);
    expect(answered).toBe(false);
    expect(sandbox.calls().github).toHaveLength(0);
    expect(sandbox.scenario().github?.latency).toMatchObject({ count: 0 });
    // Other calls are not held.
    await expect(github.rest.checks.listForRef({ ...repo, ref: SHA })).resolves.toMatchObject({ status: 200 });
    // The held answer still arrives, and is recorded once it has.
    expect(await dispatch).toBe(204);
    expect(sandbox.calls().github.filter((c) => c.operation.endsWith('/dispatches')).map((c) => c.status)).toEqual([204]);
  });
});
