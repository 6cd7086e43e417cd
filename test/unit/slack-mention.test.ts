/** Mentions for the approval reminder and thread replies: people by Slack id, groups by subteam. */
import { approverMentions, groupMention, slackMention } from '../../src/slack/mention';

const people = { alice: { slack: 'U01ALICE' }, bob: {}, carol: { slack: 'W02CAROL' } };

describe('approverMentions', () => {
  it('mentions approvers mapped under people and groups as subteams, in order', () => {
    expect(approverMentions(['alice', 'bob', 'carol'], ['S0DEPLOYERS'], people)).toBe('<@U01ALICE>, bob, <@W02CAROL>, <!subteam^S0DEPLOYERS>');
  });

  it('falls back to the plain name for unmapped approvers, and needs no groups or people', () => {
    expect(approverMentions(['dave'])).toBe('dave');
    expect(approverMentions([], ['S0OPS'])).toBe('<!subteam^S0OPS>');
  });

  it('escapes a name it cannot mention, so it is never read as a mention or link', () => {
    expect(approverMentions(['<!channel>', 'a&b'], ['not-a-group'], {})).toBe('&lt;!channel&gt;, a&amp;b, not-a-group');
  });

  it('ignores a mapping that is not a Slack user id, and names inherited from Object', () => {
    expect(approverMentions(['eve', 'constructor'], [], { eve: { slack: '<!here>' } })).toBe('eve, constructor');
  });
});

describe('single mentions', () => {
  it('mention a user by id or show the escaped name; a group id or its escaped text', () => {
    expect(slackMention('carol', 'U01CAROL')).toBe('<@U01CAROL>');
    expect(slackMention('<b>')).toBe('&lt;b&gt;');
    expect(groupMention('S0DEPLOYERS')).toBe('<!subteam^S0DEPLOYERS>');
    expect(groupMention('S0X>')).toBe('S0X&gt;');
  });
});
