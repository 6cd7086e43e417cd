/**
 * The lead a worker asks the installation's Slack budget for (issue 20), from how long the
 * budget's last answers took to reach it. A fixed lead was either too long when answers are quick
 * (every call on an idle line waits it out) or too short under load: with 1.5 s, 54 of 2,605
 * answers came after the time they named at 1,000 releases on four workers (2026-12-06), and a
 * call whose answers all come late goes at a time another worker may also have been given.
 *
 * An answer's delay is measured from the budget's own "now" (the `fromMs` it answers with) to the
 * answer's arrival: the part of the round trip that a lead has to cover. The lead is the longest of
 * the recent delays with a quarter more on top, within the budget's bounds: one slow answer raises
 * it at once (the next ask is then in time), and it falls back as the slow one leaves the window.
 */
import { ASKED_LEAD_BOUNDS_MS, boundedLead, SEND_TIME_LEAD_MS } from './slack-budget';

/** How many recent answers the lead looks back on: about the last few seconds of one busy worker's asks. */
export const LEAD_WINDOW = 20;
/** On top of the longest recent delay: answers vary, and one just past the longest is late. */
export const LEAD_HEADROOM = 1.25;

export interface AnswerLead {
  /** One answer reached this worker `delayMs` after the budget's time it was given from. */
  record(delayMs: number): void;
  /** The lead to ask for next; the budget's default until an answer has been measured. */
  leadMs(): number;
}

export function createAnswerLead(window = LEAD_WINDOW): AnswerLead {
  const delays: number[] = [];
  return {
    record(delayMs) {
      // A negative delay is this worker's clock behind the server's: as good as instant.
      delays.push(Number.isFinite(delayMs) ? Math.max(0, delayMs) : ASKED_LEAD_BOUNDS_MS.max);
      if (delays.length > window) delays.shift();
    },
    leadMs() {
      if (delays.length === 0) return SEND_TIME_LEAD_MS;
      return boundedLead(Math.max(...delays) * LEAD_HEADROOM);
    },
  };
}
