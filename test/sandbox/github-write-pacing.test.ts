/**
 * The worker's GitHub writes are paced at one per second (GitHub's advice, via Octokit's
 * throttling plugin) with a bounded queue: a burst beyond it is turned away at once as a
 * retryable failure, and a write turned away never reaches GitHub later (an unbounded queue
 * would send it after its activity had timed out, beside the retry).
 */
import { ApplicationFailure } from '@temporalio/common';
import { callGitHub, GitHubFailureType, GitHubPermission } from '../../activities/github-errors';
import { createGitHubClient, GITHUB_WRITE_QUEUE_LIMIT } from '../../src/sdk-clients/github';
import { type Sandbox, startSandbox } from '../../src/sandbox';
import { checkGitHubCallsAfterEach } from '../support/github-openapi';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
let sandbox: Sandbox;
beforeEach(async () => {
  sandbox = await startSandbox({ port: 0, services: [], recordExchanges: true });
});
afterEach(() => sandbox.close());
checkGitHubCallsAfterEach(() => sandbox);

const deploymentWrites = () => sandbox.calls().github.filter((c) => c.operation.startsWith('POST') && c.operation.endsWith('/deployments')).length;

it('turns away writes beyond the queue as retryable GitHubWritesBusy, and never sends them later', async () => {
  const github = createGitHubClient({ GITHUB_TOKEN: 'ghp_test', GITHUB_API_URL: `${sandbox.url}/github` }, { retries: 0, log: quiet });
  const burst = GITHUB_WRITE_QUEUE_LIMIT + 6;
  const outcomes = await Promise.allSettled(
    Array.from({ length: burst }, (_, i) =>
      callGitHub({ action: 'creating a deployment', repo: 'acme/checkout', permission: GitHubPermission.deployments }, () =>
        github.rest.repos.createDeployment({ owner: 'acme', repo: 'checkout', ref: 'main', environment: `env-${i}`, auto_merge: false, required_contexts: [] }),
      ),
    ),
  );
  const sent = outcomes.filter((o) => o.status === 'fulfilled').length;
  const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as ApplicationFailure] : []));
  // The first go at once, GITHUB_WRITE_QUEUE_LIMIT wait their turn; the rest are turned away.
  expect(sent).toBeGreaterThanOrEqual(GITHUB_WRITE_QUEUE_LIMIT);
  expect(sent).toBeLessThanOrEqual(GITHUB_WRITE_QUEUE_LIMIT + 2);
  expect(refused).toHaveLength(burst - sent);
  for (const failure of refused) {
    expect(failure).toMatchObject({ type: GitHubFailureType.writesBusy, nonRetryable: false, nextRetryDelay: 5000 });
    expect(failure.message).toMatch(/^creating a deployment in acme\/checkout: too many GitHub writes are waiting in this worker/);
  }
  // Writes are a second apart; a turned-away one would show up within the next few seconds.
  await new Promise((r) => setTimeout(r, 2500));
  expect(deploymentWrites()).toBe(sent);
});
