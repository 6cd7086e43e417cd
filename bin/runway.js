#!/usr/bin/env node
// Runs the TypeScript CLI through tsx's loader, so `npx runway` needs no build step.
require('tsx/cjs');
require('../src/cli/main.ts').buildProgram().parseAsync(process.argv);
