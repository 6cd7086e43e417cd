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
import { CancellationScope, condition, isCancellation, patched, setHandler, workflowInfo } from '@temporalio/workflow';
import type { SlackMessageRef } from '../../activities/slack';
import type { SlackHandOver } from '../../src/slack/message-queue';
import { type ReleaseSlackReport, releaseSlackSentSignal } from '../../src/slack/release-slack-api';
import type { ReleaseMessage } from '../../src/slack/release-message';
import type { ReleaseActivityGroups } from '../activity-options';

/**
 * Releases since this patch hand every Slack item to their run's messenger workflow
 * (workflows/release-slack-messenger.ts) from the main flow, numbered, and never schedule
 * anything when a Slack call completes: the background update chain made a release's commands
 * depend on how its tasks' events were split into activations (issue 20's note).
 */
export const SLACK_MESSENGER_PATCH = 'slack-messenger';

/**
 * Releases since this patch are told by their messenger, with a signal, once their final update
 * (and what follows it) has been sent. Before, they waited in a hand-over that heartbeated for as
 * long as Slack's pace made them wait: at 2,000 releases in flight, 600 such waits at once, and
 * with the messengers' own waits most of the server's work after approval (355 heartbeats per
 * release, issue 20's note).
 */
export const SLACK_SENT_SIGNAL_PATCH = 'slack-sent-signal';

/**
 * How long a release waits for its messenger's word by default before it asks the way releases
 * did before the signal (a hand-over answered once sent, or from a closed messenger's result): a
 * messenger that was terminated, or runs on a build from before the signal, never tells.
 */
export const SLACK_SENT_WORD_WAIT_MS = 10 * 60_000;

export type BestEffort = <T>(what: string, call: () => Promise<T>) => Promise<T | undefined>;

export interface ReleaseSlackOptions {
  notify: ReleaseActivityGroups['notify'];
  /** The same update, cancelled only once the activity has stopped (what a withdrawn update needs). */
  notifyUpdate: ReleaseActivityGroups['notifyUpdate'];
  channel: string;
  bestEffort: BestEffort;
  /** The message as the release's state renders it right now. */
  messageFor: (headline: string, withButtons: boolean) => ReleaseMessage;
  /** The hand-over to the run's messenger (releases since `slack-messenger`). */
  handOver: ReleaseActivityGroups['slackHandOver'];
  /** Adds a line to the release's history (what the messenger could not send). */
  record: (message: string) => void;
  /** How long to wait for the messenger's word that the last items were sent (SLACK_SENT_WORD_WAIT_MS by default; tests shorten it). */
  sentWordWaitMs?: number;
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
  /** Whether this run hands its Slack items to its messenger (decided at its first Slack item, as the history says). */
  private messenger?: boolean;
  /** The number of the last item handed to the messenger. */
  private handedOver = 0;
  /** Once the final is handed over, what follows (the reply to the requester) is waited for until sent, so it lands before the release closes. */
  private finalHandedOver = false;
  /** Whether the message was ever handed over to be posted: a run that never posted one (a refused rollback) has nothing to update or reply to, and starts no messenger. */
  private postHandedOver = false;
  /** How many of the messenger's reported failures are in the release's history already (each report lists them all). */
  private failuresRecorded = 0;
  /** Whether this run waits for its messenger's word that its final was sent (decided at the final, as the history says). */
  private toldWhenSent?: boolean;
  /** The messenger's word: every item up to this number has been sent. */
  private sentUpTo = 0;

  constructor(private readonly options: ReleaseSlackOptions) {
    setHandler(releaseSlackSentSignal, ({ sentUpTo, failures }) => {
      this.sentUpTo = Math.max(this.sentUpTo, sentUpTo);
      this.recordFailures({ failures });
    });
  }

  private get viaMessenger(): boolean {
    this.messenger ??= patched(SLACK_MESSENGER_PATCH);
    return this.messenger;
  }

  /**
   * Whether the approval request's post has succeeded or given up. Through the messenger it is
   * settled once handed over: the messenger sends a reply after the post by itself, so nobody
   * waits here for Slack. (Read in conditions: it must not decide the patch.)
   */
  get settled(): boolean {
    return this.postSettled;
  }

  /** Whether a reply in the message's thread can be asked for now (through the messenger, once the post is handed over: it sends replies after it). */
  get canReply(): boolean {
    return this.postHandedOver || this.ref !== undefined;
  }

  /** Hands items to the messenger, in the background: durable once the hand-over returns; Slack sees them at its pace. */
  private handToMessenger(what: string, item: DistributiveOmit<SlackHandOver, 'seq'>): void {
    if (!this.postHandedOver) return;
    const items = [{ ...item, seq: ++this.handedOver } as SlackHandOver];
    if (this.finalHandedOver && this.toldWhenSent) {
      // After the final, what follows lands before the release closes: the messenger says when.
      const taken = this.options.bestEffort(what, () => this.options.handOver.handSlackItemsOver(this.handOverInput(items, { tellWhenSent: true })));
      return this.track(taken.then((report) => report && this.untilSent(what, items)));
    }
    const untilSent = this.finalHandedOver;
    const handedOver = this.options.bestEffort(what, () => this.options.handOver.handSlackItemsOver(this.handOverInput(items, { untilSent })));
    // After the final, each hand-over waits until sent and reports what Slack refused since.
    this.track(untilSent ? handedOver.then((report) => this.recordFailures(report)) : handedOver);
  }

  /** Records in the release's history what the messenger could not send and has not reported before. */
  private recordFailures(report: ReleaseSlackReport | undefined): void {
    const failures = report?.failures ?? [];
    for (const failure of failures.slice(this.failuresRecorded)) this.options.record(failure);
    this.failuresRecorded = Math.max(this.failuresRecorded, failures.length);
  }

  private handOverInput(items: SlackHandOver[], { untilSent = false, tellWhenSent = false }: { untilSent?: boolean; tellWhenSent?: boolean } = {}) {
    const info = workflowInfo();
    return {
      taskQueue: info.taskQueue,
      releaseId: info.workflowId,
      runId: info.runId,
      channel: this.options.channel,
      items,
      ...(untilSent ? { untilSent } : {}),
      ...(tellWhenSent ? { tellWhenSent } : {}),
    };
  }

  /**
   * Waits for the messenger's word that `items` were sent. Without it in time, asks the way
   * releases did before the signal: a hand-over of the same items (taken already, so not sent
   * twice) answered once they are sent, or from the messenger's result if it has closed.
   */
  private async untilSent(what: string, items: SlackHandOver[]): Promise<void> {
    const last = items[items.length - 1]!.seq;
    if (await condition(() => this.sentUpTo >= last, this.options.sentWordWaitMs ?? SLACK_SENT_WORD_WAIT_MS)) return;
    this.recordFailures(await this.options.bestEffort(what, () => this.options.handOver.handSlackItemsOver(this.handOverInput(items, { untilSent: true }))));
  }

  /**
   * Posts the message without waiting (by default the approval request, with its buttons): a
   * decision made elsewhere is never held up by Slack.
   */
  startPosting(headline = 'Waiting for approval', withButtons = true): void {
    if (this.viaMessenger) {
      this.postSettled = true;
      this.postHandedOver = true;
      return this.handToMessenger(`handing ${withButtons ? 'the approval request' : 'the message'} to the Slack messenger`, { kind: 'post', message: this.options.messageFor(headline, withButtons) });
    }
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
    if (this.viaMessenger) return this.handToMessenger('handing a Slack update to the messenger', { kind: 'update', message: this.options.messageFor(headline, false) });
    this.queuedHeadline = headline;
    if (!this.updating) this.track(this.drainUpdates());
  }

  /** Posts a reply in the message's thread (if there is a message), in the background. */
  reply(what: string, text: string): void {
    if (this.viaMessenger) return this.handToMessenger(`handing a thread reply to the messenger (${what})`, { kind: 'reply', what, text });
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
    if (this.viaMessenger) return this.settle();
    if (this.withdrawable) {
      this.queuedHeadline = undefined;
      this.sending?.cancel();
    }
    await this.settle();
  }

  /** The final update, after everything else has settled. */
  async finalUpdate(headline: string): Promise<void> {
    await this.settleForOutcome();
    if (!this.viaMessenger) return this.updateNow(headline, true);
    if (!this.postHandedOver) return;
    // Every earlier item has been taken (settled above), so the final is the last word.
    const final = [{ seq: ++this.handedOver, kind: 'final', message: this.options.messageFor(headline, false) } as SlackHandOver];
    this.finalHandedOver = true;
    this.toldWhenSent ??= patched(SLACK_SENT_SIGNAL_PATCH);
    if (this.toldWhenSent) {
      const what = 'handing the final Slack update to the messenger';
      const taken = await this.options.bestEffort(what, () => this.options.handOver.handSlackItemsOver(this.handOverInput(final, { tellWhenSent: true })));
      if (taken) await this.untilSent(what, final);
      return;
    }
    const report = await this.options.bestEffort('handing the final Slack update to the messenger', () => this.options.handOver.handSlackItemsOver(this.handOverInput(final, { untilSent: true })));
    this.recordFailures(report);
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

/** Omit over each member of a union (TypeScript's Omit flattens it). */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
