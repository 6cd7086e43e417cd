/**
 * Runs the overhead bench's baseline (./bare/workflows.ts) on the bench's server: reads a
 * release's history into batches of commands and replays that shape as no-op activities and
 * timers on an in-process worker of its own task queue.
 */
import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import type { BareBatch } from './bare/workflows';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** Milliseconds of a protobuf duration. */
function durationMs(d: temporal.api.history.v1.ITimerStartedEventAttributes['startToFireTimeout']): number {
  return Number(d?.seconds ?? 0) * 1000 + Math.round((d?.nanos ?? 0) / 1e6);
}

/**
 * The release's commands as batches: the activities and timers scheduled right after each
 * completed workflow task. Timers that were cancelled (the approval deadline once approved) are
 * left out: a bare workflow cannot wait for them and not wait.
 */
export function batchesOf(events: HistoryEvent[]): BareBatch[] {
  const cancelled = new Set(events.flatMap((e) => (e.timerCanceledEventAttributes ? [String(e.timerCanceledEventAttributes.startedEventId)] : [])));
  const batches: BareBatch[] = [];
  let current: BareBatch | undefined;
  for (const e of events) {
    if (e.workflowTaskCompletedEventAttributes) {
      current = { activities: 0, timersMs: [] };
      batches.push(current);
    } else if (current && e.activityTaskScheduledEventAttributes) {
      current.activities++;
    } else if (current && e.timerStartedEventAttributes && !cancelled.has(String(e.eventId))) {
      current.timersMs.push(durationMs(e.timerStartedEventAttributes.startToFireTimeout));
    }
  }
  return batches.filter((b) => b.activities > 0 || b.timersMs.length > 0);
}

/** A worker for the bare workflow on the bench's server; `time` runs one and answers its wall time in ms. */
export async function startBareWorker(client: Client, address: string): Promise<{ time: (batches: BareBatch[]) => Promise<number>; stop: () => Promise<void> }> {
  const taskQueue = `bare-${randomBytes(4).toString('hex')}`;
  // The bench prints its own lines; the SDK's worker-state lines would bury them.
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // A runtime was already installed in this process: keep it.
  }
  const connection = await NativeConnection.connect({ address });
  const worker = await Worker.create({ connection, taskQueue, workflowsPath: require.resolve('./bare/workflows'), activities: { noop: async () => undefined } });
  const running = worker.run();
  return {
    async time(batches) {
      const started = Date.now();
      await client.workflow.execute('bareRelease', { taskQueue, workflowId: `bare-${randomBytes(6).toString('hex')}`, args: [batches] });
      return Date.now() - started;
    },
    async stop() {
      worker.shutdown();
      await running;
      await connection.close();
    },
  };
}
