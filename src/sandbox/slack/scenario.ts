/**
 * The scriptable part of the Slack emulator: user groups and their members, injected failures
 * (Slack down, `ok: false` errors, 429 with Retry-After, an answer lost after the call took
 * effect), and Slack's own rate limits. Part of `PUT /_sandbox/scenario` under `slack`.
 */
import { z } from 'zod';
import { takeFromFaultList } from '../fault-list';
import { SLACK_RATE_LIMITS } from './rate-limits';

/** What one scripted fault does to a call. */
export const SlackFaultKind = {
  /** HTTP 429 with a Retry-After header, as Slack rate-limits. */
  rateLimited: 'ratelimited',
  /** The call takes effect, then the answer is lost (HTTP 504): the client cannot know it worked. */
  lostResponse: 'lost_response',
} as const;

const faultSchema = z.strictObject({
  /** Web API method, e.g. `chat.postMessage`; `*` for any. */
  method: z.string().min(1),
  /** A Slack error code answered as `{ ok: false, error }`, or one of SlackFaultKind. */
  error: z.string().regex(/^[a-z_]+$/, 'a Slack error code such as channel_not_found, or ratelimited / lost_response'),
  /** How many calls it hits before it is used up. @default 1 */
  count: z.number().int().min(1).max(10_000).optional(),
  /** Seconds, for `ratelimited`. @default 1 */
  retryAfter: z.number().int().min(0).max(3600).optional(),
});
export type SlackFault = z.output<typeof faultSchema>;

export const slackScenarioSchema = z.strictObject({
  /** Every Web API call answers HTTP 503 until set back to false. */
  down: z.boolean().optional(),
  /** Members of user groups, for usergroups.users.list: `{ "S0DEPLOYERS": ["U01ALICE"] }`. Merged by group. */
  usergroups: z.record(z.string().regex(/^S[A-Z0-9_]+$/, 'a user group id such as S0DEPLOYERS'), z.array(z.string().min(1))).optional(),
  /** Faults for the next calls, consumed in order; a new list replaces what is left of the old. */
  failNext: z.array(faultSchema).max(100).optional(),
  /**
   * Slack's rate limits on chat.postMessage (per channel) and chat.update (tier 3), enforced
   * (rate-limits.ts): `{}` takes Slack's figures (1 s per channel, 50 updates a minute); off when absent.
   */
  rateLimits: z
    .strictObject({
      postIntervalMsPerChannel: z.number().int().min(0).max(60_000).default(SLACK_RATE_LIMITS.postIntervalMsPerChannel),
      updatesPerMinute: z.number().int().min(1).max(100_000).default(SLACK_RATE_LIMITS.updatesPerMinute),
    })
    .optional(),
});
export type SlackScenario = z.output<typeof slackScenarioSchema>;

export function mergeSlackScenario(current: SlackScenario | undefined, patch: SlackScenario): SlackScenario {
  return {
    ...current,
    ...patch,
    usergroups: { ...current?.usergroups, ...patch.usergroups },
  };
}

/** Consumes one fault matching `method`; answers the fault and the scenario without it. */
export function takeSlackFault(scenario: SlackScenario, method: string): { fault?: SlackFault; remaining: SlackScenario } {
  const { fault, rest } = takeFromFaultList(scenario.failNext, (f) => f.method === method || f.method === '*');
  return fault ? { fault, remaining: { ...scenario, failNext: rest } } : { remaining: scenario };
}
