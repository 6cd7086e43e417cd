/**
 * GitHub Actions in the GitHub emulator: workflow_dispatch creates a run that moves from queued
 * to in_progress to completed with the conclusion the scenario scripts for its `commit` input.
 * Status is computed from the clock when read, so a run progresses without timers.
 *
 * The run's `display_title` stands for the `run-name` of a build workflow that names its runs
 * after the `runway_id` input (`run-name: build ${{ inputs.runway_id }}`), which is how Runway
 * finds a run on servers that do not return its id.
 */
import { z } from 'zod';
import { DEFAULT_BUILD, type GitHubScenario } from './scenario';
import { type GitHubReply, NOT_FOUND, shaOf, validationFailed } from './wire';

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

/** List filters GitHub offers, by query parameter, and the run field each compares. */
const QUERY_FILTERS = { event: 'event', branch: 'head_branch', head_sha: 'head_sha', status: 'status' } as const;

export class GitHubRuns {
  private readonly runs: WorkflowRun[] = [];
  private readonly workflowIds = new Map<string, number>();

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
    const wire = this.toWire(run, base);
    return { status: 200, body: { workflow_run_id: run.id, run_url: wire.url, html_url: wire.html_url } };
  }

  /** `GET .../actions/workflows/{workflow}/runs` or, without a workflow, `GET .../actions/runs`; newest first. */
  list(repo: string, workflow: string | undefined, query: URLSearchParams, base: string): GitHubReply {
    const file = workflow === undefined ? undefined : this.workflowFile(repo, workflow);
    if (workflow !== undefined && !file) return NOT_FOUND;
    const all = this.runs
      .filter((r) => r.repo === repo && (file === undefined || r.workflow === file))
      .map((r) => this.toWire(r, base))
      .filter((r) => (Object.entries(QUERY_FILTERS) as [string, keyof typeof r][]).every(([q, field]) => !query.get(q) || query.get(q) === r[field]))
      .filter((r) => createdFilter(query.get('created'))(r.created_at))
      .reverse();
    const perPage = Math.min(100, Math.max(1, Number(query.get('per_page') ?? 30) || 30));
    const page = Math.max(1, Number(query.get('page') ?? 1) || 1);
    return { status: 200, body: { total_count: all.length, workflow_runs: all.slice((page - 1) * perPage, page * perPage) } };
  }

  get(repo: string, id: number, base: string): GitHubReply {
    const run = this.runs.find((r) => r.repo === repo && r.id === id);
    return run ? { status: 200, body: this.toWire(run, base) } : NOT_FOUND;
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

  private toWire(run: WorkflowRun, base: string) {
    const elapsed = this.deps.now() - run.createdAt;
    const status = elapsed >= run.durationMs ? 'completed' : elapsed >= run.durationMs / 5 ? 'in_progress' : 'queued';
    const name = run.workflow.replace(/\.ya?ml$/, '');
    const runwayId = run.inputs.runway_id;
    const at = (ms: number) => new Date(ms).toISOString();
    const repoUrl = `${base}/repos/${run.repo}`;
    return {
      id: run.id,
      name,
      display_title: runwayId === undefined ? name : `${name} ${String(runwayId)}`,
      node_id: `WFR_sandbox${run.id}`,
      head_branch: run.ref,
      head_sha: shaOf(run.ref),
      path: `.github/workflows/${run.workflow}`,
      run_number: run.runNumber,
      run_attempt: 1,
      event: 'workflow_dispatch',
      status,
      conclusion: status === 'completed' ? run.conclusion : null,
      workflow_id: run.workflowId,
      url: `${repoUrl}/actions/runs/${run.id}`,
      html_url: `${base}/html/${run.repo}/actions/runs/${run.id}`,
      created_at: at(run.createdAt),
      updated_at: at(run.createdAt + Math.min(elapsed, run.durationMs)),
      run_started_at: at(run.createdAt),
    };
  }
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
