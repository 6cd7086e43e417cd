import type { RunwayConfig } from './schema';

/**
 * Maps a Slack user id to the name Runway's approval policy knows the person by. A user with no
 * mapping acts under their Slack id, which an approvers list may also name directly.
 */
export function slackIdentityResolver(config: Pick<RunwayConfig, 'people'>): (slackUserId: string) => string {
  const bySlackId = new Map<string, string>();
  for (const [name, person] of Object.entries(config.people)) if (person.slack) bySlackId.set(person.slack, name);
  return (slackUserId) => bySlackId.get(slackUserId) ?? slackUserId;
}
