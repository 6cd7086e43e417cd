/**
 * Sends a release Update the way every client should: a refusal becomes ReleaseRefusedError
 * with the release's reason, and a "release busy" refusal (the release was completing a step in
 * that very instant; see workflows/update-order-guard.ts) is sent again a moment later, since
 * nothing was decided.
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { UPDATE_BUSY_REFUSAL } from '../messages';
import { ReleaseRefusedError } from './errors';

export interface SendUpdateOptions {
  /** Attempts while the release answers "busy". @default 20 */
  attempts?: number;
  /** Pause between them, ms. @default 250 */
  pauseMs?: number;
}

export async function sendReleaseUpdate<T>(send: () => Promise<T>, options: SendUpdateOptions = {}): Promise<T> {
  const attempts = options.attempts ?? 20;
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (err) {
      if (!(err instanceof WorkflowUpdateFailedError)) throw err;
      const reason = (err.cause as Error | undefined)?.message ?? err.message;
      if (!reason.startsWith(UPDATE_BUSY_REFUSAL) || attempt >= attempts) throw new ReleaseRefusedError(reason);
      await new Promise((resolve) => setTimeout(resolve, options.pauseMs ?? 250));
    }
  }
}
