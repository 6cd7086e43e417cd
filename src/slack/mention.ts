/**
 * How people and groups are named in a Slack message: a real mention when their Slack id is
 * known, so they are notified; otherwise their name, escaped (it is mrkdwn). Pure, with no Node
 * built-ins: workflow code imports this module.
 */
import { escapeMrkdwn } from './escape';

const SLACK_USER_ID = /^[UW][A-Z0-9_]+$/;
const SLACK_GROUP_ID = /^S[A-Z0-9_]+$/;

/** The config's `people` shape: name → identities elsewhere. */
export type PeopleMap = Readonly<Record<string, { slack?: string } | undefined>>;

export function slackMention(name: string, slackUserId?: string): string {
  return slackUserId && SLACK_USER_ID.test(slackUserId) ? `<@${slackUserId}>` : escapeMrkdwn(name);
}

/** `<!subteam^S…>` notifies every member of a user group; anything else is shown as text. */
export function groupMention(groupId: string): string {
  return SLACK_GROUP_ID.test(groupId) ? `<!subteam^${groupId}>` : escapeMrkdwn(groupId);
}

/**
 * The approvers of a release as mentions, e.g. for the reminder:
 * `approverMentions(['alice', 'bob'], ['S0DEPLOYERS'], { alice: { slack: 'U01ALICE' } })`
 * → `<@U01ALICE>, bob, <!subteam^S0DEPLOYERS>`.
 */
export function approverMentions(approvers: readonly string[], groups: readonly string[] = [], people: PeopleMap = {}): string {
  // An own-property lookup: a name such as "constructor" must not find Object.prototype's.
  const slackIdOf = (name: string) => (Object.prototype.hasOwnProperty.call(people, name) ? people[name]?.slack : undefined);
  return [...approvers.map((name) => slackMention(name, slackIdOf(name))), ...groups.map(groupMention)].join(', ');
}
