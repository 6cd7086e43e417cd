import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { ReleaseRefusedError } from '../../src/client/errors';
import { sendReleaseUpdate } from '../../src/client/send-update';

const refused = (message: string) => new WorkflowUpdateFailedError('Workflow Update failed', ApplicationFailure.create({ message }));

describe('sendReleaseUpdate', () => {
  it('sends again while the release answers "busy", and returns the answer that follows', async () => {
    let calls = 0;
    const answer = await sendReleaseUpdate(
      async () => {
        calls += 1;
        if (calls < 3) throw refused('release busy: it is completing a step in this very instant; retry');
        return 'approved';
      },
      { pauseMs: 1 },
    );
    expect(answer).toBe('approved');
    expect(calls).toBe(3);
  });

  it('turns any other refusal into ReleaseRefusedError at once, with the release\'s reason', async () => {
    let calls = 0;
    const sending = sendReleaseUpdate(async () => {
      calls += 1;
      throw refused('approval refused: mallory is not an approver');
    });
    await expect(sending).rejects.toThrow(new ReleaseRefusedError('approval refused: mallory is not an approver'));
    expect(calls).toBe(1);
  });

  it('gives up after its attempts', async () => {
    const sending = sendReleaseUpdate(async () => Promise.reject(refused('release busy: retry')), { attempts: 3, pauseMs: 1 });
    await expect(sending).rejects.toThrow(ReleaseRefusedError);
  });
});
