/** The GitHub emulator through the real @octokit/rest client, configured by baseUrl only. */
import type { Octokit } from '@octokit/rest';
import { type Sandbox, startSandbox } from '../../src/sandbox';
import { gitHubClient } from '../support/sandbox-clients';
import { checkGitHubCallsAfterEach } from '../support/github-openapi';

const repo = { owner: 'acme', repo: 'checkout' };
const SHA = 'a'.repeat(40);

let sandbox: Sandbox;
let github: Octokit;

beforeEach(async () => {
  sandbox = await startSandbox({ port: 0, services: [], recordExchanges: true });
  github = gitHubClient(sandbox);
});

afterEach(async () => {
  await sandbox.close();
});
checkGitHubCallsAfterEach(() => sandbox);

it('reports green check runs by default and follows the scenario per commit', async () => {
  const green = await github.rest.checks.listForRef({ ...repo, ref: SHA, filter: 'latest' });
  expect(green.data.total_count).toBe(2);
  expect(green.data.check_runs.map((r) => [r.name, r.status, r.conclusion])).toEqual([
    ['build', 'completed', 'success'],
    ['test', 'completed', 'success'],
  ]);

  sandbox.setScenario({ checks: { [SHA]: 'failure' } });
  const red = await github.rest.checks.listForRef({ ...repo, ref: SHA });
  expect(red.data.check_runs.find((r) => r.name === 'test')!.conclusion).toBe('failure');
});

it('creates deployments and statuses, lists them filtered, and 404s unknown ids', async () => {
  const created = await github.rest.repos.createDeployment({
    ...repo,
    ref: SHA,
    environment: 'staging',
    auto_merge: false,
    required_contexts: [],
    payload: { releaseId: 'release-checkout-aaa' },
    production_environment: false,
  });
  expect(created.status).toBe(201);
  expect(created.data).toMatchObject({ ref: SHA, sha: SHA, environment: 'staging', payload: { releaseId: 'release-checkout-aaa' } });
  const id = (created.data as { id: number }).id;
  await github.rest.repos.createDeployment({ ...repo, ref: SHA, environment: 'production', required_contexts: [] });

  const status = await github.rest.repos.createDeploymentStatus({ ...repo, deployment_id: id, state: 'success', description: 'deployed', log_url: 'http://ui/x' });
  expect(status.status).toBe(201);
  expect(status.data).toMatchObject({ state: 'success', description: 'deployed', environment: 'staging', log_url: 'http://ui/x' });

  const listed = await github.rest.repos.listDeployments({ ...repo, ref: SHA, environment: 'staging' });
  expect(listed.data.map((d) => d.id)).toEqual([id]);
  const statuses = await github.rest.repos.listDeploymentStatuses({ ...repo, deployment_id: id });
  expect(statuses.data.map((s) => s.state)).toEqual(['success']);

  await expect(github.rest.repos.createDeploymentStatus({ ...repo, deployment_id: 999, state: 'success' })).rejects.toMatchObject({ status: 404 });
  await expect(github.rest.repos.listDeploymentStatuses({ ...repo, deployment_id: 999 })).rejects.toMatchObject({ status: 404 });
});

it('validates like GitHub: 422 for a bad state', async () => {
  const created = await github.rest.repos.createDeployment({ ...repo, ref: SHA, required_contexts: [] });
  const id = (created.data as { id: number }).id;
  await expect(
    github.rest.repos.createDeploymentStatus({ ...repo, deployment_id: id, state: 'splendid' as 'success' }),
  ).rejects.toMatchObject({ status: 422 });
});

it('records calls as "METHOD path" without the token', async () => {
  await github.rest.checks.listForRef({ ...repo, ref: SHA });
  await github.rest.repos.createDeployment({ ...repo, ref: SHA, environment: 'staging', required_contexts: [] });
  expect(sandbox.calls().github.map((c) => [c.operation, c.status])).toEqual([
    [`GET /repos/acme/checkout/commits/${SHA}/check-runs`, 200],
    ['POST /repos/acme/checkout/deployments', 201],
  ]);
  expect(sandbox.calls().github[1]!.request).toMatchObject({ ref: SHA, environment: 'staging' });
  expect(JSON.stringify(sandbox.calls())).not.toContain('ghp_sandbox-token');
});

it('dates a commit when Runway first named it to GitHub, or as the scenario says (the start of change lead time)', async () => {
  const before = Date.now();
  await github.rest.repos.createDeployment({ ...repo, ref: SHA, environment: 'staging', auto_merge: false, required_contexts: [] });
  await new Promise((r) => setTimeout(r, 20));
  const named = await github.rest.repos.getCommit({ ...repo, ref: SHA });
  expect(named.data.sha).toBe(SHA);
  const date = Date.parse(named.data.commit.committer!.date!);
  expect(date).toBeGreaterThanOrEqual(before);
  expect(date).toBeLessThan(Date.now() - 10);
  expect(named.data.commit.author!.date).toBe(named.data.commit.committer!.date);

  const other = 'b'.repeat(40);
  sandbox.setScenario({ github: { commits: { [other]: { committedAt: '2026-11-30T09:00:00.000Z' } } } });
  expect((await github.rest.repos.getCommit({ ...repo, ref: other })).data.commit.committer!.date).toBe('2026-11-30T09:00:00.000Z');
});
