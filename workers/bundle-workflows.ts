/**
 * The workflow bundle, built once by `npm run build` (dist/workflow-bundle.js) rather than by
 * every worker at start. Bundling runs webpack and swc inside the worker's process: seconds of
 * start-up and about 150 MiB of RSS the process keeps afterwards (`runway worker` idle on the dev
 * server: 367 MiB bundling at start, 213 MiB from a pre-built bundle). The image points
 * RUNWAY_WORKFLOW_BUNDLE at it; a checkout's worker bundles its sources at start, so what it runs
 * is always what is on disk.
 *
 * `node dist/workers/bundle-workflows.js <file>` writes it (the build's last step).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';

/** Bundles the workflows next to this module (sources in a checkout, dist/workflows once compiled). */
export async function bundleWorkflows(): Promise<string> {
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows') });
  return code;
}

if (require.main === module) {
  const target = process.argv[2];
  if (!target) {
    console.error('usage: node dist/workers/bundle-workflows.js <output file>');
    process.exit(2);
  }
  bundleWorkflows().then(
    (code) => {
      writeFileSync(target, code);
      // On stderr, like webpack's own lines: `npm pack --json` runs the build and its stdout must stay JSON.
      console.error(`workflow bundle: ${path.resolve(target)} (${(code.length / 1024).toFixed(0)} KiB)`);
    },
    (err: unknown) => {
      console.error(`bundling the workflows failed: ${(err as Error).stack ?? String(err)}`);
      process.exit(1);
    },
  );
}
