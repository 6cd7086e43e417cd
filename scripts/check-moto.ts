/**
 * `npm run check:moto`: Runway's task-definition copy and service updates against moto's ECS
 * server (PyPI moto[server], pinned, installed into ${XDG_CACHE_HOME:-~/.cache}/runway/moto-<version>
 * on first use), on a loopback port. Prints what round-tripped and how Runway read moto's
 * answers; exits 1 when anything did not hold. The same run is test/sandbox/ecs-moto.contract.test.ts.
 */
import { formatMotoReport, MOTO_RUNNING_TASKS, motoRoundTripProblems, runMotoRoundTrip } from '../test/support/moto-round-trip';
import { MOTO_VERSION, startMoto } from '../test/support/moto-server';

async function main(): Promise<number> {
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const moto = await startMoto({ env: { MOTO_ECS_SERVICE_RUNNING: String(MOTO_RUNNING_TASKS) }, log });
  try {
    log(`moto ${MOTO_VERSION} serving ECS on ${moto.url}`);
    const started = Date.now();
    const report = await runMotoRoundTrip(moto.url);
    process.stdout.write(`${formatMotoReport(report).join('\n')}\n`);
    const problems = motoRoundTripProblems(report);
    process.stdout.write(problems.length === 0 ? `OK: round trip held (${Date.now() - started} ms against moto)\n` : `FAILED:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
    return problems.length === 0 ? 0 : 1;
  } finally {
    await moto.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
