/**
 * A worker process for the build crash test (test/e2e/github-build-crash.test.ts): only the
 * GitHub build activities, against GITHUB_API_URL, on TASK_QUEUE. Prints "polling" once it
 * polls, so the test knows when to go on.
 */
import path from 'node:path';
import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createGitHubBuildActivities } from '../../activities/github-build';
import { createGitHubClient } from '../../src/sdk-clients/github';

async function main(): Promise<void> {
  Runtime.install({ logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} } });
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  const github = createGitHubClient({ GITHUB_TOKEN: 'ghp_test', GITHUB_API_URL: process.env.GITHUB_API_URL }, { retries: 0 });
  const worker = await Worker.create({
    connection,
    taskQueue: process.env.TASK_QUEUE!,
    workflowsPath: path.join(__dirname, 'github-build-workflow.ts'),
    activities: createGitHubBuildActivities({ github, options: { pollIntervalMs: 100 } }),
  });
  console.log('polling');
  await worker.run();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
