/**
 * Sentry's web API for releases, under `/sentry` (SENTRY_URL = `${sandbox}/sentry`):
 * `POST /api/0/organizations/{org}/releases/`, `GET|PUT …/releases/{version}/`,
 * `GET|POST …/releases/{version}/deploys/`. JSON in and out with a bearer token, answered as
 * Sentry answers (src/sentry/releases/endpoints/ in getsentry/sentry): creation is get-or-create
 * (201, then 208 when nothing new), `refs` to a repository without an integration are refused
 * with 400 after the release is created, every deploy POST records a new deploy, the deploy list
 * holds the latest per environment, errors are `{ detail }` or field → messages. Every release
 * and deploy is kept; scenario `sentry` takes it down or fails the next calls.
 */
import { BadJsonError, isRecord, parseJsonBody, type SandboxRequest, type SandboxResponse } from '../http/route';
import type { SentryDeploy } from '../../shared/sentry-wire';
import { SENTRY_LOST_RESPONSE, type SentryFault, type SentryOperation, type SentryScenario } from './scenario';

export type SentryDeployRecord = SentryDeploy;

export interface SentryReleaseRecord {
  id: number;
  org: string;
  version: string;
  ref: string | null;
  url: string | null;
  dateCreated: string;
  dateReleased: string | null;
  projects: string[];
  /** Commit ids with their repository, from `commits` or the heads of `refs`. */
  commits: { id: string; repository?: string }[];
  refs: { repository: string; commit: string; previousCommit?: string }[];
  deploys: SentryDeployRecord[];
}

/** The scenario switches the Sentry emulator reads. */
export interface SentryScenarioSource {
  readonly sentry: SentryScenario;
  takeSentryFault(operation: SentryOperation): SentryFault | undefined;
}

const NOT_FOUND = { detail: 'The requested resource does not exist' };
const ROUTE = /^\/api\/0\/organizations\/([^/]+)\/releases\/?(?:([^/]+)\/?(deploys\/?)?)?$/;
/** Sentry's rules for a version: no slashes or line breaks, not one of the reserved names. */
const BAD_VERSION = /[/\\\r\n\t\f]/;
const RESERVED_VERSIONS = new Set(['.', '..', 'latest']);

class FieldError extends Error {
  constructor(readonly fields: Record<string, string[]>) {
    super('validation');
  }
}

export class SentryEmulator {
  private readonly releases = new Map<string, SentryReleaseRecord>();
  private ids = 0;

  constructor(
    private readonly now: () => number,
    private readonly scenario: SentryScenarioSource,
  ) {}

  handle(path: string, req: SandboxRequest): SandboxResponse {
    const match = ROUTE.exec(path);
    const operation = match ? operationOf(req.method, match[2] !== undefined, match[3] !== undefined) : undefined;
    let request: unknown = {};
    const respond = (status: number, body: unknown, headers?: Record<string, string>): SandboxResponse => ({
      status,
      body,
      headers,
      call: { system: 'sentry', operation: `${req.method} ${path}`, request },
    });
    if (!match || !operation) return respond(404, NOT_FOUND);
    if (!/^Bearer \S+/.test(req.headers.authorization ?? '')) return respond(401, { detail: 'Authentication credentials were not provided.' });
    if (this.scenario.sentry.down) return respond(503, { detail: 'Service unavailable' });
    try {
      request = req.method === 'GET' ? Object.fromEntries(req.query) : parseJsonBody(req.body);
    } catch (err) {
      if (err instanceof BadJsonError) return respond(400, { detail: `JSON parse error - ${err.message}` });
      throw err;
    }
    const fault = this.scenario.takeSentryFault(operation);
    if (fault && fault.status !== SENTRY_LOST_RESPONSE) {
      return respond(fault.status, { detail: 'scripted failure' }, fault.status === 429 ? { 'retry-after': String(fault.retryAfter ?? 1) } : undefined);
    }
    const [, org, rawVersion] = match;
    const version = rawVersion === undefined ? undefined : safeDecode(rawVersion);
    let answer: { status: number; body: unknown };
    try {
      answer = this.call(operation, safeDecode(org!), version, request);
    } catch (err) {
      if (err instanceof FieldError) return respond(400, err.fields);
      throw err;
    }
    // The call took effect; the caller never hears so.
    if (fault?.status === SENTRY_LOST_RESPONSE) return respond(504, { detail: 'Gateway Timeout' });
    return respond(answer.status, answer.body);
  }

  state(): { releases: SentryReleaseRecord[] } {
    return structuredClone({ releases: [...this.releases.values()] });
  }

  private call(operation: SentryOperation, org: string, version: string | undefined, body: unknown): { status: number; body: unknown } {
    const args = isRecord(body) ? body : {};
    if (operation === 'createRelease') return this.createRelease(org, args);
    const release = this.releases.get(key(org, version!));
    if (!release) return { status: 404, body: NOT_FOUND };
    switch (operation) {
      case 'getRelease':
        return { status: 200, body: releaseWire(release) };
      case 'updateRelease':
        return this.updateRelease(release, args);
      case 'listDeploys':
        return { status: 200, body: latestPerEnvironment(release.deploys) };
      case 'createDeploy':
        return this.createDeploy(release, args);
    }
  }

  /** Get-or-create, then projects, commits and refs (refs to unknown repositories refused after the release exists, as Sentry does). */
  private createRelease(org: string, args: Record<string, unknown>): { status: number; body: unknown } {
    const version = args.version;
    if (typeof version !== 'string' || version === '') throw new FieldError({ version: ['This field is required.'] });
    if (BAD_VERSION.test(version) || RESERVED_VERSIONS.has(version)) throw new FieldError({ version: ['Release with name ' + version + ' is not allowed'] });
    const projects = args.projects;
    if (!Array.isArray(projects) || projects.length === 0 || !projects.every((p) => typeof p === 'string' && p !== '')) {
      throw new FieldError({ projects: ['This field is required.'] });
    }
    const commits = this.commitsOf(args.commits);
    const refs = refsOf(args.refs);
    const at = new Date(this.now()).toISOString();
    let release = this.releases.get(key(org, version));
    const created = !release;
    release ??= {
      id: ++this.ids,
      org,
      version,
      ref: str(args.ref),
      url: str(args.url),
      dateCreated: at,
      dateReleased: str(args.dateReleased),
      projects: [],
      commits: [],
      refs: [],
      deploys: [],
    };
    this.releases.set(key(org, version), release);
    const newProjects = (projects as string[]).filter((p) => !release.projects.includes(p));
    release.projects.push(...newProjects);
    this.addCommits(release, commits, refs);
    return { status: created || newProjects.length > 0 ? 201 : 208, body: releaseWire(release) };
  }

  private updateRelease(release: SentryReleaseRecord, args: Record<string, unknown>): { status: number; body: unknown } {
    for (const field of ['dateReleased', 'ref', 'url'] as const) {
      const value = str(args[field]);
      if (value) release[field] = value;
    }
    this.addCommits(release, this.commitsOf(args.commits), refsOf(args.refs));
    return { status: 200, body: releaseWire(release) };
  }

  private createDeploy(release: SentryReleaseRecord, args: Record<string, unknown>): { status: number; body: unknown } {
    const environment = args.environment;
    if (typeof environment !== 'string' || environment === '' || environment.length > 64 || /[/\r\n\t\f]/.test(environment)) {
      throw new FieldError({ environment: ['Invalid value for environment'] });
    }
    const name = str(args.name);
    if (name && name.length > 64) throw new FieldError({ name: ['Ensure this field has no more than 64 characters.'] });
    const deploy: SentryDeployRecord = {
      id: String(++this.ids),
      environment,
      name,
      url: str(args.url),
      dateStarted: str(args.dateStarted),
      dateFinished: str(args.dateFinished) ?? new Date(this.now()).toISOString(),
    };
    release.deploys.push(deploy);
    return { status: 201, body: deploy };
  }

  private commitsOf(value: unknown): { id: string; repository?: string }[] {
    if (value === undefined) return [];
    if (!Array.isArray(value) || !value.every((c) => isRecord(c) && typeof c.id === 'string' && c.id !== '')) {
      throw new FieldError({ commits: ['Each commit needs an id (the commit SHA).'] });
    }
    return value.map((c: Record<string, unknown>) => ({ id: c.id as string, ...(typeof c.repository === 'string' ? { repository: c.repository } : {}) }));
  }

  /** Sentry sets commits before refs; refs to a repository it has no integration for fail the call (the release stays). */
  private addCommits(release: SentryReleaseRecord, commits: SentryReleaseRecord['commits'], refs: SentryReleaseRecord['refs']): void {
    for (const c of commits) if (!release.commits.some((k) => k.id === c.id)) release.commits.push(c);
    const linked = this.scenario.sentry.repositories;
    const unknown = linked ? [...new Set(refs.map((r) => r.repository).filter((r) => !linked.includes(r)))] : [];
    if (unknown.length > 0) throw new FieldError({ refs: [`Invalid repository names: ${unknown.join(',')}`] });
    for (const ref of refs) {
      release.refs.push(ref);
      if (!release.commits.some((k) => k.id === ref.commit)) release.commits.push({ id: ref.commit, repository: ref.repository });
    }
  }
}

function operationOf(method: string, hasVersion: boolean, deploys: boolean): SentryOperation | undefined {
  if (!hasVersion) return method === 'POST' ? 'createRelease' : undefined;
  if (deploys) return method === 'GET' ? 'listDeploys' : method === 'POST' ? 'createDeploy' : undefined;
  return method === 'GET' ? 'getRelease' : method === 'PUT' ? 'updateRelease' : undefined;
}

function refsOf(value: unknown): SentryReleaseRecord['refs'] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((r) => isRecord(r) && typeof r.repository === 'string' && typeof r.commit === 'string')) {
    throw new FieldError({ refs: ['Each ref needs a repository and a commit.'] });
  }
  return value.map((r: Record<string, unknown>) => ({
    repository: r.repository as string,
    commit: r.commit as string,
    ...(typeof r.previousCommit === 'string' ? { previousCommit: r.previousCommit } : {}),
  }));
}

const key = (org: string, version: string) => `${org}\n${version}`;

function str(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Sentry's deploy list: the latest deploy per environment (one project per release here), newest first. */
function latestPerEnvironment(deploys: SentryDeployRecord[]): SentryDeployRecord[] {
  const latest = new Map<string, SentryDeployRecord>();
  for (const d of deploys) latest.set(d.environment, d);
  return [...latest.values()].sort((a, b) => b.dateFinished.localeCompare(a.dateFinished));
}

/** The version as Sentry shortens it for display: a 40-hex commit SHA (after any `package@`) to 12 characters. */
function shortVersion(version: string): string {
  const at = version.lastIndexOf('@');
  const tail = version.slice(at + 1);
  return /^[0-9a-f]{40}$/.test(tail) ? `${version.slice(0, at + 1)}${tail.slice(0, 12)}` : version;
}

/** The release as Sentry's release serializer answers it (the fields a client reads; no health data). */
function releaseWire(r: SentryReleaseRecord): Record<string, unknown> {
  const lastDeploy = r.deploys.at(-1) ?? null;
  const lastCommit = r.commits.at(-1);
  return {
    id: r.id,
    version: r.version,
    status: 'open',
    shortVersion: shortVersion(r.version),
    ref: r.ref,
    url: r.url,
    dateReleased: r.dateReleased,
    dateCreated: r.dateCreated,
    data: {},
    newGroups: 0,
    owner: null,
    commitCount: r.commits.length,
    lastCommit: lastCommit ? { id: lastCommit.id, repository: lastCommit.repository ? { name: lastCommit.repository } : null } : null,
    deployCount: r.deploys.length,
    lastDeploy,
    firstEvent: null,
    lastEvent: null,
    authors: [],
    projects: r.projects.map((slug, i) => ({ id: i + 1, slug, name: slug, newGroups: 0, platform: null, platforms: [], hasHealthData: false })),
  };
}
