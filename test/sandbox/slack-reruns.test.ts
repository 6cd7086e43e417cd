/**
 * The release message of a re-run (same release id = workflow id, a new run id) through the
 * production Slack client and the sandbox: it is a message of its own, never the earlier run's,
 * while a retry of the same run still finds and reuses what it posted.
 */
import { createSlackActivities, type SlackApi } from '../../activities/slack';
import { createSlackClient } from '../../src/sdk-clients/slack';
import { messageButtons, type Sandbox, type SlackMessage, startSandbox } from '../../src/sandbox';
import type { ReleaseMessage } from '../../src/slack/release-message';
import { checkSlackAnswersAfterEach } from '../support/slack-types';

let sandbox: Sandbox;
let slack: SlackApi;

beforeEach(async () => {
  sandbox = await startSandbox({ port: 0, services: [], recordExchanges: true });
  slack = createSlackClient({ SLACK_BOT_TOKEN: 'xoxb-reruns-test', SLACK_API_URL: `${sandbox.url}/slack/api/` });
});
afterEach(async () => sandbox.close());
checkSlackAnswersAfterEach(() => sandbox);

const RELEASE = 'release-checkout-abc123abc123';
const RUN_1 = '11111111-1111-4111-8111-111111111111';
const RUN_2 = '22222222-2222-4222-8222-222222222222';

const message = (runId?: string): ReleaseMessage => ({
  releaseId: RELEASE,
  ...(runId ? { runId } : {}),
  service: 'checkout',
  version: 'abc123abc123',
  repo: 'acme/checkout',
  requestedBy: 'carol',
  reason: 'fix checkout',
  headline: 'Waiting for approval',
  lines: [],
  withButtons: true,
});

const messages = () => (sandbox.state() as { slack: { messages: SlackMessage[] } }).slack.messages;

it('posts a new message for a new run, with the run id in its metadata and buttons', async () => {
  const acts = createSlackActivities({ slack });
  const first = await acts.postReleaseMessage({ channel: '#deploys', message: message(RUN_1) });
  const second = await acts.postReleaseMessage({ channel: '#deploys', message: message(RUN_2) });
  expect(second.ts).not.toBe(first.ts);
  expect(messages().map((m) => m.metadata)).toEqual([
    { event_type: 'runway_release', event_payload: { release_id: RELEASE, run_id: RUN_1 } },
    { event_type: 'runway_release', event_payload: { release_id: RELEASE, run_id: RUN_2 } },
  ]);
  expect(messageButtons(messages()[1]!).map((b) => b.value)).toEqual([`${RELEASE}/${RUN_2}`, `${RELEASE}/${RUN_2}`]);
});

it('a retry of the same run reuses its own message, not an earlier run\'s', async () => {
  const acts = createSlackActivities({ slack });
  await acts.postReleaseMessage({ channel: '#deploys', message: message(RUN_1) });
  const second = await acts.postReleaseMessage({ channel: '#deploys', message: message(RUN_2) });
  const retried = await acts.postReleaseMessage({ channel: '#deploys', message: message(RUN_2) });
  expect(retried).toEqual(second);
  expect(messages()).toHaveLength(2);
});

it('a run with a run id does not adopt a message posted without one (an earlier run, before run ids)', async () => {
  const acts = createSlackActivities({ slack });
  const old = await acts.postReleaseMessage({ channel: '#deploys', message: message() });
  const rerun = await acts.postReleaseMessage({ channel: '#deploys', message: message(RUN_2) });
  expect(rerun.ts).not.toBe(old.ts);
  expect(messages()).toHaveLength(2);
});

it('keeps the run id in the metadata when the message is updated', async () => {
  const acts = createSlackActivities({ slack });
  const ref = await acts.postReleaseMessage({ channel: '#deploys', message: message(RUN_1) });
  await acts.updateReleaseMessage({ ...ref, message: { ...message(RUN_1), headline: 'Approved by alice', withButtons: false } });
  expect(messages()[0]!.metadata).toEqual({ event_type: 'runway_release', event_payload: { release_id: RELEASE, run_id: RUN_1 } });
});
