/**
 * The installation's Slack budget (issue 20): `runway-slack-budget:<taskQueue>`, started by the
 * first worker to ask (update-with-start). It only hands out send times — no timers, no activities:
 * each ask is one Update answered at once, and the asking worker waits out the time itself. It
 * ends once idle, and continues as new when its history grows (a few thousand asks), carrying the
 * lines still ahead of now.
 */
import { allHandlersFinished, condition, continueAsNew, makeContinueAsNewFunc, patched, setHandler, workflowInfo } from '@temporalio/workflow';
import { boundedLead, grantSendTime, holdLine, newSlackBudget, SEND_TIME_LEAD_BEFORE_PATCH_MS, SEND_TIME_LEAD_MS, type SlackBudgetState } from '../src/domain/slack-budget';
import { type SlackBudgetInput, slackBudgetQuery, slackRateLimitedUpdate, slackSendTimeUpdate } from '../src/domain/slack-budget-api';

/**
 * Send times from the later of the asker's clock and the workflow's, with SEND_TIME_LEAD_MS
 * (2026-12-06); runs from before keep the asker's clock and the half-second lead.
 */
export const SLACK_BUDGET_IN_TIME_PATCH = 'slack-budget-answers-in-time';

/**
 * The lead each asker asks for, within ASKED_LEAD_BOUNDS_MS, and the budget's "now" in each answer
 * (2026-12-06); runs from before give every ask SEND_TIME_LEAD_MS.
 */
export const SLACK_BUDGET_ASKERS_LEAD_PATCH = 'slack-budget-askers-lead';

/** Ends after this long without an ask (the next worker to ask starts it again). */
const IDLE_MS = 10 * 60_000;
/** Continue as new well before Temporal's history limits: an ask is about four events. */
const HISTORY_EVENTS_LIMIT = 4_000;

export async function slackBudget(input: SlackBudgetInput = {}): Promise<void> {
  let state: SlackBudgetState = input.state ?? newSlackBudget();
  let closing = false;
  let asked = 0;
  let inTime: boolean | undefined;
  let askersLead: boolean | undefined;

  const refuseWhileClosing = () => {
    if (closing) throw new Error('this Slack budget run is closing down: ask again');
  };
  setHandler(
    slackSendTimeUpdate,
    ({ line, intervalMs, askedAtMs, leadMs }) => {
      asked++;
      // The asker's clock, never more than a minute off the workflow's. Both lag real time under
      // load — the ask by the time it queued, the workflow's by its task's wait in the worker — so
      // the later of the two (since the patch): a time set from an ask that queued is already past
      // when its answer arrives, and two workers so answered call Slack together.
      const askersClock = Math.min(Math.max(askedAtMs, Date.now() - 60_000), Date.now() + 60_000);
      inTime ??= patched(SLACK_BUDGET_IN_TIME_PATCH);
      if (!inTime) {
        const granted = grantSendTime(state, line, intervalMs, askersClock, SEND_TIME_LEAD_BEFORE_PATCH_MS);
        state = granted.state;
        return { atMs: granted.atMs };
      }
      askersLead ??= patched(SLACK_BUDGET_ASKERS_LEAD_PATCH);
      const fromMs = Math.max(askersClock, Date.now());
      // The asker knows how long answers take to reach it (src/domain/slack-budget-lead.ts); one that did not say gets the default.
      const lead = askersLead && leadMs !== undefined ? boundedLead(leadMs) : SEND_TIME_LEAD_MS;
      const granted = grantSendTime(state, line, intervalMs, fromMs, lead);
      state = granted.state;
      return askersLead ? { atMs: granted.atMs, fromMs } : { atMs: granted.atMs };
    },
    {
      validator: ({ line, intervalMs, askedAtMs, leadMs }) => {
        refuseWhileClosing();
        if (typeof line !== 'string' || line === '') throw new Error('slackSendTime: line is required');
        if (!Number.isFinite(askedAtMs)) throw new Error('slackSendTime: askedAtMs is required');
        if (!Number.isFinite(intervalMs) || intervalMs < 0 || intervalMs > 60_000) throw new Error(`slackSendTime: intervalMs must be 0–60000, not ${String(intervalMs)}`);
        if (leadMs !== undefined && !Number.isFinite(leadMs)) throw new Error(`slackSendTime: leadMs must be a number of milliseconds, not ${String(leadMs)}`);
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
