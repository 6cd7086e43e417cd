/**
 * `requireGreenCi: false` in checks mode: the build gate judges only the required check runs; a
 * failing or still-running check run that is not required is not looked at. With the rule on,
 * every check run counts (the control).
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { createGitHubBuildActivities, type VerifyBuildInput } from '../../activities/github-build';
import type { GitHubApi } from '../../activities/github';
import { failureOf, quietLogger } from '../support/activity-env';

const RUNS = [
  { name: 'build', status: 'completed', conclusion: 'success' },
  { name: 'lint', status: 'completed', conclusion: 'failure' },
  { name: 'e2e', status: 'in_progress', conclusion: null },
];

/** A GitHub whose only answer is the commit's check runs. */
const github = {
  rest: { checks: { listForRef: async () => ({ data: { total_count: RUNS.length, check_runs: RUNS } }) } },
} as unknown as GitHubApi;

const verify = (input: Partial<VerifyBuildInput>) =>
  new MockActivityEnvironment(undefined, { logger: quietLogger }).run(createGitHubBuildActivities({ github, options: { pollIntervalMs: 10 } }).verifyBuild, {
    repo: 'acme/api',
    version: 'a'.repeat(40),
    image: 'img',
    ...input,
  });

it('judges only the required check runs when asked to', async () => {
  await expect(verify({ requiredChecks: ['build'], onlyRequiredChecks: true })).resolves.toEqual({ checks: ['build'] });
});

it('still needs the required ones present and green', async () => {
  const failing = await failureOf(verify({ requiredChecks: ['build', 'lint'], onlyRequiredChecks: true }));
  expect(failing).toMatchObject({ nonRetryable: true, type: 'BuildNotReady', message: `CI checks failed for acme/api@${'a'.repeat(40)}: lint (failure)` });
  const missing = await failureOf(verify({ requiredChecks: ['build', 'unit'], onlyRequiredChecks: true, pendingDeadlineMs: 20 }));
  expect(missing.message).toMatch(/required but missing: unit$/);
});

it('judges every check run otherwise', async () => {
  const failure = await failureOf(verify({ requiredChecks: ['build'] }));
  expect(failure.message).toMatch(/CI checks failed for .*: lint \(failure\)$/);
});
