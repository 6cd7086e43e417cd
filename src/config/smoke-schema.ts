/**
 * `smoke:` of a service: HTTP checks against staging before anyone is asked to approve.
 *
 * Checks are retried every `interval` until one passes or `timeout` has gone by (a service still
 * warming up is not a failure); from the first pass on, `successes` checks in a row must pass. A
 * check passes on any 2xx unless `expect.status` names the statuses, and, when set, the body must
 * contain `expect.body` and match `expect.bodyMatches`. See src/domain/smoke.ts.
 */
import { z } from 'zod';
import type { SmokePlan } from '../domain/smoke';
import { durationSchema } from './duration';

const statusCode = z.number().int().min(100, 'an HTTP status is 100-599').max(599, 'an HTTP status is 100-599');

const regularExpression = z
  .string()
  .min(1, 'must not be empty')
  .superRefine((source, ctx) => {
    try {
      new RegExp(source);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `not a regular expression: ${(err as Error).message}` });
    }
  });

/** What `attempts` (the old key: N checks that all had to pass, the first failure failing the test) became. */
export const SMOKE_ATTEMPTS_REPLACED =
  'replaced by `successes` (how many checks in a row must pass, 3 by default): checks are now retried every `interval` until the first passes or `timeout` has gone by, then `successes` in a row must pass — rename `attempts: N` to `successes: N`';

/** Each request's timeout when `requestTimeout` is not set: the warm-up `timeout`, kept between 1 s and 10 s. */
export function defaultRequestTimeoutMs(timeoutMs: number): number {
  return Math.min(10_000, Math.max(1000, timeoutMs));
}

export const smokeSchema = z
  .strictObject({
    url: z.url({ message: 'must be a URL' }),
    /** Consecutive passing checks required, the first passing one included. */
    successes: z.number().int().min(1).max(100).default(3),
    /** Between checks (retries while warming up are at least 100 ms apart). */
    interval: durationSchema.default(1000),
    /** How long the service may take to pass its first check. */
    timeout: durationSchema.default(60_000),
    /** Each request's own timeout; default: `timeout`, kept between 1 s and 10 s. */
    requestTimeout: durationSchema.refine((ms) => ms > 0, 'must be more than 0').optional(),
    expect: z
      .strictObject({
        /** A status or a list of them; default: any 2xx. */
        status: z.union([statusCode, z.array(statusCode).min(1, 'list at least one status')]).optional(),
        /** Text the body must contain. */
        body: z.string().min(1, 'must not be empty').optional(),
        /** A regular expression (JavaScript syntax) the body must match. */
        bodyMatches: regularExpression.optional(),
      })
      .optional(),
    /** Refused with what replaced it (see SMOKE_ATTEMPTS_REPLACED). */
    attempts: z.unknown().optional(),
  })
  .superRefine((smoke, ctx) => {
    if (smoke.attempts !== undefined) ctx.addIssue({ code: 'custom', path: ['attempts'], message: SMOKE_ATTEMPTS_REPLACED });
  });

export type SmokeConfig = z.output<typeof smokeSchema>;

/** The smoke part of a release plan. Optional fields only when set, so plans stay as small as the config. */
export function smokePlanOf(smoke: SmokeConfig): SmokePlan {
  const status = smoke.expect?.status;
  return {
    url: smoke.url,
    successes: smoke.successes,
    intervalMs: smoke.interval,
    timeoutMs: smoke.timeout,
    requestTimeoutMs: smoke.requestTimeout ?? defaultRequestTimeoutMs(smoke.timeout),
    ...(status !== undefined ? { expectStatus: Array.isArray(status) ? status : [status] } : {}),
    ...(smoke.expect?.body ? { expectBody: smoke.expect.body } : {}),
    ...(smoke.expect?.bodyMatches ? { expectBodyMatches: smoke.expect.bodyMatches } : {}),
  };
}
