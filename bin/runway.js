#!/usr/bin/env node
// `runway`. In a checkout of the repository (the TypeScript sources next to this file) it runs
// them through tsx's loader, so `npx runway` and `npm run demo` need no build step. In the
// installed package and the container image (no sources, only dist/) it runs the compiled
// JavaScript from `npm run build`, with no TypeScript tooling at run time.
// On Node 20 the AWS SDK warns on every start that its 2027 releases need Node 22 (on 22 and 24
// it says nothing); Runway pins its SDK version and still supports Node 20.19+, so the notice is
// turned off unless asked for.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { existsSync } = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const fromSource = existsSync(path.join(root, 'src', 'cli', 'main.ts'));
if (fromSource) require('tsx/cjs');
const load = (module) => require(fromSource ? path.join(root, `${module}.ts`) : path.join(root, 'dist', `${module}.js`));

// The composition root: the only place that joins the CLI (src/) with the worker's assembly
// (workers/), loaded only by commands that start a worker.
const processes = {
  createReleaseWorker: (options) => load('workers/release-worker').createReleaseWorker(options),
};
load('src/cli/main')
  .buildProgram(processes)
  .parseAsync(process.argv)
  // A finished command ends the process, even if a client library left a handle open.
  .then(() => process.exit(process.exitCode ?? 0));
