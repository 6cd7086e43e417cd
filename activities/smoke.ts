/**
 * Smoke test: HTTP checks against the staging deployment (the rules are in src/domain/smoke.ts).
 * A service still warming up is retried until its first passing check or the warm-up `timeout`;
 * from then on `successes` checks in a row must pass. A failure names the last answers seen.
 *
 * The activity heartbeats every second (while waiting and while a request is in flight) with its
 * progress; a retry after a worker crash resumes from it: the same warm-up deadline (a crash never
 * grants a second warm-up), the passing checks counted so far and the answers seen.
 */
import { Context, heartbeat } from '@temporalio/activity';
import ms from 'ms';
import { SMOKE_MIN_RETRY_MS, type SmokePlan } from '../src/domain/smoke';
import { FailureType, nonRetryable } from './errors';

/** Today's plan, or the one releases started before `successes` existed carry. */
export type SmokeTestInput = SmokePlan;

/** One check as seen: the status (0: nothing came back), how long it took, and a one-line description. */
export interface SmokeAnswer {
  status: number;
  ms: number;
  passed: boolean;
  /** e.g. `503 "starting"`, `200 without "ready" in the body: "ok"`, `no response (ECONNREFUSED)`. */
  text: string;
}

export interface SmokeTestResult {
  /** The passing checks in a row that ended the test. */
  checks: { status: number; ms: number }[];
  /** Checks that did not pass before the first that did (the service warming up). Absent in results recorded before retries existed. */
  failedBeforeFirstPass?: number;
  /** From the first check to the first passing one. Absent as above. */
  warmUpMs?: number;
}

/** The heartbeat details: everything a retry needs to go on where the lost attempt was. */
export interface SmokeProgress {
  /** Epoch ms of the first check of the first attempt. */
  startedAt: number;
  /** Epoch ms after which a service that has not passed a check yet fails the test. */
  deadline: number;
  checks: number;
  failedBeforeFirstPass: number;
  firstPassAt?: number;
  /** Passing checks in a row so far. */
  streak: { status: number; ms: number }[];
  /** The last answers, oldest first. */
  recent: SmokeAnswer[];
}

/** How many answers a failure quotes (grouped when repeated). */
const RECENT_ANSWERS = 10;
/** Bodies are read up to this much; a health answer is far smaller. */
const MAX_BODY_BYTES = 64 * 1024;
const HEARTBEAT_EVERY_MS = 1000;

function isProgress(value: unknown): value is SmokeProgress {
  const p = value as Partial<SmokeProgress> | undefined;
  return typeof p?.startedAt === 'number' && typeof p.deadline === 'number' && Array.isArray(p.streak) && Array.isArray(p.recent);
}

async function readBody(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
    if (size >= MAX_BODY_BYTES) {
      await reader.cancel().catch(() => {});
      break;
    }
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A body as a failure quotes it: one line, at most 80 characters. */
function quote(body: string): string {
  const line = body.replace(/\s+/g, ' ').trim();
  return line ? ` "${line.length > 80 ? `${line.slice(0, 79)}…` : line}"` : '';
}

/** Why an answer does not pass, or undefined when it does. */
function problem(plan: SmokePlan, status: number, body: string): string | undefined {
  if (plan.expectStatus ? !plan.expectStatus.includes(status) : status < 200 || status >= 300) {
    return plan.expectStatus ? `, expected ${plan.expectStatus.join(' or ')}` : '';
  }
  if (plan.expectBody !== undefined && !body.includes(plan.expectBody)) return ` without ${JSON.stringify(plan.expectBody)} in the body:`;
  if (plan.expectBodyMatches !== undefined && !new RegExp(plan.expectBodyMatches).test(body)) return ` not matching /${plan.expectBodyMatches}/:`;
  return undefined;
}

/** Why nothing came back: the network error's code when Node names one. */
function noResponse(err: unknown, requestTimeoutMs: number): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError') return `no response within ${ms(requestTimeoutMs)}`;
  return `no response (${e.cause?.code ?? e.cause?.message ?? e.message ?? String(err)})`;
}

/** Repeated answers once, with a count: `503 "starting" ×8, 200 "ok" ×2, 503 "starting"`. */
export function describeAnswers(answers: SmokeAnswer[]): string {
  const runs: { text: string; count: number }[] = [];
  for (const a of answers) {
    const last = runs[runs.length - 1];
    if (last?.text === a.text) last.count++;
    else runs.push({ text: a.text, count: 1 });
  }
  return runs.map((r) => (r.count > 1 ? `${r.text} ×${r.count}` : r.text)).join(', ');
}

export function createSmokeActivities({ fetch: fetchImpl = fetch }: { fetch?: typeof fetch } = {}) {
  /** One GET of the plan's URL, judged. Cancellation of the activity is thrown, not counted as an answer. */
  async function check(plan: SmokePlan, cancelled: AbortSignal): Promise<SmokeAnswer> {
    const started = Date.now();
    try {
      const res = await fetchImpl(plan.url, { signal: AbortSignal.any([cancelled, AbortSignal.timeout(plan.requestTimeoutMs)]) });
      const body = await readBody(res);
      const why = problem(plan, res.status, body);
      return { status: res.status, ms: Date.now() - started, passed: why === undefined, text: `${res.status}${why ?? ''}${quote(body)}` };
    } catch (err) {
      if (cancelled.aborted) throw err;
      return { status: 0, ms: Date.now() - started, passed: false, text: noResponse(err, plan.requestTimeoutMs) };
    }
  }

  return {
    /** Retries until the first passing check or the warm-up deadline, then needs `successes` passing checks in a row. */
    async runSmokeTest(plan: SmokeTestInput): Promise<SmokeTestResult> {
      const ctx = Context.current();
      const resumed = ctx.info.heartbeatDetails as unknown;
      const now = Date.now();
      const p: SmokeProgress = isProgress(resumed)
        ? resumed
        : { startedAt: now, deadline: now + plan.timeoutMs, checks: 0, failedBeforeFirstPass: 0, streak: [], recent: [] };
      const fail = (summary: string) =>
        nonRetryable(`smoke test: GET ${plan.url} ${summary}; last answers: ${describeAnswers(p.recent)}`, FailureType.smokeTestFailed, {
          checks: p.checks,
          recent: p.recent,
        });

      heartbeat(p);
      const beat = setInterval(() => heartbeat(p), HEARTBEAT_EVERY_MS);
      try {
        for (;;) {
          const answer = await check(plan, ctx.cancellationSignal);
          p.checks++;
          p.recent = [...p.recent, answer].slice(-RECENT_ANSWERS);
          if (answer.passed) {
            p.firstPassAt ??= Date.now();
            p.streak.push({ status: answer.status, ms: answer.ms });
            heartbeat(p);
            if (p.streak.length >= plan.successes) {
              return { checks: p.streak, failedBeforeFirstPass: p.failedBeforeFirstPass, warmUpMs: p.firstPassAt - p.startedAt };
            }
            await ctx.sleep(plan.intervalMs);
            continue;
          }
          heartbeat(p);
          if (p.streak.length > 0) {
            throw fail(`passed ${p.streak.length} check(s) in a row, then answered ${answer.text} (${plan.successes} in a row needed)`);
          }
          p.failedBeforeFirstPass++;
          const left = p.deadline - Date.now();
          if (left <= 0) throw fail(`did not pass within ${ms(plan.timeoutMs)} (${p.checks} check(s), none passed)`);
          await ctx.sleep(Math.min(Math.max(plan.intervalMs, SMOKE_MIN_RETRY_MS), left));
        }
      } finally {
        clearInterval(beat);
      }
    },
  };
}

export type SmokeActivities = ReturnType<typeof createSmokeActivities>;
