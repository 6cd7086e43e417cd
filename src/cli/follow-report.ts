/**
 * `runway watch` and `runway start --wait`: follow a release and turn how it ended into output
 * and an exit code. A release that ended without an outcome (terminated, timed out, failed as a
 * workflow, stuck) throws ReleaseEndedWithoutOutcomeError, which run-action reports (exit 8).
 */
import type { Client } from '@temporalio/client';
import { followRelease, ReleaseEndedWithoutOutcomeError } from '../release-client/follow';
import { type ExitCode, exitCodeForResult } from './exit-codes';
import { formatEvent } from './format';

export interface FollowReport {
  /** Where each history event goes as it happens; none with --json. */
  events?: NodeJS.WritableStream;
  /** Where the final line goes (`<id>: <result> — <reason>`). */
  result: NodeJS.WritableStream;
  /** Print the final status (or how the release ended without an outcome) as one JSON line on stdout instead. */
  json?: boolean;
}

export async function followAndReport(client: Client, id: string, out: FollowReport): Promise<ExitCode> {
  try {
    const final = await followRelease(client, id, { onEvent: (event) => out.events?.write(`${formatEvent(event)}\n`) });
    if (out.json) process.stdout.write(`${JSON.stringify(final)}\n`);
    else out.result.write(`${final.releaseId}: ${final.result}${final.outcomeReason ? ` — ${final.outcomeReason}` : ''}\n`);
    return exitCodeForResult(final.result);
  } catch (err) {
    if (out.json && err instanceof ReleaseEndedWithoutOutcomeError) {
      const { releaseId, ending, lastStage, result, message } = err;
      process.stdout.write(`${JSON.stringify({ releaseId, ended: ending, lastStage, ...(result ? { result } : {}), message })}\n`);
    }
    throw err;
  }
}
