/**
 * The shared Slack budget's rules (src/domain/slack-budget.ts): send times per line, each the line's
 * interval after the one before, whichever worker asks; a reported 429 holds the line for all.
 */
import { grantSendTime, holdLine, newSlackBudget, SEND_TIME_LEAD_MS, SEND_TIME_MARGIN_MS, slackLineOf } from '../../src/domain/slack-budget';

it('hands out send times on one line an interval apart, whoever asks, and other lines at once', () => {
  let state = newSlackBudget();
  const times: number[] = [];
  for (const line of [slackLineOf('update', 'C1'), slackLineOf('update', 'C2'), slackLineOf('update', 'C1')]) {
    const granted = grantSendTime(state, line, 1200, 10_000);
    state = granted.state;
    times.push(granted.atMs);
  }
  // Updates are one line for the workspace, whatever their channel; the first a moment ahead, for the answer to arrive.
  const first = 10_000 + SEND_TIME_LEAD_MS;
  const step = 1200 + SEND_TIME_MARGIN_MS;
  expect(times).toEqual([first, first + step, first + 2 * step]);
  const post = grantSendTime(state, slackLineOf('post', 'C1'), 1000, 10_000);
  expect(post.atMs).toBe(first);
  expect(post.state.granted).toBe(4);
});

it('a line idle past its next time starts again from now, and is dropped from the state meanwhile', () => {
  let state = grantSendTime(newSlackBudget(), 'chat.postMessage C1', 1000, 0).state;
  state = grantSendTime(state, 'chat.update', 1200, 0).state;
  const later = grantSendTime(state, 'chat.update', 1200, 60_000);
  expect(later.atMs).toBe(60_000 + SEND_TIME_LEAD_MS);
  expect(Object.keys(later.state.lines)).toEqual(['chat.update']);
});

it("a 429 holds the line until Slack's Retry-After for every worker, and never brings a line forward", () => {
  let state = grantSendTime(newSlackBudget(), 'chat.update', 1200, 0).state;
  state = holdLine(state, 'chat.update', 30_000);
  expect(grantSendTime(state, 'chat.update', 1200, 1000).atMs).toBe(30_000);
  expect(state.rateLimited).toBe(1);
  // An older, shorter hold reported late changes nothing.
  expect(grantSendTime(holdLine(state, 'chat.update', 5_000), 'chat.update', 1200, 1000).atMs).toBe(30_000);
});
