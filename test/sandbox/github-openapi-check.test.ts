/**
 * The GitHub description check itself (test/support/github-openapi.ts) must be able to fail:
 * answers and requests the emulator really recorded pass, and the same ones with one field made
 * wrong are caught, naming the field. The GitHub contract tests run this check after every test,
 * on every call they made.
 */
import type { Octokit } from '@octokit/rest';
import { type SandboxCall, type Sandbox, startSandbox } from '../../src/sandbox';
import { gitHubOpenApi } from '../support/github-openapi';
import { gitHubClient } from '../support/sandbox-clients';

const repo = { owner: 'acme', repo: 'checkout' };
const SHA = 'd'.repeat(40);

// One sandbox for the file: each test reads back the calls it has just made.
let sandbox: Sandbox;
let github: Octokit;
beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, services: [], recordExchanges: true });
  github = gitHubClient(sandbox);
});
afterAll(() => sandbox.close());

/** The last GitHub call, as the contract tests' check sees it (a deep copy: free to tamper with). */
type Recorded = SandboxCall & { exchange: NonNullable<SandboxCall['exchange']> & { responseBody: any } }; // eslint-disable-line @typescript-eslint/no-explicit-any -- tampered with freely
function lastCall(): Recorded {
  return sandbox.calls().github.at(-1) as Recorded;
}

const problems = (call: SandboxCall) => gitHubOpenApi().checkCall(call).map((v) => `${v.part} ${v.at} ${v.message}`);

describe('answers', () => {
  it('passes a real deployment, and catches a wrong type, a missing required member, a creator that is not a user and a bad URL', async () => {
    await github.rest.repos.createDeployment({ ...repo, ref: SHA, environment: 'staging', required_contexts: [], auto_merge: false });
    const call = lastCall();
    expect(problems(call)).toEqual([]);

    const body = call.exchange.responseBody;
    body.sha = 42;
    delete body.task;
    body.creator = { login: 'runway-sandbox[bot]', id: 1 };
    body.statuses_url = 'not a url';
    expect(problems(call)).toEqual(
      expect.arrayContaining([
        'response /sha must be string',
        "response  must have required property 'task'",
        "response /creator must have required property 'avatar_url'",
        'response /statuses_url must match format "uri"',
      ]),
    );
  });

  it('reads nullable as GitHub means it: a null conclusion passes while a run is in progress, a value outside the enum does not', async () => {
    sandbox.setScenario({ github: { checkRuns: { [SHA]: [{ name: 'build', conclusion: 'pending' }] } } });
    await github.rest.checks.listForRef({ ...repo, ref: SHA });
    const call = lastCall();
    expect(call.exchange.responseBody.check_runs[0].conclusion).toBeNull();
    expect(problems(call)).toEqual([]);

    call.exchange.responseBody.check_runs[0].conclusion = 'green';
    call.exchange.responseBody.check_runs[0].status = 'done';
    expect(problems(call)).toEqual([
      expect.stringMatching(/^response \/check_runs\/0\/status must be equal to one of the allowed values \["queued","in_progress","completed"/),
      expect.stringMatching(/^response \/check_runs\/0\/conclusion must be equal to one of the allowed values \["success",.*null\]$/),
    ]);
  });

  it('holds oneOf to exactly one branch: a deployment payload is an object or a string, never a number', async () => {
    await github.rest.repos.createDeployment({ ...repo, ref: SHA, required_contexts: [], payload: { releaseId: 'r' } });
    const call = lastCall();
    expect(problems(call)).toEqual([]);
    call.exchange.responseBody.payload = 7;
    expect(problems(call)).toContain('response /payload must match exactly one schema in oneOf');
  });

  it('refuses a status the operation does not describe, and checks a general error against basic-error', async () => {
    await github.rest.actions.createWorkflowDispatch({ ...repo, workflow_id: 'build.yml', ref: 'main' });
    const dispatch = lastCall();
    expect(dispatch.status).toBe(204);
    expect(problems(dispatch)).toEqual([]);
    expect(problems({ ...dispatch, status: 201 })).toEqual([expect.stringMatching(/^response {2}status 201 is not described for this operation \(described: 200, 204\)$/)]);
    expect(problems({ ...dispatch, exchange: { ...dispatch.exchange, responseBody: { workflow_run_id: 1 } } })).toEqual(['response  status 204 is described without a body, but one was sent']);

    await expect(github.rest.repos.getDeployment({ ...repo, deployment_id: 999 })).rejects.toMatchObject({ status: 404 });
    const notFound = lastCall();
    expect(problems(notFound)).toEqual([]);
    notFound.exchange.responseBody.message = 404;
    expect(problems(notFound)).toEqual(['response /message must be string']);
  });
});

describe('requests', () => {
  it("checks an accepted request's body, query and path parameters against the operation", async () => {
    await github.rest.repos.createDeploymentStatus({ ...repo, deployment_id: ((await github.rest.repos.createDeployment({ ...repo, ref: SHA, required_contexts: [] })).data as { id: number }).id, state: 'success', log_url: 'http://ui/x' });
    const status = lastCall();
    expect(problems(status)).toEqual([]);
    // environment_url was not given: GitHub's declared default "" passes its format, anything else must be a URI.
    expect(status.exchange.responseBody.environment_url).toBe('');
    expect(problems({ ...status, exchange: { ...status.exchange, responseBody: { ...status.exchange.responseBody, environment_url: 'staging' } } })).toEqual(['response /environment_url must match format "uri (or empty)"']);
    expect(problems({ ...status, request: { state: 'success', auto_inactive: 'yes' } })).toEqual(['request /auto_inactive must be boolean']);
    expect(problems({ ...status, request: { log_url: 'http://ui/x' } })).toEqual(["request  must have required property 'state'"]);

    await github.rest.checks.listForRef({ ...repo, ref: SHA, per_page: 100 });
    const list = lastCall();
    expect(problems(list)).toEqual([]);
    const query = (q: Record<string, string>) => problems({ ...list, exchange: { ...list.exchange, query: q } });
    expect(query({ filter: 'newest' })).toEqual([expect.stringMatching(/^request query\.filter must be equal to one of the allowed values \["latest","all"\]$/)]);
    expect(query({ per_page: 'many' })).toEqual(['request query.per_page must be integer']);
    expect(query({ filtr: 'latest' })).toEqual(['request query.filtr not a query parameter of this operation']);
  });

  it('names a request to a path GitHub does not have', async () => {
    const call = { seq: 1, at: '', operation: 'GET /repos/acme/checkout/deployment', request: {}, status: 200, exchange: { method: 'GET', path: '/github/repos/acme/checkout/deployment', query: {}, responseBody: [] } };
    expect(problems(call)).toEqual(["response  no operation in GitHub's description has this method and path"]);
  });
});

it('needs the exchanges: a sandbox that does not keep them says how to start it', async () => {
  const plain = await startSandbox({ port: 0, services: [] });
  try {
    await gitHubClient(plain).rest.checks.listForRef({ ...repo, ref: SHA });
    const [call] = plain.calls().github;
    expect(call!.exchange).toBeUndefined();
    expect(() => gitHubOpenApi().checkCall(call!)).toThrow(/recordExchanges: true/);
  } finally {
    await plain.close();
  }
});
