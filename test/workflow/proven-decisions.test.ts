/**
 * Decisions whose identity is proven (issue 18, part 3), on a real dev server with a worker
 * configured with keys: a raw Temporal client cannot decide a release by naming an approver,
 * claiming Slack groups, replaying a signature or reusing one made for another release, run or
 * action; refusals change nothing and are recorded. A valid SSH-signed decision (real ssh-keygen
 * keys) and a decision the approvals server MACed are accepted.
 */
import { randomBytes } from 'node:crypto';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import type { DecisionProofKeys } from '../../activities/decision-proof';
import type { DecisionAction } from '../../src/domain/decision-proof';
import {
  abortUpdate,
  approveSignal,
  approveUpdate,
  pauseUpdate,
  resumeUpdate,
  statusQuery,
  type SignedDecision,
} from '../../src/domain/release-api';
import { type DecisionToSign, hmacSignedDecision, sshSignedDecision } from '../../src/release-client/decision-signing';
import { createFakeActivities } from '../support/fake-activities';
import { samplePlan } from '../support/sample-plan';
import { describeWithSshKeygen, useSshKeys } from '../support/ssh-keygen';
import { useTestClient } from '../support/temporal';
import { decisionKeysFrom } from '../../src/config/decision-keys';
import { breakGlassApproveUpdate } from '../../src/domain/freeze-api';
import { parseConfig } from '../../src/config/load';
import { MINIMAL_CONFIG_YAML } from '../support/minimal-config';
import { releaseInput, rollbackInput, startReleaseWorkflow, startRollback, untilStage, untilStatus, withWorker } from '../support/workflow-runner';
import type { RollbackInput } from '../../src/domain/rollback';
import { rollbackToSign } from '../../src/release-client/rollback';
import { releaseOutcome } from '../../src/release-client/outcome';

const temporal = useTestClient();
const HMAC_KEY = randomBytes(32);
const GROUP = 'S0DEPLOYERS';

const refusal = (p: Promise<unknown>) =>
  p.then(
    () => 'accepted',
    (err: WorkflowUpdateFailedError) => `${(err.cause as { type?: string }).type ?? ''}: ${(err.cause as Error).message}`,
  );

describeWithSshKeygen(__filename)('proven decisions', () => {
  const ssh = useSshKeys('alice', 'bob', 'mallory');

  const keys = (cli: 'signed' | 'off' = 'signed'): DecisionProofKeys => ({
    hmacKeys: { k1: HMAC_KEY },
    sshKeysOf: (p) => ({ alice: [ssh.keys.alice.publicLine], bob: [ssh.keys.bob.publicLine] })[p] ?? [],
    cliPolicyOf: () => cli,
  });

  const bound = (handle: WorkflowHandle, runId: string, action: DecisionAction, by: string, extra: Partial<DecisionToSign> = {}): DecisionToSign => ({
    namespace: temporal.client.options.namespace,
    releaseId: handle.workflowId,
    runId,
    action,
    by,
    ...extra,
  });
  const runIdOf = async (handle: WorkflowHandle) => (await handle.describe()).runId;

  it('refuses forged, replayed and misbound decisions, changing nothing and recording each', async () => {
    const fake = createFakeActivities({ decisionKeys: keys() });
    const plan = samplePlan({ approval: { channel: '#deploys', approvers: ['alice', 'bob'], timeoutMs: 60_000, allowSelfApproval: false, groups: [GROUP], requesterSlackId: 'UCAROL' } });
    const { status, history } = await withWorker(fake.activities, async (taskQueue) => {
      const handle = await startReleaseWorkflow(temporal.client, taskQueue, releaseInput(plan));
      await untilStage(handle, 'awaiting-approval');
      const runId = await runIdOf(handle);
      const approve = (request: { by: string; slackUserId?: string; groups?: string[] } & SignedDecision) => refusal(handle.executeUpdate(approveUpdate, { args: [request] }));

      // Any name, no proof.
      expect(await approve({ by: 'alice' })).toBe('DecisionRefused: approval refused: unsigned decision');
      // A Slack identity and group claimed by a raw client.
      expect(await approve({ by: 'mallory', slackUserId: 'UMALLORY', groups: [GROUP] })).toMatch(/^DecisionRefused: approval refused: unsigned decision \(group claim not proven/);
      // A group claim with a MAC made with a key that is not the approvals server's.
      const forgedMac = hmacSignedDecision(bound(handle, runId, 'approve', 'mallory', { slackUserId: 'UMALLORY', groups: [GROUP] }), { kid: 'k1', key: randomBytes(32) });
      expect(await approve({ by: 'mallory', slackUserId: 'UMALLORY', groups: [GROUP], ...forgedMac })).toBe(
        'DecisionRefused: approval refused: approvals-server signature does not match key k1',
      );
      // An SSH-signed decision cannot add a group claim of its own.
      const aliceSigned = await sshSignedDecision(bound(handle, runId, 'approve', 'alice'), ssh.keys.alice.path);
      expect(await approve({ by: 'alice', groups: [GROUP], ...aliceSigned })).toMatch(/^DecisionRefused: approval refused: group claim not proven/);
      // The same signature again: its nonce was used (even though it was refused).
      expect(await approve({ by: 'alice', ...aliceSigned })).toMatch(/^DecisionRefused: approval refused: replayed decision/);
      // Signed for another release, another run, another action.
      const other = await sshSignedDecision({ ...bound(handle, runId, 'approve', 'alice'), releaseId: 'release-checkout-0000000000aa' }, ssh.keys.alice.path);
      expect(await approve({ by: 'alice', ...other })).toBe(`DecisionRefused: approval refused: signature is for release-checkout-0000000000aa, not ${handle.workflowId}`);
      const otherRun = await sshSignedDecision(bound(handle, 'another-run-id', 'approve', 'alice'), ssh.keys.alice.path);
      expect(await approve({ by: 'alice', ...otherRun })).toMatch(/^DecisionRefused: approval refused: signature is for run another-run-id, not run /);
      const rejectSigned = await sshSignedDecision(bound(handle, runId, 'reject', 'alice'), ssh.keys.alice.path);
      expect(await approve({ by: 'alice', ...rejectSigned })).toBe('DecisionRefused: approval refused: signature is for reject, not approve');
      // Signed with a key that is not the named approver's.
      const byMallory = await sshSignedDecision(bound(handle, runId, 'approve', 'alice'), ssh.keys.mallory.path);
      expect(await approve({ by: 'alice', ...byMallory })).toMatch(/^DecisionRefused: approval refused: signature does not match alice's key/);
      // Alice's signature presented under bob's name.
      const aliceAgain = await sshSignedDecision(bound(handle, runId, 'approve', 'alice'), ssh.keys.alice.path);
      expect(await approve({ by: 'bob', ...aliceAgain })).toBe("DecisionRefused: approval refused: the signed decision is alice's, not bob's");
      // A signal cannot carry a proof: refused and recorded (it cannot answer).
      await handle.signal(approveSignal, { by: 'alice' });
      const afterSignal = await untilStatus(handle, (s) => s.approval.refused.length >= 11, 'the signal refused');

      expect(afterSignal).toMatchObject({ stage: 'awaiting-approval' });
      expect(afterSignal.approval.decision).toBeUndefined();
      const history = await handle.fetchHistory();
      await handle.terminate('test done');
      return { status: afterSignal, history };
    });
    const refusedLines = status.history.map((e) => e.message).filter((m) => m.includes('refused'));
    expect(refusedLines).toEqual([
      'approval attempt by alice refused: unsigned decision',
      expect.stringMatching(/^approval attempt by mallory refused: unsigned decision \(group claim not proven/),
      'approval attempt by mallory refused: approvals-server signature does not match key k1',
      expect.stringMatching(/^approval attempt by alice refused: group claim not proven/),
      expect.stringMatching(/^approval attempt by alice refused: replayed decision/),
      expect.stringMatching(/^approval attempt by alice refused: signature is for release-checkout-0000000000aa/),
      expect.stringMatching(/^approval attempt by alice refused: signature is for run another-run-id/),
      'approval attempt by alice refused: signature is for reject, not approve',
      expect.stringMatching(/^approval attempt by alice refused: signature does not match alice's key/),
      "approval attempt by bob refused: the signed decision is alice's, not bob's",
      expect.stringMatching(/^approval attempt by alice refused: unsigned decision: a signal cannot carry a proof/),
    ]);
    // The key never enters the history or the status, only verdicts do.
    const keyText = HMAC_KEY.toString('base64');
    expect(JSON.stringify(history)).not.toContain(keyText);
    expect(JSON.stringify(history)).not.toContain(HMAC_KEY.toString('hex'));
    expect(JSON.stringify(status)).not.toContain(keyText);
    // A person waits for each verdict: every verification goes before the releases' own activities in the queue.
    const verifications = (history.events ?? []).map((e) => e.activityTaskScheduledEventAttributes).filter((a) => a?.activityType?.name === 'verifyDecision');
    expect(verifications.length).toBeGreaterThanOrEqual(8);
    expect(verifications.map((a) => a?.priority?.priorityKey)).toEqual(verifications.map(() => 1));
  });

  it('accepts a valid SSH-signed decision and controls, and a decision the approvals server signed; a replayed control is refused', async () => {
    const fake = createFakeActivities({ decisionKeys: keys() });
    const outcome = await withWorker(fake.activities, async (taskQueue) => {
      const handle = await startReleaseWorkflow(temporal.client, taskQueue, releaseInput(samplePlan({ canary: { bakeMs: 60_000 } })));
      await untilStage(handle, 'awaiting-approval');
      const runId = await runIdOf(handle);
      const signed = await sshSignedDecision(bound(handle, runId, 'approve', 'alice', { note: 'lgtm' }), ssh.keys.alice.path);
      // The note is signed by its digest: another note is refused.
      expect(await refusal(handle.executeUpdate(approveUpdate, { args: [{ by: 'alice', comment: 'ship it', ...signed }] }))).toBe(
        'DecisionRefused: approval refused: the note is not the one signed',
      );
      const again = await sshSignedDecision(bound(handle, runId, 'approve', 'alice', { note: 'lgtm' }), ssh.keys.alice.path);
      await expect(handle.executeUpdate(approveUpdate, { args: [{ by: 'alice', comment: 'lgtm', ...again }] })).resolves.toMatchObject({ decision: 'approved', by: 'alice' });
      await untilStatus(handle, (s) => s.canary.step === 1, 'canary step 1');

      // Bob pauses through the approvals server (an HMAC proof naming his Slack user), then resumes with his SSH key.
      const pause = hmacSignedDecision(bound(handle, runId, 'pause', 'bob', { slackUserId: 'UBOB', note: 'via Slack' }), { kid: 'k1', key: HMAC_KEY });
      await expect(handle.executeUpdate(pauseUpdate, { args: [{ by: 'bob', reason: 'via Slack', slackUserId: 'UBOB', ...pause }] })).resolves.toMatchObject({ action: 'pause', by: 'bob' });
      const resume = await sshSignedDecision(bound(handle, runId, 'resume', 'bob'), ssh.keys.bob.path);
      await expect(handle.executeUpdate(resumeUpdate, { args: [{ by: 'bob', ...resume }] })).resolves.toMatchObject({ action: 'resume' });
      // The pause's proof sent again by someone who saw it: refused, the canary keeps going.
      expect(await refusal(handle.executeUpdate(pauseUpdate, { args: [{ by: 'bob', reason: 'via Slack', slackUserId: 'UBOB', ...pause }] }))).toMatch(
        /^DecisionRefused: pause refused: replayed decision/,
      );
      expect((await handle.query(statusQuery)).paused).toBe(false);
      // An unsigned abort is refused; a signed one rolls back.
      expect(await refusal(handle.executeUpdate(abortUpdate, { args: [{ by: 'alice' }] }))).toBe('DecisionRefused: abort refused: unsigned decision');
      const abort = await sshSignedDecision(bound(handle, runId, 'abort', 'alice', { note: 'enough' }), ssh.keys.alice.path);
      await handle.executeUpdate(abortUpdate, { args: [{ by: 'alice', reason: 'enough', ...abort }] });
      return await releaseOutcome(handle);
    });
    expect(outcome).toMatchObject({ result: 'rolled-back', reason: 'aborted by alice: enough' });
    expect(outcome.status.approval).toMatchObject({ decision: 'approved', by: 'alice', comment: 'lgtm' });
    expect(outcome.status.controls?.map((c) => `${c.action} by ${c.by}`)).toEqual(['pause by bob', 'resume by bob', 'abort by alice']);
    const messages = outcome.status.history.map((e) => e.message);
    expect(messages).toContain('approval attempt by alice refused: the note is not the one signed');
    expect(messages).toEqual(expect.arrayContaining([expect.stringMatching(/^pause attempt by bob refused: replayed decision/), 'abort attempt by alice refused: unsigned decision']));
  });

  it('approval.cli: off refuses a signed CLI decision; the approvals server still decides', async () => {
    const fake = createFakeActivities({ decisionKeys: keys('off') });
    const outcome = await withWorker(fake.activities, async (taskQueue) => {
      const handle = await startReleaseWorkflow(temporal.client, taskQueue, releaseInput());
      await untilStage(handle, 'awaiting-approval');
      const runId = await runIdOf(handle);
      const signed = await sshSignedDecision(bound(handle, runId, 'approve', 'alice'), ssh.keys.alice.path);
      expect(await refusal(handle.executeUpdate(approveUpdate, { args: [{ by: 'alice', ...signed }] }))).toBe(
        'DecisionRefused: approval refused: CLI decisions are off for checkout (approval.cli: off): decide in Slack',
      );
      expect(await handle.query(statusQuery)).toMatchObject({ stage: 'awaiting-approval' });
      const slack = hmacSignedDecision(bound(handle, runId, 'approve', 'alice', { slackUserId: 'UALICE' }), { kid: 'k1', key: HMAC_KEY });
      await handle.executeUpdate(approveUpdate, { args: [{ by: 'alice', slackUserId: 'UALICE', ...slack }] });
      return await releaseOutcome(handle);
    });
    expect(outcome.result).toBe('released');
    expect(outcome.status.approval.refused).toEqual([expect.objectContaining({ by: 'alice', reason: expect.stringMatching(/^CLI decisions are off for checkout/) })]);
  });

  it("proves the rollback workflow's approvals the same way", async () => {
    const fake = createFakeActivities({ decisionKeys: keys() });
    const outcome = await withWorker(fake.activities, async (taskQueue) => {
      const unsigned = { ...rollbackInput(samplePlan({ rollback: { approval: 'required' } })), requestedBy: 'bob' };
      const input = { ...unsigned, from: { ...unsigned.from, runId: 'run-of-the-release' } };
      const start = await sshSignedDecision(rollbackToSign(temporal.client.options.namespace, input), ssh.keys.bob.path);
      const handle = await startRollback(temporal.client, taskQueue, { ...input, decision: start });
      await untilStage(handle, 'awaiting-approval');
      expect(await refusal(handle.executeUpdate(approveUpdate, { args: [{ by: 'alice' }] }))).toBe('DecisionRefused: approval refused: unsigned decision');
      const signed = await sshSignedDecision(bound(handle, await runIdOf(handle), 'approve', 'alice'), ssh.keys.alice.path);
      await handle.executeUpdate(approveUpdate, { args: [{ by: 'alice', ...signed }] });
      return await releaseOutcome(handle);
    });
    expect(outcome.result).toBe('released');
    expect(outcome.status.approval).toMatchObject({ decision: 'approved', by: 'alice', refused: [expect.objectContaining({ reason: 'unsigned decision' })] });
  });

  it("refuses a signed approval by an approver only the release's own plan names, not the worker's config", async () => {
    // The worker's config: checkout is approved by alice; mallory has a key (she is a person Runway knows).
    const yaml = `${MINIMAL_CONFIG_YAML.replace('  api:', '  checkout:')}\npeople:\n  alice: { sshKeys: ["${ssh.keys.alice.publicLine}"] }\n  mallory: { sshKeys: ["${ssh.keys.mallory.publicLine}"] }\n`;
    const fake = createFakeActivities({ decisionKeys: decisionKeysFrom({ RUNWAY_DECISION_HMAC_KEYS: undefined }, parseConfig(yaml, 'worker.yaml')) });
    // Whoever started the release wrote mallory into its plan.
    const forged = samplePlan({ approval: { channel: '#deploys', approvers: ['alice', 'mallory'], timeoutMs: 60_000, allowSelfApproval: false } });
    const status = await withWorker(fake.activities, async (taskQueue) => {
      const handle = await startReleaseWorkflow(temporal.client, taskQueue, releaseInput(forged));
      await untilStage(handle, 'awaiting-approval');
      const signed = await sshSignedDecision(bound(handle, await runIdOf(handle), 'approve', 'mallory'), ssh.keys.mallory.path);
      expect(await refusal(handle.executeUpdate(approveUpdate, { args: [{ by: 'mallory', ...signed }] }))).toBe(
        "DecisionRefused: approval refused: mallory is not an approver of checkout in the worker's config (allowed: alice)",
      );
      const result = await handle.query(statusQuery);
      await handle.terminate('test done');
      return result;
    });
    expect(status).toMatchObject({ stage: 'awaiting-approval', approval: { refused: [expect.objectContaining({ by: 'mallory' })] } });
  });

  it('proves break-glass approvals: an unsigned one or one signed with another key is refused and recorded; signed ones pass the freeze', async () => {
    const fake = createFakeActivities({ decisionKeys: keys() });
    const now = Date.now();
    const plan = samplePlan({
      approval: { channel: '#deploys', approvers: ['alice', 'bob'], timeoutMs: 60_000, allowSelfApproval: false },
      freeze: { intervals: [{ startMs: now - 1000, endMs: now + 3600_000, reason: 'year-end freeze', scope: 'global' }], resolvedFromMs: now - 3600_000, resolvedUntilMs: now + 24 * 3600_000, breakGlassRequired: 2 },
    });
    const outcome = await withWorker(fake.activities, async (taskQueue) => {
      const handle = await startReleaseWorkflow(temporal.client, taskQueue, { ...releaseInput(plan), breakGlass: { reason: 'security fix' } });
      await untilStage(handle, 'awaiting-approval');
      const runId = await runIdOf(handle);
      await handle.executeUpdate(approveUpdate, { args: [{ by: 'alice', ...(await sshSignedDecision(bound(handle, runId, 'approve', 'alice'), ssh.keys.alice.path)) }] });
      await untilStage(handle, 'frozen');
      const breakGlass = (request: { by: string; comment?: string } & SignedDecision) => refusal(handle.executeUpdate(breakGlassApproveUpdate, { args: [request] }));

      expect(await breakGlass({ by: 'alice' })).toMatch(/^DecisionRefused: break-glass approval refused: unsigned decision/);
      // Mallory's key, claiming to be bob.
      expect(await breakGlass({ by: 'bob', ...(await sshSignedDecision(bound(handle, runId, 'break-glass', 'bob'), ssh.keys.mallory.path)) })).toMatch(/^DecisionRefused: break-glass approval refused: .*bob/);
      // A proof for another action (alice's approval) is not a break-glass approval.
      expect(await breakGlass({ by: 'alice', ...(await sshSignedDecision(bound(handle, runId, 'approve', 'alice'), ssh.keys.alice.path)) })).toMatch(/^DecisionRefused: break-glass approval refused/);
      expect((await handle.query(statusQuery)).freeze?.breakGlass?.approvals).toEqual([]);

      expect(await handle.executeUpdate(breakGlassApproveUpdate, { args: [{ by: 'alice', ...(await sshSignedDecision(bound(handle, runId, 'break-glass', 'alice'), ssh.keys.alice.path)) }] })).toMatchObject({ by: 'alice', pending: 1 });
      expect(await handle.executeUpdate(breakGlassApproveUpdate, { args: [{ by: 'bob', ...(await sshSignedDecision(bound(handle, runId, 'break-glass', 'bob'), ssh.keys.bob.path)) }] })).toMatchObject({ by: 'bob', pending: 0 });
      return await releaseOutcome(handle);
    });
    expect(outcome.result).toBe('released');
    expect(outcome.status.freeze?.breakGlass?.approvals.map((a) => a.by)).toEqual(['alice', 'bob']);
    const refused = outcome.status.history.map((e) => e.message).filter((m) => m.includes('refused'));
    expect(refused.length).toBeGreaterThanOrEqual(3);
  });

  it('proves who starts a rollback: unsigned, misbound or forged starts change nothing and end rejected naming why; signed ones roll back', async () => {
    const fake = createFakeActivities({ decisionKeys: keys() });
    const namespace = temporal.client.options.namespace;
    // The rolled-back release's run: the proof is bound to it (the rollback's own run id does not exist yet).
    const input = (requestedBy = 'alice'): RollbackInput => ({ ...rollbackInput(), requestedBy, from: { ...rollbackInput().from, runId: 'run-of-the-release' } });
    const outcomes = await withWorker(fake.activities, async (taskQueue) => {
      const run = async (i: RollbackInput) => await releaseOutcome(await startRollback(temporal.client, taskQueue, i));
      const unsigned = await run(input());
      // Alice's proof for another target (a tampered input).
      const tampered = input();
      const tamperedProof = await sshSignedDecision(rollbackToSign(namespace, tampered), ssh.keys.alice.path);
      const toOther = await run({ ...tampered, to: { ...tampered.to, taskDefinition: 'td/checkout-production:7' }, decision: tamperedProof });
      // Mallory's key under alice's name; alice's proof for another rolled-back run.
      const forged = input();
      const byMallory = await run({ ...forged, decision: await sshSignedDecision(rollbackToSign(namespace, forged), ssh.keys.mallory.path) });
      const otherRun = input();
      const otherRunProof = await sshSignedDecision(rollbackToSign(namespace, { ...otherRun, from: { ...otherRun.from, runId: 'another-run' } }), ssh.keys.alice.path);
      const misbound = await run({ ...otherRun, decision: otherRunProof });
      const callsBefore = fake.names().filter((n) => n !== 'verifyDecision' && n !== 'enterLane').length;
      // Valid: alice's SSH signature, and the approvals server's proof of bob's click.
      const bySsh = input();
      const signedBySsh = await run({ ...bySsh, decision: await sshSignedDecision(rollbackToSign(namespace, bySsh), ssh.keys.alice.path) });
      // Production now runs what alice's rollback put back: bob's click rolls that back.
      const afterSsh = input('bob');
      const bySlack = { ...afterSsh, from: { ...afterSsh.from, taskDefinition: bySsh.to.taskDefinition }, to: { ...afterSsh.to, taskDefinition: bySsh.from.taskDefinition! } };
      const signedBySlack = await run({ ...bySlack, decision: hmacSignedDecision(rollbackToSign(namespace, bySlack, { slackUserId: 'UBOB', groups: [GROUP] }), { kid: 'k1', key: HMAC_KEY }) });
      return { unsigned, toOther, byMallory, misbound, callsBefore, signedBySsh, signedBySlack };
    });
    expect(outcomes.unsigned).toMatchObject({ result: 'rejected', reason: 'rollback refused: unsigned decision' });
    expect(outcomes.toOther).toMatchObject({ result: 'rejected', reason: 'rollback refused: the note is not the one signed' });
    expect(outcomes.byMallory).toMatchObject({ result: 'rejected', reason: expect.stringMatching(/^rollback refused: signature does not match alice's key/) });
    expect(outcomes.misbound).toMatchObject({ result: 'rejected', reason: expect.stringMatching(/^rollback refused: signature is for run another-run, not run run-of-the-release of rollback-release-checkout-/) });
    for (const refused of [outcomes.unsigned, outcomes.toOther, outcomes.byMallory, outcomes.misbound]) {
      expect(refused.status.history.map((e) => e.message)).toContain(`rollback requested by alice refused: ${(refused.reason ?? '').replace('rollback refused: ', '')}`);
    }
    // The refused ones touched nothing: no ECS, GitHub or Slack call before the valid ones ran.
    expect(outcomes.callsBefore).toBe(0);
    expect(outcomes.signedBySsh).toMatchObject({ result: 'released' });
    expect(outcomes.signedBySsh.status.history.map((e) => e.message)).toContain('rollback requested by alice, proven by SSH signature');
    expect(outcomes.signedBySlack).toMatchObject({ result: 'released' });
    expect(outcomes.signedBySlack.status.history.map((e) => e.message)).toContain("rollback requested by bob, proven by the approvals server's signature");
  });
});
