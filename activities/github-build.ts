/**
 * The build stage on GitHub, and the gate before anything deploys:
 * - `dispatchBuild` + `waitForBuild`: run the service's GitHub Actions build for the commit and
 *   wait for it. The dispatch is idempotent (a run carrying this release's correlation id is
 *   reused), and the wait only ever needs the run id, so a worker crash never dispatches twice.
 * - `verifyBuild`: CI already built the image; the commit's check runs must be green, polled
 *   until a deadline while some are still running or not yet reported. The check runs of the
 *   GitHub Actions run that started the release (its job waits for the release, so it is still
 *   running) are not judged.
 * - `checkReleaseBranch`: the commit must be on the release branch.
 */
import { Context, heartbeat } from '@temporalio/activity';
import { FailureType, nonRetryable } from './errors';
import { callGitHub, GitHubFailureType, GitHubPermission, gitHubFailure } from './github-errors';
import { type GitHubApi, splitRepo } from './github';
import type { WaitForGitHubWriteSlot } from './github-records';

export interface GitHubBuildOptions {
  /** How often waits poll GitHub. @default 5000 */
  pollIntervalMs?: number;
  /** How long to look for a dispatched run that the server did not name (older servers). @default 60000 */
  findRunTimeoutMs?: number;
}

export interface VerifyBuildInput {
  repo: string;
  version: string;
  image: string;
  /** Check run names that must be present and green; others that exist must be green too. @default [] */
  requiredChecks?: string[];
  /** How long checks may stay pending (or required ones missing) before the gate fails. @default 0 (look once) */
  pendingDeadlineMs?: number;
  /** Judge only the `requiredChecks` (config `requireGreenCi: false`); other check runs are not looked at. @default false */
  onlyRequiredChecks?: boolean;
  /**
   * The GitHub Actions workflow run (in `repo`) that started the release: its jobs are check runs
   * on the commit, the one waiting for this release among them, so the check runs of its check
   * suite are left out (one read of the run). Absent: every check run of the commit counts.
   */
  startedBy?: { runId: number; runAttempt?: number };
}

export interface VerifyBuildResult {
  /** The check runs judged green. */
  checks: string[];
  /** Check runs of the workflow run that started the release, left out, as `name (status)`. */
  notJudged?: string[];
}

export interface CheckReleaseBranchInput {
  repo: string;
  version: string;
  /** @default "main" */
  branch?: string;
}

export interface DispatchBuildInput {
  repo: string;
  /** Workflow file name (`build.yml`) or id. */
  workflow: string;
  /** Branch or tag the workflow runs from (GitHub refuses a SHA here); the commit goes in the inputs. */
  ref: string;
  version: string;
  releaseId: string;
}

export interface DispatchBuildResult {
  runId: number;
  url: string;
  /** The `runway_id` input the run carries. */
  correlationId: string;
  /** False when a run for this release already existed (a retry), so nothing was dispatched. */
  dispatched: boolean;
}

export interface WaitForBuildInput {
  repo: string;
  runId: number;
  version: string;
  /** The image the release would use without a build output (`<repository>:<sha>` or --image). */
  image: string;
  /** Template of the image the build pushes: `{{image}}`, `{{version}}`, `{{runId}}`, `{{runNumber}}`. @default "{{image}}" */
  imageOutput?: string;
  timeoutMs: number;
}

export interface BuildResult {
  image: string;
  runId: number;
  conclusion: string;
  url: string;
}

const GREEN = ['success', 'neutral', 'skipped'];

interface CheckRun {
  name: string;
  status: string;
  conclusion: string | null;
  check_suite?: { id: number } | null;
}

export interface ChecksVerdict {
  failed: string[];
  pending: string[];
  missing: string[];
}

/** Failed, still-running and missing required checks, each as `name (state)`. */
export function judgeChecks(runs: CheckRun[], required: string[]): ChecksVerdict {
  const failed = runs.filter((r) => r.status === 'completed' && !GREEN.includes(r.conclusion ?? '')).map((r) => `${r.name} (${r.conclusion})`);
  const pending = runs.filter((r) => r.status !== 'completed').map((r) => `${r.name} (${r.status})`);
  const missing = required.filter((name) => !runs.some((r) => r.name === name));
  return { failed, pending, missing };
}

/** The `runway_id` input of a build: the release id plus its run, so a re-run of the same release id builds anew. */
export function buildCorrelationId(releaseId: string, workflowRunId: string): string {
  return `${releaseId}.${workflowRunId.slice(0, 8)}`;
}

function renderImage(template: string | undefined, values: Record<string, string>): string {
  return (template ?? '{{image}}').replace(/\{\{(\w+)\}\}/g, (whole, key: string) => values[key] ?? whole);
}

/** GitHub answered with a client error (4xx, rate limits included), so it certainly did not dispatch. */
function refusedByGitHub(err: unknown): boolean {
  const e = err as { status?: number; response?: unknown };
  // Octokit reports a network failure as status 500 without a response: that is not an answer.
  return e.response !== undefined && typeof e.status === 'number' && e.status >= 400 && e.status < 500;
}

/** An older GitHub refusing the `return_run_details` field (so the dispatch did not happen). */
function refusedRunDetails(err: unknown): boolean {
  const e = err as { status?: number; message?: string };
  return (e.status === 400 || e.status === 422) && /return_run_details/.test(e.message ?? '');
}

export function createGitHubBuildActivities({
  github,
  options = {},
  waitForWriteSlot,
}: {
  github: GitHubApi;
  options?: GitHubBuildOptions;
  /** The installation's shared write budget (activities/github-records.ts); absent, dispatches are paced by this worker's client only. */
  waitForWriteSlot?: WaitForGitHubWriteSlot;
}) {
  const pollIntervalMs = options.pollIntervalMs ?? 5000;
  const findRunTimeoutMs = options.findRunTimeoutMs ?? 60_000;
  const actionsRead = (repo: string, action: string, workflow?: string) => ({
    action,
    repo,
    permission: GitHubPermission.actionsRead,
    notFoundHint: workflow ? `workflow ${workflow}` : undefined,
  });

  const listCheckRuns = async (input: VerifyBuildInput): Promise<CheckRun[]> => {
    const call = { action: `reading CI checks of ${input.version}`, repo: input.repo, permission: GitHubPermission.checks, notFoundHint: `commit ${input.version}` };
    const runs: CheckRun[] = [];
    for (let page = 1; page <= 10; page++) {
      const { data } = await callGitHub(call, () =>
        github.rest.checks.listForRef({ ...splitRepo(input.repo), ref: input.version, filter: 'latest', per_page: 100, page }),
      );
      runs.push(...data.check_runs);
      if (runs.length >= data.total_count || data.check_runs.length === 0) break;
    }
    return runs;
  };

  /**
   * The check suite of the workflow run that started the release (of its attempt, when known):
   * its check runs are that run's jobs, the one running `runway start --wait` included.
   */
  const startingRunSuite = async (input: VerifyBuildInput): Promise<{ suiteId: number; what: string } | undefined> => {
    if (!input.startedBy) return undefined;
    const { runId, runAttempt } = input.startedBy;
    const what = `workflow run ${runId}${runAttempt ? ` (attempt ${runAttempt})` : ''}, which started this release`;
    const call = { ...actionsRead(input.repo, `reading ${what}`), notFoundHint: `workflow run ${runId}` };
    const where = { ...splitRepo(input.repo), run_id: runId };
    const { data: run } = await callGitHub(call, () =>
      runAttempt ? github.rest.actions.getWorkflowRunAttempt({ ...where, attempt_number: runAttempt }) : github.rest.actions.getWorkflowRun(where),
    );
    if (run.check_suite_id === undefined || run.check_suite_id === null) {
      throw nonRetryable(`${call.action} in ${input.repo}: GitHub did not say which check suite the run belongs to (no check_suite_id), so its own check runs cannot be told apart`, FailureType.buildNotReady, { runId });
    }
    return { suiteId: Number(run.check_suite_id), what };
  };

  /** The newest run of `workflow` whose name carries the correlation id (the build's run-name). */
  const findRun = async (input: DispatchBuildInput, correlationId: string) => {
    const { data } = await callGitHub(actionsRead(input.repo, `looking for the build run of ${input.releaseId}`, input.workflow), () =>
      github.rest.actions.listWorkflowRuns({ ...splitRepo(input.repo), workflow_id: input.workflow, event: 'workflow_dispatch', per_page: 100 }),
    );
    return data.workflow_runs.find((r) => (r.display_title ?? '').includes(correlationId) || (r.name ?? '').includes(correlationId));
  };

  return {
    /** CI already built the image: the commit's check runs must all succeed, and required ones exist. */
    async verifyBuild(input: VerifyBuildInput): Promise<VerifyBuildResult> {
      const ctx = Context.current();
      const required = input.requiredChecks ?? [];
      const startedAt = (ctx.info.heartbeatDetails as { startedAt?: number } | undefined)?.startedAt ?? Date.now();
      const deadline = startedAt + (input.pendingDeadlineMs ?? 0);
      const where = `${input.repo}@${input.version}`;
      const own = await startingRunSuite(input);
      for (;;) {
        const all = await listCheckRuns(input);
        const isOwn = (r: CheckRun) => own !== undefined && r.check_suite?.id !== undefined && Number(r.check_suite?.id) === own.suiteId;
        const runs = all.filter((r) => !isOwn(r) && (!input.onlyRequiredChecks || required.includes(r.name)));
        const notJudged = all.filter(isOwn).map((r) => `${r.name} (${r.status})`);
        const { failed, pending, missing } = judgeChecks(runs, required);
        if (failed.length > 0) throw nonRetryable(`CI checks failed for ${where}: ${failed.join(', ')}`, FailureType.buildNotReady, { failed });
        if (runs.length > 0 && pending.length === 0 && missing.length === 0) {
          return { checks: runs.map((r) => r.name), ...(notJudged.length > 0 ? { notJudged } : {}) };
        }
        const remaining = deadline - Date.now();
        if (remaining <= 0) {
          const problems = [
            pending.length > 0 ? `still pending: ${pending.join(', ')}` : '',
            missing.length > 0 ? `required but missing: ${missing.join(', ')}` : '',
            runs.length === 0 && missing.length === 0 ? `no check runs ${own ? 'besides its own ' : ''}at all (was ${input.image} built?)` : '',
            own && notJudged.length > 0 ? `not judged: ${notJudged.join(', ')} of ${own.what}` : '',
          ].filter(Boolean);
          const waited = input.pendingDeadlineMs ? ` after waiting ${input.pendingDeadlineMs < 1000 ? `${input.pendingDeadlineMs} ms` : `${Math.round(input.pendingDeadlineMs / 1000)} s`}` : '';
          throw nonRetryable(`CI not green for ${where}${waited}: ${problems.join('; ')}`, FailureType.buildNotReady, { pending, missing });
        }
        heartbeat({ startedAt, pending, missing });
        await ctx.sleep(Math.min(pollIntervalMs, remaining));
      }
    },

    /** The commit must be on the release branch: compare says the branch contains it (identical or behind). */
    async checkReleaseBranch(input: CheckReleaseBranchInput): Promise<{ branch: string; status: string }> {
      const branch = input.branch ?? 'main';
      const call = { action: `checking ${input.version} is on ${branch}`, repo: input.repo, permission: GitHubPermission.contents, notFoundHint: `branch ${branch} or commit ${input.version}` };
      const { data } = await callGitHub(call, () =>
        github.rest.repos.compareCommitsWithBasehead({ ...splitRepo(input.repo), basehead: `${branch}...${input.version}`, per_page: 1 }),
      );
      if (data.status === 'identical' || data.status === 'behind') return { branch, status: data.status };
      throw nonRetryable(
        `release-branch rule: commit ${input.version} is not on ${branch} of ${input.repo} (compare ${branch}...${input.version}: ${data.status}, ${data.ahead_by} commit(s) not on ${branch}); merge it first`,
        GitHubFailureType.notOnReleaseBranch,
        { branch, status: data.status, aheadBy: data.ahead_by },
      );
    },

    /**
     * Dispatches the build workflow for the commit, at most once per release run: an existing
     * run carrying the correlation id is reused. Newer GitHub returns the run id
     * (`return_run_details`); otherwise the run is found by the correlation id in its name.
     *
     * Before sending, the attempt heartbeats `dispatchedAt`: from then on a later attempt cannot
     * know whether GitHub got the dispatch, so it never sends another one; it looks for the run
     * and fails for good when the run does not show up. Only a 4xx answer (GitHub refused, e.g.
     * a rate limit) clears the mark, so a retry after a refusal dispatches normally.
     */
    async dispatchBuild(input: DispatchBuildInput): Promise<DispatchBuildResult> {
      const ctx = Context.current();
      const correlationId = buildCorrelationId(input.releaseId, ctx.info.workflowExecution?.runId ?? '');
      const found = (run: { id: number; html_url: string }) => ({ runId: run.id, url: run.html_url, correlationId });
      const earlier = await findRun(input, correlationId);
      if (earlier) return { ...found(earlier), dispatched: false };

      const resumed = ctx.info.heartbeatDetails as { dispatchedAt?: number } | undefined;
      if (resumed?.dispatchedAt) {
        // A previous attempt sent (or may have sent) the dispatch: give its run time to appear, never send another.
        const late = await pollForRun(resumed.dispatchedAt);
        if (late) return { ...found(late), dispatched: false };
        throw runNotFound(resumed.dispatchedAt, 'an earlier attempt');
      }

      // A dispatch is a content-creating write: it takes its turn in the budget every worker shares.
      await waitForWriteSlot?.(`dispatching ${input.workflow} for ${input.releaseId}`);
      const dispatchedAt = Date.now();
      heartbeat({ dispatchedAt });
      const dispatchCall = { action: `dispatching ${input.workflow} for ${input.version}`, repo: input.repo, permission: GitHubPermission.actionsWrite, notFoundHint: `workflow ${input.workflow}` };
      // No in-call retries: a resent dispatch after a lost answer could start a second build.
      const request = { ...splitRepo(input.repo), workflow_id: input.workflow, ref: input.ref, inputs: { runway_id: correlationId, commit: input.version }, request: { retries: 0 } };
      try {
        try {
          const res = await github.rest.actions.createWorkflowDispatch({ ...request, return_run_details: true });
          const details = res.data as { workflow_run_id?: number; html_url?: string } | undefined;
          if (details?.workflow_run_id !== undefined) return { runId: Number(details.workflow_run_id), url: details.html_url ?? '', correlationId, dispatched: true };
        } catch (err) {
          if (!refusedRunDetails(err)) throw err;
          await github.rest.actions.createWorkflowDispatch(request);
        }
      } catch (err) {
        if (refusedByGitHub(err)) heartbeat({ refusedAt: Date.now() });
        throw gitHubFailure(err, dispatchCall);
      }
      const run = await pollForRun(dispatchedAt);
      if (!run) throw runNotFound(dispatchedAt, 'this attempt');
      return { ...found(run), dispatched: true };

      async function pollForRun(since: number) {
        for (;;) {
          const run = await findRun(input, correlationId);
          if (run) return run;
          const left = since + findRunTimeoutMs - Date.now();
          if (left <= 0) return undefined;
          heartbeat({ dispatchedAt: since });
          await ctx.sleep(Math.min(pollIntervalMs, left));
        }
      }

      function runNotFound(since: number, who: string) {
        return nonRetryable(
          `the dispatched run of ${input.workflow} in ${input.repo} for ${input.version} could not be found: ${who} dispatched it at ${new Date(since).toISOString()}, ` +
            `but no run named with runway id ${correlationId} appeared within ${findRunTimeoutMs / 1000} s; not dispatching again. ` +
            'The build workflow must declare `run-name: build ${{ inputs.runway_id }}` (and accept the runway_id and commit inputs)',
          GitHubFailureType.buildRunNotFound,
          { correlationId, dispatchedAt: since },
        );
      }
    },

    /**
     * Waits for a build run to complete, heartbeating its id; a retry (after a worker crash)
     * carries on with the same run and the same deadline. Anything but success fails for good,
     * naming the run.
     */
    async waitForBuild(input: WaitForBuildInput): Promise<BuildResult> {
      const ctx = Context.current();
      const resumed = ctx.info.heartbeatDetails as { runId?: number; startedAt?: number } | undefined;
      const startedAt = resumed?.runId === input.runId && resumed.startedAt ? resumed.startedAt : Date.now();
      for (;;) {
        const { data: run } = await callGitHub(actionsRead(input.repo, `reading build run ${input.runId}`), () =>
          github.rest.actions.getWorkflowRun({ ...splitRepo(input.repo), run_id: input.runId }),
        );
        if (run.status === 'completed') {
          const conclusion = run.conclusion ?? 'unknown';
          if (conclusion !== 'success') {
            throw nonRetryable(`build ${run.html_url} ended ${conclusion}`, GitHubFailureType.buildFailed, { runId: input.runId, conclusion, url: run.html_url });
          }
          const values = { image: input.image, version: input.version, runId: String(run.id), runNumber: String(run.run_number) };
          return { image: renderImage(input.imageOutput, values), runId: run.id, conclusion, url: run.html_url };
        }
        const remaining = startedAt + input.timeoutMs - Date.now();
        if (remaining <= 0) {
          throw nonRetryable(`build ${run.html_url} still ${run.status} after ${Math.round(input.timeoutMs / 1000)} s`, GitHubFailureType.buildTimedOut, { runId: input.runId });
        }
        heartbeat({ runId: input.runId, startedAt, status: run.status });
        await ctx.sleep(Math.min(pollIntervalMs, remaining));
      }
    },
  };
}

export type GitHubBuildActivities = ReturnType<typeof createGitHubBuildActivities>;
