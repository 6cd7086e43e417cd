/**
 * What goes into the release workflow bundle: the workflows and the workflow interceptor modules.
 * One list for the worker (which bundles at start), the test harness and the history recorder
 * (which bundle once), so tests run exactly the code production runs.
 */
import path from 'node:path';

export const WORKFLOWS_PATH = path.resolve(__dirname, '../workflows/index.ts');

/** Each module exports `interceptors`, applied to every workflow execution. */
export const WORKFLOW_INTERCEPTOR_MODULES = [path.resolve(__dirname, '../workflows/update-order-guard.ts')];
