import { type WorkflowHandle, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { defineUpdate } from '@temporalio/workflow';
import { executeUpdateOnce } from '../../src/release-client/update-once';

const ping = defineUpdate<string, [string]>('ping');

/** A handle whose executeUpdate answers from `answers` in turn (an Error is thrown), recording each call's Update id. */
function handleAnswering(answers: (string | Error)[]): { handle: WorkflowHandle; updateIds: (string | undefined)[] } {
  const updateIds: (string | undefined)[] = [];
  const handle = {
    executeUpdate: async (_def: unknown, options: { updateId?: string }) => {
      updateIds.push(options.updateId);
      const answer = answers[updateIds.length - 1];
      if (answer instanceof Error) throw answer;
      return answer;
    },
  } as unknown as WorkflowHandle;
  return { handle, updateIds };
}

const lost = () => new WorkflowUpdateRPCTimeoutOrCancelledError('stream terminated by RST_STREAM with error code: CANCEL');

it('sends again, with the same Update id, while the answer is lost, and says so before each new call', async () => {
  const { handle, updateIds } = handleAnswering([lost(), lost(), 'pong']);
  const told: number[] = [];
  await expect(executeUpdateOnce(handle, ping, ['x'], { firstBackoffMs: 1, onLostAnswer: (attempt) => told.push(attempt) })).resolves.toBe('pong');
  expect(updateIds).toHaveLength(3);
  expect(new Set(updateIds).size).toBe(1);
  expect(updateIds[0]).toMatch(/^[0-9a-f-]{36}$/);
  expect(told).toEqual([2, 3]);
});

it('gives the lost answer to the caller after its last attempt', async () => {
  const { handle, updateIds } = handleAnswering([lost(), lost(), lost()]);
  await expect(executeUpdateOnce(handle, ping, ['x'], { attempts: 3, firstBackoffMs: 1 })).rejects.toBeInstanceOf(WorkflowUpdateRPCTimeoutOrCancelledError);
  expect(updateIds).toHaveLength(3);
});

it("hands any other error, the release's refusal among them, to the caller at once", async () => {
  const refused = new WorkflowUpdateFailedError('Workflow Update failed', new Error('already decided'));
  const { handle, updateIds } = handleAnswering([refused, 'pong']);
  await expect(executeUpdateOnce(handle, ping, ['x'], { firstBackoffMs: 1 })).rejects.toBe(refused);
  expect(updateIds).toHaveLength(1);
});

it("hands the caller's own deadline having passed to the caller at once: calling again could not help", async () => {
  const deadline = Object.assign(new Error('Deadline exceeded'), { code: 4, details: 'Deadline exceeded', metadata: {} });
  const timedOut = new WorkflowUpdateRPCTimeoutOrCancelledError('Deadline exceeded', { cause: deadline });
  const { handle, updateIds } = handleAnswering([timedOut, 'pong']);
  await expect(executeUpdateOnce(handle, ping, ['x'], { firstBackoffMs: 1 })).rejects.toBe(timedOut);
  expect(updateIds).toHaveLength(1);
});

it('gives each Update its own id', async () => {
  const first = handleAnswering(['pong']);
  const second = handleAnswering(['pong']);
  await executeUpdateOnce(first.handle, ping, ['x']);
  await executeUpdateOnce(second.handle, ping, ['x']);
  expect(first.updateIds[0]).not.toBe(second.updateIds[0]);
});
