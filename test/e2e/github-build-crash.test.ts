/**
 * A worker dies (SIGKILL) while waiting for a dispatched GitHub build, or while GitHub is still
 * answering the dispatch itself; another worker picks the activity up and the build is never
 * dispatched a second time.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { startSandbox, type Sandbox } from '../../src/sandbox';
import { testClient, testTemporalAddress } from '../support/temporal';

const SHA = 'd'.repeat(40);
const DISPATCH = 'POST /repos/acme/checkout/actions/workflows/build.yml/dispatches';
const RUN_READ = /^GET \/repos\/acme\/checkout\/actions\/runs\/\d+$/;

let sandbox: Sandbox;
const workers: ChildProcess[] = [];
const taskQueue = `github-build-${randomBytes(4).toString('hex')}`;

function startWorker(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, '../support/github-build-worker.ts')], {
    env: { ...process.env, TEMPORAL_ADDRESS: testTemporalAddress(), GITHUB_API_URL: `${sandbox.url}/github`, TASK_QUEUE: taskQueue },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  workers.push(child);
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start:\n${output}`)), 90_000);
    const onData = (d: Buffer) => {
      output += d;
      if (output.includes('polling')) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', () => reject(new Error(`worker exited:\n${output}`)));
  });
}

/** Polls the sandbox's call log (bounded) until `done` holds. */
async function untilCalls(done: (operations: string[]) => boolean): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (done(sandbox.calls().github.map((c) => c.operation))) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the expected GitHub calls never arrived');
}

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, services: [] });
});
/** Each test starts from no live worker, so the one it kills is the one running its activity. */
afterEach(() => {
  for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
});
afterAll(async () => {
  for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
  await sandbox.close();
});

it('resumes waiting for the same run on another worker after a crash, with one dispatch', async () => {
  sandbox.setScenario({ github: { builds: { [SHA]: { conclusion: 'success', durationMs: 8_000 } } } });
  const { client, close } = await testClient();
  try {
    const first = await startWorker();
    const handle = await client.workflow.start('githubBuild', {
      taskQueue,
      workflowId: `github-build-crash-${randomBytes(4).toString('hex')}`,
      args: [{ repo: 'acme/checkout', version: SHA, image: `registry/checkout:${SHA}` }],
    });
    await untilCalls((ops) => ops.filter((op) => RUN_READ.test(op)).length >= 2);
    first.kill('SIGKILL');
    const readsBeforeCrash = sandbox.calls().github.filter((c) => RUN_READ.test(c.operation)).length;

    await startWorker();
    const result = await handle.result();

    expect(result).toMatchObject({ conclusion: 'success', dispatched: true, image: `registry/checkout:${SHA}` });
    const calls = sandbox.calls().github;
    expect(calls.filter((c) => c.operation === DISPATCH)).toHaveLength(1);
    expect(calls.filter((c) => RUN_READ.test(c.operation)).length).toBeGreaterThan(readsBeforeCrash);
    const attempts = (await handle.fetchHistory()).events!
      .map((e) => e.activityTaskStartedEventAttributes?.attempt)
      .filter((a): a is number => typeof a === 'number');
    expect(Math.max(...attempts)).toBeGreaterThan(1);
  } finally {
    await close();
  }
});

it('dispatches once when the worker dies while GitHub is answering the dispatch, and the build still completes', async () => {
  const sha = '9'.repeat(40);
  const ofThisCommit = (c: { request: unknown }) => (c.request as { inputs?: { commit?: string } }).inputs?.commit === sha;
  const runsOfThisCommit = () => (sandbox.state().github as { workflowRuns: { inputs: { commit?: string } }[] }).workflowRuns.filter((r) => r.inputs.commit === sha);
  // The dispatch takes effect at once but its answer is held, so the worker dies inside dispatchBuild.
  sandbox.setScenario({ github: { builds: { [sha]: { conclusion: 'success', durationMs: 3_000 } }, latency: { ms: 6_000, count: 1, match: 'dispatches' } } });
  const { client, close } = await testClient();
  try {
    const first = await startWorker();
    const handle = await client.workflow.start('githubBuild', {
      taskQueue,
      workflowId: `github-dispatch-crash-${randomBytes(4).toString('hex')}`,
      args: [{ repo: 'acme/checkout', version: sha, image: `registry/checkout:${sha}` }],
    });
    for (let i = 0; i < 600 && runsOfThisCommit().length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(runsOfThisCommit()).toHaveLength(1);
    // GitHub has not answered yet: the kill lands inside dispatchBuild.
    expect(sandbox.calls().github.filter((c) => c.operation === DISPATCH && ofThisCommit(c))).toHaveLength(0);
    first.kill('SIGKILL');

    await startWorker();
    const result = await handle.result();

    // The retry found the run the dead attempt dispatched and waited for it.
    expect(result).toMatchObject({ conclusion: 'success', dispatched: false, image: `registry/checkout:${sha}` });
    expect(runsOfThisCommit()).toHaveLength(1);
    // The held answer is recorded once it is sent; there is still exactly one dispatch.
    await untilCalls(() => sandbox.calls().github.some((c) => c.operation === DISPATCH && ofThisCommit(c)));
    expect(sandbox.calls().github.filter((c) => c.operation === DISPATCH && ofThisCommit(c))).toHaveLength(1);
  } finally {
    await close();
  }
});
