/**
 * The smoke test as data: what a release checks against staging and how long that may take.
 *
 * A check is one GET of `url`; it passes when the answer has an expected status (any 2xx unless
 * `expectStatus` says) and a body that contains `expectBody` / matches `expectBodyMatches` when
 * those are set. Checks are retried every `intervalMs` until the first one passes or `timeoutMs`
 * has gone by (a service still warming up); from the first pass on, `successes` checks in a row
 * must pass (the first included), and one that does not fails the smoke test.
 */
export interface SmokePlan {
  url: string;
  /** Consecutive passing checks required, the first passing one included. */
  successes: number;
  /** Between checks. */
  intervalMs: number;
  /** How long after the first check the service may take to pass one (its warm-up). */
  timeoutMs: number;
  /** Each request's own timeout. */
  requestTimeoutMs: number;
  /** Statuses that pass; absent means any 2xx. */
  expectStatus?: number[];
  /** Text the body must contain. */
  expectBody?: string;
  /** Regular expression (JavaScript syntax, no flags) the body must match. */
  expectBodyMatches?: string;
}

/** Retries while warming up are at least this far apart, so `interval: 0` never spins on a refusing port. */
export const SMOKE_MIN_RETRY_MS = 100;

/**
 * The longest a smoke test can take: the warm-up, a last check started at its deadline, then the
 * remaining `successes - 1` checks, each an interval and a request long.
 */
export function smokeMaxDurationMs(p: SmokePlan): number {
  return p.timeoutMs + p.requestTimeoutMs + (p.successes - 1) * (p.intervalMs + p.requestTimeoutMs);
}
