/**
 * Global setup of the integration project (jest.config.js), so once per jest run that selects
 * at least one integration test: one headless Temporal dev server (free port, SQLite in a temp
 * dir, Runway search attributes) shared by every test file, and the workflow code bundled once.
 * Tests get both through RUNWAY_TEST_TEMPORAL_ADDRESS / RUNWAY_TEST_WORKFLOW_BUNDLE.
 *
 * RUNWAY_TEST_TEMPORAL_ADDRESS already set → that server is used and none is started (it must
 * have the Runway search attributes registered).
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveTemporalCli } from '../../src/temporal/cli-binary';
import { RUNWAY_SEARCH_ATTRIBUTES, startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { ENV_ADDRESS, ENV_BUNDLE, ENV_BUNDLE_ERROR, ENV_STATE_FILE, harnessGlobals, type HarnessState } from './state';

const log = (line: string) => process.stderr.write(`[test harness] ${line}\n`);

export default async function globalSetup(): Promise<void> {
  // Inherited by every test worker process (and the `runway` processes e2e tests spawn).
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const globals = harnessGlobals();
  // Watch mode runs setup again in the same process: forget what the previous run exported.
  for (const name of [ENV_BUNDLE, ENV_BUNDLE_ERROR, ENV_STATE_FILE]) delete process.env[name];
  const tempDir = mkdtempSync(path.join(os.tmpdir(), 'runway-jest-'));
  const stateFile = path.join(tempDir, 'harness.json');
  globals.stateFile = stateFile;
  process.env[ENV_STATE_FILE] = stateFile;

  // Bundling (webpack, seconds) and the server start overlap.
  const bundling = bundleWorkflows(tempDir);
  let server: DevServer | undefined;
  try {
    let address = process.env[ENV_ADDRESS];
    if (!address) {
      // No Temporal CLI → this throws with install instructions and the whole run fails loudly.
      const binary = await resolveTemporalCli({ log });
      server = await startDevServer({
        binary,
        port: 0,
        headless: true,
        dbFile: path.join(tempDir, 'temporal.db'),
        logFile: path.join(tempDir, 'temporal.log'),
        searchAttributes: RUNWAY_SEARCH_ATTRIBUTES,
        startTimeoutMs: 90_000,
        log,
      });
      globals.server = server;
      globals.ownsAddress = true;
      address = server.address;
      process.env[ENV_ADDRESS] = address;
    }
    const bundleFile = await bundling;
    if (bundleFile) process.env[ENV_BUNDLE] = bundleFile;

    const state: HarnessState = { address, pid: server?.pid, tempDir, bundleFile };
    globals.state = state;
    writeFileSync(stateFile, JSON.stringify(state, null, 2));
  } catch (err) {
    await bundling;
    await server?.stop();
    rmSync(tempDir, { recursive: true, force: true });
    throw err;
  }
}

/**
 * A bundling failure must not fail unit tests that need no workflow code: the error is passed
 * on, and workflowBundle() throws it in the tests that do.
 */
async function bundleWorkflows(tempDir: string): Promise<string | undefined> {
  const workflowsPath = path.resolve(__dirname, '../../workflows/index.ts');
  if (!existsSync(workflowsPath)) {
    process.env[ENV_BUNDLE_ERROR] = `${workflowsPath} does not exist, so global setup bundled no workflow code.`;
    return undefined;
  }
  try {
    // Loaded only here: @temporalio/worker is heavy, and a run without workflows never needs it.
    const { writeWorkflowBundle } = await import('../../workers/bundle-workflows');
    const started = Date.now();
    const file = path.join(tempDir, 'workflow-bundle.js');
    await writeWorkflowBundle(file, log);
    log(`Bundled the workflow code in ${Date.now() - started} ms`);
    return file;
  } catch (err) {
    process.env[ENV_BUNDLE_ERROR] = `Bundling ${workflowsPath} failed in global setup: ${(err as Error).stack ?? err}`;
    return undefined;
  }
}
