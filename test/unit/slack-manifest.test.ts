/**
 * slack/manifest.yml asks for exactly the bot scopes Runway's Web API calls need. The calls are
 * read from the production code (every `<client>.<namespace>.<method>(` whose namespace is one of
 * WebClient's, and `apiCall('<method>')`), each is looked up in a table of the scopes Slack's
 * method reference gives, and the manifest must hold every scope a call needs and nothing else.
 * A call the table does not know fails the test: add its scopes from Slack's docs first.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WebClient } from '@slack/web-api';
import { parse } from 'yaml';
import { clientSourceFiles, REPO_ROOT as ROOT } from '../support/source-files';

interface MethodScopes {
  /** Which token the call is made with. */
  token: 'bot' | 'app';
  /** Every scope the call needs for the way Runway makes it. */
  scopes: string[];
  /** Where Slack says so. */
  doc: string;
}

/**
 * From Slack's method reference (docs.slack.dev/reference/methods/<method>, "Required scopes").
 * For the conversations.* methods Runway reads public and private channels, so it needs both
 * kinds (channels:* for public, groups:* for private); it never reads DMs (im:*, mpim:*).
 */
const SCOPES_BY_METHOD: Record<string, MethodScopes> = {
  'chat.postMessage': { token: 'bot', scopes: ['chat:write'], doc: 'https://docs.slack.dev/reference/methods/chat.postMessage' },
  'chat.update': { token: 'bot', scopes: ['chat:write'], doc: 'https://docs.slack.dev/reference/methods/chat.update' },
  'chat.postEphemeral': { token: 'bot', scopes: ['chat:write'], doc: 'https://docs.slack.dev/reference/methods/chat.postEphemeral' },
  // activities/slack-lookup.ts lists `types: 'public_channel,private_channel'`.
  'conversations.list': { token: 'bot', scopes: ['channels:read', 'groups:read'], doc: 'https://docs.slack.dev/reference/methods/conversations.list' },
  'conversations.history': { token: 'bot', scopes: ['channels:history', 'groups:history'], doc: 'https://docs.slack.dev/reference/methods/conversations.history' },
  'conversations.replies': { token: 'bot', scopes: ['channels:history', 'groups:history'], doc: 'https://docs.slack.dev/reference/methods/conversations.replies' },
  'usergroups.users.list': { token: 'bot', scopes: ['usergroups:read'], doc: 'https://docs.slack.dev/reference/methods/usergroups.users.list' },
  'auth.test': { token: 'bot', scopes: [], doc: 'https://docs.slack.dev/reference/methods/auth.test' },
  // Called by @slack/socket-mode's SocketModeClient with the app-level token (SLACK_APP_TOKEN).
  'apps.connections.open': { token: 'app', scopes: ['connections:write'], doc: 'https://docs.slack.dev/reference/methods/apps.connections.open' },
};

/** The method namespaces of WebClient (chat, conversations, usergroups, …), read from the client itself. */
function webApiNamespaces(): string[] {
  const client = new WebClient() as unknown as Record<string, unknown>;
  const onlyFunctions = (value: unknown): boolean =>
    typeof value === 'function' || (typeof value === 'object' && value !== null && Object.values(value).length > 0 && Object.values(value).every(onlyFunctions));
  return Object.keys(client).filter((key) => !key.startsWith('_') && key !== 'logger' && typeof client[key] === 'object' && onlyFunctions(client[key]));
}

interface SlackCall {
  method: string;
  /** `file:line` */
  at: string;
}

/** The Web API methods a source file calls, with where. */
function slackCallsIn(file: string, text: string, namespaces: string[]): SlackCall[] {
  const calls: SlackCall[] = [];
  const lines = text.split('\n');
  const chained = new RegExp(`\\.((?:${namespaces.join('|')})(?:\\.[A-Za-z]+)+)\\(`, 'g');
  const direct = /\bapiCall\(\s*['"`]([\w.]+)['"`]/g;
  lines.forEach((line, i) => {
    for (const re of [chained, direct]) for (const m of line.matchAll(re)) calls.push({ method: m[1]!, at: `${file}:${i + 1}` });
    // The Socket Mode client opens its connection with apps.connections.open.
    if (/from '@slack\/socket-mode'/.test(line) && /\bSocketModeClient\b/.test(line)) calls.push({ method: 'apps.connections.open', at: `${file}:${i + 1}` });
  });
  return calls;
}

interface ScopeCheck {
  /** Calls the table has no scopes for. */
  unmapped: SlackCall[];
  /** Bot scopes a call needs that the manifest lacks, with the calls that need them. */
  missing: Record<string, string[]>;
  /** Bot scopes the manifest asks for that no call needs. */
  unused: string[];
}

function checkScopes(calls: SlackCall[], manifestBotScopes: string[], table: Record<string, MethodScopes> = SCOPES_BY_METHOD): ScopeCheck {
  const unmapped = calls.filter((c) => !table[c.method]);
  const needed = new Map<string, string[]>();
  for (const call of calls) {
    const entry = table[call.method];
    if (entry?.token !== 'bot') continue;
    for (const scope of entry.scopes) needed.set(scope, [...(needed.get(scope) ?? []), `${call.method} (${call.at})`]);
  }
  const missing = Object.fromEntries([...needed].filter(([scope]) => !manifestBotScopes.includes(scope)));
  const unused = manifestBotScopes.filter((scope) => !needed.has(scope));
  return { unmapped, missing, unused };
}

interface Manifest {
  display_information?: { name?: string };
  features?: { bot_user?: { display_name?: string } };
  oauth_config?: { scopes?: { bot?: string[]; user?: string[] } };
  settings?: { interactivity?: { is_enabled?: boolean; request_url?: string }; socket_mode_enabled?: boolean };
}

const manifest = parse(readFileSync(join(ROOT, 'slack', 'manifest.yml'), 'utf8')) as Manifest;
const namespaces = webApiNamespaces();
const calls = clientSourceFiles().flatMap(({ file, text }) => slackCallsIn(file, text, namespaces));

describe('slack/manifest.yml', () => {
  it('finds the Web API calls in the code (or the checks below would prove nothing)', () => {
    expect(namespaces).toEqual(expect.arrayContaining(['chat', 'conversations', 'usergroups', 'apps']));
    const methods = new Set(calls.map((c) => c.method));
    expect([...methods].sort()).toEqual(
      expect.arrayContaining(['chat.postEphemeral', 'chat.postMessage', 'chat.update', 'conversations.history', 'conversations.list', 'conversations.replies', 'usergroups.users.list']),
    );
  });

  it('asks for every bot scope the code needs, and none it does not', () => {
    const botScopes = manifest.oauth_config?.scopes?.bot ?? [];
    expect(checkScopes(calls, botScopes)).toEqual({ unmapped: [], missing: {}, unused: [] });
    expect(manifest.oauth_config?.scopes?.user).toBeUndefined();
  });

  it('fails for a call the table has no scopes for, and for a scope the manifest lacks', () => {
    const withNewCall = slackCallsIn('activities/example.ts', 'await slack.reactions.add({ name: "rocket" });\nawait slack.chat.postMessage({});', namespaces);
    const botScopes = manifest.oauth_config?.scopes?.bot ?? [];
    expect(checkScopes(withNewCall, botScopes).unmapped).toEqual([{ method: 'reactions.add', at: 'activities/example.ts:1' }]);
    const lacking = checkScopes(calls, botScopes.filter((s) => s !== 'usergroups:read'));
    expect(lacking.missing).toEqual({ 'usergroups:read': [expect.stringMatching(/^usergroups\.users\.list \(src\/approvals\/group-membership\.ts:\d+\)$/)] });
    expect(checkScopes(calls, [...botScopes, 'users:read']).unused).toEqual(['users:read']);
  });

  it('names the bot, sends interactions to the approvals server, and leaves Socket Mode off', () => {
    expect(manifest.display_information?.name).toBe('Runway');
    expect(manifest.features?.bot_user?.display_name).toBe('Runway');
    expect(manifest.settings?.interactivity).toEqual({ is_enabled: true, request_url: 'https://<your-host>/slack/events' });
    expect(manifest.settings?.socket_mode_enabled).toBe(false);
  });

  it('matches the scopes the README lists, and the README names the app-level token scope Socket Mode needs', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const listed = /Bot scopes: ((?:`[a-z:.]+`(?:,\s+)?)+)/.exec(readme)?.[1];
    expect(listed?.match(/[a-z:.]+/g)?.sort()).toEqual([...(manifest.oauth_config?.scopes?.bot ?? [])].sort());
    const appScopes = calls.flatMap((c) => (SCOPES_BY_METHOD[c.method]?.token === 'app' ? SCOPES_BY_METHOD[c.method]!.scopes : []));
    expect(appScopes).toContain('connections:write');
    for (const scope of appScopes) expect(readme).toContain(`\`${scope}\``);
  });
});
