/**
 * The scriptable part of the Sentry emulator: which repositories Sentry has an integration for,
 * a Sentry that is down, and injected failures for the next calls. Part of `PUT
 * /_sandbox/scenario` under `sentry`.
 */
import { z } from 'zod';
import { takeFromFaultList } from '../fault-list';

/** The API operations the emulator answers, by the names faults use. */
export const SENTRY_OPERATIONS = ['createRelease', 'getRelease', 'updateRelease', 'listDeploys', 'createDeploy'] as const;
export type SentryOperation = (typeof SENTRY_OPERATIONS)[number];

/** The call takes effect, then its answer is lost (HTTP 504): the caller cannot know it worked. */
export const SENTRY_LOST_RESPONSE = 'lost_response';

const faultSchema = z.strictObject({
  /** One of SENTRY_OPERATIONS, or `*` for any. */
  operation: z.enum([...SENTRY_OPERATIONS, '*']),
  /** The HTTP status answered (429 comes with Retry-After), or `lost_response`. */
  status: z.union([z.number().int().min(400).max(599), z.literal(SENTRY_LOST_RESPONSE)]),
  /** How many calls it hits before it is used up. @default 1 */
  count: z.number().int().min(1).max(10_000).optional(),
  /** Seconds, for 429. @default 1 */
  retryAfter: z.number().int().min(0).max(3600).optional(),
});
export type SentryFault = z.output<typeof faultSchema>;

export const sentryScenarioSchema = z.strictObject({
  /** Every call answers 503 until set back to false. */
  down: z.boolean().optional(),
  /**
   * Repositories Sentry has an integration for (`owner/name`); `refs` naming any other are refused
   * with 400 as Sentry does. Absent: every repository is linked.
   */
  repositories: z.array(z.string().min(1)).optional(),
  /** Faults for the next calls, consumed in order; a new list replaces what is left of the old. */
  failNext: z.array(faultSchema).max(100).optional(),
});
export type SentryScenario = z.output<typeof sentryScenarioSchema>;

/** Consumes one fault matching `operation`; answers the fault and the scenario without it. */
export function takeSentryFault(scenario: SentryScenario, operation: SentryOperation): { fault?: SentryFault; remaining: SentryScenario } {
  const { fault, rest } = takeFromFaultList(scenario.failNext, (f) => f.operation === operation || f.operation === '*');
  return fault ? { fault, remaining: { ...scenario, failNext: rest } } : { remaining: scenario };
}
