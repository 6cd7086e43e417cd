/**
 * What global setup hands to test workers and to global teardown. Workers are separate
 * processes, so it travels through environment variables (inherited by the workers jest forks
 * after global setup) and a JSON file; teardown also gets the live handle through globalThis.
 */
import type { DevServer } from '../../src/temporal/dev-server';

export const ENV_ADDRESS = 'RUNWAY_TEST_TEMPORAL_ADDRESS';
export const ENV_BUNDLE = 'RUNWAY_TEST_WORKFLOW_BUNDLE';
export const ENV_BUNDLE_ERROR = 'RUNWAY_TEST_WORKFLOW_BUNDLE_ERROR';
export const ENV_STATE_FILE = 'RUNWAY_TEST_STATE_FILE';

export interface HarnessState {
  address: string;
  /** Undefined when global setup reused a server given in RUNWAY_TEST_TEMPORAL_ADDRESS. */
  pid?: number;
  tempDir: string;
  bundleFile?: string;
}

interface HarnessGlobals {
  server?: DevServer;
  state?: HarnessState;
  stateFile?: string;
  /** Setup exported RUNWAY_TEST_TEMPORAL_ADDRESS itself (rather than reusing a given server). */
  ownsAddress?: boolean;
}

const KEY = Symbol.for('runway.test.harness');

/** globalSetup and globalTeardown run in jest's main process and share its globalThis. */
export function harnessGlobals(): HarnessGlobals {
  const g = globalThis as unknown as Record<symbol, HarnessGlobals | undefined>;
  return (g[KEY] ??= {});
}
