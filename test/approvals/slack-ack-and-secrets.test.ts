/**
 * Two promises of the approvals server that only show end to end: Slack gets its HTTP 200 before
 * the Update is decided (a release with no worker cannot hold the ack up), and the bot token and
 * signing secret never reach Temporal: not the workflow input, its history or search attributes.
 */
import { uniqueId } from '../support/temporal';
import { ALICE, type ApprovalsRig, BOT_TOKEN, repliesTo, SIGNING_SECRET, startApprovalsRig } from '../support/approvals-rig';
import { releaseOutcome } from '../../src/release-client/outcome';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Every string in a value, one per line, with payload data decoded so JSON payloads read as
 * written: byte arrays as UTF-8, and the base64 strings fetchHistory() gives for `data` (and
 * payload metadata) decoded too. Raw strings are kept as well.
 */
function asText(value: unknown): string {
  const out: string[] = [];
  const walk = (v: unknown, key: string): void => {
    if (v instanceof Uint8Array) out.push(Buffer.from(v).toString('utf8'));
    else if (typeof v === 'string') {
      out.push(v);
      if ((key === 'data' || key === 'encoding' || key === 'type') && BASE64.test(v)) out.push(Buffer.from(v, 'base64').toString('utf8'));
    } else if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') out.push(String(v));
    else if (Array.isArray(v)) v.forEach((item) => walk(item, key));
    else if (v && typeof v === 'object') for (const [k, item] of Object.entries(v)) walk(item, k);
  };
  walk(value, '');
  return out.join('\n');
}

describe('approvals server end to end', () => {
  let rig: ApprovalsRig;

  beforeAll(async () => {
    rig = await startApprovalsRig();
  });
  afterAll(async () => rig.stop());

  it('acknowledges a signed click while no worker serves the release, and decides once one does', async () => {
    const taskQueue = uniqueId('no-worker');
    const first = await rig.startWorker(taskQueue, { sticky: false });
    const handle = await rig.startAwaitingRelease({}, { taskQueue });
    await first.stop();

    // No worker polls the release's queue: the Update cannot be decided until one does.
    const result = await rig.sandbox.clickButton({ url: rig.server.eventsUrl, user: ALICE, action: 'approve', releaseId: handle.workflowId });
    let decided = false;
    void rig.server.settled().then(() => (decided = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(result.status).toBe(200);
    // The 200 came while the Update was still pending: no outcome, no reply to the clicker yet.
    expect(decided).toBe(false);
    expect(repliesTo(rig.sandbox, result.responseUrl)).toEqual([]);

    const second = await rig.startWorker(taskQueue);
    try {
      await rig.server.settled();
      expect(repliesTo(rig.sandbox, result.responseUrl).map((r) => r.text)).toEqual([expect.stringContaining(`You approved ${handle.workflowId}`)]);
      expect((await releaseOutcome(handle)).status.approval).toMatchObject({ decision: 'approved', by: ALICE });
    } finally {
      await second.stop();
    }
  });

  it('keeps the bot token and signing secret out of the workflow input, history and search attributes', async () => {
    const handle = await rig.startAwaitingRelease();
    const result = await rig.sandbox.clickButton({ url: rig.server.eventsUrl, user: ALICE, action: 'approve', releaseId: handle.workflowId });
    expect(result.status).toBe(200);
    await rig.server.settled();
    expect((await releaseOutcome(handle)).result).toBe('released');

    const history = await handle.fetchHistory();
    const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
    const description = await handle.describe();
    // Raw and decoded: a secret must not be there in either form.
    const everything = [
      JSON.stringify(history),
      asText(history),
      asText(started?.input),
      asText(description.searchAttributes),
      asText(description.typedSearchAttributes),
      asText(description.raw),
    ].join('\n');

    // Sanity: the decoded text really holds the payloads (the input, the click's Update), or the checks below prove nothing.
    expect(asText(started?.input)).toContain(`registry.local/checkout:${handle.workflowId.split('-').pop()}`);
    expect(everything).toContain(`"slackUserId":"${ALICE}"`);
    expect(asText(description.typedSearchAttributes)).toContain('released');

    expect(everything).not.toContain(BOT_TOKEN);
    expect(everything).not.toContain(SIGNING_SECRET);
  });
});
