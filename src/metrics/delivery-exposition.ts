/**
 * The delivery ledger's totals (src/domain/delivery-metrics.ts) as Prometheus text exposition
 * (format 0.0.4), appended to the worker's /metrics. Totals are absolute and monotonic (the
 * ledger is durable), so counters and histograms are written from them directly rather than
 * through an in-process client library whose counters start at zero with every process.
 */
import {
  APPROVAL_WAIT_BUCKETS_S,
  DURATION_BUCKETS_S,
  type DeliveryTotals,
  type HistogramState,
  LEAD_TIME_BUCKETS_S,
  RECOVERY_BUCKETS_S,
  STAGE_BUCKETS_S,
} from '../domain/delivery-metrics';
import type { InFlight } from '../domain/delivery-api';


type Labels = Record<string, string>;

function escape(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escape(v)}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

const num = (n: number): string => (Number.isInteger(n) ? String(n) : String(Number(n.toFixed(6))));

class Exposition {
  private readonly lines: string[] = [];

  family(name: string, type: 'counter' | 'gauge' | 'histogram', help: string): this {
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    return this;
  }

  sample(name: string, labels: Labels, value: number): void {
    this.lines.push(`${name}${labelText(labels)} ${num(value)}`);
  }

  histogram(name: string, labels: Labels, bounds: readonly number[], h: HistogramState): void {
    let cumulative = 0;
    bounds.forEach((b, i) => {
      cumulative += h.buckets[i] ?? 0;
      this.sample(`${name}_bucket`, { ...labels, le: String(b) }, cumulative);
    });
    this.sample(`${name}_bucket`, { ...labels, le: '+Inf' }, h.count);
    this.sample(`${name}_sum`, labels, h.sum);
    this.sample(`${name}_count`, labels, h.count);
  }

  text(): string {
    return this.lines.length ? `${this.lines.join('\n')}\n` : '';
  }
}

const split = (key: string, names: readonly string[]): Labels => Object.fromEntries(key.split('|').map((v, i) => [names[i], v]));

/** The runway_* series of `totals` (and of `inFlight` when known), in Prometheus text format. */
export function renderDeliveryMetrics(totals: DeliveryTotals, inFlight?: InFlight): string {
  const out = new Exposition();
  const entries = <T>(m: Record<string, T>) => Object.entries(m).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

  out.family('runway_releases_total', 'counter', 'Releases that ended, by service, the furthest environment they changed and result.');
  for (const [key, n] of entries(totals.ended)) {
    const l = split(key, ['kind', 'service', 'environment', 'result']);
    if (l.kind === 'release') out.sample('runway_releases_total', { service: l.service, environment: l.environment, result: l.result }, n);
  }
  out.family('runway_rollback_workflows_total', 'counter', 'Rollbacks of finished releases (runway rollback, the Slack button) that ended, by service and result.');
  for (const [key, n] of entries(totals.ended)) {
    const l = split(key, ['kind', 'service', 'environment', 'result']);
    if (l.kind === 'rollback') out.sample('runway_rollback_workflows_total', { service: l.service, result: l.result }, n);
  }
  out.family('runway_rollbacks_total', 'counter', 'Changes rolled back, by service and cause (where the release failed, or rollback-requested for a finished release rolled back).');
  for (const [key, n] of entries(totals.rollbacks)) out.sample('runway_rollbacks_total', split(key, ['service', 'cause']), n);
  out.family('runway_canary_verdicts_total', 'counter', 'Canary analysis measurements, by service and verdict.');
  for (const [key, n] of entries(totals.canaryVerdicts)) out.sample('runway_canary_verdicts_total', split(key, ['service', 'verdict']), n);

  out.family('runway_release_duration_seconds', 'histogram', 'Start to end of releases, by service and result.');
  for (const [key, h] of entries(totals.duration)) {
    const l = split(key, ['kind', 'service', 'result']);
    if (l.kind === 'release') out.histogram('runway_release_duration_seconds', { service: l.service, result: l.result }, DURATION_BUCKETS_S, h);
  }
  out.family('runway_release_stage_duration_seconds', 'histogram', 'Time releases and rollbacks spent in each stage, by service and stage.');
  for (const [key, h] of entries(totals.stage)) out.histogram('runway_release_stage_duration_seconds', split(key, ['service', 'stage']), STAGE_BUCKETS_S, h);
  out.family('runway_approval_wait_seconds', 'histogram', 'From asking for approval to the decision, by service.');
  for (const [key, h] of entries(totals.approvalWait)) out.histogram('runway_approval_wait_seconds', { service: key }, APPROVAL_WAIT_BUCKETS_S, h);
  out.family('runway_change_lead_time_seconds', 'histogram', 'Commit time (GitHub) to production, for released releases, by service.');
  for (const [key, h] of entries(totals.leadTime)) out.histogram('runway_change_lead_time_seconds', { service: key }, LEAD_TIME_BUCKETS_S, h);
  out.family('runway_failed_deployment_recovery_seconds', 'histogram', 'Time to put production back after a failed change, by service and cause.');
  for (const [key, h] of entries(totals.recovery)) out.histogram('runway_failed_deployment_recovery_seconds', split(key, ['service', 'cause']), RECOVERY_BUCKETS_S, h);

  if (inFlight) {
    out.family('runway_releases_in_flight', 'gauge', 'Releases and rollbacks running now, by stage.');
    for (const [stage, n] of entries(inFlight.byStage)) out.sample('runway_releases_in_flight', { stage }, n);
  }
  out.family('runway_delivery_ledger_counted_total', 'counter', 'Ended releases and rollbacks the delivery ledger has counted.');
  out.sample('runway_delivery_ledger_counted_total', {}, totals.counted);
  return out.text();
}
