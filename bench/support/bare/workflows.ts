/**
 * The overhead bench's baseline: a bare Temporal workflow that does nothing but what a zero-bake
 * release asks of Temporal — the same no-op activities and timers, in the same batches (the
 * commands one workflow task issued together run together), one batch after another. Its time is
 * what Temporal costs; Runway's time over it is what Runway adds. Deterministic: no I/O.
 */
import { proxyActivities, sleep } from '@temporalio/workflow';

/** One workflow task's commands: so many no-op activities and timers of these lengths. */
export interface BareBatch {
  activities: number;
  timersMs: number[];
}

const { noop } = proxyActivities<{ noop(): Promise<void> }>({ startToCloseTimeout: '10s' });

export async function bareRelease(batches: BareBatch[]): Promise<number> {
  let done = 0;
  for (const batch of batches) {
    await Promise.all([...Array.from({ length: batch.activities }, () => noop()), ...batch.timersMs.map((ms) => sleep(ms))]);
    done += batch.activities + batch.timersMs.length;
  }
  return done;
}
