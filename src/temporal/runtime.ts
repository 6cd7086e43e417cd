import { DefaultLogger, Runtime } from '@temporalio/worker';
import { type LogLevel, logs } from '../config/env';
import { formatLogLine, isReleaseEnding } from './log-line';

let installed = false;

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
    ...(options.prometheusBindAddress ? { telemetryOptions: { metrics: { prometheus: { bindAddress: options.prometheusBindAddress } } } } : {}),
  });
}
