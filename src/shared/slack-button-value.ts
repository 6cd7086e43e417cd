/**
 * What an Approve / Reject button carries: the release id and, since re-runs of one release id
 * exist (same workflow id, new run), the run the message was posted for, as `<releaseId>/<runId>`.
 * A click on an earlier run's message must not decide the current run. Messages posted before
 * run ids were added carry the release id alone; those values are still accepted as they are.
 */

/** The action ids of Runway's Approve / Reject buttons: the message sets them, the approvals server acts on them. */
export const APPROVE_ACTION_ID = 'runway_approve';
export const REJECT_ACTION_ID = 'runway_reject';

export interface ButtonTarget {
  releaseId: string;
  /** Absent on messages posted before run ids were added. */
  runId?: string;
}

/** Release ids never contain "/"; run ids are UUIDs. */
const WITH_RUN = /^([^/]+)\/([A-Za-z0-9-]{1,64})$/;

export function buttonValue(target: ButtonTarget): string {
  return target.runId ? `${target.releaseId}/${target.runId}` : target.releaseId;
}

export function parseButtonValue(value: string): ButtonTarget {
  const match = WITH_RUN.exec(value);
  return match ? { releaseId: match[1]!, runId: match[2]! } : { releaseId: value };
}
