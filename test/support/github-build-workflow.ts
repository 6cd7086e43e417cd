/**
 * A tiny workflow for the build crash test (test/e2e/github-build-crash.test.ts): dispatch the
 * GitHub build, then wait for it, with the short heartbeat timeout that lets a lost wait move to
 * another worker within seconds.
 */
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { BuildResult, GitHubBuildActivities } from '../../activities/github-build';

const { dispatchBuild, waitForBuild } = proxyActivities<GitHubBuildActivities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '2s',
  retry: { initialInterval: '200ms', maximumInterval: '1s' },
});

export async function githubBuild(input: { repo: string; version: string; image: string }): Promise<BuildResult & { dispatched: boolean }> {
  const run = await dispatchBuild({ repo: input.repo, workflow: 'build.yml', ref: 'main', version: input.version, releaseId: workflowInfo().workflowId });
  const built = await waitForBuild({ repo: input.repo, runId: run.runId, version: input.version, image: input.image, timeoutMs: 60_000 });
  return { ...built, dispatched: run.dispatched };
}
