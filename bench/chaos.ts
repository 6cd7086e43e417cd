/**
 * `npm run chaos -- --releases N [--seed S] [--concurrency C] [--temporal-restarts R] [--deadline SECONDS]`
 *
 * Runs N releases (good, smoke-fail, reject, bad-canary) on a real stack while SIGKILLing the
 * worker at moments aimed in turn at each stage (inside an activity and between activities) and
 * restarting Temporal a few times over the run, then audits every release at the sandbox. Last line: `chaos: <ok>/<N> releases correct, <d> duplicate side effects,
 * <l> lost approvals, <k> kills`; exits 1 unless every release is correct.
 */
import { BenchArgsError, parseFlags } from './support/args';
import { runChaos } from './support/chaos-runner';

const FLAGS = {
  releases: { default: 20, min: 1, max: 500, help: 'releases to run' },
  seed: { default: 1, min: 0, max: 2 ** 32 - 1, help: 'PRNG seed: scenario order, kill moments' },
  concurrency: { default: 5, min: 1, max: 50, help: 'releases in flight at once' },
  'temporal-restarts': { default: -1, min: -1, max: 20, help: 'dev server restarts; -1 = one per 25 releases' },
  deadline: { default: 1200, min: 30, max: 7200, help: 'seconds before giving up' },
};

export async function run(args: string[]): Promise<void> {
  const flags = parseFlags(args, FLAGS);
  const restarts = flags['temporal-restarts'] >= 0 ? flags['temporal-restarts'] : Math.ceil(flags.releases / 25);
  const started = Date.now();
  console.log(`chaos: ${flags.releases} releases, seed ${flags.seed}, concurrency ${flags.concurrency}, ${restarts} Temporal restart(s)`);
  const report = await runChaos({
    releases: flags.releases,
    seed: flags.seed,
    concurrency: flags.concurrency,
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
  console.log(`skipped steps: ${report.skipped}; Temporal restarts: ${report.temporalRestarts}; workers that died unasked: ${report.workerDeaths}`);
  console.log(`bad canary made by: ${report.badCanary}; took ${Math.round((Date.now() - started) / 1000)} s`);
  console.log(report.line);
  if (report.ok !== report.total) process.exitCode = 1;
}

if (require.main === module) {
  run(process.argv.slice(2)).then(
    () => process.exit(process.exitCode ?? 0),
    (err) => {
      console.error(err instanceof BenchArgsError ? `chaos: ${err.message}` : err);
      process.exit(err instanceof BenchArgsError ? 2 : 1);
    },
  );
}
