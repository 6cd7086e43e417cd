import { type SlackNext, SlackMessageQueue } from '../../src/slack/message-queue';
import { messageWithHeadline } from '../support/release-message';

const message = messageWithHeadline;

/** Sends everything the queue has, as the messenger's single chain would; answers what went, in order. */
function drain(queue: SlackMessageQueue, posted = true): string[] {
  const out: string[] = [];
  for (let next: SlackNext | undefined = queue.next(); next; next = queue.next()) {
    out.push(next.send === 'reply' ? `reply ${next.text}` : `${next.send === 'update' && next.final ? 'final' : next.send} ${next.message.headline}`);
    queue.sent(next, { posted });
  }
  return out;
}

describe('SlackMessageQueue', () => {
  it('posts first, then sends only the latest of the updates that waited', () => {
    const queue = new SlackMessageQueue();
    queue.accept({ seq: 2, kind: 'update', message: message('Approved') });
    expect(queue.next()).toBeUndefined();
    queue.accept({ seq: 1, kind: 'post', message: message('Waiting for approval') });
    queue.accept({ seq: 3, kind: 'update', message: message('Canary at 10%') });
    expect(drain(queue)).toEqual(['post Waiting for approval', 'update Canary at 10%']);
  });

  it('ignores a hand-over taken before (a retried activity) and an update older than one sent', () => {
    const queue = new SlackMessageQueue();
    queue.accept({ seq: 1, kind: 'post', message: message('Waiting') });
    queue.accept({ seq: 3, kind: 'update', message: message('Canary at 25%') });
    expect(drain(queue)).toEqual(['post Waiting', 'update Canary at 25%']);
    expect(queue.accept({ seq: 3, kind: 'update', message: message('Canary at 25%') })).toBe(false);
    // Handed over earlier, arrived later (another worker): never shown over the newer state.
    queue.accept({ seq: 2, kind: 'update', message: message('Canary at 10%') });
    expect(drain(queue)).toEqual([]);
  });

  it('sends an update that arrived while the previous one was being sent', () => {
    const queue = new SlackMessageQueue();
    queue.accept({ seq: 1, kind: 'post', message: message('Waiting') });
    queue.sent(queue.next()!, { posted: true });
    queue.accept({ seq: 2, kind: 'update', message: message('Approved') });
    const sending = queue.next()!;
    queue.accept({ seq: 3, kind: 'update', message: message('Canary at 10%') });
    queue.sent(sending);
    expect(drain(queue)).toEqual(['update Canary at 10%']);
  });

  it('sends replies in the release order around the final, which supersedes waiting updates and is the last update', () => {
    const queue = new SlackMessageQueue();
    queue.accept({ seq: 1, kind: 'post', message: message('Waiting') });
    queue.accept({ seq: 4, kind: 'reply', text: 'second', what: 'b' });
    queue.accept({ seq: 2, kind: 'reply', text: 'first', what: 'a' });
    queue.accept({ seq: 3, kind: 'update', message: message('Canary at 10%') });
    // The reply to the requester once the release has ended comes after its final update.
    queue.accept({ seq: 6, kind: 'reply', text: 'after the end', what: 'c' });
    queue.accept({ seq: 5, kind: 'final', message: message('Rolled back') });
    expect(queue.done).toBe(false);
    expect(drain(queue)).toEqual(['post Waiting', 'reply first', 'reply second', 'final Rolled back', 'reply after the end']);
    expect(queue.done).toBe(true);
    queue.accept({ seq: 7, kind: 'update', message: message('late') });
    expect(queue.next()).toBeUndefined();
  });

  it('has nothing to update when the post failed, or when the release ended before posting', () => {
    const failedPost = new SlackMessageQueue();
    failedPost.accept({ seq: 1, kind: 'post', message: message('Waiting') });
    failedPost.accept({ seq: 2, kind: 'reply', text: 'reminder', what: 'r' });
    failedPost.accept({ seq: 3, kind: 'final', message: message('Rejected') });
    expect(drain(failedPost, false)).toEqual(['post Waiting']);
    expect(failedPost.done).toBe(true);

    const neverPosted = new SlackMessageQueue();
    neverPosted.accept({ seq: 1, kind: 'final', message: message('Failed in staging') });
    expect(neverPosted.next()).toBeUndefined();
    expect(neverPosted.done).toBe(true);
  });
});
