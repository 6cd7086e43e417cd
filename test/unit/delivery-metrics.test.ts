/**
 * Delivery metrics without a server (issue 19): what an ended release or rollback contributes
 * (result, furthest environment, time per stage, approval wait, rollback cause, recovery time,
 * canary verdicts), how the totals add up, and their Prometheus text — checked by promtool
 * (Debian's prometheus package) when it is installed.
 */
import { spawnSync } from 'node:child_process';
import { addFacts, deliveryFactsOf, emptyTotals, rollbackCauseOf } from '../../src/domain/delivery-metrics';
import type { ReleaseOutcome, ReleaseStage, ReleaseStatus } from '../../src/domain/release';
import { renderDeliveryMetrics } from '../../src/metrics/delivery-exposition';

const T0 = Date.parse('2026-12-01T10:00:00.000Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

/** A status whose history enters each stage at the given second. */
function status(stages: [ReleaseStage, number][], extra: Partial<ReleaseStatus> = {}): ReleaseStatus {
  const last = stages[stages.length - 1];
  return {
    releaseId: 'release-checkout-abcdef1',
    service: 'checkout',
    version: 'abcdef1',
    image: 'registry/checkout:abcdef1',
    requestedBy: 'carol',
    reason: 'test',
    stage: last[0],
    startedAt: at(0),
    updatedAt: at(last[1]),
    finishedAt: at(last[1]),
    canary: { steps: [10, 50], step: 0, weight: 0, actualWeight: 0 },
    approval: { refused: [] },
    history: stages.map(([stage, s]) => ({ at: at(s), stage, message: stage })),
    ...extra,
  };
}

const m = (s: number, verdict: 'pass' | 'fail' | 'inconclusive') => ({ at: at(s), verdict, crashedTasks: 0, notes: [] });
const outcome = (result: ReleaseOutcome['result'], s: ReleaseStatus, reason?: string): ReleaseOutcome => ({ releaseId: s.releaseId, result, ...(reason ? { reason } : {}), status: { ...s, result } });

describe('delivery facts of an ended release', () => {
  it('a released release: production, time per stage, approval wait, verdicts, no rollback', () => {
    const s = status(
      [
        ['queued', 0],
        ['building', 1],
        ['staging', 11],
        ['smoke', 71],
        ['awaiting-approval', 81],
        ['canary', 381],
        ['promoting', 981],
        ['released', 1000],
      ],
      {
        approval: { decision: 'approved', by: 'alice', at: at(381), refused: [] },
        canary: {
          steps: [10, 50],
          step: 2,
          weight: 50,
          actualWeight: 50,
          analysis: [
            { step: 1, weight: 10, measurements: [m(400, 'pass'), m(460, 'inconclusive')] },
            { step: 2, weight: 50, measurements: [m(700, 'pass')] },
          ],
        },
      },
    );
    const f = deliveryFactsOf('release-checkout-abcdef1', 'run-1', 'release', outcome('released', s), at(1001));
    expect(f).toMatchObject({ kind: 'release', service: 'checkout', result: 'released', environment: 'production', durationSeconds: 1000, approvalWaitSeconds: 300, endedAt: at(1000) });
    expect(f.stageSeconds).toEqual({ queued: 1, building: 10, staging: 60, smoke: 10, 'awaiting-approval': 300, canary: 600, promoting: 19 });
    expect(f.canaryVerdicts).toEqual({ pass: 2, inconclusive: 1 });
    expect(f.rollbackCause).toBeUndefined();
    expect(f.recoverySeconds).toBeUndefined();
  });

  it('a canary failed by analysis: cause canary-analysis, recovery from the canary start to the end', () => {
    const s = status(
      [
        ['staging', 0],
        ['awaiting-approval', 10],
        ['canary', 100],
        ['rolling-back', 400],
        ['rolled-back', 430],
      ],
      { canary: { steps: [10], step: 1, weight: 10, actualWeight: 10, failure: [{ signal: 'error rate', detail: '5% > 1%' }] } },
    );
    const f = deliveryFactsOf('r', 'run', 'release', outcome('rolled-back', s, 'canary analysis failed'), at(431));
    expect(f).toMatchObject({ environment: 'production', rollbackCause: 'canary-analysis', recoverySeconds: 330 });
  });

  it('causes: smoke, post-release watch, an abort, a supersede, a preemption; a rejected release changed staging only', () => {
    const smoke = status([['staging', 0], ['smoke', 10], ['rolling-back', 20], ['rolled-back', 30]]);
    expect(rollbackCauseOf(smoke, 'smoke failed')).toBe('smoke');
    expect(deliveryFactsOf('r', 'run', 'release', outcome('rolled-back', smoke, 'smoke failed'), at(30))).toMatchObject({ environment: 'staging', rollbackCause: 'smoke' });
    expect(deliveryFactsOf('r', 'run', 'release', outcome('rolled-back', smoke, 'smoke failed'), at(30)).recoverySeconds).toBeUndefined();
    const watch = status([['canary', 0], ['promoting', 10], ['verifying', 20], ['rolling-back', 50], ['rolled-back', 60]]);
    expect(rollbackCauseOf(watch, 'errors after release')).toBe('post-release-watch');
    expect(rollbackCauseOf(watch, 'aborted by bob: enough')).toBe('operator-abort');
    expect(rollbackCauseOf(watch, 'superseded by release-checkout-1234567')).toBe('superseded');
    expect(rollbackCauseOf(watch, 'preempted by rollback rollback-release-checkout-1234567')).toBe('preempted');
    const rejected = status([['staging', 0], ['awaiting-approval', 10], ['rolling-back', 20], ['rejected', 25]]);
    expect(deliveryFactsOf('r', 'run', 'release', outcome('rejected', rejected, 'rejected by bob'), at(25))).toMatchObject({ environment: 'staging', result: 'rejected' });
    expect(deliveryFactsOf('r', 'run', 'release', outcome('rejected', rejected, 'rejected by bob'), at(25)).rollbackCause).toBeUndefined();
  });

  it('a rollback that put production back counts the change it undid as failed, recovered in its duration', () => {
    const s = status([['building', 0], ['promoting', 5], ['released', 65]], { deployed: { production: 'td/checkout:4' } });
    expect(deliveryFactsOf('rollback-release-checkout-abcdef1', 'run', 'rollback', outcome('released', s), at(65))).toMatchObject({
      kind: 'rollback',
      environment: 'production',
      rollbackCause: 'rollback-requested',
      recoverySeconds: 65,
    });
  });
});

describe('delivery totals and their Prometheus text', () => {
  const released = status([['staging', 0], ['awaiting-approval', 10], ['canary', 70], ['released', 700]], { approval: { decision: 'approved', at: at(70), refused: [] } });
  const failed = status([['canary', 0], ['rolling-back', 100], ['rolled-back', 130]], { canary: { steps: [10], step: 1, weight: 10, actualWeight: 10, failure: [{ signal: 'e', detail: 'd' }] } });

  function totals() {
    const t = emptyTotals();
    addFacts(t, { ...deliveryFactsOf('a', '1', 'release', outcome('released', released), at(700)), leadTimeSeconds: 5400 });
    addFacts(t, deliveryFactsOf('b', '1', 'release', outcome('released', { ...released, service: 'search' }), at(700)));
    addFacts(t, deliveryFactsOf('c', '1', 'release', outcome('rolled-back', failed, 'canary analysis failed'), at(130)));
    return t;
  }

  it('counts per service and result, and fills histogram buckets by upper bound', () => {
    const t = totals();
    expect(t.counted).toBe(3);
    expect(t.ended).toEqual({ 'release|checkout|production|released': 1, 'release|search|production|released': 1, 'release|checkout|production|rolled-back': 1 });
    expect(t.rollbacks).toEqual({ 'checkout|canary-analysis': 1 });
    // 700 s falls in the 1800 s bucket (third of 60, 300, 600, 1800, …).
    expect(t.duration['release|checkout|released'].buckets.slice(0, 4)).toEqual([0, 0, 0, 1]);
    expect(t.leadTime.checkout).toEqual({ buckets: [0, 0, 1, 0, 0, 0, 0, 0], sum: 5400, count: 1 });
    expect(t.recovery['checkout|canary-analysis']).toMatchObject({ sum: 130, count: 1 });
  });

  it('renders counters and cumulative histograms without release ids, versions or people in labels', () => {
    const text = renderDeliveryMetrics(totals(), { byStage: { 'awaiting-approval': 2, canary: 1 } });
    expect(text).toContain('runway_releases_total{service="checkout",environment="production",result="rolled-back"} 1');
    expect(text).toContain('runway_rollbacks_total{service="checkout",cause="canary-analysis"} 1');
    expect(text).toContain('runway_change_lead_time_seconds_bucket{service="checkout",le="14400"} 1');
    expect(text).toContain('runway_change_lead_time_seconds_bucket{service="checkout",le="3600"} 0');
    expect(text).toContain('runway_change_lead_time_seconds_bucket{service="checkout",le="+Inf"} 1');
    expect(text).toContain('runway_releases_in_flight{stage="awaiting-approval"} 2');
    expect(text).not.toMatch(/abcdef1|carol|alice|release-checkout/);
  });

  const promtool = spawnSync('promtool', ['--version']).status === 0;
  (promtool ? it : it.skip)('passes promtool check metrics (names, types, units)', () => {
    const check = spawnSync('promtool', ['check', 'metrics'], { input: renderDeliveryMetrics(totals(), { byStage: { canary: 1 } }), encoding: 'utf8' });
    expect(`${check.stdout}${check.stderr}`.trim()).toBe('');
    expect(check.status).toBe(0);
  });
});
