/**
 * End to end: `runway audit` on a release run by a `runway worker` against the sandbox — while
 * it runs, once it is released, and after the worker is gone (a finished release's audit reads
 * only its history and description, never a query). Plus its refusals: an unknown id (exit 3)
 * and an unknown format (exit 2).
 */
import { approveSignal } from '../../src/domain/release-api';
import { releaseId } from '../../src/domain/release-id';
import type { AuditRecord } from '../../src/release-client/audit';
import { runRunway, spawnRunway } from '../support/runway-process';
import { randomSha, type SandboxStack, startSandboxStack } from '../support/sandbox-stack';
import { useTestClient } from '../support/temporal';
import { untilStage } from '../support/workflow-runner';

const temporal = useTestClient();
let stack: SandboxStack;

beforeAll(async () => {
  stack = await startSandboxStack();
});
afterAll(async () => stack?.sandbox.close());

async function audit(id: string, format?: 'json' | 'md') {
  const result = await runRunway(['audit', id, ...(format ? ['--format', format] : [])], stack.env);
  expect(result).toMatchObject({ code: 0, stderr: '' });
  return result.stdout;
}

describe('runway audit end to end', () => {
  it('prints the whole story of a release: start, decisions and their channel, side effects, outcome — also with no worker', async () => {
    const version = randomSha();
    const id = releaseId('checkout', version);
    const worker = spawnRunway(['worker'], stack.env);
    try {
      await worker.waitFor(/polling task queue/);
      const start = spawnRunway(['start', '--service', 'checkout', '--version', version, '--requested-by', 'ci-bot', '--reason', 'audit e2e', '--wait'], stack.env);
      await start.waitFor(new RegExp(id));
      await untilStage(temporal.client.workflow.getHandle(id), 'awaiting-approval');

      const running = JSON.parse(await audit(id, 'json')) as AuditRecord;
      expect(running).toMatchObject({ id, type: 'release', status: 'running', start: { requestedBy: 'ci-bot', reason: 'audit e2e', version } });
      expect(running.outcome).toBeUndefined();

      // A refused approval by signal (as from the Web UI), then an approval through the CLI's Update.
      await temporal.client.workflow.getHandle(id).signal(approveSignal, { by: 'mallory' });
      const approved = await runRunway(['approve', id, '--as', 'alice', '--comment', 'looks good'], stack.env);
      expect(approved.code).toBe(0);
      expect((await start.exited).code).toBe(0);
      // `start --wait` ends with the outcome; the run closes once its messenger has sent the final Slack update (a turn of Slack's pace later).
      await temporal.client.workflow.getHandle(id).result();

      const record = JSON.parse(await audit(id, 'json')) as AuditRecord;
      expect(record).toMatchObject({ format: 'runway-audit/1', status: 'completed', outcome: { result: 'released' }, approvalPolicy: { approvers: ['alice', 'bob'] } });
      expect(record.decisions.map((d) => [d.name, d.by, d.via, d.channel, d.outcome])).toEqual([
        ['approve', 'mallory', 'signal', 'signal', 'refused'],
        ['approve', 'alice', 'update', 'cli', 'accepted'],
      ]);
      expect(record.decisions[0]!.detail).toMatch(/mallory is not an allowed approver/);
      // The Slack messenger's word that the final was sent is not a decision (nobody sent it).
      expect(record.otherEvents).toContainEqual(expect.objectContaining({ kind: 'slack-sent' }));
      const updates = record.activities.filter((a) => a.name === 'updateService');
      // Staging, canary steps 10/30/60 %, promotion, canary to 0.
      expect(updates).toHaveLength(6);
      for (const u of updates) expect(u).toMatchObject({ status: 'completed', attempts: 1, result: { changed: true } });
      expect(new Set(record.activities.map((a) => a.worker))).toEqual(new Set([expect.stringMatching(/@/)]));
      expect(record.canary!.bakes.map((b) => b.weight)).toEqual([10, 30, 60]);

      const md = await audit(id);
      expect(md).toContain(`# Audit record: ${id}\n`);
      expect(md).toContain('- **Requested by** ci-bot: “audit e2e”');
      expect(md).toMatch(/\| approve \| alice \| Workflow Update without a Slack origin \(runway CLI or another Temporal client\) \| `[^`]+` \| accepted — “looks good” \|/);
      expect(md).toMatch(/\| approve \| mallory \| signal \(Temporal Web UI or temporal workflow signal\) \| `[^`]+` \| \*\*refused\*\*: .*mallory is not an allowed approver/);
      expect(md).toMatch(
        /\*\*updateService\*\* — canary, completed in .*\n +- input: `cluster=production service=checkout-canary .* desiredCount=4`\n +- result: `.* changed=true`/,
      );
      expect(md).toMatch(/## Outcome\n\n\*\*released\*\* at /);

      // No worker: a finished release's audit needs none, and says the same.
      worker.child.kill('SIGTERM');
      await worker.exited;
      expect(await audit(id, 'json')).toBe(JSON.stringify(record, null, 2) + '\n');
      expect(await audit(id)).toBe(md);
    } finally {
      if (worker.child.exitCode === null && worker.child.signalCode === null) {
        worker.child.kill('SIGTERM');
        await worker.exited;
      }
    }
  });

  it('names an id it cannot find (exit 3) and refuses an unknown format (exit 2)', async () => {
    const missing = await runRunway(['audit', 'release-checkout-0000000'], stack.env);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/no release or rollback with id "release-checkout-0000000"/);
    const badFormat = await runRunway(['audit', 'release-checkout-0000000', '--format', 'yaml'], stack.env);
    expect(badFormat.code).toBe(2);
    expect(badFormat.stderr).toMatch(/--format: "yaml" is not a format \(md, json\)/);
  });
});
