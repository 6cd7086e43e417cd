import { ASKED_LEAD_BOUNDS_MS, boundedLead, SEND_TIME_LEAD_MS } from '../../src/domain/slack-budget';
import { createAnswerLead, LEAD_HEADROOM, LEAD_WINDOW } from '../../src/domain/slack-budget-lead';

it("asks for the budget's default lead until an answer has been measured", () => {
  expect(createAnswerLead().leadMs()).toBe(SEND_TIME_LEAD_MS);
});

it('asks for the longest recent delay with headroom, so the next answer that slow is still in time', () => {
  const lead = createAnswerLead();
  for (const delayMs of [300, 2400, 900]) lead.record(delayMs);
  expect(lead.leadMs()).toBe(Math.ceil(2400 * LEAD_HEADROOM));
});

it('falls back once a slow answer has left the window', () => {
  const lead = createAnswerLead();
  lead.record(3000);
  for (let i = 1; i < LEAD_WINDOW; i++) lead.record(800);
  expect(lead.leadMs()).toBe(Math.ceil(3000 * LEAD_HEADROOM));
  lead.record(800);
  expect(lead.leadMs()).toBe(Math.ceil(800 * LEAD_HEADROOM));
});

it("stays within the budget's bounds: quick answers still get half a second, crawling ones at most 5 s", () => {
  const quick = createAnswerLead();
  quick.record(20);
  quick.record(-400); // a clock behind the server's
  expect(quick.leadMs()).toBe(ASKED_LEAD_BOUNDS_MS.min);
  const crawling = createAnswerLead();
  crawling.record(30_000);
  expect(crawling.leadMs()).toBe(ASKED_LEAD_BOUNDS_MS.max);
  const unmeasurable = createAnswerLead();
  unmeasurable.record(Number.NaN);
  expect(unmeasurable.leadMs()).toBe(ASKED_LEAD_BOUNDS_MS.max);
});

it('bounds whatever lead an asker names', () => {
  expect(boundedLead(0)).toBe(ASKED_LEAD_BOUNDS_MS.min);
  expect(boundedLead(1234.2)).toBe(1235);
  expect(boundedLead(60_000)).toBe(ASKED_LEAD_BOUNDS_MS.max);
});
