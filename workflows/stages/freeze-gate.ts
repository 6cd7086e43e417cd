/**
 * The production gate: right before the first production change (migration, then traffic), a
 * release held by a freeze waits here, as stage `frozen` with the freeze's end and reason, and
 * goes on by itself when the freeze ends. Configured windows come from the plan (resolved when the
 * release started; evaluated at workflow time); ad hoc freezes from the installation's freeze
 * workflow (activity watchFreeze), which signals the release the moment one ends. A timer wakes
 * the gate when the configured schedule changes, and every RECHECK_MS at the latest, as a bound
 * in case a signal is lost (a freeze workflow terminated by hand).
 *
 * A `--break-glass` release passes a freeze once `freeze.breakGlass.required` distinct approvers
 * approve it (Update breakGlassApprove). An operator's abort works while frozen: the gate runs in
 * release.forward. The gate is checked once: a window opening later (while the canary bakes)
 * does not interrupt the release. Rollbacks and compensation never pass through here.
 */
import { condition, setHandler, workflowInfo } from '@temporalio/workflow';
import { freezeChangedSignal } from '../../src/domain/freeze-api';
import { gateVerdict } from '../../src/domain/freeze-gate';
import { ReleaseStage } from '../../src/domain/release';
import type { ReleaseContext } from '../release-context';

/** The longest the gate waits before looking at the freezes again. */
export const RECHECK_MS = 5 * 60_000;

export async function passFreezeGate(release: ReleaseContext): Promise<void> {
  const { input, plan, state, slack } = release;
  let changed = false;
  setHandler(freezeChangedSignal, () => {
    changed = true;
  });
  const breakGlass = input.breakGlass ? { reason: input.breakGlass.reason, required: plan.freeze?.breakGlassRequired ?? 2 } : undefined;
  const enoughBreakGlass = () => breakGlass !== undefined && (state.freeze?.breakGlass?.approvals.length ?? 0) >= breakGlass.required;
  let shown: string | undefined;
  for (;;) {
    changed = false;
    const { freezes } = await release.acts.freeze.watchFreeze({ taskQueue: workflowInfo().taskQueue, service: input.service, releaseId: release.releaseId });
    const nowMs = Date.now();
    const verdict = gateVerdict(plan.freeze, freezes, nowMs);
    if (!verdict.frozen) {
      if (shown !== undefined) {
        state.passGate('the freeze is over: passing the production gate', release.now());
        slack.update('Freeze over; going to production');
      }
      return;
    }
    if (enoughBreakGlass()) {
      const by = state.freeze!.breakGlass!.approvals.map((a) => a.by).join(', ');
      state.passGate(`break-glass: passing the freeze (${verdict.reasons.join('; ')}) with the approval of ${by}: ${breakGlass!.reason}`, release.now());
      slack.update(`Break-glass approved by ${by}; going to production during the freeze`);
      slack.reply('announcing the break-glass', `:rotating_light: Break-glass: ${input.service} ${release.shortVersion} goes to production during the freeze (${verdict.reasons.join('; ')}), approved by ${by}: ${breakGlass!.reason}`);
      return;
    }
    if (verdict.text !== shown) {
      state.holdAtGate(verdict.text, verdict.reasons, verdict.untilMs, breakGlass);
      release.enter(ReleaseStage.frozen, verdict.text);
      const ask = breakGlass ? ` Break-glass: ${breakGlass.required} approval(s) needed (runway break-glass approve ${release.releaseId} --as <approver>) from ${release.approverMentions()}.` : '';
      slack.update(`Frozen: ${verdict.text}`);
      if (shown === undefined) slack.reply('announcing the freeze', `:snowflake: ${input.service} ${release.shortVersion} waits at the production gate: ${verdict.text}.${ask}`);
      shown = verdict.text;
    }
    const wakeAtMs = Math.min(verdict.untilMs ?? Infinity, verdict.nextChangeMs ?? Infinity, nowMs + RECHECK_MS);
    const approvals = state.freeze?.breakGlass?.approvals.length ?? 0;
    await condition(() => changed || enoughBreakGlass() || (state.freeze?.breakGlass?.approvals.length ?? 0) !== approvals, Math.max(1, wakeAtMs - nowMs));
  }
}
