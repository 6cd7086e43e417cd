import { DefaultLogger, Runtime } from '@temporalio/worker';
import { type LogLevel, logs } from '../config/env';
import { formatLogLine, isReleaseEnding } from './log-line';

let installed = false;

/**
 * Bucket bounds (ms) of `temporal_workflow_task_execution_latency`: a workflow task's time in the
 * worker, from its poll to its completion, queueing for the workflow thread included. The SDK's own
 * bounds stop at 1 s, so a task near the 5 s the SDK warns at (TMPRL1104) or Temporal's 10 s task
 * timeout (30 s for the GitHub writer) could not be told from one of 1.1 s; these keep the SDK's
 * low end and reach past both.
 */
export const WORKFLOW_TASK_LATENCY_BUCKETS_MS = [1, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 30_000];

export interface RuntimeOptions {
  /**
   * The SDK's Prometheus exporter (`host:port`): the process's connections and workers export
   * their metrics there. Only `runway worker` turns it on; the runtime is installed once per
   * process, so a process that embeds workers (`runway dev`, tests) has none.
   */
  prometheusBindAddress?: string;
}

/**
 * Installs the Temporal runtime with a logger at RUNWAY_LOG_LEVEL (by default warnings and
 * errors only), one line per entry; at debug, with stack traces. Must run before the first
 * connection or worker is created; later calls do nothing.
 */
export function installQuietRuntime(level: LogLevel = 'warn', options: RuntimeOptions = {}): void {
  if (installed) return;
  installed = true;
  const sdkLevel = ({ error: 'ERROR', warn: 'WARN', info: 'INFO', debug: 'DEBUG' } as const)[level];
  Runtime.install({
    logger: new DefaultLogger(sdkLevel, (entry) => {
      if (isReleaseEnding(entry) && !logs(level, 'info')) return;
      process.stderr.write(`${formatLogLine(entry, level === 'debug')}\n`);
    }),
    ...(options.prometheusBindAddress
      ? {
          telemetryOptions: {
            metrics: { prometheus: { bindAddress: options.prometheusBindAddress, histogramBucketOverrides: { workflow_task_execution_latency: WORKFLOW_TASK_LATENCY_BUCKETS_MS } } },
          },
        }
      : {}),
  });
}
