/**
 * Slack's documented escaping for text it parses as mrkdwn: `&`, `<` and `>` become entities.
 * Without it, a reason such as `<!channel>` pings a whole channel and `<https://evil|Approve>`
 * shows a harmless word over any link. Applied to every string Runway did not write itself
 * (reason, requester, history lines, comments, names). Pure: workflow code may import it.
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Cuts escaped text to Slack's limit without leaving half an entity ("&am") at the end. */
export function truncateMrkdwn(text: string, max: number): string {
  if (text.length <= max) return text;
  return text.slice(0, max).replace(/&[a-z]{0,3}$/, '');
}
