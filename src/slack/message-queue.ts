/**
 * What a release's Slack message still has to say, and in what order: the pure core of the
 * per-release Slack messenger workflow (issue 20's note, "The fix to build next").
 *
 * Why a separate workflow: the release used to send its Slack updates from a background chain
 * that scheduled the next update when the previous one completed. Two branches issuing commands
 * made the release's commands depend on how a workflow task's events were split into activations,
 * which a worker rebuilding a release for a query can do differently from a replay: releases
 * stopped on nondeterminism errors. The release now hands every Slack item over, numbered, and
 * this queue, in a workflow with a single chain, decides what goes next.
 *
 * Rules:
 * - Hand-overs are numbered by the release (`seq`, strictly increasing in the release's own
 *   order). A hand-over retried by Temporal arrives again with the same number: ignored.
 *   Hand-overs may arrive out of order (two activities on two workers); the number says which is
 *   newer.
 * - The post comes first; nothing else goes before it has settled (posted or given up), since
 *   updates and replies need the message's ts. A release with no post has nothing to update.
 * - Updates: the latest wins. An update older than one already sent, or than the final, is never
 *   sent.
 * - Replies: in the release's order, each once. One handed over before the final goes before it;
 *   one handed over after it (the reply to the requester once a release has ended) goes after it.
 * - The final: after every reply handed over before it. Once it is sent the message is done
 *   (`done`, what a release waits for), and only later replies are still sent.
 */
import type { ReleaseMessage } from './release-message';

export type SlackHandOver =
  | { seq: number; kind: 'post'; message: ReleaseMessage }
  | { seq: number; kind: 'update'; message: ReleaseMessage }
  | { seq: number; kind: 'reply'; text: string; what: string }
  | { seq: number; kind: 'final'; message: ReleaseMessage };

export type SlackNext =
  | { send: 'post'; message: ReleaseMessage }
  | { send: 'reply'; seq: number; text: string; what: string }
  | { send: 'update'; seq: number; message: ReleaseMessage; final: boolean };

export class SlackMessageQueue {
  private readonly seen = new Set<number>();
  private post?: Extract<SlackHandOver, { kind: 'post' }>;
  private postSettled = false;
  private hasMessage = false;
  private latestUpdate?: Extract<SlackHandOver, { kind: 'update' }>;
  private lastSentUpdateSeq = 0;
  private readonly replies: Extract<SlackHandOver, { kind: 'reply' }>[] = [];
  private final?: Extract<SlackHandOver, { kind: 'final' }>;
  private finished = false;

  /** Takes a hand-over; false when it was one already taken (a retried hand-over). */
  accept(item: SlackHandOver): boolean {
    if (this.seen.has(item.seq)) return false;
    this.seen.add(item.seq);
    switch (item.kind) {
      case 'post':
        this.post ??= item;
        break;
      case 'update':
        if (!this.latestUpdate || item.seq > this.latestUpdate.seq) this.latestUpdate = item;
        break;
      case 'reply':
        this.replies.push(item);
        this.replies.sort((a, b) => a.seq - b.seq);
        break;
      case 'final':
        if (!this.final || item.seq > this.final.seq) this.final = item;
        break;
    }
    return true;
  }

  /** What to send now; undefined while there is nothing to send (yet, or ever again once `done` and no reply is left). */
  next(): SlackNext | undefined {
    if (!this.postSettled) return this.post ? { send: 'post', message: this.post.message } : undefined;
    if (!this.hasMessage) return undefined;
    const final = this.final;
    const reply = this.replies.find((r) => this.finished || !final || r.seq < final.seq);
    if (reply) return { send: 'reply', seq: reply.seq, text: reply.text, what: reply.what };
    if (this.finished) return undefined;
    if (final) return { send: 'update', seq: final.seq, message: final.message, final: true };
    const update = this.latestUpdate;
    if (update && update.seq > this.lastSentUpdateSeq) return { send: 'update', seq: update.seq, message: update.message, final: false };
    return undefined;
  }

  /** Records that what `next()` answered has been sent (or given up on: Slack informs, it never blocks). */
  sent(what: SlackNext, outcome: { posted?: boolean } = {}): void {
    switch (what.send) {
      case 'post':
        this.postSettled = true;
        this.hasMessage = outcome.posted ?? false;
        return;
      case 'reply': {
        const index = this.replies.findIndex((r) => r.seq === what.seq);
        if (index >= 0) this.replies.splice(index, 1);
        return;
      }
      case 'update':
        if (what.final) this.finished = true;
        // A newer update that arrived while this one was being sent still goes.
        else this.lastSentUpdateSeq = Math.max(this.lastSentUpdateSeq, what.seq);
        return;
    }
  }

  /** The numbers of every hand-over taken, ascending: what a closed messenger still answers a retried hand-over with. */
  get taken(): number[] {
    return [...this.seen].sort((a, b) => a - b);
  }

  /** Whether the release has handed its final over (a waiting intermediate update may then be withdrawn). */
  get hasFinal(): boolean {
    return this.final !== undefined;
  }

  /**
   * The message has had its last word: its final update was sent (or given up on), or the release
   * ended with no message to update (never posted, or the post failed).
   */
  get done(): boolean {
    if (this.finished) return true;
    if (!this.final) return false;
    return !this.post || (this.postSettled && !this.hasMessage);
  }
}
