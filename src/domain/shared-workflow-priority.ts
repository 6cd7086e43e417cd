/**
 * The installation's shared workflows — release lanes, the Slack budget, the GitHub writer, the
 * freeze workflow, the delivery ledger — answer releases: a release asks its lane for a place, each
 * Slack write asks the budget for a send time, each deployment record is handed to the writer. They
 * share the releases' task queue, so with a backlog of releases' workflow tasks (2,000 releases
 * starting at once) each answer waited its turn behind the backlog, and the asking client sent its
 * Update again and again until it was accepted (issue 20: 89 repeated Update-with-Start calls per
 * release at 2,000). Started with a higher priority, their tasks go before the releases' on the same
 * queue, on the same workers. The server must honour priority keys: src/temporal/task-priority.ts.
 */
import type { Priority } from '@temporalio/common';

/** 1 is the highest of the server's five keys; releases keep the default, 3. Child workflows, activities and continued runs inherit it. */
export const SHARED_WORKFLOW_PRIORITY: Priority = { priorityKey: 1 };

/**
 * The verifyDecision activity a decision's Update waits on: a person (or CI) waits for that answer
 * while the queue may hold thousands of the releases' own activities (issue 20: at 2,000 in flight,
 * 2 approvals were refused when their verification waited out its one minute behind the bakes).
 */
export const DECISION_VERIFICATION_PRIORITY: Priority = { priorityKey: 1 };

/**
 * A release run's Slack messenger (workflows/release-slack-messenger.ts): each hand-over waits for
 * one of its workflow tasks to take the item, and its Slack calls are what a release's final word
 * waits on. Its tasks are few and short, so they go before the releases' own (default 3), after
 * the shared workflows': with 2,000 releases starting at once, a messenger behind their backlog
 * kept the approval request's hand-over waiting for tens of seconds.
 */
export const SLACK_MESSENGER_PRIORITY: Priority = { priorityKey: 2 };
