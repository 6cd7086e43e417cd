/**
 * Waiting in tests for something another process or workflow does, by looking every 100 ms: the
 * one poll loop the rigs share (a fixed bound, so a test that waits for what never comes fails
 * naming it rather than hanging until Jest's timeout).
 */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  for (let i = 0; i < timeoutMs / 100; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}
