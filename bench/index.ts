/**
 * `npm run bench -- <name> [args]`: runs bench/<name>.ts's exported `run(args)`. An unknown
 * name lists the benches there are and exits 2.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { BenchArgsError } from './support/args';

interface Bench {
  run(args: string[]): Promise<void>;
}

function availableBenches(): string[] {
  return readdirSync(__dirname)
    .filter((f) => f.endsWith('.ts') && f !== 'index.ts')
    .map((f) => f.slice(0, -3))
    .sort();
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  const benches = availableBenches();
  if (!name || !benches.includes(name)) {
    console.error(`${name ? `unknown bench "${name}"` : 'no bench named'}; available: ${benches.join(', ')}`);
    console.error('usage: npm run bench -- <name> [args]');
    return 2;
  }
  const bench = (await import(path.join(__dirname, name))) as Partial<Bench>;
  if (typeof bench.run !== 'function') {
    console.error(`bench/${name}.ts does not export run(args)`);
    return 2;
  }
  try {
    await bench.run(args);
  } catch (err) {
    if (err instanceof BenchArgsError) {
      console.error(`${name}: ${err.message}`);
      return 2;
    }
    throw err;
  }
  return Number(process.exitCode ?? 0);
}

// Ctrl-C or a SIGTERM ends the bench through process.exit, so the 'exit' hooks of what it started
// (dev server, workers, temporary files) run; Node's default for these signals skips them.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(signal === 'SIGINT' ? 130 : 143));

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
