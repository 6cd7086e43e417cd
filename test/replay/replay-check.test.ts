/**
 * The chaos runner's replay check (bench/support/replay-check.ts) tells a history the workflow
 * code cannot replay from one it can. The history it must flag was recorded in a chaos run
 * (issue 20's note): a release whose worker was killed at promotion; the worker that next took its
 * task scheduled the Slack update before the canary's scale-down, while a replay of the same
 * events schedules them the other way round. Its next fresh worker stopped on that
 * nondeterminism error for good.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { replayProblem } from '../../bench/support/replay-check';
import { workflowBundle } from '../support/temporal';

const history = (file: string) => JSON.parse(readFileSync(path.join(__dirname, file), 'utf8')) as Record<string, unknown>;

describe('the chaos runner replay check', () => {
  it('flags the chaos run history that no fresh worker could go on with', async () => {
    const problem = await replayProblem(history('not-replaying/promotion-after-split-task.json'), 'promotion-after-split-task', workflowBundle());
    expect(problem).toMatch(/Nondeterminism error: Activity type of scheduled event 'updateReleaseMessage' does not match activity type of activity command 'updateService'/);
  });

  it('passes a recorded release that replays', async () => {
    expect(await replayProblem(history('../histories/released.json'), 'released', workflowBundle())).toBeUndefined();
  });
});
