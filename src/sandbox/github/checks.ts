/**
 * Check runs of a commit in the GitHub emulator (`GET .../commits/{ref}/check-runs`), for the
 * build gate. By default a commit has two runs, "build" (green) and "test" (as the scenario's
 * `checks` says); `github.checkRuns` scripts a commit's runs instead, re-runs included.
 * Like GitHub: `filter=latest` (the default) keeps the newest run of each name, `filter=all`
 * keeps every run; `check_name` and `status` filter; `per_page` (≤ 100, default 30) and `page`
 * page; `total_count` counts all matches, not only the page.
 *
 * Every check run names its check suite (`check_suite: { id }`): the commit's own runs share one
 * suite (its CI), and the jobs of the scenario's CI workflow runs (runs.ts) follow them, each in
 * its run's suite, the way GitHub Actions reports a job as a check run.
 */
import type { CheckConclusion } from '../scenario';
import type { RunJob } from './runs';
import type { ScriptedCheckRun } from './scenario';
import { actionsAppWire, type GitHubReply, shaOf } from './wire';

const DEFAULT_CHECK_NAMES = ['build', 'test'] as const;

/** `conclusion` is a completed run's; `pending` stands for a run still in progress. */
function defaultRuns(testConclusion: CheckConclusion): ScriptedCheckRun[] {
  return DEFAULT_CHECK_NAMES.map((name) => ({ name, conclusion: name === 'test' ? testConclusion : 'success' }));
}

/** The suite of a commit's own check runs: derived from the SHA, even (a CI run's default suite id is odd). */
const commitSuiteId = (sha: string) => 2 * parseInt(sha.slice(0, 7), 16) + 2;

export function checkRunsReply(
  ref: string,
  query: URLSearchParams,
  deps: { scripted?: ScriptedCheckRun[]; testConclusion: CheckConclusion; now: number; jobs: RunJob[]; repo: string; base: string },
): GitHubReply {
  const at = new Date(deps.now).toISOString();
  const sha = shaOf(ref);
  const repoUrl = `${deps.base}/repos/${deps.repo}`;
  const htmlRepoUrl = `${deps.base}/html/${deps.repo}`;
  type Run = { id: number; name: string; conclusion: string | null; suite: number; startedAt: string; completedAt: string | null; detailsUrl: string | null };
  const wire = (run: Run) => ({
    id: run.id,
    name: run.name,
    node_id: `CR_sandbox${run.id}`,
    external_id: '',
    url: `${repoUrl}/check-runs/${run.id}`,
    html_url: `${htmlRepoUrl}/runs/${run.id}`,
    details_url: run.detailsUrl,
    head_sha: sha,
    status: run.conclusion === null ? 'in_progress' : 'completed',
    conclusion: run.conclusion,
    started_at: run.startedAt,
    completed_at: run.completedAt,
    output: { title: run.name, summary: `${run.name} ${run.conclusion ?? 'running'}`, text: null, annotations_count: 0, annotations_url: `${repoUrl}/check-runs/${run.id}/annotations` },
    check_suite: { id: run.suite },
    app: actionsAppWire(deps.base),
    pull_requests: [],
  });
  // Scripted runs are listed oldest first; ids follow that order, so "newest" is the highest id.
  // Jobs of CI runs come after (their ids are far higher): they started once CI had run.
  const runs = [
    ...(deps.scripted ?? defaultRuns(deps.testConclusion)).map((scripted, i) => {
      const conclusion = scripted.conclusion === 'pending' ? null : scripted.conclusion;
      return wire({ id: i + 1, name: scripted.name, conclusion, suite: commitSuiteId(sha), startedAt: at, completedAt: conclusion === null ? null : at, detailsUrl: null });
    }),
    ...deps.jobs.map((job) =>
      wire({
        id: job.id,
        name: job.name,
        conclusion: job.conclusion,
        suite: job.checkSuiteId,
        startedAt: new Date(job.startedAt).toISOString(),
        completedAt: job.completedAt === null ? null : new Date(job.completedAt).toISOString(),
        detailsUrl: `${htmlRepoUrl}/actions/runs/${job.runId}/job/${job.id}`,
      }),
    ),
  ];
  const latestOnly = (query.get('filter') ?? 'latest') === 'latest';
  const newestId = new Map<string, number>();
  for (const r of runs) newestId.set(r.name, Math.max(r.id, newestId.get(r.name) ?? 0));
  const matching = runs
    .filter((r) => !latestOnly || newestId.get(r.name) === r.id)
    .filter((r) => (query.get('check_name') ?? r.name) === r.name && (query.get('status') ?? r.status) === r.status);
  const perPage = Math.min(100, Math.max(1, Number(query.get('per_page') ?? 30) || 30));
  const page = Math.max(1, Number(query.get('page') ?? 1) || 1);
  return { status: 200, body: { total_count: matching.length, check_runs: matching.slice((page - 1) * perPage, page * perPage) } };
}
