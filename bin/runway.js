#!/usr/bin/env node
// Runs the TypeScript CLI through tsx's loader, so `npx runway` needs no build step.
// The AWS SDK warns on every start that its 2027 releases need Node 22; Runway pins its SDK
// version and supports Node >= 20.19, so the notice is turned off unless asked for.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
require('tsx/cjs');
// The composition root: the only place that joins the CLI (src/) with the worker's assembly
// (workers/), loaded only by commands that start a worker.
const processes = {
  createReleaseWorker: (options) => require('../workers/release-worker.ts').createReleaseWorker(options),
};
require('../src/cli/main.ts')
  .buildProgram(processes)
  .parseAsync(process.argv)
  // A finished command ends the process, even if a client library left a handle open.
  .then(() => process.exit(process.exitCode ?? 0));
