/**
 * Metrics by task definition revision (ECS's own strategies): the `{{revision}}` placeholder, the
 * task definition → `family:revision` helper, the default revision queries, and the analysis
 * activity querying each track by its revision when given `revisions`.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { type BakeReport, createAnalysisActivities } from '../../activities/canary-analysis';
import { DEFAULT_QUERIES } from '../../src/config/schema';
import { DEFAULT_THRESHOLDS, type TrackMetrics } from '../../src/domain/canary-analysis';
import type { CanaryAnalysisPlan } from '../../src/domain/release';
import { renderQuery } from '../../src/metrics/prometheus';
import { type MetricsQuery, MetricsUnavailableError } from '../../src/metrics/provider';
import { DEFAULT_REVISION_QUERIES, QUERY_PLACEHOLDERS } from '../../src/config/revision-queries';
import { taskRevision } from '../../src/metrics/task-revision';
import { quietLogger } from '../support/activity-env';

const BLUE = 'arn:aws:ecs:us-east-1:000000000000:task-definition/checkout-production:6';
const GREEN = 'arn:aws:ecs:us-east-1:000000000000:task-definition/checkout-production:7';
const q: MetricsQuery = { service: 'checkout', environment: 'production', track: 'canary', windowMs: 10_000, revision: 'checkout-production:7' };

describe('taskRevision', () => {
  it('turns a task definition ARN into family:revision and keeps family:revision as it is', () => {
    expect(taskRevision(GREEN)).toBe('checkout-production:7');
    expect(taskRevision('arn:aws-us-gov:ecs:us-gov-west-1:123456789012:task-definition/my_app-2:12')).toBe('my_app-2:12');
    expect(taskRevision('checkout-production:7')).toBe('checkout-production:7');
  });

  it('refuses what names no revision', () => {
    for (const bad of ['checkout-production', 'arn:aws:ecs:us-east-1:000000000000:task-definition/checkout-production', 'arn:aws:ecs:us-east-1:0:service/a/b', '', 'a:b:3']) {
      expect(() => taskRevision(bad)).toThrow(/not a task definition ARN or family:revision/);
    }
  });
});

describe('{{revision}}', () => {
  it('renders the default revision queries with the revision, and nothing left unfilled', () => {
    expect(renderQuery(DEFAULT_REVISION_QUERIES.requests, q)).toBe(
      'sum(increase(http_requests_total{service="checkout",environment="production",task_revision="checkout-production:7"}[10s]))',
    );
    for (const template of Object.values(DEFAULT_REVISION_QUERIES)) {
      const rendered = renderQuery(template, q);
      expect(rendered).not.toMatch(/{{|}}/);
      expect(rendered).toContain('task_revision="checkout-production:7"');
      expect(rendered).not.toContain('track=');
    }
  });

  it('selects the same three signals as the default queries, by task_revision instead of track', () => {
    for (const key of ['requests', 'errorRate', 'p99Ms'] as const) {
      expect(DEFAULT_REVISION_QUERIES[key]).toBe(DEFAULT_QUERIES[key].replaceAll('track="{{track}}"', 'task_revision="{{revision}}"'));
    }
  });

  it('lists every placeholder renderQuery fills, revision included', () => {
    expect([...QUERY_PLACEHOLDERS].sort()).toEqual(['environment', 'interval', 'revision', 'service', 'track']);
    const all = QUERY_PLACEHOLDERS.map((p) => `{{${p}}}`).join(' ');
    expect(renderQuery(all, q)).toBe('checkout production canary checkout-production:7 10s');
  });

  it('refuses a {{revision}} template for a query without a revision (no data would look like a quiet canary)', () => {
    const { revision: _, ...byTrack } = q;
    expect(() => renderQuery(DEFAULT_REVISION_QUERIES.requests, byTrack)).toThrow(MetricsUnavailableError);
    expect(() => renderQuery(DEFAULT_REVISION_QUERIES.requests, byTrack)).toThrow(/uses \{\{revision\}\} but the canary track was given no task definition revision/);
    // Templates by track never need one.
    expect(renderQuery(DEFAULT_QUERIES.requests, byTrack)).toContain('track="canary"');
  });
});

describe('the analysis activity with revisions', () => {
  const analysis: CanaryAnalysisPlan = {
    intervalMs: 20,
    failureLimit: 2,
    inconclusiveLimit: 3,
    decisionTimeoutMs: 1000,
    thresholds: DEFAULT_THRESHOLDS,
    queries: DEFAULT_REVISION_QUERIES,
  };
  const input = { service: 'checkout', cluster: 'production', canaryService: 'checkout', taskDefinition: GREEN, bakeMs: 40, analysis };
  const good: TrackMetrics = { requests: 500, errorRate: 0.001, p99Ms: 100 };

  function activities(answer: (q: MetricsQuery) => TrackMetrics = () => good) {
    const queries: MetricsQuery[] = [];
    const acts = createAnalysisActivities({
      metricsFor: () => ({
        trackMetrics: async (query: MetricsQuery) => {
          queries.push(query);
          // What the Prometheus provider would send with the revision queries, to be sure it renders.
          if (query.revision !== undefined) renderQuery(analysis.queries.requests, query);
          return answer(query);
        },
      }),
      crashedTasks: async () => ({ crashed: 0, reasons: [] }),
    });
    return { acts, queries };
  }
  const run = (acts: ReturnType<typeof activities>['acts'], bake: Parameters<typeof acts.analyseBake>[0]) =>
    new MockActivityEnvironment({}, { logger: quietLogger }).run(acts.analyseBake, bake) as Promise<BakeReport>;

  it('queries the canary track by the canary revision and stable by the stable one', async () => {
    const { acts, queries } = activities();
    const report = await run(acts, { ...input, revisions: { canary: GREEN, stable: 'checkout-production:6' } });
    expect(report.results.map((r) => r.verdict)).toEqual(['pass', 'pass']);
    expect(queries.slice(0, 2)).toEqual([
      { service: 'checkout', environment: 'production', windowMs: 20, track: 'canary', revision: 'checkout-production:7' },
      { service: 'checkout', environment: 'production', windowMs: 20, track: 'stable', revision: 'checkout-production:6' },
    ]);
  });

  it('judges the numbers of each revision: a bad green revision fails', async () => {
    const { acts } = activities((query) => (query.revision === 'checkout-production:7' ? { ...good, errorRate: 0.15 } : good));
    const report = await run(acts, { ...input, revisions: { canary: GREEN, stable: BLUE } });
    expect(report.decision).toMatchObject({ action: 'fail', reason: expect.stringMatching(/error-rate: canary 15\.00%/) });
  });

  it('in the post-release watch, queries production by the new (canary) revision against the baseline', async () => {
    const { acts, queries } = activities();
    const report = await run(acts, { ...input, baseline: good, revisions: { canary: GREEN, stable: BLUE } });
    expect(report.results).toHaveLength(2);
    expect(queries).toEqual([
      { service: 'checkout', environment: 'production', windowMs: 20, track: 'stable', revision: 'checkout-production:7' },
      { service: 'checkout', environment: 'production', windowMs: 20, track: 'stable', revision: 'checkout-production:7' },
    ]);
  });

  it('measures the baseline of the stable revision before the deploy', async () => {
    const { acts, queries } = activities();
    expect(await acts.measureBaseline({ service: 'checkout', analysis, revision: BLUE })).toEqual(good);
    expect(queries).toEqual([{ service: 'checkout', environment: 'production', windowMs: 20, track: 'stable', revision: 'checkout-production:6' }]);
  });

  it('without revisions queries by track only, as before', async () => {
    const { acts, queries } = activities();
    await acts.measureBaseline({ service: 'checkout', analysis: { ...analysis, queries: DEFAULT_QUERIES } });
    const report = await run(acts, { ...input, analysis: { ...analysis, queries: DEFAULT_QUERIES } });
    expect(report.results.map((r) => r.verdict)).toEqual(['pass', 'pass']);
    expect(queries).toHaveLength(5);
    expect(queries.every((query) => !('revision' in query))).toBe(true);
    expect(queries[0]).toStrictEqual({ service: 'checkout', environment: 'production', windowMs: 20, track: 'stable' });
  });

  it('refuses a revision that is no task definition, without retrying', async () => {
    const { acts } = activities();
    await expect(run(acts, { ...input, revisions: { canary: 'checkout-production', stable: BLUE } })).rejects.toMatchObject({
      nonRetryable: true,
      type: 'InvalidRevision',
      message: expect.stringMatching(/cannot select metrics by revision/),
    });
  });
});
