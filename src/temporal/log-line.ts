import type { LogEntry } from '@temporalio/worker';

/**
 * Formats one Temporal SDK log entry as one line.
 *
 * The SDK's default prints the whole metadata object, task token and stack trace included — a
 * screenful for every activity attempt that fails on purpose (a deployment ECS rolled back, a
 * Slack outage being retried). An operator needs what failed, for which release, on which
 * attempt and why; the stack trace only when they ask for it (`RUNWAY_LOG_LEVEL=debug`).
 */
export function formatLogLine(entry: LogEntry, withStacks = false): string {
  const time = new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString();
  const meta = entry.meta ?? {};
  const context = [
    field(meta, 'activityType'),
    field(meta, 'workflowType') && !meta.activityType ? field(meta, 'workflowType') : undefined,
    typeof meta.attempt === 'number' && meta.attempt > 1 ? `attempt ${meta.attempt}` : undefined,
    field(meta, 'workflowId'),
  ].filter(Boolean);
  const where = context.length > 0 ? ` (${context.join(', ')})` : '';
  const error = meta.error !== undefined ? `: ${describeError(meta.error, withStacks)}` : '';
  return `${time} [${entry.level}] ${entry.message}${where}${error}`;
}

function field(meta: Record<string, unknown>, key: string): string | undefined {
  const value = meta[key];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function describeError(error: unknown, withStacks: boolean): string {
  if (!(error instanceof Error)) return String(error);
  const type = (error as { type?: unknown }).type;
  const label = typeof type === 'string' && type.length > 0 ? type : error.name;
  const retry = (error as { nonRetryable?: unknown }).nonRetryable === true ? ' [not retried]' : '';
  const text = `${label}: ${error.message}${retry}`;
  return withStacks && error.stack ? `${text}\n${error.stack}` : text;
}

/**
 * The SDK warns "Workflow failed" for every workflow that fails, and a release that did not reach
 * production fails on purpose, carrying its outcome (workflows/release-ending.ts): that is news
 * (info), not a warning; the CLI, Slack and the Web UI already say it.
 */
export function isReleaseEnding(entry: Pick<LogEntry, 'message' | 'meta'>): boolean {
  const error = entry.meta?.error;
  return (
    entry.message === 'Workflow failed' &&
    entry.meta?.workflowType === 'release' &&
    error instanceof Error &&
    /^(rolled-back|rejected|failed): /.test(error.message)
  );
}
