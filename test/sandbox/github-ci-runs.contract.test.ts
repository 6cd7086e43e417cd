/**
 * The GitHub emulator's CI workflow runs (scenario `github.ciRuns`), through the real
 * @octokit/rest client: a run that CI started has a check suite, its jobs are check runs on its
 * commit in that suite (the job of `runway start --wait` among them, in progress), and the run,
 * its attempts and its jobs read as GitHub's REST API shows them.
 */
import type { Octokit } from '@octokit/rest';
import { type Sandbox, startSandbox } from '../../src/sandbox';
import { gitHubClient } from '../support/sandbox-clients';
import { checkGitHubCallsAfterEach } from '../support/github-openapi';

const repo = { owner: 'acme', repo: 'checkout' };
const SHA = 'a1'.repeat(20);
const RUN_ID = 9_100_000_001;

let sandbox: Sandbox;
let github: Octokit;
beforeEach(async () => {
  sandbox = await startSandbox({ port: 0, services: [], recordExchanges: true });
  github = gitHubClient(sandbox);
  sandbox.setScenario({
    github: { ciRuns: { [RUN_ID]: { repo: 'acme/checkout', headSha: SHA, attempt: 2, jobs: [{ name: 'lint', conclusion: 'success' }, { name: 'release', conclusion: 'pending' }] } } },
  });
});
afterEach(() => sandbox.close());
checkGitHubCallsAfterEach(() => sandbox);

it('serves the run and each of its attempts with its check suite, in progress while a job is', async () => {
  const { data: run } = await github.rest.actions.getWorkflowRun({ ...repo, run_id: RUN_ID });
  expect(run).toMatchObject({ id: RUN_ID, head_sha: SHA, event: 'push', status: 'in_progress', conclusion: null, run_attempt: 2, path: '.github/workflows/release.yml' });
  expect(typeof run.check_suite_id).toBe('number');
  expect(run.check_suite_id).not.toBe(RUN_ID);
  expect(run.check_suite_url).toMatch(new RegExp(`/check-suites/${run.check_suite_id}$`));

  const { data: first } = await github.rest.actions.getWorkflowRunAttempt({ ...repo, run_id: RUN_ID, attempt_number: 1 });
  expect(first).toMatchObject({ id: RUN_ID, run_attempt: 1, check_suite_id: run.check_suite_id });
  await expect(github.rest.actions.getWorkflowRunAttempt({ ...repo, run_id: RUN_ID, attempt_number: 3 })).rejects.toMatchObject({ status: 404 });
  await expect(github.rest.actions.getWorkflowRun({ ...repo, run_id: RUN_ID + 1 })).rejects.toMatchObject({ status: 404 });
  // Another repository's run is not this one's.
  await expect(github.rest.actions.getWorkflowRun({ owner: 'acme', repo: 'payments', run_id: RUN_ID })).rejects.toMatchObject({ status: 404 });

  const listed = await github.rest.actions.listWorkflowRunsForRepo({ ...repo });
  expect(listed.data.workflow_runs.map((r) => r.id)).toEqual([RUN_ID]);
});

it("lists the run's jobs with their check run URLs, and shows them among the commit's check runs in the run's suite", async () => {
  const { data: run } = await github.rest.actions.getWorkflowRun({ ...repo, run_id: RUN_ID });
  const { data } = await github.rest.actions.listJobsForWorkflowRun({ ...repo, run_id: RUN_ID });
  expect(data.total_count).toBe(2);
  expect(data.jobs.map((j) => [j.name, j.status, j.conclusion, j.run_id, j.run_attempt])).toEqual([
    ['lint', 'completed', 'success', RUN_ID, 2],
    ['release', 'in_progress', null, RUN_ID, 2],
  ]);
  const attemptJobs = await github.rest.actions.listJobsForWorkflowRunAttempt({ ...repo, run_id: RUN_ID, attempt_number: 2 });
  expect(attemptJobs.data.jobs.map((j) => j.id)).toEqual(data.jobs.map((j) => j.id));

  const checks = (await github.rest.checks.listForRef({ ...repo, ref: SHA })).data.check_runs;
  // The commit's own CI (build, test) in one suite, the release run's jobs in the run's suite.
  expect(checks.map((c) => [c.name, c.status])).toEqual([
    ['build', 'completed'],
    ['test', 'completed'],
    ['lint', 'completed'],
    ['release', 'in_progress'],
  ]);
  const ciSuite = checks[0]!.check_suite!.id;
  expect(checks[1]!.check_suite!.id).toBe(ciSuite);
  expect(ciSuite).not.toBe(run.check_suite_id);
  for (const job of data.jobs) {
    const check = checks.find((c) => c.name === job.name)!;
    expect(job.check_run_url).toBe(check.url);
    expect(check.id).toBe(job.id);
    expect(check.check_suite!.id).toBe(run.check_suite_id);
  }
  // Another commit carries none of the run's jobs.
  const other = (await github.rest.checks.listForRef({ ...repo, ref: 'b'.repeat(40) })).data.check_runs;
  expect(other.map((c) => c.name)).toEqual(['build', 'test']);
});

it('completes the run once no job is pending, failed when a job failed', async () => {
  sandbox.setScenario({ github: { ciRuns: { [RUN_ID]: { repo: 'acme/checkout', headSha: SHA, jobs: [{ name: 'release', conclusion: 'failure' }] } } } });
  const { data: run } = await github.rest.actions.getWorkflowRun({ ...repo, run_id: RUN_ID });
  expect(run).toMatchObject({ status: 'completed', conclusion: 'failure', run_attempt: 1 });
});

it('refuses a malformed CI run in the scenario, naming the field', async () => {
  const res = await fetch(`${sandbox.url}/_sandbox/scenario`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ github: { ciRuns: { [RUN_ID]: { repo: 'checkout', headSha: SHA, jobs: [{ name: 'release', conclusion: 'pending' }] } } } }),
  });
  expect(res.status).toBe(400);
  expect(await res.text()).toMatch(/repo.*must be owner\/name/s);
});
