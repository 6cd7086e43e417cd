/**
 * A history the Temporal SDK wrote but cannot replay (README, "Decisions sent the instant a
 * release asks for them"): an approval accepted after the commands of the activity result in the
 * same workflow task. Runway's clients send decisions only once the history records the approval
 * stage, so they no longer race that task. This test pins the SDK's behaviour: if it ever
 * replays, the SDK has been fixed and the client-side wait (and this file) can be reconsidered.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { workflowBundle } from '../harness/temporal';

const file = path.join(__dirname, '../histories/known-nondeterministic/approval-after-commands-same-task.json');

it('the SDK cannot replay an Update accepted after other commands of the same workflow task', async () => {
  const history: { events: { eventType: string }[] } = JSON.parse(readFileSync(file, 'utf8'));
  // The shape that cannot replay: commands of the task (upsert, activity), then the Update's acceptance.
  const types = history.events.map((e) => e.eventType.replace('EVENT_TYPE_', ''));
  const accepted = types.indexOf('WORKFLOW_EXECUTION_UPDATE_ACCEPTED');
  expect(types.slice(accepted - 3, accepted + 1)).toEqual(['WORKFLOW_TASK_COMPLETED', 'UPSERT_WORKFLOW_SEARCH_ATTRIBUTES', 'ACTIVITY_TASK_SCHEDULED', 'WORKFLOW_EXECUTION_UPDATE_ACCEPTED']);
  const replay = Worker.runReplayHistory({ workflowBundle: workflowBundle() }, history, 'approval-after-commands-same-task');
  await expect(replay).rejects.toThrow(DeterminismViolationError);
  await expect(replay).rejects.toThrow(/Update machine does not handle this event/);
});
