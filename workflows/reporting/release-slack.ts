/**
 * The release's Slack message over its life: posted when approval is needed, updated in place as
 * the release moves, with replies in its thread. Slack informs; it never holds up or fails a
 * release: every call goes through `bestEffort`, updates and replies run in the background (the
 * latest state wins), and everything in flight is settled before the release ends.
 */
import { CancellationScope } from '@temporalio/workflow';
import type { SlackMessageRef } from '../../activities/slack';
import type { ReleaseMessage } from '../../src/slack/release-message';
import type { ReleaseActivityGroups } from '../activity-options';

export type BestEffort = <T>(what: string, call: () => Promise<T>) => Promise<T | undefined>;

export interface ReleaseSlackOptions {
  notify: ReleaseActivityGroups['notify'];
  channel: string;
  bestEffort: BestEffort;
  /** The message as the release's state renders it right now. */
  messageFor: (headline: string, withButtons: boolean) => ReleaseMessage;
}

export class ReleaseSlack {
  /** The posted message, once Slack has answered. */
  ref?: SlackMessageRef;
  private posting?: Promise<unknown>;
  private postSettled = false;
  private readonly pending: Promise<unknown>[] = [];
  private queuedHeadline?: string;
  private updating = false;

  constructor(private readonly options: ReleaseSlackOptions) {}

  /** Whether the approval request's post has succeeded or given up. */
  get settled(): boolean {
    return this.postSettled;
  }

  /**
   * Posts the message without waiting (by default the approval request, with its buttons): a
   * decision made elsewhere is never held up by Slack.
   */
  startPosting(headline = 'Waiting for approval', withButtons = true): void {
    // Not cancelled with the release: an abort or cancellation while Slack is answering would
    // otherwise lose the message's ts, and with it the final update.
    const posting = CancellationScope.nonCancellable(() => this.post(headline, withButtons)).then((ref) => {
      this.ref = ref;
      this.postSettled = true;
    });
    // Handled here too, so a failed post never surfaces as an unhandled rejection.
    posting.catch(() => (this.postSettled = true));
    this.posting = posting;
  }

  /** Updates the message in place, in the background; the latest headline wins. */
  update(headline: string): void {
    this.queuedHeadline = headline;
    if (!this.updating) this.track(this.drainUpdates());
  }

  /** Posts a reply in the message's thread (if there is a message), in the background. */
  reply(what: string, text: string): void {
    const send = async () => {
      const ref = this.ref;
      if (!ref) return;
      await this.options.bestEffort(what, () => this.options.notify.postThreadReply({ ...ref, text }));
    };
    this.track(send());
  }

  /**
   * Before the release ends: let a slow post finish (or record its failure) and every update and
   * reply in flight land, so the last word in Slack is the release's outcome.
   */
  async settle(): Promise<void> {
    await this.posting?.catch(() => undefined);
    while (this.pending.length > 0) await this.pending.shift()!.catch(() => undefined);
  }

  /** The final update, after everything else has settled. */
  async finalUpdate(headline: string): Promise<void> {
    await this.settle();
    await this.updateNow(headline);
  }

  private post(headline: string, withButtons: boolean): Promise<SlackMessageRef | undefined> {
    return this.options.bestEffort(`posting ${withButtons ? 'the approval request' : 'the message'} to Slack`, () =>
      this.options.notify.postReleaseMessage({ channel: this.options.channel, message: this.options.messageFor(headline, withButtons) }),
    );
  }

  private async updateNow(headline: string): Promise<void> {
    const ref = this.ref;
    if (!ref) return;
    await this.options.bestEffort('updating the Slack message', () =>
      this.options.notify.updateReleaseMessage({ ...ref, message: this.options.messageFor(headline, false) }),
    );
  }

  /**
   * Sends queued updates one at a time; each renders the release's state when it is sent. An
   * update asked for while the approval request is still being posted waits for the post: it
   * needs the message's ts.
   */
  private async drainUpdates(): Promise<void> {
    this.updating = true;
    try {
      await this.posting?.catch(() => undefined);
      while (this.queuedHeadline !== undefined) {
        const headline = this.queuedHeadline;
        this.queuedHeadline = undefined;
        await this.updateNow(headline);
      }
    } finally {
      this.updating = false;
    }
  }

  private track(work: Promise<unknown>): void {
    work.catch(() => undefined);
    this.pending.push(work);
  }
}
