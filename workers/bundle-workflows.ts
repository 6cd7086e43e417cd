/**
 * The workflow bundle, built once by `npm run build` (dist/workflow-bundle.js) rather than by
 * every worker at start. Bundling runs webpack and swc inside the worker's process: seconds of
 * start-up and about 150 MiB of RSS the process keeps afterwards (`runway worker` idle on the dev
 * server: 367 MiB bundling at start, 213 MiB from a pre-built bundle). The image points
 * RUNWAY_WORKFLOW_BUNDLE at it; a checkout's worker bundles its sources at start, so what it runs
 * is always what is on disk. The test harness and the benches write theirs with it too.
 *
 * `node dist/workers/bundle-workflows.js <file>` writes it (the build's last step).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';

type Report = (message: string) => void;

/**
 * Writes the workflows next to this module (sources in a checkout, dist/workflows once compiled)
 * as one bundle to `file`. webpack's info lines are dropped; its warnings and errors go to `report`.
 */
export async function writeWorkflowBundle(file: string, report: Report = (message) => console.error(message)): Promise<number> {
  const logger = {
    log: (level: string, message: string) => (level === 'WARN' || level === 'ERROR' ? report(`bundler ${level.toLowerCase()}: ${message}`) : undefined),
    trace: () => {},
    debug: () => {},
    info: () => {},
    warn: (message: string) => report(`bundler warning: ${message}`),
    error: (message: string) => report(`bundler error: ${message}`),
  };
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows'), logger });
  writeFileSync(file, code);
  return code.length;
}

if (require.main === module) {
  const target = process.argv[2];
  if (!target) {
    console.error('usage: node dist/workers/bundle-workflows.js <output file>');
    process.exit(2);
  }
  writeWorkflowBundle(target).then(
    // On stderr: `npm pack --json` runs the build and its stdout must stay JSON.
    (bytes) => console.error(`workflow bundle: ${path.resolve(target)} (${(bytes / 1024).toFixed(0)} KiB)`),
    (err: unknown) => {
      console.error(`bundling the workflows failed: ${(err as Error).stack ?? String(err)}`);
      process.exit(1);
    },
  );
}
