/**
 * Issue 14, defect 1, end to end: `runway start --wait` run the way .github/workflows/release.yml
 * runs it — GitHub Actions' variables set, and the job itself an in-progress check run on the
 * commit in the sandbox's GitHub — with a `checks` build gate. The CLI passes the run, the
 * worker's build gate leaves that run's check runs out, and the release reaches production.
 * A job whose repository is not the service's passes nothing, so its commit is judged whole.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { WorkflowNotFoundError } from '@temporalio/client';
import { releaseId } from '../../src/domain/release-id';
import { statusQuery } from '../../src/domain/release-api';
import { useTestClient } from '../support/temporal';
import { runRunway, spawnRunway } from '../support/runway-process';
import { randomSha, type SandboxStack } from '../support/sandbox-stack';
import { useSandboxWorker } from '../support/sandbox-worker';
import { untilStage } from '../support/workflow-runner';

const RUN_ID = 9_300_000_001;

const temporal = useTestClient();
const e2e = useSandboxWorker({}, (stack: SandboxStack) => {
  // The default build gate: the commit's check runs, waited for up to 3 s.
  const config = readFileSync(stack.configFile, 'utf8');
  const checksGate = config.replace(/ {4}build:\n {6}mode: dispatch\n {6}workflow: build\.yml\n/, '    build: { mode: checks, pendingDeadline: 3s }\n');
  if (checksGate === config) throw new Error('the sample config no longer has the dispatch build this test replaces');
  writeFileSync(stack.configFile, checksGate);
});

/** The job's environment as GitHub Actions sets it (the example job's step). */
const actionsEnv = (version: string, repository = 'acme/checkout') => ({
  ...e2e.stack.env,
  GITHUB_ACTIONS: 'true',
  GITHUB_REPOSITORY: repository,
  GITHUB_RUN_ID: String(RUN_ID),
  GITHUB_RUN_ATTEMPT: '1',
  GITHUB_SHA: version,
  GITHUB_ACTOR: 'carol',
  GITHUB_JOB: 'release',
});

/** The push ran release.yml for the commit; its job "release" is the one running `runway start --wait`. */
const jobInProgress = (version: string) => e2e.stack.setScenario({ github: { ciRuns: { [RUN_ID]: { repo: 'acme/checkout', headSha: version, jobs: [{ name: 'release', conclusion: 'pending' }] } } } });

const startArgs = (version: string) => ['start', '--service', 'checkout', '--version', version, '--requested-by', 'carol', '--reason', `push to main (workflow run ${RUN_ID})`, '--queue', '--wait'];

it('releases from the job: its own check run is left out, the commit\'s other checks are judged', async () => {
  const version = randomSha();
  const id = releaseId('checkout', version);
  await jobInProgress(version);
  const start = spawnRunway(startArgs(version), actionsEnv(version));
  await start.waitFor(new RegExp(`^${id}$`, 'm'));
  await untilStage(temporal.client.workflow.getHandle(id), 'awaiting-approval');
  expect(await runRunway(['approve', id, '--as', 'alice'], e2e.stack.env)).toMatchObject({ code: 0 });

  const result = await start.exited;
  expect(result.stderr).toMatch(/released/);
  expect(result.code).toBe(0);
  const status = await temporal.client.workflow.getHandle(id).query(statusQuery);
  expect(status.history.map((e) => e.message)).toContain('build verified: build, test green (not judged: release (in_progress) of the workflow run that started this release)');
  const runReads = (await e2e.stack.calls()).github.filter((c) => c.operation.includes('/actions/runs/')).map((c) => c.operation);
  expect(runReads).toEqual([`GET /repos/acme/checkout/actions/runs/${RUN_ID}/attempts/1`]);
});

it('from a job in another repository passes no run, says so, and judges every check run of the commit', async () => {
  const version = randomSha();
  await jobInProgress(version);
  const result = await runRunway(startArgs(version), actionsEnv(version, 'acme/deploys'));
  expect(result.stderr).toMatch(/note: this job runs in acme\/deploys, not in acme\/checkout/);
  expect(result.stderr).toMatch(/still pending: release \(in_progress\)/);
  expect(result.code).not.toBe(0);
});

it('refuses a malformed GITHUB_RUN_ID with exit 2, naming it, and starts nothing', async () => {
  const version = randomSha();
  const result = await runRunway(startArgs(version), { ...actionsEnv(version), GITHUB_RUN_ID: 'abc' });
  expect(result.code).toBe(2);
  expect(result.stderr).toMatch(/GITHUB_RUN_ID: "abc" is not a workflow run id/);
  await expect(temporal.client.workflow.getHandle(releaseId('checkout', version)).describe()).rejects.toThrow(WorkflowNotFoundError);
});
