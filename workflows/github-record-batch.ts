/**
 * A batch of deployment records the GitHub writer parked while its backlog was long (issue 20):
 * it holds them, durably, until the writer comes for them (`gitHubRecordBatchQuery`), then ends
 * when told they were taken. It does nothing else, so any Runway build can serve it: it follows
 * the current build instead of staying pinned to the one that parked it.
 */
import { condition, setHandler, setWorkflowOptions, workflowInfo } from '@temporalio/workflow';
import { BATCH_FOLLOWS_CURRENT_BUILD_MEMO, type GitHubRecordBatchInput, gitHubRecordBatchQuery, gitHubRecordBatchTakenSignal } from '../src/domain/github-writer-api';

export async function githubRecordBatch({ records }: GitHubRecordBatchInput): Promise<void> {
  let taken = false;
  setHandler(gitHubRecordBatchQuery, () => records);
  setHandler(gitHubRecordBatchTakenSignal, () => {
    taken = true;
  });
  await condition(() => taken);
}

// A versioning behaviour is refused from an unversioned worker (tests, `runway dev` with versioning
// off), so the writer says in the memo whether its own worker was versioned (the build is not known
// yet when these options are read).
setWorkflowOptions(() => (workflowInfo().memo?.[BATCH_FOLLOWS_CURRENT_BUILD_MEMO] === true ? { versioningBehavior: 'AUTO_UPGRADE' } : {}), githubRecordBatch);
