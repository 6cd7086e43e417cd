/**
 * Check runs of a commit in the GitHub emulator (`GET .../commits/{ref}/check-runs`), for the
 * build gate. By default a commit has two runs, "build" (green) and "test" (as the scenario's
 * `checks` says); `github.checkRuns` scripts a commit's runs instead, re-runs included.
 * Like GitHub: `filter=latest` (the default) keeps the newest run of each name, `filter=all`
 * keeps every run; `check_name` and `status` filter; `per_page` (≤ 100, default 30) and `page`
 * page; `total_count` counts all matches, not only the page.
 */
import type { CheckConclusion } from '../scenario';
import type { ScriptedCheckRun } from './scenario';
import { type GitHubReply, shaOf } from './wire';

const DEFAULT_CHECK_NAMES = ['build', 'test'] as const;

/** `conclusion` is a completed run's; `pending` stands for a run still in progress. */
function defaultRuns(testConclusion: CheckConclusion): ScriptedCheckRun[] {
  return DEFAULT_CHECK_NAMES.map((name) => ({ name, conclusion: name === 'test' ? testConclusion : 'success' }));
}

export function checkRunsReply(
  ref: string,
  query: URLSearchParams,
  deps: { scripted?: ScriptedCheckRun[]; testConclusion: CheckConclusion; now: number },
): GitHubReply {
  const at = new Date(deps.now).toISOString();
  const sha = shaOf(ref);
  // Scripted runs are listed oldest first; ids follow that order, so "newest" is the highest id.
  const runs = (deps.scripted ?? defaultRuns(deps.testConclusion)).map((scripted, i) => {
    const done = scripted.conclusion !== 'pending';
    return {
      id: i + 1,
      name: scripted.name,
      head_sha: sha,
      status: done ? 'completed' : 'in_progress',
      conclusion: done ? scripted.conclusion : null,
      started_at: at,
      completed_at: done ? at : null,
      output: { title: scripted.name, summary: `${scripted.name} ${done ? scripted.conclusion : 'running'}`, text: null, annotations_count: 0 },
      app: { id: 15368, slug: 'github-actions', name: 'GitHub Actions' },
      pull_requests: [],
    };
  });
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
