/** Smoke test: HTTP checks against the staging deployment. */
import { Context, heartbeat } from '@temporalio/activity';
import { FailureType, nonRetryable } from './errors';

export interface SmokeTestInput {
  url: string;
  /** Every one of these checks must answer 2xx. */
  attempts: number;
  intervalMs: number;
  /** Per-request timeout and overall bound. */
  timeoutMs: number;
}

export interface SmokeTestResult {
  checks: { status: number; ms: number }[];
}

export function createSmokeActivities({ fetch: fetchImpl = fetch }: { fetch?: typeof fetch } = {}) {
  return {
    /** Runs `attempts` checks `intervalMs` apart; the first that is not 2xx fails the smoke test. */
    async runSmokeTest(input: SmokeTestInput): Promise<SmokeTestResult> {
      const ctx = Context.current();
      const checks: SmokeTestResult['checks'] = [];
      for (let i = 1; i <= input.attempts; i++) {
        const started = Date.now();
        let status = 0;
        let detail = '';
        try {
          const res = await fetchImpl(input.url, { signal: AbortSignal.timeout(input.timeoutMs) });
          status = res.status;
          detail = (await res.text()).slice(0, 120);
        } catch (err) {
          detail = (err as Error).message;
        }
        checks.push({ status, ms: Date.now() - started });
        heartbeat({ check: i, status });
        if (status < 200 || status >= 300) {
          throw nonRetryable(
            `smoke check ${i}/${input.attempts} GET ${input.url} → ${status || 'no response'}${detail ? `: ${detail}` : ''}`,
            FailureType.smokeTestFailed,
            { checks },
          );
        }
        if (i < input.attempts) await ctx.sleep(input.intervalMs);
      }
      return { checks };
    },
  };
}

export type SmokeActivities = ReturnType<typeof createSmokeActivities>;
