/** Stops the run's dev server and removes its temp dir (SQLite db, log, workflow bundle). */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { ENV_ADDRESS, ENV_BUNDLE, ENV_BUNDLE_ERROR, ENV_STATE_FILE, harnessGlobals, type HarnessState } from './state';

export default async function globalTeardown(): Promise<void> {
  const globals = harnessGlobals();
  const stateFile = globals.stateFile ?? process.env[ENV_STATE_FILE];
  const state: HarnessState | undefined =
    globals.state ?? (stateFile && existsSync(stateFile) ? (JSON.parse(readFileSync(stateFile, 'utf8')) as HarnessState) : undefined);

  if (globals.server) {
    await globals.server.stop();
  } else if (state?.pid) {
    // No live handle (should not happen in jest 29, where setup and teardown share a process):
    // never leave a server behind.
    try {
      process.kill(state.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  if (state?.tempDir) rmSync(state.tempDir, { recursive: true, force: true });
  // Watch mode runs setup again in this process: it must not reuse the server stopped here.
  if (globals.ownsAddress) delete process.env[ENV_ADDRESS];
  for (const name of [ENV_BUNDLE, ENV_BUNDLE_ERROR, ENV_STATE_FILE]) delete process.env[name];
  for (const key of Object.keys(globals) as (keyof typeof globals)[]) delete globals[key];
}
