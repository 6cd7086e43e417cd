/**
 * `node --import tsx src/temporal/ensure-cli.ts`: makes sure a Temporal CLI is available
 * (building it into the per-user cache on first use) and prints its path on stdout.
 * Progress goes to stderr so `TEMPORAL_CLI=$(node --import tsx src/temporal/ensure-cli.ts)` works.
 */
import { resolveTemporalCli } from './cli-binary';

async function main(): Promise<void> {
  const binary = await resolveTemporalCli({ log: (line) => process.stderr.write(`${line}\n`) });
  process.stdout.write(`${binary}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
