/** How a person is named in a Slack message: a real mention when their Slack id is known. */
export function slackMention(name: string, slackUserId?: string): string {
  return slackUserId && /^[UW][A-Z0-9_]+$/.test(slackUserId) ? `<@${slackUserId}>` : name;
}
