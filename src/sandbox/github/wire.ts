/** GitHub's REST dialect shared by the emulator's parts: error bodies, rate-limit answers, SHAs. */
import { createHash } from 'node:crypto';
import type { z } from 'zod';
import type { GitHubFault } from './scenario';

export const DOCS = 'https://docs.github.com/rest';

export type GitHubReply = { status: number; body?: unknown; headers?: Record<string, string> };

export const NOT_FOUND: GitHubReply = { status: 404, body: { message: 'Not Found', documentation_url: DOCS } };

export function validationFailed(error: z.ZodError, resource: string): GitHubReply {
  const errors = error.issues.map((i) => ({ resource, field: i.path.join('.'), code: 'invalid', message: i.message }));
  return { status: 422, body: { message: 'Validation Failed', errors, documentation_url: DOCS } };
}

/** A ref that is a full SHA is its own commit; anything else gets a stable made-up one. */
export function shaOf(ref: string): string {
  return /^[0-9a-f]{40}$/i.test(ref) ? ref.toLowerCase() : createHash('sha1').update(ref).digest('hex');
}

const FAULT_MESSAGES: Record<number, string> = {
  401: 'Bad credentials',
  403: 'Resource not accessible by personal access token',
  404: 'Not Found',
  500: 'Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

/** The answer GitHub gives for an injected fault, headers included (Octokit's plugins read them). */
export function faultReply(fault: GitHubFault, nowMs: number): GitHubReply {
  if (fault.kind === 'status') return { status: fault.status, body: { message: FAULT_MESSAGES[fault.status], documentation_url: DOCS } };
  if (fault.secondary) {
    return {
      status: 429,
      headers: { 'retry-after': String(fault.resetInS) },
      body: { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.', documentation_url: DOCS },
    };
  }
  return {
    status: 403,
    headers: {
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': '0',
      'x-ratelimit-used': '5000',
      'x-ratelimit-resource': 'core',
      'x-ratelimit-reset': String(Math.ceil(nowMs / 1000) + fault.resetInS),
    },
    body: { message: 'API rate limit exceeded for user ID 1.', documentation_url: DOCS },
  };
}

/**
 * `GET /repos/{o}/{r}/compare/{base}...{head}` for branch checks: a commit listed in the scenario
 * is on the branches listed for it; any other commit is on every branch. "behind" means head is
 * an ancestor of base (the commit is on the branch), "diverged" that it is not. `apiBase` is the
 * API root the links point under.
 */
export function compareReply(repo: string, basehead: string, apiBase: string, branchesOf: (sha: string) => string[] | undefined): GitHubReply {
  const parts = /^(.+?)\.\.\.(.+)$/.exec(basehead);
  if (!parts) return NOT_FOUND;
  const [, base, head] = parts as unknown as [string, string, string];
  const headSha = shaOf(head);
  const branches = branchesOf(headSha);
  const status = base === head || shaOf(base) === headSha ? 'identical' : !branches || branches.includes(base) ? 'behind' : 'diverged';
  const ahead = status === 'diverged' ? 1 : 0;
  const behind = status === 'identical' ? 0 : 1;
  const owner = repo.split('/')[0];
  const htmlUrl = `${apiBase}/html/${repo}/compare/${basehead}`;
  return {
    status: 200,
    body: {
      url: `${apiBase}/repos/${repo}/compare/${basehead}`,
      html_url: htmlUrl,
      permalink_url: `${apiBase}/html/${repo}/compare/${owner}:${shaOf(base)}...${owner}:${headSha}`,
      diff_url: `${htmlUrl}.diff`,
      patch_url: `${htmlUrl}.patch`,
      status,
      ahead_by: ahead,
      behind_by: behind,
      total_commits: ahead,
      base_commit: commitWire(repo, shaOf(base), apiBase),
      merge_base_commit: commitWire(repo, status === 'diverged' ? shaOf(`${base}^${head}`) : headSha, apiBase),
      commits: [],
      files: [],
    },
  };
}

/** Who authored and committed the sandbox's made-up commits (no GitHub account: `author` is null). */
export const SANDBOX_COMMITTER = { name: 'Sandbox Developer', email: 'developer@sandbox.invalid' };

/**
 * `GET /repos/{o}/{r}/commits/{ref}`: the made-up commit, dated `committedAt` (its author and
 * committer date; Runway's change lead time starts there).
 */
export function commitReply(repo: string, sha: string, apiBase: string, committedAt: string): GitHubReply {
  return { status: 200, body: { ...commitWire(repo, sha, apiBase, committedAt), stats: { total: 0, additions: 0, deletions: 0 }, files: [] } };
}

/** GitHub's `commit` for a made-up commit of `repo`: no parents, no GitHub account behind its author. */
function commitWire(repo: string, sha: string, apiBase: string, committedAt?: string) {
  const url = `${apiBase}/repos/${repo}/commits/${sha}`;
  const tree = shaOf(`tree:${sha}`);
  return {
    url,
    sha,
    node_id: `C_sandbox${sha}`,
    html_url: `${apiBase}/html/${repo}/commit/${sha}`,
    comments_url: `${url}/comments`,
    commit: {
      url: `${apiBase}/repos/${repo}/git/commits/${sha}`,
      author: committedAt ? { ...SANDBOX_COMMITTER, date: committedAt } : SANDBOX_COMMITTER,
      committer: committedAt ? { ...SANDBOX_COMMITTER, date: committedAt } : SANDBOX_COMMITTER,
      message: `commit ${sha.slice(0, 7)}`,
      comment_count: 0,
      tree: { sha: tree, url: `${apiBase}/repos/${repo}/git/trees/${tree}` },
    },
    author: null,
    committer: null,
    parents: [],
  };
}

/** A stable made-up numeric id for a name (an owner, a repository). */
function idOf(name: string): number {
  return parseInt(createHash('sha1').update(name).digest('hex').slice(0, 8), 16);
}

/** GitHub's `simple-user` for an account (the owner of a repository or an app). */
export function userWire(login: string, base: string, type: 'User' | 'Organization' | 'Bot' = 'Organization') {
  // A bot's login ends in "[bot]": its URLs carry it percent-encoded, as GitHub's do.
  const path = encodeURIComponent(login);
  const url = `${base}/users/${path}`;
  return {
    login,
    id: idOf(`user:${login}`),
    node_id: `U_sandbox${login}`,
    avatar_url: `${base}/avatars/${path}`,
    gravatar_id: '',
    url,
    html_url: `${base}/html/${path}`,
    followers_url: `${url}/followers`,
    following_url: `${url}/following{/other_user}`,
    gists_url: `${url}/gists{/gist_id}`,
    starred_url: `${url}/starred{/owner}{/repo}`,
    subscriptions_url: `${url}/subscriptions`,
    organizations_url: `${url}/orgs`,
    repos_url: `${url}/repos`,
    events_url: `${url}/events{/privacy}`,
    received_events_url: `${url}/received_events`,
    type,
    site_admin: false,
  };
}

/** GitHub's `minimal-repository` for `owner/name`, as workflow runs carry it. */
export function repositoryWire(repo: string, base: string) {
  const [owner = repo, name = repo] = repo.split('/');
  const url = `${base}/repos/${repo}`;
  const urls = Object.fromEntries(
    (
      [
        ['archive_url', '/{archive_format}{/ref}'],
        ['assignees_url', '/assignees{/user}'],
        ['blobs_url', '/git/blobs{/sha}'],
        ['branches_url', '/branches{/branch}'],
        ['collaborators_url', '/collaborators{/collaborator}'],
        ['comments_url', '/comments{/number}'],
        ['commits_url', '/commits{/sha}'],
        ['compare_url', '/compare/{base}...{head}'],
        ['contents_url', '/contents/{+path}'],
        ['contributors_url', '/contributors'],
        ['deployments_url', '/deployments'],
        ['downloads_url', '/downloads'],
        ['events_url', '/events'],
        ['forks_url', '/forks'],
        ['git_commits_url', '/git/commits{/sha}'],
        ['git_refs_url', '/git/refs{/sha}'],
        ['git_tags_url', '/git/tags{/sha}'],
        ['hooks_url', '/hooks'],
        ['issue_comment_url', '/issues/comments{/number}'],
        ['issue_events_url', '/issues/events{/number}'],
        ['issues_url', '/issues{/number}'],
        ['keys_url', '/keys{/key_id}'],
        ['labels_url', '/labels{/name}'],
        ['languages_url', '/languages'],
        ['merges_url', '/merges'],
        ['milestones_url', '/milestones{/number}'],
        ['notifications_url', '/notifications{?since,all,participating}'],
        ['pulls_url', '/pulls{/number}'],
        ['releases_url', '/releases{/id}'],
        ['stargazers_url', '/stargazers'],
        ['statuses_url', '/statuses/{sha}'],
        ['subscribers_url', '/subscribers'],
        ['subscription_url', '/subscription'],
        ['tags_url', '/tags'],
        ['teams_url', '/teams'],
        ['trees_url', '/git/trees{/sha}'],
      ] as const
    ).map(([key, suffix]) => [key, `${url}${suffix}`]),
  );
  return {
    id: idOf(`repo:${repo}`),
    node_id: `R_sandbox${repo}`,
    name,
    full_name: repo,
    owner: userWire(owner, base),
    private: true,
    html_url: `${base}/html/${repo}`,
    description: null,
    fork: false,
    url,
    ...urls,
  };
}

/** The GitHub Actions app (`integration`) that reports every Actions job as a check run. */
export function actionsAppWire(base: string) {
  return {
    id: 15368,
    slug: 'github-actions',
    node_id: 'MDM6QXBwMTUzNjg=',
    owner: userWire('github', base),
    name: 'GitHub Actions',
    description: 'Automate your workflow from idea to production',
    external_url: 'https://help.github.com/en/actions',
    html_url: `${base}/html/apps/github-actions`,
    created_at: '2018-07-30T09:30:17Z',
    updated_at: '2024-04-10T20:33:16Z',
    permissions: { actions: 'write', checks: 'write', contents: 'write', deployments: 'write', metadata: 'read', statuses: 'write' },
    events: ['check_run', 'check_suite', 'push', 'workflow_dispatch'],
  };
}
