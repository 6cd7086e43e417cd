/**
 * The GitHub part of the sandbox scenario (`PUT /_sandbox/scenario` with `{"github": {...}}`):
 * how dispatched builds end, which branches contain a commit, and injected API faults (rate
 * limits, access errors, the 202 "auto-merged" answer). Kept apart from scenario.ts so the
 * GitHub vocabulary lives in one place.
 */
import { z } from 'zod';

export const BUILD_CONCLUSIONS = ['success', 'failure', 'cancelled', 'timed_out'] as const;
export type BuildConclusion = (typeof BUILD_CONCLUSIONS)[number];

const count = z.number().int().min(0).max(1000);
const durationMs = z.number().int().min(0).max(3_600_000);

const buildOutcomeSchema = z.strictObject({
  /** How the run ends. @default "success" */
  conclusion: z.enum(BUILD_CONCLUSIONS).optional(),
  /** From dispatch to completed; the first fifth of it the run is queued. @default 1000 */
  durationMs: durationMs.optional(),
});
export type BuildOutcome = z.infer<typeof buildOutcomeSchema>;

export const DEFAULT_BUILD: Required<BuildOutcome> = { conclusion: 'success', durationMs: 1000 };

/** Only calls whose "METHOD path" contains `match` are affected (all calls when absent). */
const matching = { match: z.string().min(1).optional() };

export const CHECK_RUN_CONCLUSIONS = ['success', 'failure', 'neutral', 'cancelled', 'skipped', 'timed_out', 'action_required', 'pending'] as const;

const scriptedCheckRunSchema = z.strictObject({
  name: z.string().min(1),
  /** A completed run's conclusion, or `pending` for a run still in progress. */
  conclusion: z.enum(CHECK_RUN_CONCLUSIONS),
});
export type ScriptedCheckRun = z.infer<typeof scriptedCheckRunSchema>;

/** One job of a scripted workflow run: a check run on the run's commit, in the run's check suite. */
const scriptedJobSchema = z.strictObject({
  name: z.string().min(1),
  /** A completed job's conclusion, or `pending` for a job still in progress. */
  conclusion: z.enum(CHECK_RUN_CONCLUSIONS),
});

/**
 * A GitHub Actions workflow run that CI started (not a dispatched build): e.g. the run of a
 * release workflow whose job runs `runway start --wait` and is itself an in-progress check run on
 * the commit. Its jobs' check runs join the commit's check runs, carrying the run's check suite.
 */
const scriptedWorkflowRunSchema = z.strictObject({
  /** `owner/name`, as GITHUB_REPOSITORY says. */
  repo: z.string().regex(/^[\w.-]+\/[\w.-]+$/, 'must be owner/name'),
  /** The commit the run is for (GITHUB_SHA). */
  headSha: z.string().regex(/^[0-9a-f]{40}$/, 'must be a 40-hex commit SHA'),
  /** Workflow file. @default "release.yml" */
  workflow: z.string().regex(/^[\w.-]+\.ya?ml$/, 'must be a workflow file name (release.yml)').optional(),
  /** @default "push" */
  event: z.string().min(1).optional(),
  /** The run's current attempt (GITHUB_RUN_ATTEMPT); `jobs` are that attempt's. @default 1 */
  attempt: z.number().int().min(1).max(100).optional(),
  /** Id of the run's check suite. @default 2 × run id + 1 (never the run id itself) */
  checkSuiteId: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
  jobs: z.array(scriptedJobSchema).min(1).max(99),
});
export type ScriptedWorkflowRun = z.infer<typeof scriptedWorkflowRunSchema>;

export const gitHubScenarioSchema = z.strictObject({
  /** Dispatched build runs, keyed by the `commit` input (a SHA); unknown commits build successfully. */
  builds: z.record(z.string().min(1), buildOutcomeSchema).optional(),
  /** Branches that contain a commit, keyed by SHA; a commit not listed is on every branch. */
  branches: z.record(z.string().min(1), z.array(z.string().min(1))).optional(),
  /** When commits were made, keyed by SHA (`GET …/commits/{sha}`); a commit not listed was made when Runway first named it to GitHub. */
  commits: z.record(z.string().min(1), z.strictObject({ committedAt: z.iso.datetime() })).optional(),
  /** Newer GitHub answers a dispatch with `return_run_details` by 200 and the run id; false acts like an older server (422). @default true */
  dispatchRunDetails: z.boolean().optional(),
  /**
   * The next `count` matching calls are rate limited: primary = 403 with x-ratelimit-remaining 0
   * and a reset `resetInS` away; secondary = 429 with retry-after `resetInS`.
   */
  rateLimit: z.strictObject({ count, kind: z.enum(['primary', 'secondary']).optional(), resetInS: z.number().int().min(0).max(3600).optional(), ...matching }).optional(),
  /**
   * GitHub's secondary limits on content-creating requests, enforced (secondary-limits.ts): a write
   * sooner than `minIntervalMs` after the last, or beyond `perMinute` / `perHour`, is refused with
   * 429 and `retry-after`. Off when absent.
   */
  writeLimits: z
    .strictObject({ minIntervalMs: z.number().int().min(0).max(60_000), perMinute: z.number().int().min(1).max(100_000), perHour: z.number().int().min(1).max(1_000_000) })
    .optional(),
  /** The next `count` matching calls answer `status` (401 bad credentials, 403 forbidden, 404, 5xx). */
  failNext: z.strictObject({ count, status: z.union([z.literal(401), z.literal(403), z.literal(404), z.literal(500), z.literal(502), z.literal(503)]), ...matching }).optional(),
  /**
   * The next `count` deployment creations answer 202 "Auto-merged …" and create nothing, as GitHub
   * does after merging the default branch in. GitHub only takes that (conflict-free) merge path
   * when the request leaves auto_merge on; the sandbox answers 202 even to auto_merge:false so
   * Runway's handling of the answer can be exercised.
   */
  autoMergeNext: count.optional(),
  /**
   * A commit's check runs, oldest first, keyed by SHA (or the ref as asked), instead of the default
   * "build" + "test"; a name listed twice is a re-run, and `filter=latest` shows only its newest.
   */
  checkRuns: z.record(z.string().min(1), z.array(scriptedCheckRunSchema).max(1000)).optional(),
  /**
   * Workflow runs CI started, keyed by run id (GITHUB_RUN_ID, 1 to 13 digits): readable under
   * `/actions/runs/{id}` (with `check_suite_id`), their attempts and jobs, and their jobs are
   * check runs on `headSha` with `check_suite: { id }`. A run is in progress while a job is pending.
   */
  ciRuns: z.record(z.string().regex(/^[1-9]\d{0,12}$/, 'must be a workflow run id (1 to 13 digits)'), scriptedWorkflowRunSchema).optional(),
  /**
   * Slow answers: matching calls take effect at once but their answer is held `ms` (a slow way
   * back, so a client can die after GitHub acted but before it heard). `count` limits it to the
   * next n matching calls (every matching call when absent); `ms` 0 clears it.
   */
  latency: z.strictObject({ ms: z.number().int().min(0).max(600_000), count: count.optional(), ...matching }).optional(),
});

export type GitHubScenario = z.infer<typeof gitHubScenarioSchema>;

/** Maps merge key by key; counted faults replace what was there. */
export function mergeGitHubScenario(current: GitHubScenario | undefined, patch: GitHubScenario): GitHubScenario {
  return {
    ...current,
    ...patch,
    ...(current?.builds || patch.builds ? { builds: { ...current?.builds, ...patch.builds } } : {}),
    ...(current?.branches || patch.branches ? { branches: { ...current?.branches, ...patch.branches } } : {}),
    ...(current?.commits || patch.commits ? { commits: { ...current?.commits, ...patch.commits } } : {}),
    ...(current?.checkRuns || patch.checkRuns ? { checkRuns: { ...current?.checkRuns, ...patch.checkRuns } } : {}),
    ...(current?.ciRuns || patch.ciRuns ? { ciRuns: { ...current?.ciRuns, ...patch.ciRuns } } : {}),
  };
}

export type GitHubFault =
  | { kind: 'rate-limit'; secondary: boolean; resetInS: number }
  | { kind: 'status'; status: 401 | 403 | 404 | 500 | 502 | 503 };

type Counted = { count: number; match?: string };

function applies(fault: Counted | undefined, operation: string): fault is Counted {
  return !!fault && fault.count > 0 && (!fault.match || operation.includes(fault.match));
}

/** How long to hold the answer to a call of `operation` (0: not at all), and the scenario left after it. */
export function takeGitHubLatency(scenario: GitHubScenario, operation: string): { holdMs: number; remaining: GitHubScenario } {
  const { latency } = scenario;
  if (!latency || latency.ms <= 0 || (latency.match && !operation.includes(latency.match))) return { holdMs: 0, remaining: scenario };
  if (latency.count === undefined) return { holdMs: latency.ms, remaining: scenario };
  if (latency.count <= 0) return { holdMs: 0, remaining: scenario };
  return { holdMs: latency.ms, remaining: { ...scenario, latency: { ...latency, count: latency.count - 1 } } };
}

/** The fault the next call of `operation` gets, and the scenario left after it. */
export function takeGitHubFault(scenario: GitHubScenario, operation: string): { fault?: GitHubFault; remaining: GitHubScenario } {
  const { rateLimit, failNext } = scenario;
  if (applies(rateLimit, operation)) {
    return {
      fault: { kind: 'rate-limit', secondary: rateLimit.kind === 'secondary', resetInS: rateLimit.resetInS ?? 60 },
      remaining: { ...scenario, rateLimit: { ...rateLimit, count: rateLimit.count - 1 } },
    };
  }
  if (applies(failNext, operation)) {
    return { fault: { kind: 'status', status: failNext.status }, remaining: { ...scenario, failNext: { ...failNext, count: failNext.count - 1 } } };
  }
  return { remaining: scenario };
}
