/**
 * `npm run bench -- startup [--runs N]`: how long `runway --help` takes from process start to
 * exit, compiled JavaScript (the image's and the installed package's layout: bin/ and dist/,
 * built here into a temporary folder) against today's checkout (the TypeScript sources through
 * tsx), side by side: the two alternate run by run, so machine load falls on both alike.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseFlags } from './support/args';
import { printTable } from './support/stats';

const root = path.join(__dirname, '..');

/** bin/, package.json and the compiled dist/ in `dir`, with the checkout's node_modules. */
function compiledLayout(dir: string): string {
  const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.build.json'), '--outDir', path.join(dir, 'dist')], { encoding: 'utf8' });
  if (tsc.status !== 0) throw new Error(`tsc -p tsconfig.build.json failed:\n${tsc.stdout}${tsc.stderr}`);
  cpSync(path.join(root, 'bin'), path.join(dir, 'bin'), { recursive: true });
  cpSync(path.join(root, 'package.json'), path.join(dir, 'package.json'));
  symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
  return path.join(dir, 'bin', 'runway.js');
}

function timeHelp(bin: string): number {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0 || !result.stdout.startsWith('Usage: runway')) throw new Error(`${bin} --help failed (${result.status}):\n${result.stdout}${result.stderr}`);
  return ms;
}

export async function run(args: string[]): Promise<void> {
  const { runs } = parseFlags(args, { runs: { default: 10, min: 1, max: 200, help: 'runs of each' } });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'runway-bench-startup-'));
  try {
    console.log('compiling (tsconfig.build.json) into', dir);
    const compiled = compiledLayout(dir);
    const source = path.join(root, 'bin', 'runway.js');
    // One of each first, not counted: the file system cache warmed for both.
    timeHelp(compiled);
    timeHelp(source);
    const times = { compiled: [] as number[], source: [] as number[] };
    for (let i = 0; i < runs; i++) {
      times.compiled.push(timeHelp(compiled));
      times.source.push(timeHelp(source));
    }
    console.log(`runway --help, process start to exit, node ${process.version}, ${os.cpus().length} CPUs, load ${os.loadavg()[0]!.toFixed(1)}`);
    printTable([
      { label: 'compiled JavaScript (dist/, image and package)', unit: 'ms', values: times.compiled },
      { label: 'TypeScript through tsx (checkout, until now)', unit: 'ms', values: times.source },
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
