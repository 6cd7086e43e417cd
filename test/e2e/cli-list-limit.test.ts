/**
 * `runway list` shows at most --limit releases (default 20) and says so when more match, instead
 * of stopping silently; with --json, stdout stays a plain array and the note goes to stderr.
 */
import { RELEASE_WORKFLOW_TYPE, serviceSearchAttribute, stageSearchAttribute } from '../../src/domain/release-api';
import { runRunway } from '../support/runway-process';
import { testTemporalAddress, uniqueId, useTestClient } from '../support/temporal';

const temporal = useTestClient();
/** A service name no other test uses, so only this file's releases match --service. */
const service = uniqueId('list').toLowerCase().replace(/[^a-z0-9-]/g, '-');
const taskQueue = uniqueId('list-no-worker');
const env = () => ({ TEMPORAL_ADDRESS: testTemporalAddress() });
const ids = [1, 2, 3].map((n) => `release-${service}-${'0'.repeat(39)}${n}`);

beforeAll(async () => {
  // Releases in name only: started on a task queue no worker polls, they stay `queued` and listed.
  for (const id of ids) {
    await temporal.client.workflow.start(RELEASE_WORKFLOW_TYPE, {
      workflowId: id,
      taskQueue,
      args: [],
      typedSearchAttributes: [
        { key: serviceSearchAttribute, value: service },
        { key: stageSearchAttribute, value: 'queued' },
      ],
    });
  }
  // Visibility is eventually consistent: wait until all three are listed.
  for (let i = 0; i < 100; i++) {
    const all = await runRunway(['list', '--service', service, '--limit', '10', '--json'], env());
    if ((JSON.parse(all.stdout) as unknown[]).length === ids.length) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('the releases never showed in the list');
});

afterAll(async () => {
  await Promise.allSettled(ids.map((id) => temporal.client.workflow.getHandle(id).terminate('test over')));
});

it('says when more releases match than --limit shows', async () => {
  const two = await runRunway(['list', '--service', service, '--limit', '2'], env());
  expect(two.code).toBe(0);
  const lines = two.stdout.trimEnd().split('\n');
  expect(lines).toHaveLength(3);
  expect(lines.slice(0, 2).every((l) => /queued\s+release-/.test(l))).toBe(true);
  expect(lines[2]).toBe('(the newest 2 shown; more releases match: --limit N shows more)');

  const all = await runRunway(['list', '--service', service, '--limit', '3'], env());
  expect(all.stdout.trimEnd().split('\n')).toHaveLength(3);
  expect(all.stdout).not.toMatch(/more releases match/);
});

it('keeps --json a plain array and puts the note on stderr', async () => {
  const one = await runRunway(['list', '--service', service, '--limit', '1', '--json'], env());
  expect(JSON.parse(one.stdout)).toEqual([expect.objectContaining({ service, stage: 'queued' })]);
  expect(one.stderr).toBe('(the newest 1 shown; more releases match: --limit N shows more)\n');
});
