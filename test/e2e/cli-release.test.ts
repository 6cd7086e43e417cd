/**
 * End to end: the `runway` CLI starts a release, a `runway worker` process runs it against the
 * sandbox's emulators through the real AWS, Slack and GitHub clients, and `runway approve`
 * decides it. Plus the CLI's refusals of bad input: a message naming the field, exit 2, and
 * no workflow started.
 */
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import { releaseId } from '../../src/domain/release-id';
import { statusQuery } from '../../src/domain/release-api';
import { testClient } from '../support/temporal';
import { untilGitHubRecordsWritten } from '../../src/release-client/github-records';
import { runRunway, spawnRunway, type RunwayProcess } from '../support/runway-process';
import { randomSha, type SandboxStack, startSandboxStack } from '../support/sandbox-stack';

let client: Client;
let closeClient: () => Promise<void>;
let stack: SandboxStack;
let worker: RunwayProcess;

beforeAll(async () => {
  ({ client, close: closeClient } = await testClient());
  stack = await startSandboxStack();
  worker = spawnRunway(['worker'], stack.env);
  await worker.waitFor(/polling task queue/);
});

afterAll(async () => {
  worker?.child.kill('SIGTERM');
  await worker?.exited;
  await stack?.sandbox.close();
  await closeClient();
});

async function untilStage(id: string, stage: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    try {
      if ((await client.workflow.getHandle(id).query(statusQuery)).stage === stage) return;
    } catch {
      // not started yet, or no worker answering for a moment
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${id} never reached ${stage}`);
}

describe('runway CLI end to end', () => {
  it('releases to production through CLI, worker and sandbox', async () => {
    const version = randomSha();
    const id = releaseId('checkout', version);
    const start = spawnRunway(['start', '--service', 'checkout', '--version', version, '--requested-by', 'ci', '--wait'], stack.env);
    await untilStage(id, 'awaiting-approval');

    const refused = await runRunway(['approve', id, '--as', 'mallory'], stack.env);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/mallory is not an allowed approver/);

    const approved = await runRunway(['approve', id, '--as', 'alice', '--comment', 'ok'], stack.env);
    expect(approved).toMatchObject({ code: 0, stdout: `${id}: approved by alice\n` });

    const result = await start.exited;
    expect(result.stdout.split('\n')[0]).toBe(id);
    expect(result.stderr).toMatch(/released/);
    expect(result.code).toBe(0);

    const status = await runRunway(['status', id, '--json'], stack.env);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ stage: 'released', approval: { by: 'alice' }, canary: { step: 4, weight: 100 } });

    // Deployment records reach GitHub through the installation's writer, a little after the release.
    await untilGitHubRecordsWritten(client, stack.env.RUNWAY_TASK_QUEUE!);
    const calls = await stack.calls();
    const image = `000000000000.dkr.ecr.us-east-1.amazonaws.com/checkout:${version}`;
    const registered = calls.ecs.filter((c) => c.operation === 'RegisterTaskDefinition');
    // One copy for staging, one for production (canary and promotion share it).
    expect(registered.map((c) => (c.request as { family: string }).family).sort()).toEqual(['checkout-production', 'checkout-staging']);
    for (const c of registered) expect((c.request as { containerDefinitions: { image: string }[] }).containerDefinitions[0]!.image).toBe(image);
    expect(calls.slack.filter((c) => c.operation === 'chat.postMessage')).toHaveLength(1);
    expect(calls.github.filter((c) => c.operation.startsWith('POST') && c.operation.endsWith('/deployments'))).toHaveLength(2);
    const statuses = calls.github.filter((c) => c.operation.startsWith('POST') && c.operation.endsWith('/statuses')).map((c) => (c.request as { state: string; environment: string }));
    expect(statuses.map((s) => `${s.environment} ${s.state}`)).toEqual(['staging in_progress', 'staging success', 'production in_progress', 'production success']);
  });

  it('ends rolled back with exit 5 when staging fails its smoke test', async () => {
    const version = randomSha();
    await stack.setScenario({ images: { [version]: 'unhealthy' } });
    const result = await runRunway(['start', '--service', 'checkout', '--version', version, '--wait'], stack.env);
    expect(result.code).toBe(5);
    expect(result.stderr).toMatch(/rolled-back — smoke test: GET .*health did not pass within 5s \(\d+ check\(s\), none passed\); last answers: 503 /);
  });

  it('lets an operator abort from the CLI, and refuses a pause outside the canary', async () => {
    const version = randomSha();
    const id = releaseId('checkout', version);
    const start = spawnRunway(['start', '--service', 'checkout', '--version', version, '--wait'], stack.env);
    await untilStage(id, 'awaiting-approval');
    const pause = await runRunway(['pause', id, '--as', 'alice'], stack.env);
    expect(pause.code).toBe(4);
    expect(pause.stderr).toMatch(/pause refused: only a canary can be paused \(stage: awaiting-approval\)/);
    const abort = await runRunway(['abort', id, '--as', 'bob', '--reason', 'wrong branch'], stack.env);
    expect(abort).toMatchObject({ code: 0, stdout: `${id}: abort by bob\n` });
    const result = await start.exited;
    expect(result.code).toBe(5);
    expect(result.stderr).toMatch(/rolled-back — aborted by bob: wrong branch/);
  });

  it.each([
    [['start', '--service', 'nope', '--version', 'abcdef1'], /unknown service "nope" \(configured: checkout\)/],
    [['start', '--service', 'checkout', '--version', 'main'], /--version: "main" is not a git commit SHA/],
    [['start', '--service', 'checkout'], /required option '--version <sha>' not specified/],
    [['list', '--stage', 'sideways'], /--stage: "sideways" is not a stage/],
  ])('refuses bad input %j with exit 2 and starts nothing', async (args, message) => {
    const result = await runRunway(args, stack.env);
    expect(result.stderr).toMatch(message);
    expect(result.code).toBe(2);
    if (args[0] === 'start' && args[1] !== undefined) {
      const version = args[args.indexOf('--version') + 1];
      if (version) {
        await expect(client.workflow.getHandle(releaseId(args[2]!, version)).describe()).rejects.toThrow(WorkflowNotFoundError);
      }
    }
  });

  it('names the bad field of a broken config file', async () => {
    const { writeFileSync } = await import('node:fs');
    const broken = `${stack.configFile}.broken.yaml`;
    writeFileSync(broken, 'services:\n  checkout:\n    repo: not-a-repo\n');
    const result = await runRunway(['start', '--service', 'checkout', '--version', 'abcdef1', '--config', broken], stack.env);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/services\.checkout\.repo: must be owner\/name/);
    expect(result.stderr).toMatch(/services\.checkout\.approval: /);
  });

  it('says a release does not exist with exit 3', async () => {
    const result = await runRunway(['status', 'release-checkout-0000000'], stack.env);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/release not found/);
  });
});
