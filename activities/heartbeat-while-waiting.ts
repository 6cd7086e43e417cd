/**
 * Heartbeats for an activity that usually answers at once but may wait its turn (a record hand-over
 * behind the writer, a Slack call behind Slack's pace): it starts beating only once it has waited
 * `everyMs`, then every `everyMs`, so the usual call costs the server no heartbeat at all and a long
 * wait lost with its worker is still retried within the heartbeat timeout.
 */
import type { Context } from '@temporalio/activity';

export async function heartbeatWhileWaiting<T>(ctx: Context, everyMs: number, work: () => Promise<T>): Promise<T> {
  let beating: NodeJS.Timeout | undefined;
  const firstBeat = setTimeout(() => {
    ctx.heartbeat();
    beating = setInterval(() => ctx.heartbeat(), everyMs);
  }, everyMs);
  try {
    return await work();
  } finally {
    clearTimeout(firstBeat);
    clearInterval(beating);
  }
}
