/**
 * The installation's Slack budget (issue 20): `runway-slack-budget:<taskQueue>`, started by the
 * first worker to ask (update-with-start). It only hands out send times — no timers, no activities:
 * each ask is one Update answered at once, and the asking worker waits out the time itself. It
 * ends once idle, and continues as new when its history grows (a few thousand asks), carrying the
 * lines still ahead of now.
 */
import { allHandlersFinished, condition, continueAsNew, makeContinueAsNewFunc, setHandler, workflowInfo } from '@temporalio/workflow';
import { grantSendTime, holdLine, newSlackBudget, type SlackBudgetState } from '../src/domain/slack-budget';
import { type SlackBudgetInput, slackBudgetQuery, slackRateLimitedUpdate, slackSendTimeUpdate } from '../src/domain/slack-budget-api';

/** Ends after this long without an ask (the next worker to ask starts it again). */
const IDLE_MS = 10 * 60_000;
/** Continue as new well before Temporal's history limits: an ask is about four events. */
const HISTORY_EVENTS_LIMIT = 4_000;

export async function slackBudget(input: SlackBudgetInput = {}): Promise<void> {
  let state: SlackBudgetState = input.state ?? newSlackBudget();
  let closing = false;
  let asked = 0;

  const refuseWhileClosing = () => {
    if (closing) throw new Error('this Slack budget run is closing down: ask again');
  };
  setHandler(
    slackSendTimeUpdate,
    ({ line, intervalMs, askedAtMs }) => {
      asked++;
      // The asker's clock, not the workflow's (its task's start, late under load); never more than a minute off it.
      const granted = grantSendTime(state, line, intervalMs, Math.min(Math.max(askedAtMs, Date.now() - 60_000), Date.now() + 60_000));
      state = granted.state;
      return { atMs: granted.atMs };
    },
    {
      validator: ({ line, intervalMs, askedAtMs }) => {
        refuseWhileClosing();
        if (typeof line !== 'string' || line === '') throw new Error('slackSendTime: line is required');
        if (!Number.isFinite(askedAtMs)) throw new Error('slackSendTime: askedAtMs is required');
        if (!Number.isFinite(intervalMs) || intervalMs < 0 || intervalMs > 60_000) throw new Error(`slackSendTime: intervalMs must be 0–60000, not ${String(intervalMs)}`);
      },
    },
  );
  setHandler(
    slackRateLimitedUpdate,
    ({ line, untilMs }) => {
      asked++;
      state = holdLine(state, line, untilMs);
    },
    {
      validator: ({ line, untilMs }) => {
        refuseWhileClosing();
        if (typeof line !== 'string' || line === '' || !Number.isFinite(untilMs)) throw new Error('slackRateLimited: line and untilMs are required');
      },
    },
  );
  setHandler(slackBudgetQuery, () => state);

  const timeToMove = () => {
    const info = workflowInfo();
    return info.continueAsNewSuggested || info.historyLength > HISTORY_EVENTS_LIMIT || info.targetWorkerDeploymentVersionChanged;
  };
  for (;;) {
    const seen = asked;
    const woke = await condition(() => asked !== seen || timeToMove(), IDLE_MS);
    if (!woke || timeToMove()) break;
  }
  closing = true;
  await condition(allHandlersFinished);
  if (!timeToMove() && Object.values(state.lines).every((l) => l.nextAtMs <= Date.now())) return;
  const next: SlackBudgetInput = { state };
  // Unversioned workers (tests, dev) have no build to move to.
  if (workflowInfo().currentDeploymentVersion === undefined) await continueAsNew<typeof slackBudget>(next);
  await makeContinueAsNewFunc<typeof slackBudget>({ initialVersioningBehavior: 'AUTO_UPGRADE' })(next);
}
