import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { LogLevel } from '../config/env';
import { formatLogLine } from './log-line';

let installed = false;

/**
 * Installs the Temporal runtime with a logger at RUNWAY_LOG_LEVEL (by default warnings and
 * errors only), one line per entry; at debug, with stack traces. Must run before the first
 * connection or worker is created; later calls do nothing.
 */
export function installQuietRuntime(level: LogLevel = 'warn'): void {
  if (installed) return;
  installed = true;
  const sdkLevel = ({ error: 'ERROR', warn: 'WARN', info: 'INFO', debug: 'DEBUG' } as const)[level];
  Runtime.install({ logger: new DefaultLogger(sdkLevel, (entry) => process.stderr.write(`${formatLogLine(entry, level === 'debug')}\n`)) });
}
