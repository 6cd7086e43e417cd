/**
 * The build stage hands the GitHub Actions run that started the release (input `startedBy`) to
 * both of its CI gates — the `checks` build gate and the CI-green rule before a dispatched build —
 * so they leave that run's own check runs out (issue 14, defect 1), and records what it left
 * out. A release without the field asks the gates exactly what it did before.
 */
import type { ReleaseInput, ReleasePlan } from '../../src/domain/release';
import { approveUpdate } from '../../src/domain/release-api';
import { useTestClient } from '../support/temporal';
import { createFakeActivities } from '../support/fake-activities';
import { samplePlan } from '../support/sample-plan';
import { releaseInput, startReleaseWorkflow, untilStage, withWorker } from '../support/workflow-runner';
import { releaseOutcome } from '../../src/release-client/outcome';

const temporal = useTestClient();

const CHECKS: Partial<ReleasePlan> = { build: { mode: 'checks', requiredChecks: [], pendingDeadlineMs: 5000 } };
const DISPATCH: Partial<ReleasePlan> = { requireGreenCi: true, build: { mode: 'dispatch', workflow: 'build.yml', ref: 'main', timeoutMs: 60_000 } };

async function release(planChanges: Partial<ReleasePlan>, startedBy?: ReleaseInput['startedBy']) {
  const fake = createFakeActivities();
  const verifyBuild = fake.activities.verifyBuild;
  const activities = {
    ...fake.activities,
    // The gate left the job's own check run out, as the GitHub activity reports it.
    verifyBuild: async (input: Parameters<typeof verifyBuild>[0]) => ({ ...(await verifyBuild(input)), ...(input.startedBy ? { notJudged: ['release (in_progress)'] } : {}) }),
  };
  const outcome = await withWorker(activities, async (taskQueue) => {
    const input: ReleaseInput = { ...releaseInput(samplePlan(planChanges)), ...(startedBy ? { startedBy } : {}) };
    const handle = await startReleaseWorkflow(temporal.client, taskQueue, input);
    await untilStage(handle, 'awaiting-approval');
    await handle.executeUpdate(approveUpdate, { args: [{ by: 'alice' }] });
    return await releaseOutcome(handle);
  });
  const gateInputs = fake.calls.filter((c) => c.name === 'verifyBuild').map((c) => c.input as Record<string, unknown>);
  return { outcome, gateInputs, history: outcome.status.history.map((e) => e.message) };
}

it('passes the starting run to the checks gate and records the check runs it left out', async () => {
  const { outcome, gateInputs, history } = await release(CHECKS, { githubRunId: 9_400_000_001, githubRunAttempt: 2 });
  expect(outcome.result).toBe('released');
  expect(gateInputs).toEqual([expect.objectContaining({ startedBy: { runId: 9_400_000_001, runAttempt: 2 } })]);
  expect(history).toContain('build verified: ci green (not judged: release (in_progress) of the workflow run that started this release)');
});

it('passes the starting run to the CI-green rule before a dispatched build', async () => {
  const { gateInputs, history } = await release(DISPATCH, { githubRunId: 9_400_000_002 });
  expect(gateInputs).toEqual([expect.objectContaining({ startedBy: { runId: 9_400_000_002 }, requiredChecks: [] })]);
  expect(history).toContain('ci-green rule: ci green (not judged: release (in_progress) of the workflow run that started this release)');
});

it('asks both gates as before when the release does not say where it started', async () => {
  const checks = await release(CHECKS);
  const dispatch = await release(DISPATCH);
  for (const input of [...checks.gateInputs, ...dispatch.gateInputs]) expect(input).not.toHaveProperty('startedBy');
  expect(checks.history).toContain('build verified: ci green');
  expect(dispatch.history).toContain('ci-green rule: ci green');
});

it('tells the checks gate to judge only the required checks when the plan says so (requireGreenCi: false)', async () => {
  const onlyRequired: Partial<ReleasePlan> = { build: { mode: 'checks', requiredChecks: ['build'], pendingDeadlineMs: 5000, onlyRequiredChecks: true } };
  expect((await release(onlyRequired)).gateInputs).toEqual([expect.objectContaining({ requiredChecks: ['build'], onlyRequiredChecks: true })]);
  expect((await release(CHECKS)).gateInputs).toEqual([expect.not.objectContaining({ onlyRequiredChecks: expect.anything() })]);
});
