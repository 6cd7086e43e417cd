import { type CallContext, type WorkflowHandle, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { defineUpdate } from '@temporalio/workflow';
import { AsyncLocalStorage } from 'node:async_hooks';
import { executeUpdateOnce, lostAnswerNotice } from '../../src/release-client/update-once';

const ping = defineUpdate<string, [string]>('ping');

/** A handle whose executeUpdate answers from `answers` in turn (an Error is thrown), recording each call's Update id. */
function handleAnswering(answers: (string | Error)[]): { handle: WorkflowHandle; updateIds: (string | undefined)[] } {
  const updateIds: (string | undefined)[] = [];
  const handle = {
    // Where a caller's deadline lives, as on the SDK's Connection (client.withDeadline runs in it).
    client: { connection: { callContextStorage } },
    executeUpdate: async (_def: unknown, options: { updateId?: string }) => {
      updateIds.push(options.updateId);
      const answer = answers[updateIds.length - 1];
      if (answer instanceof Error) throw answer;
      return answer;
    },
  } as unknown as WorkflowHandle;
  return { handle, updateIds };
}

const callContextStorage = new AsyncLocalStorage<CallContext>();
/** Runs `fn` as `client.withDeadline(deadline, fn)` does. */
const withDeadline = <T>(deadline: number, fn: () => Promise<T>) => callContextStorage.run({ deadline }, fn);

const lost = () => new WorkflowUpdateRPCTimeoutOrCancelledError('stream terminated by RST_STREAM with error code: CANCEL');
/** A gRPC DEADLINE_EXCEEDED (code 4) as the SDK wraps it, with the server's or the client's words. */
const timedOut = (details: string) => new WorkflowUpdateRPCTimeoutOrCancelledError(details, { cause: Object.assign(new Error(details), { code: 4, details, metadata: {} }) });

it('sends again, with the same Update id, while the answer is lost, and says so before each new call', async () => {
  const { handle, updateIds } = handleAnswering([lost(), lost(), 'pong']);
  const told: string[] = [];
  await expect(executeUpdateOnce(handle, ping, ['x'], { firstBackoffMs: 1, onLostAnswer: ({ call, calls }) => told.push(`${call}/${calls}`) })).resolves.toBe('pong');
  expect(updateIds).toHaveLength(3);
  expect(new Set(updateIds).size).toBe(1);
  expect(updateIds[0]).toMatch(/^[0-9a-f-]{36}$/);
  expect(told).toEqual(['2/5', '3/5']);
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
  const passed = timedOut('Deadline exceeded after 10.001s');
  const { handle, updateIds } = handleAnswering([passed, 'pong']);
  await expect(withDeadline(Date.now() - 1, () => executeUpdateOnce(handle, ping, ['x'], { firstBackoffMs: 1 }))).rejects.toBe(passed);
  expect(updateIds).toHaveLength(1);
});

it("sends again, with the same id, when the server's own deadline passed on a call with none set (the answer was lost, not refused)", async () => {
  const { handle, updateIds } = handleAnswering([timedOut('context deadline exceeded'), 'pong']);
  await expect(executeUpdateOnce(handle, ping, ['x'], { firstBackoffMs: 1 })).resolves.toBe('pong');
  expect(updateIds).toHaveLength(2);
  expect(updateIds[1]).toBe(updateIds[0]);
});

it("sends again within the caller's deadline, and not when the wait before the next call would pass it", async () => {
  const within = handleAnswering([lost(), 'pong']);
  await expect(withDeadline(Date.now() + 60_000, () => executeUpdateOnce(within.handle, ping, ['x'], { firstBackoffMs: 1 }))).resolves.toBe('pong');
  expect(within.updateIds).toHaveLength(2);

  const first = lost();
  const past = handleAnswering([first, 'pong']);
  await expect(withDeadline(Date.now() + 500, () => executeUpdateOnce(past.handle, ping, ['x'], { firstBackoffMs: 1000 }))).rejects.toBe(first);
  expect(past.updateIds).toHaveLength(1);
});

it('gives each Update its own id', async () => {
  const first = handleAnswering(['pong']);
  const second = handleAnswering(['pong']);
  await executeUpdateOnce(first.handle, ping, ['x']);
  await executeUpdateOnce(second.handle, ping, ['x']);
  expect(first.updateIds[0]).not.toBe(second.updateIds[0]);
});

it("tells a person which call is next, out of how many, and the server's words for the lost answer", () => {
  const notice = lostAnswerNotice('r-1 approve', { call: 2, calls: 5, cause: timedOut('context deadline exceeded') });
  expect(notice).toBe('r-1 approve: no answer from the server (context deadline exceeded); asking again with the same id, call 2 of 5 (it takes effect once)');
});
