import { MockActivityEnvironment } from '@temporalio/testing';
import { type BakeReport, createAnalysisActivities } from '../../activities/canary-analysis';
import { DEFAULT_THRESHOLDS, type TrackMetrics } from '../../src/domain/canary-analysis';
import type { CanaryAnalysisPlan } from '../../src/domain/release';
import type { MetricsQuery } from '../../src/metrics/provider';
import { quietLogger } from '../support/activity-env';

const analysis: CanaryAnalysisPlan = {
  intervalMs: 20,
  failureLimit: 2,
  inconclusiveLimit: 3,
  decisionTimeoutMs: 1000,
  thresholds: DEFAULT_THRESHOLDS,
  queries: { requests: '', errorRate: '', p99Ms: '' },
};
const input = { service: 'checkout', cluster: 'production', canaryService: 'checkout-canary', taskDefinition: 'td:2', bakeMs: 100, analysis };
const good: TrackMetrics = { requests: 500, errorRate: 0.001, p99Ms: 100 };

function activities(canary: (n: number) => TrackMetrics, crashed = () => 0) {
  const queries: MetricsQuery[] = [];
  let n = 0;
  const acts = createAnalysisActivities({
    metricsFor: () => ({
      trackMetrics: async (q: MetricsQuery) => {
        queries.push(q);
        return q.track === 'canary' ? canary(++n) : good;
      },
    }),
    crashedTasks: async () => ({ crashed: crashed(), reasons: crashed() > 0 ? ['Essential container in task exited (exit code 137)'] : [] }),
  });
  return { acts, queries };
}

const run = (acts: ReturnType<typeof activities>['acts'], info = {}, bake = input) =>
  new MockActivityEnvironment(info, { logger: quietLogger }).run(acts.analyseBake, bake) as Promise<BakeReport>;

describe('analyseBake', () => {
  it('measures every interval through the bake and continues when all pass', async () => {
    const { acts, queries } = activities(() => good);
    const report = await run(acts);
    expect(report.decision).toEqual({ action: 'continue' });
    expect(report.results).toHaveLength(5);
    expect(report.results.every((r) => r.verdict === 'pass')).toBe(true);
    expect(queries[0]).toEqual({ service: 'checkout', environment: 'production', windowMs: 20, track: 'canary' });
  });

  it('returns at the failure limit without waiting for the rest of the bake', async () => {
    const { acts } = activities((n) => (n >= 2 ? { ...good, errorRate: 0.3 } : good));
    const report = await run(acts);
    expect(report.decision).toMatchObject({ action: 'fail', reason: expect.stringMatching(/error-rate: canary 30\.00%/) });
    expect(report.results.map((r) => r.verdict)).toEqual(['pass', 'fail', 'fail']);
  });

  it('asks a human when there is no data, rather than passing', async () => {
    const { acts } = activities(() => ({}));
    const report = await run(acts);
    expect(report.decision.action).toBe('ask-human');
    expect(report.results).toHaveLength(3);
  });

  it('fails on crashed canary tasks', async () => {
    const { acts } = activities(() => good, () => 2);
    const report = await run(acts);
    expect(report.decision).toMatchObject({ action: 'fail', reason: expect.stringMatching(/crashed-tasks: 2 crashed canary task\(s\)/) });
  });

  it('resumes from heartbeat details after a crash, keeping earlier measurements', async () => {
    const earlier = (await run(activities((n) => (n === 1 ? { ...good, errorRate: 0.3 } : good)).acts)).results.slice(0, 1);
    expect(earlier[0]!.verdict).toBe('fail');
    // One failure already recorded before the "crash": one more reaches the limit of 2.
    const { acts } = activities(() => ({ ...good, errorRate: 0.3 }));
    const report = await run(acts, { heartbeatDetails: { startedAt: Date.now(), results: earlier } });
    expect(report.decision.action).toBe('fail');
    expect(report.results).toHaveLength(2);
  });

  it('skips the measurement slots that passed while no worker ran, instead of taking them back to back', async () => {
    const { acts } = activities(() => good);
    // Resumed 650 ms into a 1 s bake at a 200 ms interval: slots 1–3 are gone, 4 and 5 remain. The
    // 150 ms before slot 4 is due keeps the count true on a loaded machine (20 ms slots did not).
    const slow = { ...input, bakeMs: 1000, analysis: { ...analysis, intervalMs: 200 } };
    const report = await run(acts, { heartbeatDetails: { startedAt: Date.now() - 650, results: [] } }, slow);
    expect(report.results).toHaveLength(2);
  });

  it('continues an inconclusive streak from earlier windows of the canary', async () => {
    const { acts } = activities(() => ({}));
    const env = new MockActivityEnvironment({}, { logger: quietLogger });
    const report = (await env.run(acts.analyseBake, { ...input, prior: { inconclusiveInARow: 2 } })) as BakeReport;
    expect(report.decision).toMatchObject({ action: 'ask-human', reason: expect.stringMatching(/^3 inconclusive/) });
    expect(report.results).toHaveLength(1);
  });

  it('keeps heartbeating while a metrics query hangs, so a slow source is not taken for a lost worker', async () => {
    const slow = createAnalysisActivities({
      metricsFor: () => ({ trackMetrics: () => new Promise<TrackMetrics>((resolve) => setTimeout(() => resolve(good), 2_500)) }),
      crashedTasks: async () => ({ crashed: 0, reasons: [] }),
    });
    const env = new MockActivityEnvironment({}, { logger: quietLogger });
    const heartbeats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => heartbeats.push(d));
    const report = (await env.run(slow.analyseBake, { ...input, bakeMs: 20 })) as BakeReport;
    expect(report.results).toHaveLength(1);
    // One heartbeat before and one after the measurement; the hang adds at least two more.
    expect(heartbeats.length).toBeGreaterThanOrEqual(4);
  });
});
