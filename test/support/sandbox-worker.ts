/**
 * For end-to-end test files: a sandbox stack (sandbox-stack.ts) with one `runway worker` process
 * on it, started before the file's tests and stopped after them. `prepare` runs before the worker
 * starts (e.g. to edit the stack's config file).
 */
import { spawnRunway, type RunwayProcess } from './runway-process';
import { type SandboxStack, startSandboxStack } from './sandbox-stack';
import { workflowBundleFile } from './temporal';

export function useSandboxWorker(options: Parameters<typeof startSandboxStack>[0] = {}, prepare?: (stack: SandboxStack) => void): { readonly stack: SandboxStack; readonly worker?: RunwayProcess } {
  const current = {} as { stack: SandboxStack; worker?: RunwayProcess };
  beforeAll(async () => {
    current.stack = await startSandboxStack(options);
    prepare?.(current.stack);
    // From the bundle the test run built once, as the image's worker loads the build's (RUNWAY_WORKFLOW_BUNDLE).
    current.worker = spawnRunway(['worker'], { ...current.stack.env, RUNWAY_WORKFLOW_BUNDLE: workflowBundleFile() });
    await current.worker.waitFor(/polling task queue/);
  });
  afterAll(async () => {
    current.worker?.child.kill('SIGTERM');
    await current.worker?.exited;
    await current.stack?.sandbox.close();
  });
  return current;
}
