/** Group membership for approvals: cached per group for a while, on an injected clock. */
import { configuredApproverGroups, UserGroupMembership, type UsergroupsApi } from '../../src/approvals';
import { parseConfig } from '../../src/config/load';
import { MINIMAL_CONFIG_YAML } from '../support/minimal-config';

function fakeSlack(members: Record<string, string[]>) {
  const calls: string[] = [];
  const slack = {
    usergroups: {
      users: {
        list: async ({ usergroup }: { usergroup: string }) => {
          calls.push(usergroup);
          if (!members[usergroup]) throw new Error('An API error occurred: no_such_subteam');
          return { ok: true, users: [...members[usergroup]] };
        },
      },
    },
  } as unknown as UsergroupsApi;
  return { slack, calls, members };
}

describe('UserGroupMembership', () => {
  it('answers the configured groups a user is in', async () => {
    const { slack } = fakeSlack({ S1: ['U1', 'U2'], S2: ['U2'] });
    const membership = new UserGroupMembership(slack, ['S1', 'S2']);
    expect(await membership.groupsOf('U2')).toEqual(['S1', 'S2']);
    expect(await membership.groupsOf('U1')).toEqual(['S1']);
    expect(await membership.groupsOf('U9')).toEqual([]);
  });

  it('asks Slack once per group within the cache time, again after it', async () => {
    let now = 1_000_000;
    const { slack, calls, members } = fakeSlack({ S1: ['U1'] });
    const membership = new UserGroupMembership(slack, ['S1'], { ttlMs: 60_000, now: () => now });
    expect(await membership.groupsOf('U1')).toEqual(['S1']);
    members.S1 = [];
    now += 59_000;
    expect(await membership.groupsOf('U1')).toEqual(['S1']);
    expect(calls).toHaveLength(1);
    now += 2_000;
    // Removed from the group: no longer counts once the cache expires.
    expect(await membership.groupsOf('U1')).toEqual([]);
    expect(calls).toHaveLength(2);
  });

  it('grants nothing for a group Slack cannot list, and says so', async () => {
    const lines: string[] = [];
    const { slack } = fakeSlack({ S1: ['U1'] });
    const membership = new UserGroupMembership(slack, ['S1', 'S404'], { log: (l) => lines.push(l) });
    expect(await membership.groupsOf('U1')).toEqual(['S1']);
    expect(lines).toEqual(['approvals: could not list user group S404: An API error occurred: no_such_subteam']);
  });

  it('asks only about groups some service configures', () => {
    const yaml = MINIMAL_CONFIG_YAML.replace('approvers: [alice] }', 'approvers: [alice], groups: [S0B, S0A] }');
    expect(configuredApproverGroups(parseConfig(yaml, 'runway.config.yaml'))).toEqual(['S0A', 'S0B']);
  });
});
