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
 * an ancestor of base (the commit is on the branch), "diverged" that it is not.
 */
export function compareReply(basehead: string, branchesOf: (sha: string) => string[] | undefined): GitHubReply {
  const parts = /^(.+?)\.\.\.(.+)$/.exec(basehead);
  if (!parts) return NOT_FOUND;
  const [, base, head] = parts as unknown as [string, string, string];
  const headSha = shaOf(head);
  const branches = branchesOf(headSha);
  const status = base === head || shaOf(base) === headSha ? 'identical' : !branches || branches.includes(base) ? 'behind' : 'diverged';
  const ahead = status === 'diverged' ? 1 : 0;
  const behind = status === 'identical' ? 0 : 1;
  return {
    status: 200,
    body: {
      status,
      ahead_by: ahead,
      behind_by: behind,
      total_commits: ahead,
      base_commit: { sha: shaOf(base) },
      merge_base_commit: { sha: status === 'diverged' ? shaOf(`${base}^${head}`) : headSha },
      commits: [],
      files: [],
    },
  };
}
