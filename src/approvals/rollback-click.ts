/**
 * The Roll back button of a released release's message: a rollback of that finished release,
 * started by the approvals server rather than decided by the release (which has ended). The click
 * has passed the server's signature, replay and payload checks; here the service's approval
 * policy decides who may (its `approvers` and the members of its `groups`, as for a held
 * canary's Roll back), Runway's records decide what to go back to — the release on the message
 * must still be what production runs (`of`), so a click on an older message is refused, naming
 * what runs now — and `startRollback` starts it once: a second click finds the rollback running.
 * With a decision key, the start carries the server's proof of who clicked (README, "Threat model").
 */
import type { Client } from '@temporalio/client';
import { releasePlan } from '../config/plan';
import type { RunwayConfig } from '../config/schema';
import { allowedApprovers, type ApprovalPolicy, isApprover } from '../domain/approval-policy';
import type { ReleasePlan } from '../domain/release';
import { serviceOfReleaseId } from '../domain/release-id';
import { type DecisionHmacKey, hmacSignedDecision } from '../release-client/decision-signing';
import { resolveRollback, RollbackRefusedError, rollbackToSign, startRollback } from '../release-client/rollback';
import type { ClickOutcome } from './decide-click';
import type { GroupMembership } from './group-membership';
import type { ButtonClick } from './interaction';

/** What the server needs to start rollbacks; without it the button is answered with why not. */
export interface RollbackClickOptions {
  /** The task queue rollbacks run on: the workers' (RUNWAY_TASK_QUEUE). */
  taskQueue: string;
  /** The service's plan from the config, with the clicker as the requester; throws for a service the config does not know. */
  planFor: (service: string, requestedBy: string) => ReleasePlan;
}

/** Rollbacks with the plans of `config`'s services, on `taskQueue`. */
export function rollbacksFromConfig(config: RunwayConfig, taskQueue: string): RollbackClickOptions {
  return { taskQueue, planFor: (service, requestedBy) => releasePlan(config, service, requestedBy) };
}

/** The reason a rollback from the button carries (its Slack message and GitHub status show it). */
export const SLACK_ROLLBACK_REASON = 'Roll back clicked in Slack';


export interface RollbackClickContext {
  timeoutMs: number;
  identity: (slackUserId: string) => string;
  membership?: GroupMembership;
  rollbacks?: RollbackClickOptions;
  /** The current RUNWAY_DECISION_HMAC_KEYS key: the start is signed with it, so workers that verify decisions know the approvals server vouches for the clicker. */
  decisionKey?: DecisionHmacKey;
}

class NotStarted extends Error {}

const refusal = (releaseId: string, why: string): ClickOutcome => ({
  decided: false,
  text: `Your rollback of ${releaseId} was not started: ${why}. Nothing has changed.`,
  summary: `refused (${why})`,
});

export async function rollbackClick(client: Client, click: ButtonClick, ctx: RollbackClickContext): Promise<ClickOutcome> {
  const { releaseId, userId } = click;
  try {
    if (!ctx.rollbacks) throw new NotStarted('this approvals server was started without the config and task queue that rollbacks need');
    const service = serviceOfReleaseId(releaseId);
    if (!service) throw new NotStarted(`${releaseId} is not a release id`);
    const by = ctx.identity(userId);
    let plan: ReleasePlan;
    try {
      plan = ctx.rollbacks.planFor(service, by);
    } catch (err) {
      throw new NotStarted(`the approvals server's config cannot roll back ${service}: ${(err as Error).message}`);
    }
    const groups = ctx.membership ? await ctx.membership.groupsOf(userId) : [];
    const policy: ApprovalPolicy = plan.approval;
    if (!isApprover(policy, { by, slackUserId: userId, groups })) throw new NotStarted(`${by} may not roll back ${service} (allowed: ${allowedApprovers(policy)})`);
    const { taskQueue } = ctx.rollbacks;
    // A deadline, because reading the records and starting need Temporal, which may not answer.
    const key = ctx.decisionKey;
    const started = await client.withDeadline(Date.now() + ctx.timeoutMs, async () => {
      const resolved = await resolveRollback(client, { service, of: releaseId, reason: SLACK_ROLLBACK_REASON, requestedBy: by, plan });
      // Signed after Slack's signature and the policy passed, with the Slack user and groups found here.
      const input = key ? { ...resolved, decision: hmacSignedDecision(rollbackToSign(client.options.namespace, resolved, { slackUserId: userId, groups }), key) } : resolved;
      return startRollback(client, taskQueue, input);
    });
    const { rollbackId, input } = started;
    const follow = `Follow it with \`runway watch ${rollbackId}\`.`;
    if (!started.started) {
      return { decided: true, text: `${rollbackId} is already rolling back ${releaseId}; nothing new was started. ${follow}`, summary: `already running (${rollbackId})` };
    }
    const to = `${input.to.version.slice(0, 12)} (${input.to.taskDefinition}, from ${input.to.workflowId})`;
    const approval = input.plan.rollback?.approval === 'required' ? ' It waits for an approval first.' : '';
    return { decided: true, text: `You started ${rollbackId}: production goes back to ${to}.${approval} ${follow}`, summary: `started ${rollbackId}` };
  } catch (err) {
    if (err instanceof NotStarted || err instanceof RollbackRefusedError) return refusal(releaseId, err.message);
    return {
      decided: false,
      text: `Runway could not start your rollback of ${releaseId} in time. Check \`runway list --stage released\` before clicking again.`,
      summary: `error (${(err as Error).message})`,
    };
  }
}
