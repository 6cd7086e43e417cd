/**
 * Releases of a service still in flight, as a rollback of a finished release meets them: the
 * rollback is never held back by one, so it asks each to stop (a cancellation, which the
 * release answers by rolling itself back through its own compensation) and waits until each has
 * ended. Idempotent: a retry cancels again (harmless) and waits for the same releases.
 */
import { Context, heartbeat } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { releasesInFlight } from '../src/release-client/releases';
import { nonRetryable } from './errors';

export interface StopReleasesInput {
  service: string;
  /** Only releases on this task queue (this Runway installation) compete with the rollback. */
  taskQueue: string;
  /** Why, for the cancellation request and the history. */
  reason: string;
}

export interface StoppedRelease {
  releaseId: string;
  /** How its workflow ended: CANCELLED (it rolled itself back), COMPLETED, TERMINATED, ... */
  ended: string;
}

/** How often a wait looks again. */
const POLL_MS = 1000;

export function createReleasesInFlightActivities({ temporal }: { temporal?: Client }) {
  return {
    async stopReleasesInFlight(input: StopReleasesInput): Promise<{ stopped: StoppedRelease[] }> {
      if (!temporal) throw nonRetryable('this worker has no Temporal client for release control activities', 'NotConfigured');
      const inFlight = await releasesInFlight(temporal, { service: input.service, taskQueue: input.taskQueue });
      for (const release of inFlight) {
        // The request names why; the release sees a cancellation and rolls itself back.
        await temporal.workflowService.requestCancelWorkflowExecution({
          namespace: temporal.options.namespace,
          workflowExecution: { workflowId: release.releaseId },
          identity: 'runway rollback',
          reason: input.reason,
        });
        heartbeat({ cancelled: release.releaseId });
      }
      const stopped: StoppedRelease[] = [];
      for (const release of inFlight) {
        for (;;) {
          const { status } = await temporal.workflow.getHandle(release.releaseId).describe();
          if (status.name !== 'RUNNING') {
            stopped.push({ releaseId: release.releaseId, ended: status.name });
            break;
          }
          heartbeat({ waitingFor: release.releaseId });
          await Context.current().sleep(POLL_MS);
        }
      }
      return { stopped };
    },
  };
}
