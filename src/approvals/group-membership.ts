/**
 * Which configured approver groups a Slack user belongs to, from usergroups.users.list. Members
 * are cached briefly per group: one click costs at most one call per group, a burst of clicks
 * costs nothing more, and a change of membership counts within a minute. A group Slack cannot
 * list right now simply grants nothing (the click is then judged on the approvers list alone).
 */
import { WebClient } from '@slack/web-api';
import type { RunwayConfig } from '../config/schema';

export type UsergroupsApi = { usergroups: { users: Pick<WebClient['usergroups']['users'], 'list'> } };

/** What the approvals server asks; tests may hand in anything with this shape. */
export interface GroupMembership {
  /** The configured groups `slackUserId` is a member of. */
  groupsOf(slackUserId: string): Promise<string[]>;
}

export interface UserGroupMembershipOptions {
  /** How long a group's member list is trusted. @default 60000 */
  ttlMs?: number;
  /** @default Date.now */
  now?: () => number;
  /** Told when a group could not be listed (no token or secret in the line). */
  log?: (line: string) => void;
}

/** Every group any service's approval config names: the only groups worth asking Slack about. */
export function configuredApproverGroups(config: Pick<RunwayConfig, 'services'>): string[] {
  return [...new Set(Object.values(config.services).flatMap((s) => s.approval.groups ?? []))].sort();
}

export class UserGroupMembership implements GroupMembership {
  private readonly cache = new Map<string, { users: Set<string>; fetchedAt: number }>();
  private readonly ttlMs: number;
  private readonly now: () => number;
  private readonly log: (line: string) => void;

  constructor(
    private readonly slack: UsergroupsApi,
    private readonly groups: string[],
    options: UserGroupMembershipOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 60_000;
    this.now = options.now ?? Date.now;
    this.log = options.log ?? (() => {});
  }

  async groupsOf(slackUserId: string): Promise<string[]> {
    const members = await Promise.all(this.groups.map(async (group) => ((await this.membersOf(group))?.has(slackUserId) ? group : undefined)));
    return members.filter((g): g is string => g !== undefined);
  }

  private async membersOf(group: string): Promise<Set<string> | undefined> {
    const cached = this.cache.get(group);
    if (cached && this.now() - cached.fetchedAt < this.ttlMs) return cached.users;
    try {
      const res = await this.slack.usergroups.users.list({ usergroup: group });
      const users = new Set(res.users ?? []);
      this.cache.set(group, { users, fetchedAt: this.now() });
      return users;
    } catch (err) {
      this.log(`approvals: could not list user group ${group}: ${(err as Error).message}`);
      return undefined;
    }
  }
}

/**
 * The membership lookup the approvals server uses, when the config names approver groups and a
 * bot token can read them (usergroups:read); otherwise undefined, and groups play no part.
 */
export function groupMembershipFor(
  config: Pick<RunwayConfig, 'services'>,
  env: { SLACK_BOT_TOKEN?: string; SLACK_API_URL?: string },
  log?: (line: string) => void,
): UserGroupMembership | undefined {
  const groups = configuredApproverGroups(config);
  if (groups.length === 0 || !env.SLACK_BOT_TOKEN) return undefined;
  const slack = new WebClient(env.SLACK_BOT_TOKEN, { slackApiUrl: env.SLACK_API_URL, retryConfig: { retries: 1 }, rejectRateLimitedCalls: true });
  return new UserGroupMembership(slack, groups, { log });
}
