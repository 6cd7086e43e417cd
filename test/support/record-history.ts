/**
 * Saves a workflow's history to test/histories/ when `RUNWAY_RECORD_HISTORIES=1`: how a test takes
 * the recorded behaviour that test/replay/replay-histories.test.ts then replays against every later
 * build. Without the variable it does nothing.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { testTemporalAddress } from './temporal';

export function recordHistory(workflowId: string, name: string, runId?: string): void {
  if (process.env.RUNWAY_RECORD_HISTORIES !== '1') return;
  const args = ['workflow', 'show', '--address', testTemporalAddress(), '--workflow-id', workflowId, ...(runId ? ['--run-id', runId] : []), '--output', 'json'];
  const json = execFileSync(process.env.TEMPORAL_CLI ?? 'temporal', args, { encoding: 'utf8' });
  writeFileSync(path.join(__dirname, '../histories', `${name}.json`), json);
}
