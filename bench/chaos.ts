/**
 * `npm run chaos -- --releases N [--seed S] [--concurrency C] [--temporal-restarts R] [--deadline SECONDS]
 *  [--temporal dev|postgres] [--workers W] [--postgres-restarts P] [--services S]`
 *
 * Runs N releases (good, smoke-fail, reject, bad-canary) on a real stack while SIGKILLing a
 * worker at moments aimed in turn at each stage (inside an activity and between activities) and
 * restarting Temporal a few times over the run, then audits every release at the sandbox.
 * `--temporal postgres` runs the Temporal server itself (built from its Go module, cached
 * outside the repo) on a PostgreSQL cluster of its own, with two workers by default, and also
 * crashes and restarts PostgreSQL mid-run. With `--services S` (fewer than N) the releases share S
 * services, all started at once through their lanes, and the audit counts overlapping deployments
 * of one service at the sandbox (bench/support/chaos-lanes.ts). Last line: `chaos: <ok>/<N> releases correct, <d> duplicate side effects,
 * <l> lost approvals, <k> kills`; exits 1 unless every release is correct.
 */
import { BenchArgsError, parseFlags } from './support/args';
import { PostgresNotFoundError } from '../src/temporal/postgres';
import type { TemporalKind } from './support/bench-stack';
import { runChaos } from './support/chaos-runner';
import { runLaneChaos } from './support/chaos-lanes';

const FLAGS = {
  releases: { default: 20, min: 1, max: 500, help: 'releases to run' },
  seed: { default: 1, min: 0, max: 2 ** 32 - 1, help: 'PRNG seed: scenario order, kill moments' },
  concurrency: { default: 5, min: 1, max: 50, help: 'releases in flight at once' },
  'temporal-restarts': { default: -1, min: -1, max: 20, help: 'dev server restarts; -1 = one per 25 releases' },
  deadline: { default: 1200, min: 30, max: 7200, help: 'seconds before giving up' },
  workers: { default: -1, min: -1, max: 8, help: 'runway worker processes; -1 = 1 on dev, 2 on postgres' },
  'postgres-restarts': { default: -1, min: -1, max: 20, help: 'PostgreSQL crash-restarts (--temporal postgres); -1 = one per 25 releases' },
  services: { default: 0, min: 0, max: 100, help: 'services the releases share (several per service, through their lanes, all started at once); 0 = one per release' },
};
const TEMPORAL_KINDS: readonly TemporalKind[] = ['dev', 'postgres'];

/** Takes `--temporal dev|postgres` out of the arguments. */
function takeTemporalKind(args: string[]): { temporal: TemporalKind; rest: string[] } {
  const at = args.indexOf('--temporal');
  if (at < 0) return { temporal: 'dev', rest: args };
  const value = args[at + 1] as TemporalKind;
  if (!TEMPORAL_KINDS.includes(value)) throw new BenchArgsError(`--temporal: expected ${TEMPORAL_KINDS.join(' or ')}, got "${value ?? ''}"`);
  return { temporal: value, rest: [...args.slice(0, at), ...args.slice(at + 2)] };
}

export async function run(args: string[]): Promise<void> {
  const { temporal, rest } = takeTemporalKind(args);
  const flags = parseFlags(rest, FLAGS);
  const perRun = (flag: number) => (flag >= 0 ? flag : Math.ceil(flags.releases / 25));
  const restarts = perRun(flags['temporal-restarts']);
  const databaseRestarts = temporal === 'postgres' ? perRun(flags['postgres-restarts']) : 0;
  const workers = flags.workers >= 1 ? flags.workers : temporal === 'postgres' ? 2 : 1;
  const started = Date.now();
  if (flags.services > 0 && flags.services < flags.releases) {
    await runLanes(flags.releases, flags.services, flags.seed, temporal, workers, restarts, databaseRestarts, flags.deadline, started);
    return;
  }
  const on = temporal === 'postgres' ? `the Temporal server on PostgreSQL, ${databaseRestarts} PostgreSQL restart(s)` : 'the Temporal dev server';
  console.log(`chaos: ${flags.releases} releases, seed ${flags.seed}, concurrency ${flags.concurrency}, ${workers} worker(s), ${restarts} Temporal restart(s), on ${on}`);
  const report = await runChaos({
    releases: flags.releases,
    seed: flags.seed,
    concurrency: flags.concurrency,
    temporal,
    workers,
    databaseRestarts,
    temporalRestarts: restarts,
    deadlineSeconds: flags.deadline,
    log: (line) => console.log(line),
  });
  for (const f of report.failures) console.log(`  ✗ ${f.id} (${f.scenario}): ${f.problems.join('; ')}`);
  const list = (counts: Record<string, number>) =>
    Object.entries(counts)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || 'none';
  // The stage each struck release was really in, read from Temporal right before the kill.
  console.log(`kills by stage: ${list(report.killMoments)}`);
  console.log(`kills by moment: ${list(report.killMomentsDetailed)}`);
  const pgRestarts = temporal === 'postgres' ? `; PostgreSQL restarts: ${report.databaseRestarts}` : '';
  console.log(`skipped steps: ${report.skipped}; Temporal restarts: ${report.temporalRestarts}${pgRestarts}; workers that died unasked: ${report.workerDeaths}`);
  const f = report.features;
  console.log(
    `server features: visibility listed ${f.listedReleased}/${f.released} released releases by RunwayStage (last after ${f.visibilityLagMs} ms), ${f.listedInFlight} still listed in flight; ` +
      `${f.pinned}/${f.described} releases pinned to a worker deployment version; delivery ledger counted ${f.ledgerCounted}/${f.ledgerExpected} ended releases`,
  );
  for (const problem of f.problems) console.log(`  ✗ ${problem}`);
  console.log(`bad canary made by: ${report.badCanary}; took ${Math.round((Date.now() - started) / 1000)} s`);
  console.log(report.line);
  if (report.ok !== report.total || f.problems.length) process.exitCode = 1;
}

/** `--services S`: several releases per service through their lanes (bench/support/chaos-lanes.ts). */
async function runLanes(releases: number, services: number, seed: number, temporal: TemporalKind, workers: number, restarts: number, databaseRestarts: number, deadline: number, started: number) {
  console.log(`chaos (lanes): ${releases} releases of ${services} services all started at once (every other one by runway start --queue), seed ${seed}, ${workers} worker(s), ${restarts} Temporal restart(s)`);
  const report = await runLaneChaos({ releases, services, seed, temporal, workers, temporalRestarts: restarts, databaseRestarts, deadlineSeconds: deadline, log: (line) => console.log(line) });
  for (const f of report.failures) console.log(`  ✗ ${f.id}: ${f.problems.join('; ')}`);
  console.log(`runway start --queue: ${report.cliExitedOk}/${report.cliStarts} CLI processes exited 0 (a Temporal restart can end one early; its release waits all the same); Temporal restarts: ${report.temporalRestarts}; took ${Math.round((Date.now() - started) / 1000)} s`);
  console.log(report.line);
  if (report.ok !== report.total || report.overlaps > 0 || report.failures.length) process.exitCode = 1;
}

if (require.main === module) {
  // Ctrl-C: exit through process.exit, so the 'exit' hooks stop what runs detached (PostgreSQL).
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
  run(process.argv.slice(2)).then(
    () => process.exit(process.exitCode ?? 0),
    (err) => {
      // No PostgreSQL: say how to install it, without a stack trace.
      console.error(err instanceof BenchArgsError || err instanceof PostgresNotFoundError ? `chaos: ${err.message}` : err);
      process.exit(err instanceof BenchArgsError ? 2 : 1);
    },
  );
}
