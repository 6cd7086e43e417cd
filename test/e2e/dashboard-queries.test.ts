/**
 * Every panel of the Grafana dashboard returns data from a real Prometheus (issue 19): a
 * `runway worker` process runs releases against the sandbox — two released, one rolled back by
 * canary analysis, one rejected — while Prometheus (Debian's package; skipped, saying so, when it
 * is not installed) scrapes the worker's /metrics; then each panel's PromQL, with Grafana's range
 * macros filled in, must answer a non-empty vector of numbers, and the DORA figures must be the
 * ones these releases make.
 *
 * The same Prometheus also scrapes the sample service's own counters and is the worker's
 * PROMETHEUS_URL: the canaries are judged by Runway's default PromQL on real series (part 3), the
 * healthy ones passing on the traffic they served and the bad one failing on its error rate.
 */
import { releaseId } from '../../src/domain/release-id';
import { approveUpdate, rejectUpdate } from '../../src/domain/release-api';
import { panelQueries } from '../../dashboards';
import { runwayDashboard } from '../../dashboards/runway';
import { prometheusBinary, type PrometheusServer, startPrometheus } from '../../src/stack/local-prometheus';
import { freeLoopbackPort } from '../../src/temporal/worker-health';
import { runRunway } from '../support/runway-process';
import { randomSha } from '../support/sandbox-stack';
import { untilRelease, useCrashRig, WorkerFleet } from '../support/worker-fleet';
import { releaseOutcome } from '../../src/release-client/outcome';

jest.setTimeout(300_000);

const binary = prometheusBinary();
const describeWithPrometheus = binary ? describe : describe.skip;
if (!binary) console.warn(`${__filename}: skipped: no prometheus binary on PATH (.ci/run installs Debian's prometheus package)`);

const rig = useCrashRig({ bake: '1s' });
/** Grafana's macros, as a one-hour dashboard range and a one-minute rate interval would fill them. */
const withMacros = (expr: string) => expr.replaceAll('$__range_s', '3600').replaceAll('$__rate_interval', '1m').replaceAll('$__range', '1h');

describeWithPrometheus('the dashboard against a real Prometheus', () => {
  let prometheus: PrometheusServer | undefined;
  let fleet: WorkerFleet | undefined;
  afterAll(async () => {
    await fleet?.killAll();
    await prometheus?.stop();
    await rig.client.workflow.getHandle(`runway-delivery:${rig.stack.env.RUNWAY_TASK_QUEUE}`).terminate('test done').catch(() => undefined);
  });

  it('answers every panel with data, and the DORA figures these releases make', async () => {
    // Prometheus first (the worker asks it), so the worker's metrics port is chosen beforehand.
    const metricsPort = await freeLoopbackPort();
    prometheus = await startPrometheus(
      [
        { job: 'runway-worker', targets: [`127.0.0.1:${metricsPort}`] },
        { job: 'sample-service', targets: [new URL(rig.stack.sandbox.url).host], metricsPath: '/prometheus/metrics' },
      ],
      // Four samples in each 1 s analysis window.
      { scrapeInterval: '250ms' },
    );
    fleet = new WorkerFleet({
      ...rig.stack.env,
      PROMETHEUS_URL: prometheus.url,
      RUNWAY_METRICS_HOST: '127.0.0.1',
      RUNWAY_METRICS_PORT: String(metricsPort),
      RUNWAY_DELIVERY_POLL_INTERVAL: '300ms',
      RUNWAY_DELIVERY_SETTLE: '300ms',
    });
    await fleet.start();
    await prometheus.untilScraped('runway-worker');
    await prometheus.untilScraped('sample-service');

    const release = async (how: 'approve' | 'reject' | 'failing-canary') => {
      const version = randomSha();
      if (how === 'failing-canary') await rig.stack.setScenario({ canary: { [version]: { behaviour: 'errors' } } });
      const id = releaseId('checkout', version);
      expect((await runRunway(['start', '--service', 'checkout', '--version', version], rig.stack.env)).code).toBe(0);
      await untilRelease(rig.client, id, (s) => s.stage === 'awaiting-approval');
      const handle = rig.client.workflow.getHandle(id);
      if (how === 'reject') await handle.executeUpdate(rejectUpdate, { args: [{ by: 'alice', reason: 'not today' }] });
      else await handle.executeUpdate(approveUpdate, { args: [{ by: 'alice' }] });
      const outcome = await releaseOutcome(handle);
      const measured = (outcome.status.canary.analysis ?? []).flatMap((step) => step.measurements);
      return { result: outcome.result, reason: outcome.reason ?? '', measured };
    };
    const first = await release('approve');
    expect(first.result).toBe('released');
    // Judged on what the canary served, as Prometheus counted it.
    expect(first.measured.length).toBeGreaterThan(0);
    for (const m of first.measured) expect({ verdict: m.verdict, served: (m.requests ?? 0) > 0 }).toEqual({ verdict: 'pass', served: true });
    const failing = await release('failing-canary');
    expect(failing.result).toBe('rolled-back');
    expect(failing.reason).toMatch(/canary analysis failed at 10%.*error-rate: canary 1\d\.\d\d%/);
    expect((await release('approve')).result).toBe('released');
    expect((await release('reject')).result).toBe('rejected');

    // Scraped after the ledger counted all four.
    for (let i = 0; ; i++) {
      const counted = await prometheus.query('max(runway_delivery_ledger_counted_total)');
      if (counted[0]?.value[1] === '4') break;
      if (i > 600) throw new Error('Prometheus never saw the ledger count four releases');
      await new Promise((r) => setTimeout(r, 200));
    }
    await new Promise((r) => setTimeout(r, 2500));

    const answers: Record<string, { metric: Record<string, string>; value: [number, string] }[]> = {};
    for (const { panel, expr } of panelQueries(runwayDashboard)) {
      const result = await prometheus.query(withMacros(expr));
      answers[`${panel}: ${expr}`] = result;
      expect({ panel, expr, empty: result.length === 0 }).toEqual({ panel, expr, empty: false });
      for (const sample of result) expect({ panel, value: Number.isFinite(Number(sample.value[1])) }).toEqual({ panel, value: true });
    }
    const value = (panel: string) => Number(Object.entries(answers).find(([k]) => k.startsWith(`${panel}: `))![1][0].value[1]);
    // Two releases reached production in the (one-hour) range: 48 a day.
    expect(value('Deployment frequency (per day)')).toBeCloseTo(48, 5);
    // Three production changes (two released, one rolled back by its canary), one failed.
    expect(value('Change fail rate')).toBeCloseTo(1 / 3, 5);
    expect(value('Change lead time (median)')).toBeGreaterThan(0);
    expect(value('Failed deployment recovery time (median)')).toBeGreaterThan(0);
    const causes = Object.entries(answers).find(([k]) => k.startsWith('Rollbacks by cause: '))![1];
    expect(causes.map((c) => [c.metric.cause, Number(c.value[1])])).toEqual([['canary-analysis', 1]]);
  });
});
