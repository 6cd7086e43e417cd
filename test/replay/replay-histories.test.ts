/**
 * Determinism guard: histories recorded from real releases (scripts/record-histories.ts) must
 * replay against the current workflow code. A change that would break releases in flight
 * fails here; guard it with patched() (see the README) instead of editing these files.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { workflowBundle } from '../harness/temporal';
import { quietLogger } from '../support/activity-env';

const dir = path.join(__dirname, '../histories');
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

describe('recorded release histories', () => {
  it('has the representative stories recorded', () => {
    expect(files.sort()).toEqual([
      // Recorded before the release-v2 patch: releases in flight then must still replay.
      'aborted-by-operator.json',
      'rejected.json',
      'released.json',
      'rolled-back-bad-image.json',
      'rolled-back-smoke.json',
      // Recorded on release v2 (dispatched build, canary analysis, migration-ready, ...).
      'v2-aborted-by-operator.json',
      'v2-rejected.json',
      'v2-released.json',
      'v2-rolled-back-canary.json',
      'v2-rolled-back-smoke.json',
    ]);
  });

  it.each(files)('%s replays against the current workflow code', async (file) => {
    // The JSON of `temporal workflow show --output json`, as the replayer takes it.
    const history: unknown = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
    await expect(Worker.runReplayHistory({ workflowBundle: workflowBundle() }, history, file)).resolves.toBeUndefined();
  });
});

describe('the determinism guard', () => {
  it('catches an unguarded change to the order of steps', async () => {
    const { bundleWorkflowCode } = await import('@temporalio/worker');
    const reordered = await bundleWorkflowCode({ workflowsPath: require.resolve('./fixtures/reordered-release'), logger: quietLogger });
    const history: unknown = JSON.parse(readFileSync(path.join(dir, 'released.json'), 'utf8'));
    const error = await Worker.runReplayHistory({ workflowBundle: reordered }, history, 'released.json').then(
      () => undefined,
      (err: Error) => err,
    );
    expect(error).toBeInstanceOf(DeterminismViolationError);
    expect(error?.message).toMatch(/Nondeterminism/);
  });
});
