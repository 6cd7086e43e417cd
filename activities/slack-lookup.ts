/**
 * Finding what Runway already posted, so a retried activity never posts twice. Every release
 * message carries Slack message metadata (`runway_release`, payload `release_id` and `run_id`); a
 * retry reads the channel's recent history with `include_all_metadata` and reuses the message it
 * finds. The run id matters: a re-run of the same release id must post its own message, not
 * adopt the earlier run's (whose buttons would then decide the wrong run).
 * Lookback and pages are bounded: a retry comes minutes after the first attempt, not days.
 */
import type { SlackLookupApi } from '../src/sdk-clients/slack';

export const RELEASE_EVENT_TYPE = 'runway_release';
export const THREAD_REPLY_EVENT_TYPE = 'runway_release_reply';

/** How far back a retry looks for its own message. */
export const LOOKBACK_MS = 24 * 3600_000;
const HISTORY_PAGE = 200;
const HISTORY_PAGES = 3;
const CHANNEL_PAGES = 10;


interface MetadataMessage {
  ts?: string;
  text?: string;
  metadata?: { event_type?: string; event_payload?: Record<string, unknown> };
}

const CHANNEL_ID = /^[CGD][A-Z0-9]{8,}$/;

/**
 * conversations.history takes channel ids only, while the config may name "#deploys". Undefined
 * when no channel of that name is visible to the bot: nothing can have been posted there.
 */
export async function channelIdFor(slack: SlackLookupApi, channel: string): Promise<string | undefined> {
  if (CHANNEL_ID.test(channel)) return channel;
  const name = channel.replace(/^#/, '');
  let cursor: string | undefined;
  for (let page = 0; page < CHANNEL_PAGES; page++) {
    const res = await slack.conversations.list({ types: 'public_channel,private_channel', exclude_archived: true, limit: 1000, cursor });
    const found = res.channels?.find((c) => c.name === name);
    if (found?.id) return found.id;
    cursor = res.response_metadata?.next_cursor || undefined;
    if (!cursor) return undefined;
  }
  return undefined;
}

/** The metadata of a release message; `run_id` only when the workflow gave its run id. */
export function releaseMetadata(releaseId: string, runId?: string) {
  return { event_type: RELEASE_EVENT_TYPE, event_payload: { release_id: releaseId, ...(runId ? { run_id: runId } : {}) } };
}

/**
 * Is `m` the message of this release (and run)? An activity's input never changes between its
 * attempts, so a retry looks for exactly the run id it posts with; without a run id (workflows
 * from before run ids) the release id alone decides, as it always did.
 */
function isReleaseMessage(m: MetadataMessage, releaseId: string, runId: string | undefined): boolean {
  const payload = m.metadata?.event_type === RELEASE_EVENT_TYPE ? m.metadata.event_payload : undefined;
  if (payload?.release_id !== releaseId) return false;
  return runId === undefined || payload.run_id === runId;
}

/** The ts of the release's message in `channelId`, if a previous attempt (of this run) posted it. */
export async function findReleaseMessage(
  slack: SlackLookupApi,
  channelId: string,
  releaseId: string,
  nowMs: number,
  runId?: string,
): Promise<string | undefined> {
  const oldest = ((nowMs - LOOKBACK_MS) / 1000).toFixed(6);
  let cursor: string | undefined;
  for (let page = 0; page < HISTORY_PAGES; page++) {
    const res = await slack.conversations.history({ channel: channelId, include_all_metadata: true, oldest, limit: HISTORY_PAGE, cursor });
    const found = (res.messages as MetadataMessage[] | undefined)?.find((m) => isReleaseMessage(m, releaseId, runId));
    if (found?.ts) return found.ts;
    cursor = res.response_metadata?.next_cursor || undefined;
    if (!cursor) return undefined;
  }
  return undefined;
}

/** True when Runway already posted exactly `text` in the thread of `ts`. */
export async function threadHasReply(slack: SlackLookupApi, channelId: string, ts: string, text: string): Promise<boolean> {
  const res = await slack.conversations.replies({ channel: channelId, ts, include_all_metadata: true, limit: HISTORY_PAGE });
  return ((res.messages as MetadataMessage[] | undefined) ?? []).some(
    (m) => m.ts !== ts && m.metadata?.event_type === THREAD_REPLY_EVENT_TYPE && m.text === text,
  );
}
