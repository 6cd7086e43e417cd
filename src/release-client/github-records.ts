/**
 * The installation's GitHub writer as clients see it: how many deployment records wait for their
 * turn, and a wait until they are all written (the demo prints what GitHub received; tests and
 * benches count the records). No writer means nothing was ever handed to it.
 */
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { gitHubWriterQuery, type GitHubWriterStatus, gitHubWriterWorkflowId } from '../domain/github-writer-api';

export async function gitHubWriterStatus(client: Client, taskQueue: string): Promise<GitHubWriterStatus | undefined> {
  try {
    return await client.workflow.getHandle(gitHubWriterWorkflowId(taskQueue)).query(gitHubWriterQuery);
  } catch (err) {
    // Never started (a closed writer still answers: it ended idle).
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

/**
 * Resolves once the writer has nothing pending, or rejects after `timeoutMs` saying how many
 * records still wait. `onWait` hears the pending count while it waits (for progress lines).
 */
export async function untilGitHubRecordsWritten(client: Client, taskQueue: string, options: { timeoutMs?: number; pollMs?: number; onWait?: (pending: number) => void } = {}): Promise<GitHubWriterStatus | undefined> {
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  for (;;) {
    const status = await gitHubWriterStatus(client, taskQueue);
    if (!status || status.pending === 0) return status;
    if (Date.now() >= deadline) throw new Error(`${status.pending} GitHub deployment record(s) still wait for the writer (oldest queued ${status.oldestQueuedAt ?? '?'})`);
    options.onWait?.(status.pending);
    await new Promise((r) => setTimeout(r, options.pollMs ?? 250));
  }
}
