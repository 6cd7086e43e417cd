/**
 * The release's Slack message over its life: posted when approval is needed, updated in place as
 * the release moves, with replies in its thread. Slack informs; it never holds up or fails a
 * release: every call goes through `bestEffort`, updates and replies run in the background (the
 * latest state wins), and everything in flight is settled before the release ends.
 *
 * Under load an update may wait minutes for its turn within Slack's limits (the worker's Slack
 * pacer, issue 20). The final update does not wait behind it: it withdraws the update still
 * waiting (cancelled, and waited for, so a late intermediate state can never land after the final
 * one) and goes before other updates. Releases before that change (`patched`) keep the old way.
 */
import { CancellationScope, isCancellation, patched } from '@temporalio/workflow';
import type { SlackMessageRef } from '../../activities/slack';
import type { ReleaseMessage } from '../../src/slack/release-message';
import type { ReleaseActivityGroups } from '../activity-options';

export type BestEffort = <T>(what: string, call: () => Promise<T>) => Promise<T | undefined>;

export interface ReleaseSlackOptions {
  notify: ReleaseActivityGroups['notify'];
  /** The same update, cancelled only once the activity has stopped (what a withdrawn update needs). */
  notifyUpdate: ReleaseActivityGroups['notifyUpdate'];
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
  /** The scope the release was built in: updates run in scopes of their own under it, not under the stage that asked. */
  private readonly home = CancellationScope.current();
  /** The update being sent, in its own scope (releases with the withdrawable updates). */
  private sending?: CancellationScope;
  private withdrawable?: boolean;

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

  /**
   * Before the outcome: like `settle`, but an update still waiting for its turn with Slack is
   * withdrawn rather than waited for — the final update replaces it.
   */
  async settleForOutcome(): Promise<void> {
    if (this.withdrawable) {
      this.queuedHeadline = undefined;
      this.sending?.cancel();
    }
    await this.settle();
  }

  /** The final update, after everything else has settled. */
  async finalUpdate(headline: string): Promise<void> {
    await this.settleForOutcome();
    await this.updateNow(headline, true);
  }

  private post(headline: string, withButtons: boolean): Promise<SlackMessageRef | undefined> {
    return this.options.bestEffort(`posting ${withButtons ? 'the approval request' : 'the message'} to Slack`, () =>
      this.options.notify.postReleaseMessage({ channel: this.options.channel, message: this.options.messageFor(headline, withButtons) }),
    );
  }

  private async updateNow(headline: string, final = false): Promise<void> {
    const ref = this.ref;
    if (!ref) return;
    const message = this.options.messageFor(headline, false);
    const notify = this.withdrawable ? this.options.notifyUpdate : this.options.notify;
    await this.options.bestEffort('updating the Slack message', () => notify.updateReleaseMessage({ ...ref, message, ...(final && this.withdrawable ? { final } : {}) }));
  }

  /** One queued update; in its own scope (under the release's, not the asking stage's) when updates are withdrawable. */
  private async sendUpdate(headline: string): Promise<void> {
    this.withdrawable ??= patched('slack-final-withdraws-updates');
    if (!this.withdrawable) return this.updateNow(headline);
    const scope = new CancellationScope({ cancellable: true, parent: this.home });
    this.sending = scope;
    try {
      await scope.run(() => this.updateNow(headline));
    } catch (err) {
      // Withdrawn by the final update: nothing to record, the final state follows.
      if (!isCancellation(err) || !scope.consideredCancelled) throw err;
    } finally {
      this.sending = undefined;
    }
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
        await this.sendUpdate(headline);
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
