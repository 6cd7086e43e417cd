/**
 * What Runway's Slack buttons carry: the release id and, since re-runs of one release id exist
 * (same workflow id, new run), the run the message was posted for, as `<releaseId>/<runId>`.
 * A click on an earlier run's message must not decide the current run. Messages posted before
 * run ids were added carry the release id alone; those values are still accepted as they are.
 */

/** The action ids of Runway's Approve / Reject buttons: the message sets them, the approvals server acts on them. */
export const APPROVE_ACTION_ID = 'runway_approve';
export const REJECT_ACTION_ID = 'runway_reject';
/** The buttons of a canary held for a human decision: Resume, Promote, Roll back (an abort). */
export const CANARY_RESUME_ACTION_ID = 'runway_canary_resume';
export const CANARY_PROMOTE_ACTION_ID = 'runway_canary_promote';
export const CANARY_ABORT_ACTION_ID = 'runway_canary_abort';
/**
 * The Roll back button of a released release's message: starts the rollback of that finished
 * release (its own workflow), unlike a held canary's Roll back, which aborts a running release.
 */
export const RELEASE_ROLLBACK_ACTION_ID = 'runway_release_rollback';

/**
 * What a click on one of Runway's buttons asks for: the Update it becomes on the release, or
 * (`rollback`) a rollback of the finished release.
 */
export const BUTTON_ACTIONS = ['approve', 'reject', 'resume', 'promote', 'abort', 'rollback'] as const;
export type ButtonAction = (typeof BUTTON_ACTIONS)[number];

/** Each button action's action id; the one table both the message and the clicks read. */
export const BUTTON_ACTION_IDS: Readonly<Record<ButtonAction, string>> = {
  approve: APPROVE_ACTION_ID,
  reject: REJECT_ACTION_ID,
  resume: CANARY_RESUME_ACTION_ID,
  promote: CANARY_PROMOTE_ACTION_ID,
  abort: CANARY_ABORT_ACTION_ID,
  rollback: RELEASE_ROLLBACK_ACTION_ID,
};

/** The action a button's action id stands for, or undefined when it is not one of Runway's. */
export function buttonActionOf(actionId: string): ButtonAction | undefined {
  return (Object.keys(BUTTON_ACTION_IDS) as ButtonAction[]).find((action) => BUTTON_ACTION_IDS[action] === actionId);
}

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
