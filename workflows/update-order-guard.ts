/**
 * Keeps Updates replayable. When Temporal replays a workflow task, Core hands the workflow the
 * task's Updates before everything else in it. A worker can nonetheless deliver an Update in a
 * later activation of the same task, after the workflow already acted on the task's other news
 * (an activity result): the history then records "acted, then accepted the Update", which no
 * replay reproduces, and the release is stuck on a nondeterminism error from then on (seen in
 * the chaos runner: a cold worker, an approval sent the instant a query showed the new stage).
 *
 * So an Update that arrives in a workflow task whose earlier activations already produced
 * commands is refused — before it is accepted, so nothing reaches the history — with
 * UPDATE_BUSY_REFUSAL; the clients (CLI, approvals server) retry it a moment later, in a task of
 * its own. Validators never run on replay, so this changes nothing for recorded histories.
 */
import type { WorkflowInterceptors, WorkflowInterceptorsFactory } from '@temporalio/workflow';
import { log } from '@temporalio/workflow';
import { UPDATE_BUSY_REFUSAL } from '../src/messages';

/** What the guard reads of a command: which ones leave events in the history. */
export interface CommandLike {
  respondToQuery?: unknown;
  updateResponse?: { rejected?: unknown } | null;
}

/**
 * Tracks, per workflow task, whether the workflow has already issued commands that the history
 * will record. A task is known by its start time (the workflow's clock, set by the task) and the
 * history length; an Update-only task that leaves no events still has a start time of its own.
 */
export class UpdateOrderGuard {
  private task: string | undefined;
  private commandsInTask = 0;

  /** An activation begins. */
  activation(historyLength: number, taskStartedAtMs: number): void {
    const task = `${historyLength}@${taskStartedAtMs}`;
    if (task !== this.task) {
      this.task = task;
      this.commandsInTask = 0;
    }
  }

  /** An activation ended with these commands. Query answers and refused Updates leave no history. */
  concluded(commands: readonly object[]): void {
    this.commandsInTask += (commands as readonly CommandLike[]).filter((c) => !c.respondToQuery && !c.updateResponse?.rejected).length;
  }

  /** Why an Update arriving now must be refused, or undefined when it may be validated as usual. */
  refusal(): string | undefined {
    return this.commandsInTask > 0 ? `${UPDATE_BUSY_REFUSAL}: it is completing a step in this very instant; retry` : undefined;
  }
}

/**
 * The interceptor module's factory (workers list this module in `workflowModules`, see
 * workers/release-worker.ts); called once per workflow execution, so each has its own guard.
 */
export const interceptors: WorkflowInterceptorsFactory = () => updateOrderInterceptors();

export function updateOrderInterceptors(): WorkflowInterceptors {
  const guard = new UpdateOrderGuard();
  return {
    internals: [
      {
        activate(input, next) {
          const { historyLength, timestamp } = input.activation;
          guard.activation(Number(historyLength ?? 0), timestampMs(timestamp));
          return next(input);
        },
        concludeActivation(input, next) {
          const output = next(input);
          guard.concluded(output.commands);
          return output;
        },
      },
    ],
    inbound: [
      {
        validateUpdate(input, next) {
          const refusal = guard.refusal();
          if (refusal) {
            log.warn('Update refused until the next workflow task', { update: input.name, updateId: input.updateId });
            throw new Error(refusal);
          }
          return next(input);
        },
      },
    ],
  };
}

function timestampMs(timestamp: { seconds?: unknown; nanos?: unknown } | null | undefined): number {
  if (!timestamp) return 0;
  return Number(timestamp.seconds ?? 0) * 1000 + Math.floor(Number(timestamp.nanos ?? 0) / 1e6);
}
