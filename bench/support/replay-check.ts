/**
 * Replays a run's workflow histories against the workflow code, as a worker picking a release up
 * after a crash would: a history that does not replay is a release that would stop for good at
 * its next workflow task on a fresh worker, even if no worker happened to restart at that moment
 * during the run.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { type History, historyToJSON } from '@temporalio/common/lib/proto-utils';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker, type WorkflowBundle } from '@temporalio/worker';

let ownBundle: Promise<WorkflowBundle> | undefined;

function workflowBundle(): Promise<WorkflowBundle> {
  ownBundle ??= bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: new DefaultLogger('WARN') });
  return ownBundle;
}

/** Why `history` does not replay against the workflow code, or undefined when it does. */
export async function replayProblem(history: History | Record<string, unknown>, workflowId: string, bundle?: WorkflowBundle): Promise<string | undefined> {
  // The run prints its own lines; a replay worker's state lines per history would bury them.
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // A runtime was already installed in this process: keep it.
  }
  try {
    await Worker.runReplayHistory({ workflowBundle: bundle ?? (await workflowBundle()) }, history, workflowId);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * Saves a run's history where `Worker.runReplayHistory` can be pointed at it later: the run's
 * server and its state go when the run ends. Answers the file.
 */
export function saveHistory(workflowId: string, history: History): string {
  const file = join(tmpdir(), `${workflowId}.history.json`);
  writeFileSync(file, historyToJSON(history));
  return file;
}

/** One problem per workflow whose history does not replay (empty when all do); each such history is saved to the temp directory. */
export async function replayProblems(client: Client, workflowIds: string[]): Promise<{ id: string; problem: string }[]> {
  const problems: { id: string; problem: string }[] = [];
  for (const id of workflowIds) {
    const history = await client.workflow.getHandle(id).fetchHistory();
    const problem = await replayProblem(history, id);
    if (!problem) continue;
    const saved = saveHistory(id, history);
    problems.push({ id, problem: `history does not replay (saved to ${saved}): ${problem}` });
  }
  return problems;
}
