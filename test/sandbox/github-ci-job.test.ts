/**
 * Issue 14, defect 1: a release started from a GitHub Actions job (the CI example) waits for the
 * commit's checks while that job is itself an in-progress check run on the commit. verifyBuild
 * through the production GitHub client against the sandbox's GitHub, which holds the job's run
 * (`github.ciRuns`): the run that started the release is left out by its check suite, any other
 * run of the commit still counts, and a release that does not say where it started judges
 * everything, as before.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { createGitHubBuildActivities, type VerifyBuildInput } from '../../activities/github-build';
import { createGitHubClient } from '../../src/sdk-clients/github';
import { type Sandbox, startSandbox } from '../../src/sandbox';
import { failureOf, quietLogger } from '../support/activity-env';
import { checkGitHubCallsAfterEach } from '../support/github-openapi';

const REPO = 'acme/checkout';
const SHA = 'd4'.repeat(20);
const RELEASE_RUN = 9_200_000_001;
const OTHER_RUN = 9_200_000_002;
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

let sandbox: Sandbox;
let build: ReturnType<typeof createGitHubBuildActivities>;

beforeEach(async () => {
  sandbox = await startSandbox({ port: 0, services: [], recordExchanges: true });
  const github = createGitHubClient({ GITHUB_TOKEN: 'ghp_test', GITHUB_API_URL: `${sandbox.url}/github` }, { retries: 0, log: quiet });
  build = createGitHubBuildActivities({ github, options: { pollIntervalMs: 20 } });
  // The push ran release.yml; its job "release" runs `runway start --wait` and is in progress.
  sandbox.setScenario({ github: { ciRuns: { [RELEASE_RUN]: { repo: REPO, headSha: SHA, jobs: [{ name: 'release', conclusion: 'pending' }] } } } });
});
afterEach(() => sandbox.close());
checkGitHubCallsAfterEach(() => sandbox);

const verify = (extra: Partial<VerifyBuildInput> = {}) =>
  new MockActivityEnvironment({}, { logger: quietLogger }).run(build.verifyBuild, { repo: REPO, version: SHA, image: 'img', pendingDeadlineMs: 200, ...extra }) as ReturnType<
    typeof build.verifyBuild
  >;
const githubCalls = (prefix: string) => sandbox.calls().github.filter((c) => c.operation.startsWith(prefix));

it('without knowing the run that started it, waits for that run\'s own job and fails: the deadlock of the CI example', async () => {
  const failure = await failureOf(verify());
  expect(failure).toMatchObject({ nonRetryable: true, type: 'BuildNotReady' });
  expect(failure.message).toMatch(/still pending: release \(in_progress\)/);
});

it('leaves out the check runs of the run that started the release (one read of its attempt) and passes on the others', async () => {
  const result = await verify({ startedBy: { runId: RELEASE_RUN, runAttempt: 1 } });
  expect(result).toEqual({ checks: ['build', 'test'], notJudged: ['release (in_progress)'] });
  expect(githubCalls('GET /repos/acme/checkout/actions/runs').map((c) => c.operation)).toEqual([`GET /repos/acme/checkout/actions/runs/${RELEASE_RUN}/attempts/1`]);
});

it('reads the run itself when the attempt is not known', async () => {
  await expect(verify({ startedBy: { runId: RELEASE_RUN } })).resolves.toMatchObject({ checks: ['build', 'test'] });
  expect(githubCalls('GET /repos/acme/checkout/actions/runs').map((c) => c.operation)).toEqual([`GET /repos/acme/checkout/actions/runs/${RELEASE_RUN}`]);
});

it('still counts every other run of the commit: another in-progress run keeps it pending, and a failed job fails it', async () => {
  sandbox.setScenario({ github: { ciRuns: { [OTHER_RUN]: { repo: REPO, headSha: SHA, workflow: 'e2e.yml', jobs: [{ name: 'e2e', conclusion: 'pending' }] } } } });
  const pending = await failureOf(verify({ startedBy: { runId: RELEASE_RUN, runAttempt: 1 } }));
  expect(pending.message).toMatch(/still pending: e2e \(in_progress\)/);
  expect(pending.message).not.toMatch(/still pending: [^;]*release/);
  expect(pending.message).toMatch(/not judged: release \(in_progress\) of workflow run 9200000001 \(attempt 1\), which started this release/);

  sandbox.setScenario({ github: { ciRuns: { [OTHER_RUN]: { repo: REPO, headSha: SHA, workflow: 'e2e.yml', jobs: [{ name: 'e2e', conclusion: 'failure' }] } } } });
  const failed = await failureOf(verify({ startedBy: { runId: RELEASE_RUN, runAttempt: 1 } }));
  expect(failed.message).toBe(`CI checks failed for ${REPO}@${SHA}: e2e (failure)`);
});

it('says there are no check runs besides its own when the run that started it is all there is', async () => {
  sandbox.setScenario({ github: { checkRuns: { [SHA]: [] } } });
  const failure = await failureOf(verify({ startedBy: { runId: RELEASE_RUN } }));
  expect(failure.message).toMatch(/no check runs besides its own at all/);
});

it('fails for good, naming the run and the permission, when the run cannot be read', async () => {
  const failure = await failureOf(verify({ startedBy: { runId: RELEASE_RUN + 7, runAttempt: 1 } }));
  expect(failure).toMatchObject({ nonRetryable: true });
  expect(failure.message).toMatch(/workflow run 9200000008 not found.*actions: read/);
  expect(githubCalls('GET /repos/acme/checkout/commits')).toHaveLength(0);
});
