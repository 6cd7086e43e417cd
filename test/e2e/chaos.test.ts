/**
 * The chaos runner's core on a small run: one release of each story (good, smoke-fail, reject,
 * bad-canary) on its own Temporal dev server (SQLite, restarted once mid-run), with the worker
 * SIGKILLed at seeded moments. Every release must end as its story says, with no side effect
 * made twice and no approval lost.
 */
import { runChaos } from '../../bench/support/chaos-runner';

it('four releases survive worker kills and a Temporal restart: all correct, no duplicates, no lost approvals', async () => {
  const lines: string[] = [];
  const report = await runChaos({ releases: 4, seed: 3, concurrency: 4, temporalRestarts: 1, deadlineSeconds: 240, gapMs: [1000, 2500], log: (l) => lines.push(l) });
  if (report.ok !== report.total) console.log(`${lines.join('\n')}\n${JSON.stringify(report.failures, null, 2)}`);
  expect(report.failures).toEqual([]);
  expect(report.ok).toBe(4);
  expect(report.duplicates).toBe(0);
  expect(report.skipped).toBe(0);
  expect(report.lostApprovals).toBe(0);
  // The delivery ledger counted each release once, with its result, through the kills and the restart.
  expect(report.features).toMatchObject({ ledgerCounted: 4, ledgerExpected: 4 });
  expect(report.features.problems.filter((p) => p.startsWith('delivery ledger'))).toEqual([]);
  expect(report.kills).toBeGreaterThanOrEqual(2);
  expect(report.temporalRestarts).toBe(1);
  // Every kill is recorded with the stage its release was really in (read right before the kill).
  expect(Object.values(report.killMoments).reduce((a, b) => a + b, 0)).toBe(report.kills);
  expect(Object.keys(report.killMoments).every((stage) => stage === 'no release in flight' || /^[a-z-]+$/.test(stage))).toBe(true);
  expect(report.line).toBe(`chaos: 4/4 releases correct, 0 duplicate side effects, 0 lost approvals, ${report.kills} kills`);
}, 300_000);
