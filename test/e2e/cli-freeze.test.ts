/**
 * `runway freeze start|end|status`, `runway start --no-wait-for-freeze` / `--break-glass` and
 * `runway break-glass approve` through the real CLI against the dev server. A worker with fake
 * activities runs the freeze workflow on the test's task queue (no release gets that far here).
 * Bad input is refused naming it, with exit 2, and changes nothing.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { freezeWorkflowId } from '../../src/domain/freeze-api';
import { releaseId } from '../../src/domain/release-id';
import { freezeState } from '../../src/release-client/freeze';
import { createFakeActivities } from '../support/fake-activities';
import { MINIMAL_CONFIG_YAML } from '../support/minimal-config';
import { runRunway } from '../support/runway-process';
import { randomSha } from '../support/sandbox-stack';
import { testClient, testTemporalAddress, uniqueId, workflowExists } from '../support/temporal';
import { withWorker } from '../support/workflow-runner';

let client: Client;
let closeClient: () => Promise<void>;

beforeAll(async () => {
  ({ client, close: closeClient } = await testClient());
});
afterAll(async () => closeClient());

function configWith(freeze = ''): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'runway-freeze-'));
  const file = path.join(dir, 'runway.config.yaml');
  writeFileSync(file, `${MINIMAL_CONFIG_YAML}${freeze}`);
  return file;
}

const envOf = (taskQueue: string, config: string) => ({ TEMPORAL_ADDRESS: testTemporalAddress(), RUNWAY_TASK_QUEUE: taskQueue, RUNWAY_CONFIG: config });

const exists = (id: string) => workflowExists(client, id);

describe('runway start --no-wait-for-freeze', () => {
  it('is refused (exit 4) during a configured window, naming it and its end; starts nothing', async () => {
    const from = new Date(Date.now() - 3600_000).toISOString();
    // Within the 30 days a release plan resolves windows for, on a whole minute.
    const toMs = Math.ceil((Date.now() + 2 * 3600_000) / 60_000) * 60_000;
    const to = new Date(toMs).toISOString();
    const config = configWith(`freeze:\n  windows:\n    - { from: "${from}", to: "${to}", reason: year-end freeze }\n`);
    const env = envOf(uniqueId('no-worker'), config);
    const version = randomSha();
    const result = await runRunway(['start', '--service', 'api', '--version', version, '--no-wait-for-freeze'], env);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain(`not starting ${releaseId('api', version)} (--no-wait-for-freeze): api is frozen until ${to.slice(0, 16)}Z: year-end freeze`);
    expect(await exists(releaseId('api', version))).toBe(false);
  });

  it('is refused during an ad hoc freeze started with runway freeze start, and starts once it ended', async () => {
    const fake = createFakeActivities();
    await withWorker(fake.activities, async (taskQueue) => {
      const env = envOf(taskQueue, configWith());
      const started = await runRunway(['freeze', 'start', '--reason', 'incident 4711', '--as', 'dave'], env);
      expect(started).toMatchObject({ code: 0, stdout: expect.stringMatching(/^every service frozen by dave since .*: incident 4711\n$/) });
      const again = await runRunway(['freeze', 'start', '--reason', 'twice', '--as', 'erin'], env);
      expect(again.code).toBe(4);
      expect(again.stderr).toMatch(/every service is already frozen by dave/);
      const status = await runRunway(['freeze', 'status'], env);
      expect(status.stdout).toContain('api: frozen until the freeze is ended (runway freeze end): incident 4711 (ad hoc, dave, every service)');

      const version = randomSha();
      const refused = await runRunway(['start', '--service', 'api', '--version', version, '--no-wait-for-freeze'], env);
      expect(refused.code).toBe(4);
      expect(refused.stderr).toContain('api is frozen until the freeze is ended (runway freeze end): incident 4711');
      expect(await exists(releaseId('api', version))).toBe(false);

      const ended = await runRunway(['freeze', 'end', '--as', 'dave'], env);
      expect(ended).toMatchObject({ code: 0, stdout: expect.stringContaining('ended: every service frozen by dave') });
      const state = await freezeState(client, taskQueue);
      expect(state.log.map((e) => `${e.action} ${e.by}`)).toEqual(['start dave', 'end dave']);
      const open = await runRunway(['freeze', 'status', '--json'], env);
      expect(JSON.parse(open.stdout)).toMatchObject({ adHoc: [], services: [{ service: 'api', frozen: false }] });
    });
  });
});

describe('bad input', () => {
  it('is refused naming it, exit 2, with no side effect', async () => {
    const taskQueue = uniqueId('no-worker');
    const env = envOf(taskQueue, configWith());
    const noReason = await runRunway(['freeze', 'start', '--as', 'dave'], env);
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toContain("required option '--reason <text>' not specified");
    const blank = await runRunway(['freeze', 'start', '--reason', '  ', '--as', 'dave'], env);
    expect(blank).toMatchObject({ code: 2, stderr: expect.stringContaining('--reason: a reason is required') });
    const unknown = await runRunway(['freeze', 'start', '--service', 'nope', '--reason', 'x', '--as', 'dave'], env);
    expect(unknown).toMatchObject({ code: 2, stderr: expect.stringContaining('--service: unknown service "nope" (configured: api)') });
    const breakGlass = await runRunway(['start', '--service', 'api', '--version', randomSha(), '--break-glass'], env);
    expect(breakGlass).toMatchObject({ code: 2, stderr: expect.stringContaining('--break-glass: a --reason is required') });
    expect(await exists(freezeWorkflowId(taskQueue))).toBe(false);
    // Nothing to end: refused, and still nothing created.
    const end = await runRunway(['freeze', 'end', '--as', 'dave'], env);
    expect(end).toMatchObject({ code: 4, stderr: expect.stringContaining('every service has no ad hoc freeze to end') });
    expect(await exists(freezeWorkflowId(taskQueue))).toBe(false);
    const approve = await runRunway(['break-glass', 'approve', 'release-api-0000000', '--as', 'alice'], env);
    expect(approve.code).toBe(3);
  });
});
