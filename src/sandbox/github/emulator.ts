/**
 * GitHub REST under `/github`: check runs for a commit (the build gate), compare (release
 * branch), Actions workflow dispatch, runs, their attempts and jobs (runs.ts), and deployments with their
 * statuses. JSON in and out, 201 on create, 404 `{message:'Not Found'}` and 422 `Validation
 * Failed` like api.github.com, so Octokit's errors look the same; scripted rate limits and
 * access errors come with GitHub's headers (scenario.ts).
 */
import { z } from 'zod';
import { GitHubAppAuth } from './app-auth';
import { checkRunsReply } from './checks';
import { takeGitHubLatency } from './scenario';
import { isContentCreating, SecondaryLimits } from './secondary-limits';
import { GitHubRuns } from './runs';
import { commitReply, compareReply, DOCS, faultReply, type GitHubReply, NOT_FOUND, shaOf, userWire, validationFailed } from './wire';
import { BadJsonError, isRecord, parseJsonBody, type SandboxRequest, type SandboxResponse } from '../http/route';
import type { ScenarioStore } from '../scenario';

/** The account whose token Runway uses: deployments and their statuses name it as their creator. */
const CREATOR_LOGIN = 'runway-sandbox[bot]';

export interface GitHubDeployment {
  id: number;
  repo: string;
  sha: string;
  ref: string;
  task: string;
  payload: unknown;
  environment: string;
  description: string | null;
  transient_environment: boolean;
  production_environment: boolean;
  created_at: string;
  updated_at: string;
  statuses: GitHubDeploymentStatus[];
}

export interface GitHubDeploymentStatus {
  id: number;
  state: string;
  description: string;
  environment: string;
  log_url: string;
  environment_url: string;
  created_at: string;
}

const createDeploymentSchema = z.looseObject({
  ref: z.string().min(1),
  task: z.string().optional(),
  auto_merge: z.boolean().optional(),
  required_contexts: z.array(z.string()).optional(),
  payload: z.union([z.record(z.string(), z.unknown()), z.string()]).optional(),
  environment: z.string().min(1).optional(),
  description: z.string().nullable().optional(),
  transient_environment: z.boolean().optional(),
  production_environment: z.boolean().optional(),
});

const createStatusSchema = z.looseObject({
  state: z.enum(['error', 'failure', 'inactive', 'in_progress', 'queued', 'pending', 'success']),
  description: z.string().max(140).optional(),
  log_url: z.string().optional(),
  target_url: z.string().optional(),
  environment_url: z.string().optional(),
  environment: z.string().optional(),
  auto_inactive: z.boolean().optional(),
});

const REPO = '/repos/([^/]+)/([^/]+)';
const ROUTES = {
  checkRuns: new RegExp(`^${REPO}/commits/([^/]+)/check-runs$`),
  commit: new RegExp(`^${REPO}/commits/([^/]+)$`),
  compare: new RegExp(`^${REPO}/compare/([^/]+)$`),
  dispatches: new RegExp(`^${REPO}/actions/workflows/([^/]+)/dispatches$`),
  workflowRuns: new RegExp(`^${REPO}/actions/workflows/([^/]+)/runs$`),
  repoRuns: new RegExp(`^${REPO}/actions/runs$`),
  run: new RegExp(`^${REPO}/actions/runs/(\\d+)$`),
  runAttempt: new RegExp(`^${REPO}/actions/runs/(\\d+)/attempts/(\\d+)$`),
  runJobs: new RegExp(`^${REPO}/actions/runs/(\\d+)/jobs$`),
  runAttemptJobs: new RegExp(`^${REPO}/actions/runs/(\\d+)/attempts/(\\d+)/jobs$`),
  deployments: new RegExp(`^${REPO}/deployments$`),
  deployment: new RegExp(`^${REPO}/deployments/(\\d+)$`),
  statuses: new RegExp(`^${REPO}/deployments/(\\d+)/statuses$`),
};

type Reply = GitHubReply;

export class GitHubEmulator {
  private readonly deployments: GitHubDeployment[] = [];
  /** When Runway first named each commit (sha → ms): the made-up commit's date. */
  private readonly firstNamed = new Map<string, number>();
  private nextId = 1;
  private requestCount = 0;
  private readonly secondaryLimits = new SecondaryLimits();
  private readonly runs: GitHubRuns;
  /** GitHub Apps: installation tokens, and which token each API call came with. */
  readonly apps: GitHubAppAuth;

  constructor(private readonly deps: { scenario: ScenarioStore; now: () => number }) {
    this.runs = new GitHubRuns({ now: deps.now, nextId: () => this.nextId++ });
    this.apps = new GitHubAppAuth(deps.now);
  }

  /**
   * What the sandbox server calls: the answer, held first when the scenario's `latency` matches.
   * `path` is relative to the `/github` prefix.
   */
  handle(path: string, req: SandboxRequest): SandboxResponse | Promise<SandboxResponse> {
    const response = this.answer(path, req);
    const holdMs = this.takeLatency(`${req.method} ${safeDecode(path)}`);
    if (holdMs <= 0) return response;
    // The call has taken effect already; only the answer is late.
    return new Promise((resolve) => setTimeout(() => resolve(response), holdMs));
  }

  /** The answer to one call, at once (tests with a hand-set clock drive this directly). */
  answer(path: string, req: SandboxRequest): SandboxResponse {
    const operation = `${req.method} ${safeDecode(path)}`;
    // Octokit logs and reports the request id; GitHub always sends one.
    const headers = { 'x-github-request-id': `SANDBOX:${++this.requestCount}` };
    const respond = (reply: Reply, request: unknown): SandboxResponse => ({ ...reply, headers: { ...headers, ...reply.headers }, call: { system: 'github', operation, request } });
    let body: unknown = undefined;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      try {
        body = parseJsonBody(req.body);
      } catch (err) {
        if (!(err instanceof BadJsonError)) throw err;
        return respond({ status: 400, body: { message: 'Problems parsing JSON', documentation_url: DOCS } }, { unparsedBody: req.body.slice(0, 500) });
      }
    }
    const request = body ?? Object.fromEntries(req.query);
    // An App's JWT for an installation token; otherwise an installation token must still be valid.
    const authorization = req.headers.authorization;
    const auth = this.apps.tokenRequest(req.method, path, authorization) ?? this.apps.checkApiCall(operation, authorization);
    if (auth) return respond(auth, request);
    const fault = this.deps.scenario.takeGitHubFault(operation);
    if (fault) return respond(faultReply(fault, this.deps.now()), request);
    const limits = this.deps.scenario.gitHub.writeLimits;
    if (limits && isContentCreating(req.method)) {
      const waitS = this.secondaryLimits.admit(limits, this.deps.now());
      if (waitS !== undefined) return respond(faultReply({ kind: 'rate-limit', secondary: true, resetInS: waitS }, this.deps.now()), request);
    }
    const base = `http://${req.headers.host ?? '127.0.0.1'}/github`;
    return respond(this.route(req, path, body, base), request);
  }

  /** Consumes one scripted hold for `operation`, if any; how long to hold its answer. */
  private takeLatency(operation: string): number {
    const scenario = this.deps.scenario.gitHub;
    const { holdMs, remaining } = takeGitHubLatency(scenario, operation);
    if (remaining.latency !== scenario.latency) this.deps.scenario.merge({ github: { latency: remaining.latency } });
    return holdMs;
  }

  state(): { deployments: GitHubDeployment[]; workflowRuns: ReturnType<GitHubRuns['state']>; writes: { accepted: number; refused: number } } {
    return structuredClone({ deployments: this.deployments, workflowRuns: this.runs.state(), writes: this.secondaryLimits.counts() });
  }

  /** Matches the raw path, so a ref with an encoded '/' stays one segment, then decodes the parameters. */
  private route(req: SandboxRequest, path: string, body: unknown, base: string): Reply {
    const param = (re: RegExp) => re.exec(path)?.slice(1).map(safeDecode);
    let m: string[] | undefined;
    if ((m = param(ROUTES.checkRuns)) && req.method === 'GET') {
      this.named(m[2]!);
      return this.checkRuns(repoKey(m), m[2]!, req.query, base);
    }
    if ((m = param(ROUTES.commit)) && req.method === 'GET') return commitReply(repoKey(m), shaOf(m[2]!), base, this.commitTime(m[2]!));
    if ((m = param(ROUTES.compare)) && req.method === 'GET') return compareReply(repoKey(m), m[2]!, base, (sha) => this.deps.scenario.gitHub.branches?.[sha]);
    if ((m = param(ROUTES.dispatches)) && req.method === 'POST') return this.runs.dispatch(repoKey(m), m[2]!, body, base, this.deps.scenario.gitHub);
    const github = this.deps.scenario.gitHub;
    if ((m = param(ROUTES.workflowRuns)) && req.method === 'GET') return this.runs.list(repoKey(m), m[2]!, req.query, base, github);
    if ((m = param(ROUTES.repoRuns)) && req.method === 'GET') return this.runs.list(repoKey(m), undefined, req.query, base, github);
    if ((m = param(ROUTES.run)) && req.method === 'GET') return this.runs.get(repoKey(m), Number(m[2]), undefined, base, github);
    if ((m = param(ROUTES.runAttempt)) && req.method === 'GET') return this.runs.get(repoKey(m), Number(m[2]), Number(m[3]), base, github);
    if ((m = param(ROUTES.runJobs)) && req.method === 'GET') return this.runs.jobs(repoKey(m), Number(m[2]), undefined, req.query, base, github);
    if ((m = param(ROUTES.runAttemptJobs)) && req.method === 'GET') return this.runs.jobs(repoKey(m), Number(m[2]), Number(m[3]), req.query, base, github);
    if ((m = param(ROUTES.deployments))) {
      if (req.method === 'POST') {
        const ref = (body as { ref?: unknown } | undefined)?.ref;
        if (typeof ref === 'string') this.named(ref);
        return this.createDeployment(repoKey(m), body, base);
      }
      if (req.method === 'GET') return this.listDeployments(repoKey(m), req.query, base);
    }
    if ((m = param(ROUTES.deployment)) && req.method === 'GET') {
      const d = this.find(repoKey(m), Number(m[2]));
      return d ? { status: 200, body: deploymentToWire(d, base) } : NOT_FOUND;
    }
    if ((m = param(ROUTES.statuses))) {
      const d = this.find(repoKey(m), Number(m[2]));
      if (!d) return NOT_FOUND;
      if (req.method === 'POST') return this.createStatus(d, body, base);
      if (req.method === 'GET') return { status: 200, body: [...d.statuses].reverse().map((s) => statusToWire(d, s, base)) };
    }
    return NOT_FOUND;
  }

  /**
   * When a made-up commit was made: the scenario's `commits[sha].committedAt`, else the first time
   * Runway named it to GitHub (its checks or a deployment of it), else now.
   */
  private commitTime(ref: string): string {
    const sha = shaOf(ref);
    const scripted = this.deps.scenario.gitHub.commits?.[sha]?.committedAt;
    return scripted ?? new Date(this.firstNamed.get(sha) ?? this.deps.now()).toISOString();
  }

  private named(ref: string): void {
    const sha = shaOf(ref);
    if (!this.firstNamed.has(sha)) this.firstNamed.set(sha, this.deps.now());
  }

  private checkRuns(repo: string, ref: string, query: URLSearchParams, base: string): Reply {
    const sha = shaOf(ref);
    const github = this.deps.scenario.gitHub;
    const scripted = github.checkRuns;
    return checkRunsReply(ref, query, {
      scripted: scripted?.[sha] ?? scripted?.[ref],
      testConclusion: this.deps.scenario.checkConclusion(ref),
      now: this.deps.now(),
      jobs: this.runs.jobsOnCommit(repo, sha, github),
      repo,
      base,
    });
  }

  private createDeployment(repo: string, body: unknown, base: string): Reply {
    const parsed = createDeploymentSchema.safeParse(body);
    if (!parsed.success) return validationFailed(parsed.error, 'Deployment');
    const input = parsed.data;
    // GitHub merged the default branch into the ref instead of deploying: 202 and no deployment.
    // Real GitHub answers this only when the request left auto_merge on and the ref was behind
    // the default branch with no merge conflict (the conflict-free merge path). The switch
    // answers it whatever auto_merge says, on purpose: Runway sends auto_merge:false, and this
    // is how its handling of a 202 is exercised.
    if (this.deps.scenario.takeGitHubAutoMerge()) return { status: 202, body: { message: `Auto-merged main into ${input.ref} on deployment.` } };
    const sha = shaOf(input.ref);
    // With the default (all contexts required) GitHub refuses to deploy a commit whose checks failed.
    if (input.required_contexts === undefined && this.deps.scenario.checkConclusion(sha) === 'failure') {
      return { status: 409, body: { message: `Conflict: Commit status checks failed for ${input.ref}.`, documentation_url: DOCS } };
    }
    const environment = input.environment ?? 'production';
    const at = new Date(this.deps.now()).toISOString();
    const deployment: GitHubDeployment = {
      id: this.nextId++,
      repo,
      sha,
      ref: input.ref,
      task: input.task ?? 'deploy',
      payload: parsePayload(input.payload),
      environment,
      description: input.description ?? null,
      transient_environment: input.transient_environment ?? false,
      production_environment: input.production_environment ?? environment === 'production',
      created_at: at,
      updated_at: at,
      statuses: [],
    };
    this.deployments.push(deployment);
    return { status: 201, body: deploymentToWire(deployment, base) };
  }

  private listDeployments(repo: string, query: URLSearchParams, base: string): Reply {
    const filters = ['sha', 'ref', 'task', 'environment'] as const;
    const matching = this.deployments
      .filter((d) => d.repo === repo && filters.every((f) => !query.get(f) || query.get(f) === d[f]))
      .reverse();
    const perPage = Math.min(100, Math.max(1, Number(query.get('per_page') ?? 30) || 30));
    const page = Math.max(1, Number(query.get('page') ?? 1) || 1);
    return { status: 200, body: matching.slice((page - 1) * perPage, page * perPage).map((d) => deploymentToWire(d, base)) };
  }

  private createStatus(d: GitHubDeployment, body: unknown, base: string): Reply {
    const parsed = createStatusSchema.safeParse(body);
    if (!parsed.success) return validationFailed(parsed.error, 'DeploymentStatus');
    const input = parsed.data;
    const at = new Date(this.deps.now()).toISOString();
    const status: GitHubDeploymentStatus = {
      id: this.nextId++,
      state: input.state,
      description: input.description ?? '',
      environment: input.environment ?? d.environment,
      log_url: input.log_url ?? input.target_url ?? '',
      environment_url: input.environment_url ?? '',
      created_at: at,
    };
    d.statuses.push(status);
    d.updated_at = at;
    if (input.state === 'success' && input.auto_inactive !== false) this.inactivatePrior(d, at);
    return { status: 201, body: statusToWire(d, status, base) };
  }

  /**
   * GitHub's auto_inactive: in a non-production environment, older non-transient deployments
   * that are active (latest status success) become inactive. Production is left alone, and so
   * are failed or never-finished deployments: their latest status still tells what happened.
   */
  private inactivatePrior(d: GitHubDeployment, at: string): void {
    if (d.production_environment) return;
    for (const other of this.deployments) {
      if (other.repo !== d.repo || other.environment !== d.environment || other.id >= d.id) continue;
      if (other.transient_environment || other.production_environment) continue;
      const last = other.statuses[other.statuses.length - 1];
      if (last?.state !== 'success') continue;
      other.statuses.push({ ...last, id: this.nextId++, state: 'inactive', description: '', created_at: at });
    }
  }

  private find(repo: string, id: number): GitHubDeployment | undefined {
    return this.deployments.find((d) => d.repo === repo && d.id === id);
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** GitHub treats owner and repo case-insensitively. */
function repoKey(match: string[]): string {
  return `${match[0]}/${match[1]}`.toLowerCase();
}

function parsePayload(payload: unknown): unknown {
  if (typeof payload !== 'string') return payload ?? {};
  try {
    const parsed = JSON.parse(payload) as unknown;
    return isRecord(parsed) ? parsed : payload;
  } catch {
    return payload;
  }
}

function deploymentToWire(d: GitHubDeployment, base: string): Record<string, unknown> {
  const repoUrl = `${base}/repos/${d.repo}`;
  return {
    url: `${repoUrl}/deployments/${d.id}`,
    id: d.id,
    node_id: `DE_sandbox${d.id}`,
    sha: d.sha,
    ref: d.ref,
    task: d.task,
    payload: d.payload,
    original_environment: d.environment,
    environment: d.environment,
    description: d.description,
    creator: userWire(CREATOR_LOGIN, base, 'Bot'),
    created_at: d.created_at,
    updated_at: d.updated_at,
    statuses_url: `${repoUrl}/deployments/${d.id}/statuses`,
    repository_url: repoUrl,
    transient_environment: d.transient_environment,
    production_environment: d.production_environment,
  };
}

function statusToWire(d: GitHubDeployment, s: GitHubDeploymentStatus, base: string): Record<string, unknown> {
  const repoUrl = `${base}/repos/${d.repo}`;
  return {
    url: `${repoUrl}/deployments/${d.id}/statuses/${s.id}`,
    id: s.id,
    node_id: `DES_sandbox${s.id}`,
    state: s.state,
    creator: userWire(CREATOR_LOGIN, base, 'Bot'),
    description: s.description,
    environment: s.environment,
    target_url: s.log_url,
    log_url: s.log_url,
    environment_url: s.environment_url,
    created_at: s.created_at,
    updated_at: s.created_at,
    deployment_url: `${repoUrl}/deployments/${d.id}`,
    repository_url: repoUrl,
  };
}
