/**
 * The GitHub App permissions the README lists are exactly what Runway's GitHub calls need. The
 * calls are read from the production code (every `.rest.<namespace>.<method>(`), each is looked up
 * in a table of the permission GitHub's REST reference gives for it ("Fine-grained access tokens /
 * GitHub App" permissions), and the README's list must be the highest level each permission is
 * needed at, plus `metadata: read` (every App has it). A call the table does not know fails the
 * test: add its permission from GitHub's docs first. The sandbox's installations get the same set.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_APP_PERMISSIONS } from '../../src/sandbox/github/app-auth';
import { clientSourceFiles, REPO_ROOT } from '../support/source-files';

type Level = 'read' | 'write';

/** From docs.github.com/rest (each endpoint's "Fine-grained access tokens" box): permission → the methods that need it. */
const METHODS_BY_PERMISSION: Record<`${string}: ${Level}`, string[]> = {
  'actions: write': ['actions.createWorkflowDispatch'],
  'actions: read': ['actions.getWorkflowRun', 'actions.getWorkflowRunAttempt', 'actions.listWorkflowRuns', 'actions.listJobsForWorkflowRun', 'actions.listJobsForWorkflowRunAttempt'],
  'checks: read': ['checks.listForRef'],
  'contents: read': ['repos.compareCommitsWithBasehead', 'repos.getCommit'],
  'deployments: write': ['repos.createDeployment', 'repos.createDeploymentStatus'],
  'deployments: read': ['repos.getDeployment', 'repos.listDeployments', 'repos.listDeploymentStatuses'],
};
const PERMISSION_BY_METHOD: Record<string, [permission: string, level: Level]> = Object.fromEntries(
  Object.entries(METHODS_BY_PERMISSION).flatMap(([permission, methods]) => methods.map((method) => [method, permission.split(': ') as [string, Level]])),
);

interface GitHubCall {
  method: string;
  at: string;
}

function gitHubCallsIn(file: string, text: string): GitHubCall[] {
  return text.split('\n').flatMap((line, i) => [...line.matchAll(/\.rest\.([a-z]+\.[A-Za-z]+)\(/g)].map((m) => ({ method: m[1]!, at: `${file}:${i + 1}` })));
}

function neededPermissions(calls: GitHubCall[]): { unmapped: GitHubCall[]; permissions: Record<string, Level> } {
  const permissions: Record<string, Level> = { metadata: 'read' };
  const unmapped: GitHubCall[] = [];
  for (const call of calls) {
    const entry = PERMISSION_BY_METHOD[call.method];
    if (!entry) {
      unmapped.push(call);
      continue;
    }
    const [name, level] = entry;
    if (permissions[name] !== 'write') permissions[name] = level;
  }
  return { unmapped, permissions };
}

const calls = clientSourceFiles().flatMap(({ file, text }) => gitHubCallsIn(file, text));

/** `App permissions: `actions: write`, `checks: read`, …` in the README. */
function readmePermissions(): Record<string, string> | undefined {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const listed = /App\s+permissions: ((?:`[a-z_]+: (?:read|write)`(?:,\s+)?)+)/.exec(readme)?.[1];
  return listed ? Object.fromEntries([...listed.matchAll(/`([a-z_]+): (read|write)`/g)].map((m) => [m[1]!, m[2]!])) : undefined;
}

describe('GitHub App permissions', () => {
  it('finds the GitHub calls in the code (or the checks below would prove nothing)', () => {
    const methods = new Set(calls.map((c) => c.method));
    expect([...methods]).toEqual(expect.arrayContaining(['checks.listForRef', 'repos.createDeployment', 'repos.createDeploymentStatus', 'actions.createWorkflowDispatch']));
  });

  it('the README lists exactly the permissions the calls need, at the level they need', () => {
    const { unmapped, permissions } = neededPermissions(calls);
    expect(unmapped).toEqual([]);
    expect(readmePermissions()).toEqual(permissions);
  });

  it('fails for a call the table does not know, and a write needs write', () => {
    const extra = gitHubCallsIn('activities/example.ts', 'await github.rest.issues.create({});\nawait github.rest.checks.listForRef({});');
    expect(neededPermissions(extra).unmapped).toEqual([{ method: 'issues.create', at: 'activities/example.ts:1' }]);
    const reads = gitHubCallsIn('x.ts', 'github.rest.repos.listDeployments(); github.rest.repos.createDeployment();');
    expect(neededPermissions(reads).permissions).toEqual({ metadata: 'read', deployments: 'write' });
  });

  it("the sandbox's App installations get the same permissions", () => {
    expect(DEFAULT_APP_PERMISSIONS).toEqual(neededPermissions(calls).permissions);
  });
});
