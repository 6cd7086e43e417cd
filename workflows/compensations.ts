/**
 * The saga's undo list. Each step that changes something registers how to put it back; on
 * failure they run newest first, except "urgent" undos (taking traffic off the canary), which
 * run before everything else so users are back on the stable version at once.
 */
import { CancellationScope } from '@temporalio/workflow';

/** The environment an undo puts back, so the release knows which ones are really restored. */
export type UndoEnvironment = 'staging' | 'production';

interface Undo {
  description: string;
  urgent: boolean;
  environment?: UndoEnvironment;
  run: () => Promise<void>;
}

export interface UndoReport {
  description: string;
  environment?: UndoEnvironment;
  error?: string;
}

export class Compensations {
  private readonly undos: Undo[] = [];

  add(description: string, run: () => Promise<void>, options: { urgent?: boolean; environment?: UndoEnvironment } = {}): void {
    this.undos.push({ description, run, urgent: options.urgent ?? false, ...(options.environment ? { environment: options.environment } : {}) });
  }

  get size(): number {
    return this.undos.length;
  }

  /** The order undos will run in. */
  plannedOrder(): string[] {
    return this.ordered().map((u) => u.description);
  }

  /**
   * Runs every undo in a non-cancellable scope (a cancelled release must still roll back).
   * One undo failing does not stop the others; each outcome is reported.
   */
  async runAll(onEach: (report: UndoReport) => void): Promise<UndoReport[]> {
    return CancellationScope.nonCancellable(async () => {
      const reports: UndoReport[] = [];
      for (const undo of this.ordered()) {
        const report: UndoReport = { description: undo.description, ...(undo.environment ? { environment: undo.environment } : {}) };
        try {
          await undo.run();
        } catch (err) {
          report.error = failureMessage(err);
        }
        reports.push(report);
        onEach(report);
      }
      this.undos.length = 0;
      return reports;
    });
  }

  private ordered(): Undo[] {
    const newestFirst = [...this.undos].reverse();
    return [...newestFirst.filter((u) => u.urgent), ...newestFirst.filter((u) => !u.urgent)];
  }
}

/** The innermost message of a Temporal failure chain (ActivityFailure → ApplicationFailure → ...). */
export function failureMessage(err: unknown): string {
  let current: unknown = err;
  let message = err instanceof Error ? err.message : String(err);
  while (current instanceof Error && current.cause instanceof Error) {
    current = current.cause;
    if (current instanceof Error && current.message) message = current.message;
  }
  return message;
}
