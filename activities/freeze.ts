/**
 * The production gate's look at ad hoc freezes: asks the installation's freeze workflow which
 * freezes hold the service now, registering the release so the freeze workflow signals it when
 * one ends (one Update: no end can slip between the look and the registration). No freeze
 * workflow means no ad hoc freeze has ever been started.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { type AdHocFreeze, freezeWatchUpdate, freezeWorkflowId } from '../src/domain/freeze-api';
import { nonRetryable } from './errors';

export interface WatchFreezeInput {
  taskQueue: string;
  service: string;
  releaseId: string;
}

export function createFreezeActivities({ temporal }: { temporal?: Client }) {
  return {
    async watchFreeze(input: WatchFreezeInput): Promise<{ freezes: AdHocFreeze[] }> {
      if (!temporal) throw nonRetryable('this worker has no Temporal client to read ad hoc freezes', 'NotConfigured');
      try {
        const freezes = await temporal.workflow.getHandle(freezeWorkflowId(input.taskQueue)).executeUpdate(freezeWatchUpdate, { args: [{ releaseId: input.releaseId, service: input.service }] });
        return { freezes };
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return { freezes: [] };
        throw err;
      }
    },
  };
}
