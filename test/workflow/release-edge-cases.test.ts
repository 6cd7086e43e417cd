/**
 * The release's edge cases, with fake activities on a real dev server: GitHub records kept
 * trying through a crowded worker; the CI-green rule before a dispatched build; canary counts
 * by closest share; no data never steps a canary up, and a resumed hold bakes the rest of its
 * step; Slack updates that never hold up the canary; approvals so far and unhappy endings in
 * Slack; and GitHub left alone for an environment whose restore failed.
 */
import type { AnalyseBakeInput, BakeReport } from '../../activities/canary-analysis';
import { bakeDecision, judgeMeasurement, type TrackMetrics } from '../../src/domain/canary-analysis';
import type { CanaryAnalysisPlan, ReleaseOutcome, ReleasePlan } from '../../src/domain/release';
import { approveUpdate, rejectUpdate, resumeUpdate } from '../../src/domain/release-api';
import { useTestClient } from '../support/temporal';
import { createFakeActivities } from '../support/fake-activities';
import { SAMPLE_ANALYSIS, samplePlan } from '../support/sample-plan';
import { releaseInput, startReleaseWorkflow, untilStage, untilStatus, withWorker, approveAndFinish as approveAndFinishWith } from '../support/workflow-runner';
import { releaseOutcome } from '../../src/release-client/outcome';

const temporal = useTestClient();

type Fake = ReturnType<typeof createFakeActivities>;
const inputsOf = <T>(fake: Fake, name: string) => fake.calls.filter((c) => c.name === name).map((c) => c.input as T);
const canaryCounts = (fake: Fake) =>
  inputsOf<{ service: string; desiredCount?: number }>(fake, 'updateService')
    .filter((u) => u.service === 'checkout-canary')
    .map((u) => u.desiredCount);

const approveAndFinish = (fake: Fake, plan: ReleasePlan) => approveAndFinishWith(temporal.client, fake.activities, plan);

const analysis: CanaryAnalysisPlan = SAMPLE_ANALYSIS;
const stable: TrackMetrics = { requests: 4500, errorRate: 0.001, p99Ms: 100 };
const noData = () => judgeMeasurement({ at: new Date().toISOString(), canary: {}, stable, crashedTasks: 0 });
const good = () => judgeMeasurement({ at: new Date().toISOString(), canary: { requests: 500, errorRate: 0.001, p99Ms: 100 }, stable, crashedTasks: 0 });
const analysedPlan = (bakeMs: number) => samplePlan({ canary: { steps: [10, 30, 60, 100], bakeMs, analysis } });
/** A window that measures once and decides as the real activity would, from what earlier windows carried over. */
const oneMeasurement = (result: () => BakeReport['results'][number]) => (_call: number, input: AnalyseBakeInput): BakeReport => {
  const results = [result()];
  return { results, decision: bakeDecision(results, analysis, input.prior) };
};

describe('release edge cases', () => {
  it('keeps retrying a GitHub deployment record turned away by a crowded worker, past five attempts', async () => {
    const fake = createFakeActivities({ gitHubWritesBusy: 6 });
    const outcome = await approveAndFinish(fake, samplePlan());
    expect(outcome.result).toBe('released');
    // Six refusals, then the staging record was created and every status written.
    expect(inputsOf(fake, 'createDeployment')).toHaveLength(8);
    expect(outcome.status.history.map((e) => e.message)).not.toContainEqual(expect.stringMatching(/GitHub .* failed \(release continues\)/));
    const states = inputsOf<{ deploymentId: number; state: string }>(fake, 'setDeploymentStatus').map((s) => `${s.deploymentId}:${s.state}`);
    expect(states).toEqual(['1:success', '2:success']);
    // Each record is created in progress by the same activity.
    expect(inputsOf<{ environment: string; inProgress?: string }>(fake, 'createDeployment').slice(-2)).toEqual([
      expect.objectContaining({ environment: 'staging', inProgress: expect.stringMatching(/ deploying$/) }),
      expect.objectContaining({ environment: 'production', inProgress: expect.stringMatching(/ deploying$/) }),
    ]);
  });

  it('verifies CI is green before dispatching a build, and a red CI refuses the release naming the rule', async () => {
    const plan = samplePlan({ releaseBranch: 'main', requireGreenCi: true, build: { mode: 'dispatch', workflow: 'build.yml', ref: 'main', timeoutMs: 60_000 } });
    const green = createFakeActivities();
    expect((await approveAndFinish(green, plan)).result).toBe('released');
    expect(green.names().slice(0, 3)).toEqual(['checkReleaseBranch', 'verifyBuild', 'dispatchBuild']);

    const red = createFakeActivities({ ciFails: 'CI checks failed for acme/checkout@abc: unit (failure)' });
    const outcome = await withWorker(red.activities, async (taskQueue) => releaseOutcome(await startReleaseWorkflow(temporal.client, taskQueue, releaseInput(plan))));
    expect(outcome).toMatchObject({ result: 'rolled-back', reason: 'ci-green rule: CI checks failed for acme/checkout@abc: unit (failure)' });
    expect(red.names()).not.toContain('dispatchBuild');
  });

  it('gives the canary the task count whose share is closest to the weight', async () => {
    const fake = createFakeActivities({ productionTasks: 1 });
    await approveAndFinish(fake, samplePlan({ canary: { steps: [59, 100], bakeMs: 50 } }));
    // 1 stable task at 59 %: 2 canary tasks (66.7 %) are closer than 1 (50 %).
    expect(canaryCounts(fake)).toEqual([2, 0]);
  });

  it('never steps up on no data: the step is baked again and the streak across windows asks a human', async () => {
    const fake = createFakeActivities({ analysis: oneMeasurement(noData) });
    await withWorker(fake.activities, async (taskQueue) => {
      const handle = await startReleaseWorkflow(temporal.client, taskQueue, releaseInput(analysedPlan(100)));
      await untilStage(handle, 'awaiting-approval');
      await handle.executeUpdate(approveUpdate, { args: [{ by: 'alice' }] });
      const held = await untilStatus(handle, (s) => s.canary.awaitingDecision !== undefined, 'a held canary');
      expect(held.canary).toMatchObject({ step: 1, awaitingDecision: expect.stringMatching(/^3 inconclusive measurement\(s\) in a row/) });
      // The thread reply is sent behind the hold (Slack never holds a release up).
      await untilStatus(handle, () => fake.names().includes('postThreadReply'), 'the reply asking for a decision');
      await handle.terminate('test done');
    });
    expect(canaryCounts(fake)).toEqual([1]);
    expect(inputsOf<AnalyseBakeInput>(fake, 'analyseBake').map((w) => w.prior?.inconclusiveInARow)).toEqual([0, 1, 2]);
    // The approvers are asked in the thread, with the commands that decide.
    const [ask] = inputsOf<{ text: string }>(fake, 'postThreadReply');
    expect(ask!.text).toMatch(/^alice, bob the checkout canary is held at 10%: 3 inconclusive .*runway resume\|promote\|abort release-checkout-/);
  });

  it('after a resumed hold, bakes the rest of the step before stepping up', async () => {
    const fake = createFakeActivities({
      analysis: (call) =>
        call === 1
          ? { results: [noData(), noData(), noData()], decision: { action: 'ask-human', reason: '3 inconclusive measurement(s) in a row' } }
          : { results: [good()], decision: { action: 'continue' } },
    });
    const outcome = await withWorker(fake.activities, async (taskQueue) => {
      const handle = await startReleaseWorkflow(temporal.client, taskQueue, releaseInput(analysedPlan(60_000)));
      await untilStage(handle, 'awaiting-approval');
      await handle.executeUpdate(approveUpdate, { args: [{ by: 'alice' }] });
      await untilStatus(handle, (s) => s.canary.awaitingDecision !== undefined, 'a held canary');
      await handle.executeUpdate(resumeUpdate, { args: [{ by: 'bob', reason: 'quiet hour' }] });
      await untilStatus(handle, (s) => s.canary.step === 2, 'canary step 2');
      const windows = inputsOf<AnalyseBakeInput>(fake, 'analyseBake');
      await handle.terminate('test done');
      return windows;
    });
    // The second window is still step 1 (one canary update so far when it started), with what was left of 60 s.
    expect(outcome[1]!.bakeMs).toBeGreaterThan(0);
    expect(outcome[1]!.bakeMs).toBeLessThan(60_000);
    expect(outcome[1]!.prior?.inconclusiveInARow).toBe(0);
  });

  it('never holds the canary up for a slow Slack: updates run behind it, the latest state wins, and the outcome is the last word', async () => {
    const fake = createFakeActivities({ slackUpdateDelayMs: 4_000 });
    const outcome = await approveAndFinish(fake, samplePlan());
    expect(outcome.result).toBe('released');
    const names = fake.names();
    // Every canary step and the promotion ran before the first slow update came back.
    const firstDone = names.indexOf('updateReleaseMessage:done');
    const lastEcsChange = names.lastIndexOf('updateService');
    expect(lastEcsChange).toBeLessThan(firstDone);
    const headlines = inputsOf<{ message: { headline: string } }>(fake, 'updateReleaseMessage').map((u) => u.message.headline);
    expect(headlines.at(-1)).toBe('Released to production');
    // "Approved", three canary steps and the outcome: coalesced while a slow update was in flight.
    expect(headlines.length).toBeLessThan(5);
  });

  it('shows each of several required approvals in the message as it arrives', async () => {
    const fake = createFakeActivities();
    const plan = samplePlan({ approval: { channel: '#deploys', approvers: ['alice', 'bob'], timeoutMs: 60_000, allowSelfApproval: false, requiredApprovals: 2 } });
    const outcome = await withWorker(fake.activities, async (taskQueue) => {
      const handle = await startReleaseWorkflow(temporal.client, taskQueue, releaseInput(plan));
      await untilStage(handle, 'awaiting-approval');
      await handle.executeUpdate(approveUpdate, { args: [{ by: 'alice' }] });
      await untilStatus(handle, () => fake.names().includes('updateReleaseMessage'), 'the partial-approval update');
      await handle.executeUpdate(approveUpdate, { args: [{ by: 'bob' }] });
      return await releaseOutcome(handle);
    });
    expect(outcome.result).toBe('released');
    const headlines = inputsOf<{ message: { headline: string } }>(fake, 'updateReleaseMessage').map((u) => u.message.headline);
    expect(headlines[0]).toBe('Approved by alice; waiting for more approvals');
    expect(headlines).toContain('Approved by alice, bob');
  });

  it('replies to the requester in the thread when the release is rejected', async () => {
    const fake = createFakeActivities();
    const plan = samplePlan({ approval: { channel: '#deploys', approvers: ['alice', 'bob'], timeoutMs: 60_000, allowSelfApproval: false, requesterSlackId: 'U0CAROL' } });
    const outcome = await withWorker(fake.activities, async (taskQueue) => {
      const handle = await startReleaseWorkflow(temporal.client, taskQueue, releaseInput(plan));
      await untilStage(handle, 'awaiting-approval');
      await untilStatus(handle, () => fake.names().includes('postReleaseMessage'), 'the approval request');
      await handle.executeUpdate(rejectUpdate, { args: [{ by: 'bob', reason: 'freeze' }] });
      return await releaseOutcome(handle);
    });
    expect(outcome.result).toBe('rejected');
    const [reply] = inputsOf<{ text: string }>(fake, 'postThreadReply');
    expect(reply!.text).toMatch(/^<@U0CAROL> your release of checkout \w+ was rejected: freeze$/);
  });

  it('does not show the previous deployment as running on GitHub when the environment could not be restored', async () => {
    const fake = createFakeActivities({ smokeFails: true, failingUndos: ['staging/checkout'] });
    const outcome = (await withWorker(fake.activities, async (taskQueue) => releaseOutcome(await startReleaseWorkflow(temporal.client, taskQueue, releaseInput())))) as ReleaseOutcome;
    expect(outcome.result).toBe('failed');
    expect(inputsOf(fake, 'restorePreviousDeployment')).toEqual([]);
    const staging = inputsOf<{ state: string; description: string }>(fake, 'setDeploymentStatus').at(-1)!;
    expect(staging).toMatchObject({ state: 'error', description: expect.stringMatching(/^rollback incomplete: smoke check/) });
  });
});
