import { DefaultLogger, Runtime } from '@temporalio/worker';
import { formatLogLine } from './log-line';

let installed = false;

/**
 * Installs the Temporal runtime with a logger that shows warnings and errors only (the SDK's
 * INFO lines include a full webpack report per worker start), one line per entry; at DEBUG,
 * with stack traces. Must run before the first connection or worker is created; later calls
 * do nothing.
 */
export function installQuietRuntime(level: 'WARN' | 'INFO' | 'DEBUG' = 'WARN'): void {
  if (installed) return;
  installed = true;
  const withStacks = level === 'DEBUG';
  Runtime.install({ logger: new DefaultLogger(level, (entry) => process.stderr.write(`${formatLogLine(entry, withStacks)}\n`)) });
}
