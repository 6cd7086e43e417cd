/**
 * Runway's Grafana dashboard (issue 19), typed against Grafana's published dashboard schema
 * (`@grafana/schema`, so `tsc` rejects a field Grafana does not know or a value of the wrong
 * type). `npm run dashboards` writes it to dashboards/runway.json, which Grafana imports or
 * provisions; test/unit/dashboard.test.ts keeps the two the same, and
 * test/e2e/dashboard-queries.test.ts runs every panel's query against a real Prometheus that
 * scraped a worker after releases ran.
 *
 * Every delivery series is the same on every worker (one delivery ledger), so each query takes
 * `max without (instance)` before summing. The ledger's counters are durable — they never reset
 * and a series appears at its first count — so "how many in the range" is the value now minus
 * the value at the range's start (0 for a series that appeared since), not `increase()`, which
 * would miss a series' first count (README, "Delivery metrics").
 */
import type { Dashboard, Panel } from '@grafana/schema';

const datasource = { type: 'prometheus', uid: '${datasource}' };

/** `f` over the delivery series, deduplicated across workers. */
const dedup = (inner: string) => `max without (instance) (${inner})`;

/** How much a durable counter (or bucket) `series` grew over `window` (by default the dashboard's range), per series. */
const grew = (series: string, window = '$__range') => `(${series} - (${series} offset ${window} or ${series} * 0))`;

interface Query {
  expr: string;
  legend?: string;
}

let nextId = 1;

function panel(type: string, title: string, description: string, gridPos: { x: number; y: number; w: number; h: number }, queries: Query[], unit: string, options: Record<string, unknown> = {}): Panel {
  return {
    id: nextId++,
    type,
    title,
    description,
    datasource,
    gridPos,
    targets: queries.map((q, i) => ({
      refId: String.fromCharCode(65 + i),
      datasource,
      expr: q.expr,
      ...(q.legend ? { legendFormat: q.legend } : {}),
      range: type !== 'stat' && type !== 'bargauge' && type !== 'piechart',
      instant: type === 'stat' || type === 'bargauge' || type === 'piechart',
    })),
    fieldConfig: { defaults: { unit }, overrides: [] },
    options,
  };
}

const stat = (title: string, description: string, x: number, expr: string, unit: string) =>
  panel('stat', title, description, { x, y: 0, w: 6, h: 5 }, [{ expr }], unit, { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'value', graphMode: 'none' });

const quantile = (q: number, bucket: string, by = 'le') => `histogram_quantile(${q}, sum by (${by}) (${dedup(grew(bucket))}))`;

export const runwayDashboard = {
  uid: 'runway-delivery',
  title: 'Runway — delivery',
  description: "Runway's delivery metrics (the DORA four, releases in flight, rollbacks, canary verdicts) and its workers' health.",
  tags: ['runway', 'dora', 'temporal'],
  editable: true,
  graphTooltip: 1,
  schemaVersion: 39,
  version: 1,
  refresh: '1m',
  time: { from: 'now-30d', to: 'now' },
  timezone: 'browser',
  templating: {
    list: [{ name: 'datasource', label: 'Prometheus', type: 'datasource', query: 'prometheus' }],
  },
  annotations: { list: [] },
  panels: [
    stat(
      'Deployment frequency (per day)',
      'Releases that reached production per day over the time range.',
      0,
      `sum(${dedup(grew('runway_releases_total{result="released"}'))}) / ($__range_s / 86400)`,
      'short',
    ),
    stat('Change lead time (median)', "From the commit's time on GitHub to production.", 6, quantile(0.5, 'runway_change_lead_time_seconds_bucket'), 's'),
    stat(
      'Change fail rate',
      'Production changes rolled back — by the canary, the post-release watch, or later by a rollback — of all production changes.',
      12,
      `((sum(${dedup(grew('runway_releases_total{environment="production",result=~"rolled-back|failed"}'))}) or vector(0)) + ` +
        `(sum(${dedup(grew('runway_rollbacks_total{cause="rollback-requested"}'))}) or vector(0))) / ` +
        `sum(${dedup(grew('runway_releases_total{environment="production"}'))})`,
      'percentunit',
    ),
    stat('Failed deployment recovery time (median)', 'From the first production change to production put back.', 18, quantile(0.5, 'runway_failed_deployment_recovery_seconds_bucket'), 's'),
    panel(
      'timeseries',
      'Releases in flight by stage',
      'Releases and rollbacks running now, by stage (from the visibility store).',
      { x: 0, y: 5, w: 12, h: 8 },
      [{ expr: `sum by (stage) (${dedup('runway_releases_in_flight')})`, legend: '{{stage}}' }],
      'short',
    ),
    panel(
      'timeseries',
      'Releases ended by result',
      'Releases that ended, by result (released, rolled-back, rejected, failed, no-outcome).',
      { x: 12, y: 5, w: 12, h: 8 },
      [{ expr: `sum by (result) (${dedup(grew('runway_releases_total', '$__rate_interval'))})`, legend: '{{result}}' }],
      'short',
    ),
    panel(
      'piechart',
      'Rollbacks by cause',
      'Where rolled-back changes failed; rollback-requested is a finished release put back by runway rollback or the Slack button.',
      { x: 0, y: 13, w: 8, h: 8 },
      [{ expr: `sum by (cause) (${dedup(grew('runway_rollbacks_total'))})`, legend: '{{cause}}' }],
      'short',
      { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, pieType: 'donut', legend: { displayMode: 'table', placement: 'right', showLegend: true } },
    ),
    panel(
      'bargauge',
      'Canary verdicts',
      'Canary analysis measurements by verdict.',
      { x: 8, y: 13, w: 8, h: 8 },
      [{ expr: `sum by (verdict) (${dedup(grew('runway_canary_verdicts_total'))})`, legend: '{{verdict}}' }],
      'short',
      { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, orientation: 'horizontal', displayMode: 'basic' },
    ),
    panel(
      'bargauge',
      'Time per stage (median)',
      'Median time releases spent in each stage.',
      { x: 16, y: 13, w: 8, h: 8 },
      [{ expr: quantile(0.5, 'runway_release_stage_duration_seconds_bucket', 'le, stage'), legend: '{{stage}}' }],
      's',
      { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, orientation: 'horizontal', displayMode: 'basic' },
    ),
    panel(
      'timeseries',
      'Approval wait (p90) and release duration (p50)',
      'How long releases wait for a human, and how long they take end to end.',
      { x: 0, y: 21, w: 12, h: 8 },
      [
        { expr: quantile(0.9, 'runway_approval_wait_seconds_bucket'), legend: 'approval wait p90' },
        { expr: quantile(0.5, 'runway_release_duration_seconds_bucket'), legend: 'release duration p50' },
      ],
      's',
    ),
    panel(
      'timeseries',
      'Workers: task slots available',
      "Free workflow and activity task slots per worker (the Temporal SDK's metrics); near zero means the worker is saturated.",
      { x: 12, y: 21, w: 6, h: 8 },
      [{ expr: 'sum by (instance, worker_type) (temporal_worker_task_slots_available)', legend: '{{instance}} {{worker_type}}' }],
      'short',
    ),
    panel(
      'timeseries',
      'Workers: workflow task latency (p95) and delivery ledger',
      'How long workflow tasks take on the workers, and whether each worker could read the delivery ledger.',
      { x: 18, y: 21, w: 6, h: 8 },
      [
        { expr: 'histogram_quantile(0.95, sum by (le) (rate(temporal_workflow_task_execution_latency_bucket[$__rate_interval])))', legend: 'workflow task p95 (ms)' },
        { expr: 'min(runway_delivery_ledger_up)', legend: 'ledger readable' },
      ],
      'short',
    ),
  ],
} satisfies Dashboard;
