/**
 * Delivery metrics end to end (issue 19): `runway worker` processes on one task queue start the
 * delivery ledger and serve its totals on /metrics. Releases run while workers are SIGKILLed —
 * one mid-canary, the one counting in the ledger's activity, and later every worker at once —
 * and every surviving or new worker then shows each release counted exactly once, with the same
 * figures, next to the SDK's own temporal_ series.
 */
import { releaseId } from '../../src/domain/release-id';
import { approveUpdate, rejectUpdate } from '../../src/domain/release-api';
import type { RunwayProcess } from '../support/runway-process';
import { runRunway } from '../support/runway-process';
import { randomSha } from '../support/sandbox-stack';
import { untilRelease, useCrashRig, WorkerFleet } from '../support/worker-fleet';
import { releaseOutcome } from '../../src/release-client/outcome';

jest.setTimeout(240_000);

const rig = useCrashRig({ bake: '2s' });
const HEALTH_LINE = /runway worker: health (http:\/\/127\.0\.0\.1:\d+)\/healthz/;

const metricsOf = async (worker: RunwayProcess) => {
  const [, url] = HEALTH_LINE.exec(worker.output())!;
  return (await fetch(`${url}/metrics`)).text();
};

/** The value of one sample line of a Prometheus text exposition, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function untilCounted(worker: RunwayProcess, n: number): Promise<string> {
  for (let i = 0; i < 600; i++) {
    const text = await metricsOf(worker).catch(() => '');
    if (sample(text, 'runway_delivery_ledger_counted_total') === n) return text;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the ledger never counted ${n}`);
}

it('counts each release once across worker kills, and every worker shows the same figures', async () => {
  const fleet = new WorkerFleet({ ...rig.stack.env, RUNWAY_DELIVERY_POLL_INTERVAL: '300ms', RUNWAY_DELIVERY_SETTLE: '300ms' });
  const [first] = [await fleet.start(), await fleet.start()];
  try {
    const release = async (decide: 'approve' | 'reject', duringCanary?: () => Promise<void>) => {
      const version = randomSha();
      const id = releaseId('checkout', version);
      expect((await runRunway(['start', '--service', 'checkout', '--version', version], rig.stack.env)).code).toBe(0);
      await untilRelease(rig.client, id, (s) => s.stage === 'awaiting-approval');
      const handle = rig.client.workflow.getHandle(id);
      if (decide === 'reject') await handle.executeUpdate(rejectUpdate, { args: [{ by: 'alice', reason: 'not today' }] });
      else await handle.executeUpdate(approveUpdate, { args: [{ by: 'alice' }] });
      if (duringCanary) {
        await untilRelease(rig.client, id, (s) => s.stage === 'canary' && s.canary.step === 1);
        await duringCanary();
      }
      return await releaseOutcome(handle);
    };

    expect((await release('approve')).result).toBe('released');
    // A worker killed mid-canary (the first one started, whichever work it held), replaced by a new one.
    expect(
      (
        await release('approve', async () => {
          await fleet.kill(first);
          await fleet.start();
        })
      ).result,
    ).toBe('released');
    expect((await release('reject')).result).toBe('rejected');
    // Every worker killed while the ledger may be counting; new ones take over from its history.
    await fleet.killAll();
    const [a, b] = [await fleet.start(), await fleet.start()];
    const [textA, textB] = [await untilCounted(a, 3), await untilCounted(b, 3)];

    for (const text of [textA, textB]) {
      expect(sample(text, 'runway_releases_total{service="checkout",environment="production",result="released"}')).toBe(2);
      expect(sample(text, 'runway_releases_total{service="checkout",environment="staging",result="rejected"}')).toBe(1);
      expect(sample(text, 'runway_release_duration_seconds_count{service="checkout",result="released"}')).toBe(2);
      expect(sample(text, 'runway_approval_wait_seconds_count{service="checkout"}')).toBe(3);
      // Lead time from the commit's date on (the sandbox's) GitHub, for the two that reached production.
      expect(sample(text, 'runway_change_lead_time_seconds_count{service="checkout"}')).toBe(2);
      expect(sample(text, 'runway_delivery_ledger_up')).toBe(1);
      // The SDK's own worker metrics are still there, and the process's (prom-client's defaults: heap, RSS).
      expect(text).toMatch(/^temporal_\w+\{/m);
      expect(sample(text, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(1e6);
      expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(sample(text, 'nodejs_heap_size_used_bytes')!);
      // One exposition: no series declared twice (Prometheus refuses the scrape then).
      const declared = text.split('\n').filter((l) => l.startsWith('# TYPE ')).map((l) => l.split(' ')[2]);
      expect(declared.length).toBe(new Set(declared).size);
    }
    // Identical on both workers (they render one ledger): aggregate with max, never sum.
    const runwayLines = (t: string) => t.split('\n').filter((l) => l.startsWith('runway_') && !l.startsWith('runway_releases_in_flight')).join('\n');
    expect(runwayLines(textA)).toBe(runwayLines(textB));
    // Still three a while later: nothing counted twice.
    await new Promise((r) => setTimeout(r, 2000));
    expect(sample(await metricsOf(a), 'runway_delivery_ledger_counted_total')).toBe(3);
  } finally {
    await fleet.killAll();
    // The ledger would otherwise keep polling for the rest of the test run.
    await rig.client.workflow.getHandle(`runway-delivery:${rig.stack.env.RUNWAY_TASK_QUEUE}`).terminate('test done').catch(() => undefined);
  }
});
