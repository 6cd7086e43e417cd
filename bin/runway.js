#!/usr/bin/env node
// Runs the TypeScript CLI through tsx's loader, so `npx runway` needs no build step.
// The AWS SDK warns on every start that its 2027 releases need Node 22; Runway pins its SDK
// version and supports Node >= 20.19, so the notice is turned off unless asked for.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
require('tsx/cjs');
require('../src/cli/main.ts')
  .buildProgram()
  .parseAsync(process.argv)
  // A finished command ends the process, even if a client library left a handle open.
  .then(() => process.exit(process.exitCode ?? 0));
