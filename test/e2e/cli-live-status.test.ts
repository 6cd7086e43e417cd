/**
 * Live canary measurements: during a long bake window the workflow has not been told any
 * measurement yet (they arrive when the window ends), but `runway status` shows the ones the
 * window's analyseBake activity has heartbeated, marked "(live)". Real release workflow and real
 * analysis activity on the dev server; fake ECS/Slack/GitHub activities and a fake metrics source.
 */
import { createAnalysisActivities } from '../../activities/canary-analysis';
import { releaseStatus } from '../../src/release-client/releases';
import { DEFAULT_THRESHOLDS } from '../../src/domain/canary-analysis';
import { approveUpdate, statusQuery } from '../../src/domain/release-api';
import { useTestClient, testTemporalAddress } from '../support/temporal';
import { createFakeActivities } from '../support/fake-activities';
import { runRunway } from '../support/runway-process';
import { samplePlan } from '../support/sample-plan';
import { releaseInput, startReleaseWorkflow, untilStage, withWorker } from '../support/workflow-runner';

const temporal = useTestClient();

it('runway status shows the current bake window’s measurements before the window ends, marked (live)', async () => {
  const fake = createFakeActivities();
  const analysis = createAnalysisActivities({
    metricsFor: () => ({
      trackMetrics: async ({ track }) => (track === 'canary' ? { requests: 500, errorRate: 0.002, p99Ms: 110 } : { requests: 4500, errorRate: 0.001, p99Ms: 100 }),
    }),
    crashedTasks: async () => ({ crashed: 0, reasons: [] }),
  });
  // A 10-minute bake measured every 300 ms: the window does not end during the test.
  const plan = samplePlan({
    canary: {
      steps: [10, 100],
      bakeMs: 600_000,
      analysis: { intervalMs: 300, failureLimit: 2, inconclusiveLimit: 3, decisionTimeoutMs: 60_000, thresholds: DEFAULT_THRESHOLDS, queries: { requests: 'r', errorRate: 'e', p99Ms: 'p' } },
    },
  });

  await withWorker({ ...fake.activities, analyseBake: analysis.analyseBake }, async (taskQueue) => {
    const handle = await startReleaseWorkflow(temporal.client, taskQueue, releaseInput(plan));
    try {
      await untilStage(handle, 'awaiting-approval');
      await handle.executeUpdate(approveUpdate, { args: [{ by: 'alice' }] });
      await untilStage(handle, 'canary');

      let live = 0;
      for (let i = 0; i < 200 && live < 2; i++) {
        const status = await releaseStatus(temporal.client, handle.workflowId);
        live = status.canary.analysis?.find((a) => a.step === 1)?.measurements.filter((m) => (m as { live?: boolean }).live).length ?? 0;
        if (live < 2) await new Promise((r) => setTimeout(r, 200));
      }
      expect(live).toBeGreaterThanOrEqual(2);
      // The workflow itself has recorded none of them: they come from the heartbeat only.
      expect((await handle.query(statusQuery)).canary.analysis ?? []).toEqual([]);

      const cli = await runRunway(['status', handle.workflowId], { TEMPORAL_ADDRESS: testTemporalAddress() });
      expect(cli.code).toBe(0);
      expect(cli.stdout).toContain('analysis  step 1 (10%)');
      expect(cli.stdout).toMatch(/pass +500 +0\.20% +0\.10% +110ms +100ms +0 +\(live\)/);
    } finally {
      await handle.terminate('test done');
    }
  });
});
