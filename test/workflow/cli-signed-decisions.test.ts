/**
 * `runway approve|pause|… --sign-with` as a real CLI process against a worker that requires proofs
 * (issue 18, part 3): the SSH-signed decision is accepted; unsigned, or signed with a key that is
 * not the named person's, it is refused with the reason and exit code 4; a missing key file is
 * invalid input (2); no ssh-keygen on PATH is an error naming it (1). `runway rollback
 * --sign-with` starts a rollback the worker proves before it touches production; unsigned, the
 * rollback ends rejected (exit 6 with --wait) naming why, and production is unchanged.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { ReleaseOutcome } from '../../src/domain/release';
import { approveUpdate, RELEASE_WORKFLOW_TYPE, serviceSearchAttribute, stageSearchAttribute, statusQuery, versionSearchAttribute } from '../../src/domain/release-api';
import { releaseId } from '../../src/domain/release-id';
import { rollbackId } from '../../src/domain/rollback';
import { sshSignedDecision } from '../../src/release-client/decision-signing';
import { untilRecorded } from '../support/releases-to-production';
import { createFakeActivities } from '../support/fake-activities';
import { spawnRunway } from '../support/runway-process';
import { samplePlan } from '../support/sample-plan';
import { describeWithSshKeygen, useSshKeys } from '../support/ssh-keygen';
import { testTemporalAddress, uniqueId, useTestClient } from '../support/temporal';
import { releaseInput, startReleaseWorkflow, untilStage, untilStatus, withWorker } from '../support/workflow-runner';
import { releaseOutcome } from '../../src/release-client/outcome';

const temporal = useTestClient();

describeWithSshKeygen(__filename)('runway decisions signed with --sign-with', () => {
  const ssh = useSshKeys('alice', 'bob');

  const runway = async (args: string[], env: Record<string, string> = {}) =>
    spawnRunway(args, { TEMPORAL_ADDRESS: testTemporalAddress(), TEMPORAL_NAMESPACE: 'default', RUNWAY_SIGNING_KEY: '', ...env }).exited;

  it('accepts a signed approve and abort; refuses unsigned, another key, a missing key file and no ssh-keygen', async () => {
    const fake = createFakeActivities({
      decisionKeys: { hmacKeys: { k1: randomBytes(32) }, sshKeysOf: (p) => ({ alice: [ssh.keys.alice.publicLine], bob: [ssh.keys.bob.publicLine] })[p] ?? [] },
    });
    const outcome = await withWorker(fake.activities, async (taskQueue) => {
      const handle = await startReleaseWorkflow(temporal.client, taskQueue, releaseInput(samplePlan({ canary: { bakeMs: 60_000 } })));
      await untilStage(handle, 'awaiting-approval');
      const id = handle.workflowId;

      const unsigned = await runway(['approve', id, '--as', 'alice']);
      expect(unsigned.code).toBe(4);
      expect(unsigned.stderr).toContain('approval refused: unsigned decision');

      const wrongKey = await runway(['approve', id, '--as', 'alice', '--sign-with', ssh.keys.bob.path]);
      expect(wrongKey.code).toBe(4);
      expect(wrongKey.stderr).toContain("approval refused: signature does not match alice's key");

      const missing = await runway(['approve', id, '--as', 'alice', '--sign-with', `${ssh.dir.dir}/no-such-key`]);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain(`--sign-with: no key file ${ssh.dir.dir}/no-such-key`);

      const noSshKeygen = await runway(['approve', id, '--as', 'alice'], { RUNWAY_SIGNING_KEY: ssh.keys.alice.path, PATH: '/nonexistent' });
      expect(noSshKeygen.code).toBe(1);
      expect(noSshKeygen.stderr).toMatch(/ssh-keygen not found/);
      expect((await handle.query(statusQuery)).stage).toBe('awaiting-approval');

      const signed = await runway(['approve', id, '--as', 'alice', '--comment', 'lgtm', '--sign-with', ssh.keys.alice.path]);
      expect(signed).toMatchObject({ code: 0 });
      expect(signed.stdout).toContain(`${id}: approved by alice`);
      await untilStatus(handle, (s) => s.canary.step === 1, 'canary step 1');

      const abort = await runway(['abort', id, '--as', 'bob', '--reason', 'enough'], { RUNWAY_SIGNING_KEY: ssh.keys.bob.path });
      expect(abort.stdout).toContain(`${id}: abort by bob`);
      return await releaseOutcome(handle);
    });
    expect(outcome).toMatchObject({ result: 'rolled-back', reason: 'aborted by bob: enough' });
    expect(outcome.status.approval).toMatchObject({ decision: 'approved', by: 'alice', comment: 'lgtm' });
    expect(outcome.status.approval.refused.map((r) => r.reason)).toEqual(['unsigned decision', expect.stringMatching(/^signature does not match alice's key/)]);
  });

  it('runway break-glass approve: refused unsigned (exit 4), accepted signed with the approver\'s key', async () => {
    const fake = createFakeActivities({
      decisionKeys: { hmacKeys: { k1: randomBytes(32) }, sshKeysOf: (p) => ({ alice: [ssh.keys.alice.publicLine], bob: [ssh.keys.bob.publicLine] })[p] ?? [] },
    });
    const now = Date.now();
    const plan = samplePlan({
      freeze: { intervals: [{ startMs: now - 1000, endMs: now + 3600_000, reason: 'year-end freeze', scope: 'global' }], resolvedFromMs: now - 3600_000, resolvedUntilMs: now + 24 * 3600_000, breakGlassRequired: 1 },
    });
    const outcome = await withWorker(fake.activities, async (taskQueue) => {
      const handle = await startReleaseWorkflow(temporal.client, taskQueue, { ...releaseInput(plan), breakGlass: { reason: 'security fix' } });
      await untilStage(handle, 'awaiting-approval');
      const id = handle.workflowId;
      expect(await runway(['approve', id, '--as', 'alice', '--sign-with', ssh.keys.alice.path])).toMatchObject({ code: 0 });
      await untilStage(handle, 'frozen');

      const unsigned = await runway(['break-glass', 'approve', id, '--as', 'bob']);
      expect(unsigned.code).toBe(4);
      expect(unsigned.stderr).toContain('break-glass approval refused: unsigned decision');
      expect((await handle.query(statusQuery)).stage).toBe('frozen');

      const signed = await runway(['break-glass', 'approve', id, '--as', 'bob', '--sign-with', ssh.keys.bob.path]);
      expect(signed).toMatchObject({ code: 0 });
      expect(signed.stdout).toContain(`${id}: break-glass approved by bob; it passes the freeze`);
      return await releaseOutcome(handle);
    });
    expect(outcome.result).toBe('released');
    expect(outcome.status.freeze?.breakGlass?.approvals.map((a) => a.by)).toEqual(['bob']);
  });

  it('runway rollback --sign-with: the proven rollback puts production back; unsigned it ends rejected naming why and changes nothing', async () => {
    const fake = createFakeActivities({
      decisionKeys: { hmacKeys: { k1: randomBytes(32) }, sshKeysOf: (p) => ({ alice: [ssh.keys.alice.publicLine] })[p] ?? [] },
    });
    // A service of its own (production records are per service across the dev server), on the fake's checkout ECS services.
    const service = uniqueId('rbsig');
    const configFile = path.join(ssh.dir.dir, `${service}.yaml`);
    writeFileSync(
      configFile,
      `services:\n  ${service}:\n    repo: acme/checkout\n    image: registry.local/checkout\n    container: app\n` +
        `    staging: { cluster: staging, service: checkout }\n    production: { cluster: production, service: checkout, canaryService: checkout-canary }\n` +
        `    smoke: { url: "http://localhost/health" }\n    approval: { channel: "#d", approvers: [alice] }\n`,
    );
    const result = await withWorker(fake.activities, async (taskQueue) => {
      const released: ReleaseOutcome[] = [];
      for (let i = 0; i < 2; i++) {
        const input = { ...releaseInput(samplePlan()), service };
        const handle = await temporal.client.workflow.start(RELEASE_WORKFLOW_TYPE, {
          workflowId: releaseId(service, input.version),
          taskQueue,
          args: [input],
          typedSearchAttributes: [
            { key: serviceSearchAttribute, value: service },
            { key: versionSearchAttribute, value: input.version },
            { key: stageSearchAttribute, value: 'queued' },
          ],
        });
        await untilStage(handle, 'awaiting-approval');
        const runId = (await handle.describe()).runId;
        const signed = await sshSignedDecision({ namespace: 'default', releaseId: handle.workflowId, runId, action: 'approve', by: 'alice' }, ssh.keys.alice.path);
        await handle.executeUpdate(approveUpdate, { args: [{ by: 'alice', ...signed }] });
        released.push(await releaseOutcome(handle));
      }
      await untilRecorded(temporal.client, service, 2);
      const env = { RUNWAY_TASK_QUEUE: taskQueue, RUNWAY_CONFIG: configFile };
      const unsigned = await runway(['rollback', '--service', service, '--reason', 'errors', '--as', 'alice', '--wait'], env);
      const productionAfterRefusal = (await fake.activities.describeService({ cluster: 'production', service: 'checkout' })).taskDefinition;
      // The refused rollback has its id: signed, the same rollback is started again (its run ended).
      await releaseOutcome(temporal.client.workflow.getHandle(rollbackId(released[1].releaseId)));
      const signed = await runway(['rollback', '--service', service, '--reason', 'errors', '--as', 'alice', '--wait', '--sign-with', ssh.keys.alice.path], env);
      const productionAfter = (await fake.activities.describeService({ cluster: 'production', service: 'checkout' })).taskDefinition;
      return { released, unsigned, productionAfterRefusal, signed, productionAfter };
    });
    const [first, second] = result.released;
    expect(result.unsigned.code).toBe(6);
    expect(result.unsigned.stderr).toContain('rollback refused: unsigned decision');
    expect(result.productionAfterRefusal).toBe(second.status.deployed!.production);
    expect(result.signed.stderr).not.toContain('refused');
    expect(result.signed.code).toBe(0);
    expect(result.productionAfter).toBe(first.status.deployed!.production);
  });
});
