/**
 * GitHub Actions in the GitHub emulator: workflow_dispatch creates a run that moves from queued
 * to in_progress to completed with the conclusion the scenario scripts for its `commit` input.
 * Status is computed from the clock when read, so a run progresses without timers.
 *
 * The run's `display_title` stands for the `run-name` of a build workflow that names its runs
 * after the `runway_id` input (`run-name: build ${{ inputs.runway_id }}`), which is how Runway
 * finds a run on servers that do not return its id.
 *
 * Besides dispatched runs, the scenario's `ciRuns` are runs CI started (a push ran the release
 * workflow): read, listed, their attempts and jobs, like dispatched ones. As on GitHub, a run has
 * a `check_suite_id`, each of its jobs is a check run (`check_run_url`; the job id is the check
 * run id) in that suite, and the jobs of a CI run appear among its commit's check runs.
 */
import { z } from 'zod';
import { DEFAULT_BUILD, type GitHubScenario, type ScriptedWorkflowRun } from './scenario';
import { type GitHubReply, NOT_FOUND, repositoryWire, SANDBOX_COMMITTER, shaOf, validationFailed } from './wire';

export interface WorkflowRun {
  id: number;
  repo: string;
  workflow: string;
  workflowId: number;
  runNumber: number;
  ref: string;
  inputs: Record<string, unknown>;
  createdAt: number;
  durationMs: number;
  conclusion: string;
}

const dispatchSchema = z.looseObject({
  ref: z.string().min(1),
  inputs: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  return_run_details: z.boolean().optional(),
});

const WORKFLOW_FILE = /^[\w.-]+\.ya?ml$/;

/** One job of a run, as the jobs list shows it and as a check run on the commit. */
export interface RunJob {
  /** The job id, which is also its check run's id. */
  id: number;
  name: string;
  status: 'queued' | 'in_progress' | 'completed';
  conclusion: string | null;
  headSha: string;
  checkSuiteId: number;
  runId: number;
  runAttempt: number;
  startedAt: number;
  completedAt: number | null;
}

/** A run as the wire shows it, whoever started it. */
interface RunView {
  id: number;
  repo: string;
  workflow: string;
  workflowId: number;
  runNumber: number;
  headBranch: string;
  headSha: string;
  event: string;
  attempt: number;
  status: 'queued' | 'in_progress' | 'completed';
  conclusion: string | null;
  createdAt: number;
  updatedAt: number;
  displayTitle: string;
  checkSuiteId: number;
  jobs: RunJob[];
}

/** A CI run's check suite unless the scenario names one: never the run id itself. */
const defaultCheckSuiteId = (runId: number) => 2 * runId + 1;
/** Job (and check run) ids: the run id times 100 plus the job's place. */
const jobId = (runId: number, index: number) => runId * 100 + index + 1;

/** List filters GitHub offers, by query parameter, and the run field each compares. */
const QUERY_FILTERS = { event: 'event', branch: 'head_branch', head_sha: 'head_sha', status: 'status' } as const;

export class GitHubRuns {
  private readonly runs: WorkflowRun[] = [];
  private readonly workflowIds = new Map<string, number>();
  /** When each CI run was first read, so its times stay put. */
  private readonly ciRunSeen = new Map<string, number>();

  constructor(
    private readonly deps: { now: () => number; nextId: () => number },
  ) {}

  /** `POST .../actions/workflows/{workflow}/dispatches`: 204, or 200 with the run when asked and supported. */
  dispatch(repo: string, workflow: string, body: unknown, base: string, scenario: GitHubScenario): GitHubReply {
    const file = this.workflowFile(repo, workflow);
    if (!file) return NOT_FOUND;
    const parsed = dispatchSchema.safeParse(body);
    if (!parsed.success) return validationFailed(parsed.error, 'WorkflowDispatch');
    const input = parsed.data;
    if (input.return_run_details !== undefined && scenario.dispatchRunDetails === false) {
      // What servers from before run details answer for an unknown key.
      return { status: 422, body: { message: 'Invalid request.\n\n"return_run_details" is not a permitted key.', documentation_url: 'https://docs.github.com/rest' } };
    }
    const inputs = input.inputs ?? {};
    const outcome = scenario.builds?.[String(inputs.commit ?? '')] ?? {};
    const run: WorkflowRun = {
      id: this.deps.nextId(),
      repo,
      workflow: file,
      workflowId: this.workflowIdOf(repo, file),
      runNumber: this.runs.filter((r) => r.repo === repo && r.workflow === file).length + 1,
      ref: input.ref,
      inputs,
      createdAt: this.deps.now(),
      durationMs: outcome.durationMs ?? DEFAULT_BUILD.durationMs,
      conclusion: outcome.conclusion ?? DEFAULT_BUILD.conclusion,
    };
    this.runs.push(run);
    if (!input.return_run_details) return { status: 204 };
    const wire = toWire(this.dispatchedView(run), base);
    return { status: 200, body: { workflow_run_id: run.id, run_url: wire.url, html_url: wire.html_url } };
  }

  /** `GET .../actions/workflows/{workflow}/runs` or, without a workflow, `GET .../actions/runs`; newest first. */
  list(repo: string, workflow: string | undefined, query: URLSearchParams, base: string, scenario: GitHubScenario): GitHubReply {
    const file = workflow === undefined ? undefined : this.workflowFile(repo, workflow);
    if (workflow !== undefined && !file) return NOT_FOUND;
    const all = this.views(repo, scenario)
      .filter((r) => file === undefined || r.workflow === file)
      .sort((a, b) => a.createdAt - b.createdAt)
      .map((r) => toWire(r, base))
      .filter((r) => (Object.entries(QUERY_FILTERS) as [string, keyof typeof r][]).every(([q, field]) => !query.get(q) || query.get(q) === r[field]))
      .filter((r) => createdFilter(query.get('created'))(r.created_at))
      .reverse();
    const perPage = Math.min(100, Math.max(1, Number(query.get('per_page') ?? 30) || 30));
    const page = Math.max(1, Number(query.get('page') ?? 1) || 1);
    return { status: 200, body: { total_count: all.length, workflow_runs: all.slice((page - 1) * perPage, page * perPage) } };
  }

  /** `GET .../actions/runs/{id}`, or with `attempt` `.../attempts/{n}` (an attempt the run has had). */
  get(repo: string, id: number, attempt: number | undefined, base: string, scenario: GitHubScenario): GitHubReply {
    const run = this.view(repo, id, scenario);
    if (!run || (attempt !== undefined && (attempt < 1 || attempt > run.attempt))) return NOT_FOUND;
    return { status: 200, body: toWire(attempt === undefined ? run : { ...run, attempt }, base) };
  }

  /**
   * `GET .../actions/runs/{id}/jobs` (the latest attempt's jobs) or `.../attempts/{n}/jobs`; the
   * sandbox keeps only the current attempt's jobs, so an earlier attempt lists none.
   */
  jobs(repo: string, id: number, attempt: number | undefined, query: URLSearchParams, base: string, scenario: GitHubScenario): GitHubReply {
    const run = this.view(repo, id, scenario);
    if (!run || (attempt !== undefined && (attempt < 1 || attempt > run.attempt))) return NOT_FOUND;
    const jobs = attempt === undefined || attempt === run.attempt ? run.jobs : [];
    const perPage = Math.min(100, Math.max(1, Number(query.get('per_page') ?? 30) || 30));
    const page = Math.max(1, Number(query.get('page') ?? 1) || 1);
    const wire = jobs.slice((page - 1) * perPage, page * perPage).map((j) => jobToWire(j, run, base));
    return { status: 200, body: { total_count: jobs.length, jobs: wire } };
  }

  /** The jobs of the repository's CI runs (the scenario's, not dispatched builds) that are check runs on `sha`. */
  jobsOnCommit(repo: string, sha: string, scenario: GitHubScenario): RunJob[] {
    return Object.entries(scenario.ciRuns ?? {})
      .filter(([, r]) => r.repo.toLowerCase() === repo && r.headSha === sha)
      .flatMap(([id, r]) => this.ciView(Number(id), r).jobs);
  }

  state(): WorkflowRun[] {
    return structuredClone(this.runs);
  }

  /** A workflow file name (any `*.yml`), or the numeric id of one dispatched before. */
  private workflowFile(repo: string, workflow: string): string | undefined {
    if (WORKFLOW_FILE.test(workflow)) return workflow;
    for (const [key, id] of this.workflowIds) if (String(id) === workflow && key.startsWith(`${repo}:`)) return key.slice(repo.length + 1);
    return undefined;
  }

  private workflowIdOf(repo: string, file: string): number {
    const key = `${repo}:${file}`;
    if (!this.workflowIds.has(key)) this.workflowIds.set(key, 1000 + this.workflowIds.size);
    return this.workflowIds.get(key)!;
  }

  /** Dispatched runs and the scenario's CI runs of `repo`. */
  private views(repo: string, scenario: GitHubScenario): RunView[] {
    const ci = Object.entries(scenario.ciRuns ?? {})
      .filter(([, r]) => r.repo.toLowerCase() === repo)
      .map(([id, r]) => this.ciView(Number(id), r));
    return [...this.runs.filter((r) => r.repo === repo).map((r) => this.dispatchedView(r)), ...ci];
  }

  private view(repo: string, id: number, scenario: GitHubScenario): RunView | undefined {
    return this.views(repo, scenario).find((r) => r.id === id);
  }

  /** A dispatched build: queued for its first fifth, then in progress, then completed; one job, "build". */
  private dispatchedView(run: WorkflowRun): RunView {
    const elapsed = this.deps.now() - run.createdAt;
    const status = elapsed >= run.durationMs ? 'completed' : elapsed >= run.durationMs / 5 ? 'in_progress' : 'queued';
    const conclusion = status === 'completed' ? run.conclusion : null;
    const name = run.workflow.replace(/\.ya?ml$/, '');
    const runwayId = run.inputs.runway_id;
    const checkSuiteId = defaultCheckSuiteId(run.id);
    const headSha = shaOf(run.ref);
    const updatedAt = run.createdAt + Math.min(elapsed, run.durationMs);
    const job: RunJob = {
      id: jobId(run.id, 0),
      name: 'build',
      status,
      conclusion,
      headSha,
      checkSuiteId,
      runId: run.id,
      runAttempt: 1,
      startedAt: run.createdAt,
      completedAt: status === 'completed' ? updatedAt : null,
    };
    return {
      id: run.id,
      repo: run.repo,
      workflow: run.workflow,
      workflowId: run.workflowId,
      runNumber: run.runNumber,
      headBranch: run.ref,
      headSha,
      event: 'workflow_dispatch',
      attempt: 1,
      status,
      conclusion,
      createdAt: run.createdAt,
      updatedAt,
      displayTitle: runwayId === undefined ? name : `${name} ${String(runwayId)}`,
      checkSuiteId,
      jobs: [job],
    };
  }

  /** A CI run from the scenario: in progress while any job is pending, else completed (failure if any job did not pass). */
  private ciView(id: number, run: ScriptedWorkflowRun): RunView {
    const repo = run.repo.toLowerCase();
    const workflow = run.workflow ?? 'release.yml';
    const key = `${repo}:${id}`;
    if (!this.ciRunSeen.has(key)) this.ciRunSeen.set(key, this.deps.now());
    const createdAt = this.ciRunSeen.get(key)!;
    const attempt = run.attempt ?? 1;
    const checkSuiteId = run.checkSuiteId ?? defaultCheckSuiteId(id);
    const jobs: RunJob[] = run.jobs.map((j, i) => {
      const done = j.conclusion !== 'pending';
      return {
        id: jobId(id, i),
        name: j.name,
        status: done ? 'completed' : 'in_progress',
        conclusion: done ? j.conclusion : null,
        headSha: run.headSha,
        checkSuiteId,
        runId: id,
        runAttempt: attempt,
        startedAt: createdAt,
        completedAt: done ? createdAt : null,
      };
    });
    const running = jobs.some((j) => j.status !== 'completed');
    const passed = jobs.every((j) => ['success', 'neutral', 'skipped'].includes(j.conclusion ?? ''));
    return {
      id,
      repo,
      workflow,
      workflowId: this.workflowIdOf(repo, workflow),
      runNumber: 1,
      headBranch: 'main',
      headSha: run.headSha,
      event: run.event ?? 'push',
      attempt,
      status: running ? 'in_progress' : 'completed',
      conclusion: running ? null : passed ? 'success' : 'failure',
      createdAt,
      updatedAt: createdAt,
      displayTitle: workflow.replace(/\.ya?ml$/, ''),
      checkSuiteId,
      jobs,
    };
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

function toWire(run: RunView, base: string) {
  const repoUrl = `${base}/repos/${run.repo}`;
  const url = `${repoUrl}/actions/runs/${run.id}`;
  return {
    id: run.id,
    name: run.workflow.replace(/\.ya?ml$/, ''),
    display_title: run.displayTitle,
    node_id: `WFR_sandbox${run.id}`,
    check_suite_id: run.checkSuiteId,
    check_suite_node_id: `CS_sandbox${run.checkSuiteId}`,
    head_branch: run.headBranch,
    head_sha: run.headSha,
    path: `.github/workflows/${run.workflow}`,
    run_number: run.runNumber,
    run_attempt: run.attempt,
    event: run.event,
    status: run.status,
    conclusion: run.conclusion,
    workflow_id: run.workflowId,
    url,
    html_url: `${base}/html/${run.repo}/actions/runs/${run.id}`,
    pull_requests: [],
    created_at: iso(run.createdAt),
    updated_at: iso(run.updatedAt),
    run_started_at: iso(run.createdAt),
    jobs_url: `${url}/jobs`,
    logs_url: `${url}/logs`,
    check_suite_url: `${repoUrl}/check-suites/${run.checkSuiteId}`,
    artifacts_url: `${url}/artifacts`,
    cancel_url: `${url}/cancel`,
    rerun_url: `${url}/rerun`,
    previous_attempt_url: run.attempt > 1 ? `${url}/attempts/${run.attempt - 1}` : null,
    workflow_url: `${repoUrl}/actions/workflows/${run.workflowId}`,
    head_commit: {
      id: run.headSha,
      tree_id: shaOf(`tree:${run.headSha}`),
      message: `commit ${run.headSha.slice(0, 7)}`,
      timestamp: iso(run.createdAt),
      author: SANDBOX_COMMITTER,
      committer: SANDBOX_COMMITTER,
    },
    repository: repositoryWire(run.repo, base),
    head_repository: repositoryWire(run.repo, base),
  };
}

function jobToWire(job: RunJob, run: RunView, base: string) {
  const repoUrl = `${base}/repos/${run.repo}`;
  return {
    id: job.id,
    run_id: run.id,
    run_url: `${repoUrl}/actions/runs/${run.id}`,
    run_attempt: job.runAttempt,
    node_id: `CR_sandbox${job.id}`,
    head_sha: job.headSha,
    url: `${repoUrl}/actions/jobs/${job.id}`,
    html_url: `${base}/html/${run.repo}/actions/runs/${run.id}/job/${job.id}`,
    status: job.status,
    conclusion: job.conclusion,
    created_at: iso(job.startedAt),
    started_at: iso(job.startedAt),
    completed_at: job.completedAt === null ? null : iso(job.completedAt),
    name: job.name,
    steps: [],
    check_run_url: `${repoUrl}/check-runs/${job.id}`,
    labels: ['ubuntu-latest'],
    runner_id: null,
    runner_name: null,
    runner_group_id: null,
    runner_group_name: null,
    workflow_name: run.workflow.replace(/\.ya?ml$/, ''),
    head_branch: run.headBranch,
  };
}

/** GitHub's `created` filter: `>=`, `<=`, `>`, `<` an ISO date, or `a..b`; anything else matches all. */
function createdFilter(spec: string | null): (createdAt: string) => boolean {
  if (!spec) return () => true;
  const range = /^(.+)\.\.(.+)$/.exec(spec);
  if (range) return (c) => Date.parse(c) >= Date.parse(range[1]!) && Date.parse(c) <= Date.parse(range[2]!);
  const cmp = /^(>=|<=|>|<)(.+)$/.exec(spec);
  if (!cmp) return () => true;
  const at = Date.parse(cmp[2]!);
  const ops: Record<string, (c: number) => boolean> = { '>=': (c) => c >= at, '<=': (c) => c <= at, '>': (c) => c > at, '<': (c) => c < at };
  return (c) => ops[cmp[1]!]!(Date.parse(c));
}
