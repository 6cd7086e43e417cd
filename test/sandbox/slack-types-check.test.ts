/**
 * The Slack type check itself (test/support/slack-types.ts) must be able to fail: answers and
 * click payloads the sandbox really produced pass, and the same ones with one field made wrong
 * are caught, naming the field. The Slack contract tests run this check after every test.
 */
import { type Sandbox, type SandboxCall, blockActionsPayload, messageButtons, signedInteraction, startSandbox } from '../../src/sandbox';
import { releaseMessageBlocks } from '../../src/slack/release-message';
import { slackClient } from '../support/sandbox-clients';
import { checkSlackTypes, enumsAsUnions, interactionPayloadsToCheck, slackAnswersToCheck, type SlackTypedValue } from '../support/slack-types';

const RELEASE = 'release-checkout-abcdef123456';
const blocks = releaseMessageBlocks({ releaseId: RELEASE, service: 'checkout', version: 'abcdef123456', repo: 'acme/checkout', requestedBy: 'carol', reason: 'r', headline: 'Waiting for approval', lines: [], withButtons: true });

// One sandbox for the file: each test reads back the calls it has just made.
let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, services: [], recordExchanges: true, signingSecret: 'secret' });
});
afterAll(() => sandbox.close());

type Answer = SandboxCall & { exchange: { responseBody: any } }; // eslint-disable-line @typescript-eslint/no-explicit-any -- tampered with freely
const lastAnswer = (method: string) => sandbox.calls().slack.filter((c) => c.operation === method).at(-1) as Answer;
const problems = (values: SlackTypedValue[]) => checkSlackTypes(values).map((v) => `${v.label.replace(/ \(call \d+, HTTP \d+\)/, '')} ${v.at}: ${v.message}`);

it('passes a real chat.postMessage answer, and catches a wrong type, an unknown member and a malformed block, naming each', async () => {
  await slackClient(sandbox).chat.postMessage({ channel: '#deploys', text: 'approve?', blocks });
  const call = lastAnswer('chat.postMessage');
  expect(problems(slackAnswersToCheck([call]))).toEqual([]);

  const answer = call.exchange.responseBody;
  answer.ts = 1712345678.0001;
  answer.message.colour = 'green';
  const actions = answer.message.blocks.findIndex((b: { type: string }) => b.type === 'actions');
  answer.message.blocks[actions].elements[0].style = 'green';
  expect(problems(slackAnswersToCheck([call]))).toEqual([
    "chat.postMessage answer ts: Type 'number' is not assignable to type 'string'.",
    `chat.postMessage answer message.colour: Object literal may only specify known properties, and '"colour"' does not exist in type 'ChatPostMessageResponseMessage'.`,
    `chat.postMessage answer message.blocks [${actions}].elements[0].style: Type '"green"' is not assignable to type 'ColorScheme | undefined'.`,
  ]);
});

it('holds chat.update to its own answer: the message Slack echoes there has no ts', async () => {
  const posted = await slackClient(sandbox).chat.postMessage({ channel: '#deploys', text: 'approve?', blocks });
  await slackClient(sandbox).chat.update({ channel: posted.channel!, ts: posted.ts!, text: 'approved', blocks: [] });
  const call = lastAnswer('chat.update');
  expect(problems(slackAnswersToCheck([call]))).toEqual([]);
  call.exchange.responseBody.message.ts = posted.ts;
  expect(problems(slackAnswersToCheck([call]))).toEqual([`chat.update answer message.ts: Object literal may only specify known properties, and '"ts"' does not exist in type 'Message'.`]);
});

it('checks history and user groups as their own response types', async () => {
  await slackClient(sandbox).conversations.history({ channel: '#deploys' });
  const history = lastAnswer('conversations.history');
  expect(problems(slackAnswersToCheck([history]))).toEqual([]);
  history.exchange.responseBody.has_more = 'no';
  history.exchange.responseBody.messages[0].ts = null;
  expect(problems(slackAnswersToCheck([history]))).toEqual([
    "conversations.history answer messages[0].ts: Type 'null' is not assignable to type 'string | undefined'.",
    "conversations.history answer has_more: Type 'string' is not assignable to type 'boolean | undefined'.",
  ]);

  sandbox.setScenario({ slack: { usergroups: { S0RELEASE: ['U01ALICE'] } } });
  await slackClient(sandbox).usergroups.users.list({ usergroup: 'S0RELEASE' });
  const members = lastAnswer('usergroups.users.list');
  expect(problems(slackAnswersToCheck([members]))).toEqual([]);
  members.exchange.responseBody.users = 'U01ALICE';
  expect(problems(slackAnswersToCheck([members]))).toEqual(["usergroups.users.list answer users: Type 'string' is not assignable to type 'string[]'."]);
});

it("passes the sandbox's block_actions payload as Bolt types it, and names what a tampered one breaks", async () => {
  await slackClient(sandbox).chat.postMessage({ channel: '#deploys', text: 'approve?', blocks });
  const message = sandbox.state().slack as { messages: { channel: string; ts: string; blocks: unknown; updates: []; posted: object }[] };
  const posted = message.messages.at(-1)!;
  const [button] = messageButtons(posted);
  const payload = blockActionsPayload({ message: posted, button: button!, user: 'U01ALICE', responseUrl: `${sandbox.url}/slack/response/R1`, nowSec: 1_712_345_678 });
  const asSent = (p: unknown) => signedInteraction('secret', p, 1_712_345_678).body;
  expect(problems(interactionPayloadsToCheck([asSent(payload)]))).toEqual([]);

  const { token: _token, ...withoutToken } = payload;
  const actions = payload.actions as Record<string, unknown>[];
  const tampered = { ...withoutToken, actions: [{ ...actions[0], action_id: 7 }] };
  expect(problems(interactionPayloadsToCheck([asSent(tampered)]))).toEqual([
    "block_actions payload #1 actions[0].action_id: Type 'number' is not assignable to type 'string'.",
    expect.stringMatching(/^block_actions payload #1 token: Property 'token' is missing in type .* but required in type 'BlockAction<ButtonAction & ButtonStyle>'\.$/),
  ]);
});

it("reads @slack/web-api's string enums as the strings they are on the wire", () => {
  expect(enumsAsUnions('export declare enum BlockType {\n    Actions = "actions",\n    RichText = "rich_text"\n}')).toBe('export type BlockType = "actions" | "rich_text";');
});
