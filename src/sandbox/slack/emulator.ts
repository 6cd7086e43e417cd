/**
 * The Slack Web API, first cut: `POST /slack/api/<method>`, form-encoded (structured fields such
 * as `blocks` JSON-encoded inside the form, as @slack/web-api sends them) or JSON, with
 * `Authorization: Bearer <token>`. Answers are HTTP 200 `{ ok, ... }` or `{ ok: false, error }`,
 * like Slack's. Posted messages are kept so a test or the click simulator can find them.
 * Replies an app sends to a click's `response_url` (`POST /slack/response/<id>`) are kept too.
 * Message metadata, channel history, user groups and injected failures (scenario `slack`) let
 * tests exercise idempotent posting, group approvals and a Slack that is down or rate-limiting.
 */
import { BadJsonError, isRecord, parseJsonBody, type SandboxRequest, type SandboxResponse } from '../http/route';
import type { ScenarioStore } from '../scenario';
import { type SlackLimitCounts, SlackRateLimiter } from './rate-limits';
import { SlackFaultKind } from './scenario';
import { BOT, channelHistory, channelList, messageOnWire, threadReplies } from './history';
import { type SocketModeHub, SocketTokenError } from './socket-mode';

export interface SlackMessage {
  channel: string;
  ts: string;
  text?: string;
  blocks?: unknown;
  thread_ts?: string;
  /** `{ event_type, event_payload }` as posted (or last updated) with the message. */
  metadata?: unknown;
  /** Every chat.update, oldest first; text/blocks above are the latest. */
  updates: { at: string; text?: string; blocks?: unknown }[];
  /** The message as first posted: someone looking at a stale copy can still click its buttons. */
  posted: { text?: string; blocks?: unknown };
}

export interface SlackEphemeral {
  channel: string;
  user: string;
  message_ts: string;
  text?: string;
  blocks?: unknown;
}

/** What an app posted to a click's response_url, e.g. `{ response_type: 'ephemeral', text }`. */
export interface SlackInteractionResponse {
  /** The id in `/slack/response/<id>`, one per simulated click. */
  id: string;
  at: string;
  body: unknown;
}

export interface SlackState {
  channels: Record<string, string>;
  messages: SlackMessage[];
  ephemerals: SlackEphemeral[];
  responses: SlackInteractionResponse[];
  /** chat.postMessage / chat.update calls the scenario's rate limits accepted and refused (by method, with how early). */
  rateLimited: SlackLimitCounts;
}

/** Fields @slack/web-api JSON-encodes inside the form, and the error Slack gives when one is malformed. */
const JSON_FIELDS: Record<string, string> = { blocks: 'invalid_blocks', attachments: 'invalid_attachments', metadata: 'invalid_metadata' };

type Args = Record<string, unknown>;
type Reply = { ok: true } & Record<string, unknown>;

class SlackApiError extends Error {
  constructor(readonly error: string) {
    super(error);
  }
}

function str(args: Args, name: string): string | undefined {
  const value = args[name];
  return typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : undefined;
}

/** The scenario switches the Slack emulator reads. */
export type SlackScenarioSource = Pick<ScenarioStore, 'takeSlackFault' | 'slackDown' | 'slackUsergroup'> & Partial<Pick<ScenarioStore, 'slackRateLimits'>>;

export class SlackEmulator {
  private readonly channels = new Map<string, string>();
  private readonly messages: SlackMessage[] = [];
  private readonly ephemerals: SlackEphemeral[] = [];
  private readonly responses: SlackInteractionResponse[] = [];
  /** response_url ids handed out with clicks; Slack answers anything else with 404. */
  private readonly responseIds = new Set<string>();
  private tsCounter = 0;
  private readonly rateLimiter = new SlackRateLimiter();

  constructor(
    private readonly now: () => number,
    /** Without one there are no user groups and no injected failures. */
    private readonly scenario?: SlackScenarioSource,
    /** Socket Mode (apps.connections.open); without it the method is unknown. */
    private readonly socket?: Pick<SocketModeHub, 'openConnection'>,
  ) {}

  handle(method: string, req: SandboxRequest): SandboxResponse {
    const respond = (status: number, body: Record<string, unknown>, request: unknown, headers?: Record<string, string>): SandboxResponse => ({
      status,
      body,
      headers,
      call: { system: 'slack', operation: method, request },
    });
    if (this.scenario?.slackDown) return respond(503, { ok: false, error: 'service_unavailable' }, {});
    let parsed: { args: Args; token?: string };
    try {
      parsed = this.readArgs(req);
    } catch (err) {
      if (err instanceof BadJsonError) return respond(400, { ok: false, error: 'invalid_json', message: err.message }, { unparsedBody: req.body.slice(0, 500) });
      if (err instanceof SlackApiError) return respond(200, { ok: false, error: err.error }, {});
      throw err;
    }
    const { args, token } = parsed;
    try {
      if (!token) throw new SlackApiError('not_authed');
      const fault = this.scenario?.takeSlackFault(method);
      if (fault?.error === SlackFaultKind.rateLimited) {
        return respond(429, { ok: false, error: 'ratelimited' }, args, { 'retry-after': String(fault.retryAfter ?? 1) });
      }
      if (fault?.error === SlackFaultKind.lostResponse) {
        this.call(method, args);
        return respond(504, { ok: false, error: 'gateway_timeout' }, args);
      }
      if (fault) throw new SlackApiError(fault.error);
      const limits = this.scenario?.slackRateLimits;
      // By channel id, so "#deploys", "deploys" and its id share one limit.
      const channel = limits && method === 'chat.postMessage' ? this.channelId(str(args, 'channel')) : undefined;
      const waitS = limits ? this.rateLimiter.admit(limits, method, channel, this.now()) : undefined;
      if (waitS !== undefined) return respond(429, { ok: false, error: 'ratelimited' }, args, { 'retry-after': String(waitS) });
      // An app-level token opens Socket Mode connections and nothing else; only it can open one.
      if (method === 'apps.connections.open' && this.socket) return respond(200, this.openConnection(token), args);
      if (token.startsWith('xapp-')) throw new SlackApiError('not_allowed_token_type');
      return respond(200, this.call(method, args), args);
    } catch (err) {
      if (err instanceof SlackApiError) return respond(200, { ok: false, error: err.error }, args);
      throw err;
    }
  }

  state(): SlackState {
    return structuredClone({
      channels: Object.fromEntries(this.channels),
      messages: this.messages,
      ephemerals: this.ephemerals,
      responses: this.responses,
      rateLimited: this.rateLimiter.counts(),
    });
  }

  /** A fresh response_url id for a simulated click. */
  issueResponseId(): string {
    const id = `R${String(this.responseIds.size + 1).padStart(6, '0')}`;
    this.responseIds.add(id);
    return id;
  }

  /** `POST /slack/response/<id>`: an app answering a click. Slack takes JSON here. */
  receiveResponse(id: string, req: SandboxRequest): SandboxResponse {
    const respond = (status: number, body: Record<string, unknown>, request: unknown): SandboxResponse => ({
      status,
      body,
      call: { system: 'slack', operation: 'response_url', request },
    });
    if (req.method !== 'POST') return { status: 405, body: { ok: false, error: 'method_not_allowed' }, headers: { allow: 'POST' } };
    if (!this.responseIds.has(id)) return respond(404, { ok: false, error: 'no_active_hooks' }, { id });
    let body: unknown;
    try {
      body = parseJsonBody(req.body);
    } catch (err) {
      if (err instanceof BadJsonError) return respond(400, { ok: false, error: 'invalid_payload' }, { id, unparsedBody: req.body.slice(0, 500) });
      throw err;
    }
    this.responses.push({ id, at: new Date(this.now()).toISOString(), body });
    return respond(200, { ok: true }, { id, ...(isRecord(body) ? body : { body }) });
  }

  private openConnection(token: string): Reply {
    try {
      return { ok: true, url: this.socket!.openConnection(token) };
    } catch (err) {
      if (err instanceof SocketTokenError) throw new SlackApiError(err.error);
      throw err;
    }
  }

  /** Arguments from the form or JSON body (or the query of a GET); the token is taken out so it is never recorded. */
  private readArgs(req: SandboxRequest): { args: Args; token?: string } {
    const type = req.headers['content-type'] ?? '';
    let args: Args;
    if (type.includes('application/json')) {
      const body = parseJsonBody(req.body);
      args = isRecord(body) ? { ...body } : {};
    } else {
      args = Object.fromEntries(new URLSearchParams(req.method === 'GET' ? req.query.toString() : req.body));
      for (const [field, error] of Object.entries(JSON_FIELDS)) {
        const raw = args[field];
        if (typeof raw !== 'string') continue;
        try {
          args[field] = JSON.parse(raw) as unknown;
        } catch {
          throw new SlackApiError(error);
        }
      }
    }
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const token = bearer ?? (typeof args.token === 'string' && args.token !== '' ? args.token : undefined);
    delete args.token;
    return { args, token };
  }

  private call(method: string, args: Args): Reply {
    switch (method) {
      case 'auth.test':
        return { ok: true, url: 'https://runway-sandbox.slack.com/', ...BOT, is_enterprise_install: false };
      case 'chat.postMessage':
        return this.postMessage(args);
      case 'chat.update':
        return this.update(args);
      case 'chat.postEphemeral':
        return this.postEphemeral(args);
      case 'conversations.history':
        return { ok: true, ...channelHistory(this.messages, this.existingChannelId(str(args, 'channel')), args) };
      case 'conversations.replies': {
        const thread = threadReplies(this.messages, this.existingChannelId(str(args, 'channel')), args);
        if (!thread) throw new SlackApiError('thread_not_found');
        return { ok: true, ...thread };
      }
      case 'conversations.list':
        return { ok: true, ...channelList(this.channels, args) };
      case 'usergroups.users.list':
        return this.usergroupUsers(args);
      default:
        throw new SlackApiError('unknown_method');
    }
  }

  private postMessage(args: Args): Reply {
    const channel = this.channelId(str(args, 'channel'));
    if (args.text === undefined && args.blocks === undefined && args.attachments === undefined) throw new SlackApiError('no_text');
    const text = str(args, 'text');
    const message: SlackMessage = { channel, ts: this.nextTs(), text, blocks: args.blocks, thread_ts: str(args, 'thread_ts'), updates: [], posted: { text, blocks: args.blocks } };
    if (args.metadata !== undefined) message.metadata = this.validMetadata(args.metadata);
    this.messages.push(message);
    return { ok: true, channel, ts: message.ts, message: messageOnWire(message, true) };
  }

  private update(args: Args): Reply {
    const channel = this.channelId(str(args, 'channel'));
    const ts = str(args, 'ts');
    const message = this.messages.find((m) => m.channel === channel && m.ts === ts);
    if (!message) throw new SlackApiError('message_not_found');
    if (args.text !== undefined) message.text = str(args, 'text');
    if (args.blocks !== undefined) message.blocks = args.blocks;
    if (args.metadata !== undefined) message.metadata = this.validMetadata(args.metadata);
    message.updates.push({ at: new Date(this.now()).toISOString(), text: str(args, 'text'), blocks: args.blocks });
    // Slack's chat.update answer names the message at the top level only: its `message` has no ts.
    const { ts: _ts, thread_ts: _threadTs, ...updated } = messageOnWire(message, true);
    return { ok: true, channel, ts: message.ts, text: message.text, message: updated };
  }

  private postEphemeral(args: Args): Reply {
    const channel = this.channelId(str(args, 'channel'));
    const user = str(args, 'user');
    if (!user) throw new SlackApiError('user_not_found');
    const ephemeral: SlackEphemeral = { channel, user, message_ts: this.nextTs(), text: str(args, 'text'), blocks: args.blocks };
    this.ephemerals.push(ephemeral);
    return { ok: true, message_ts: ephemeral.message_ts };
  }

  private usergroupUsers(args: Args): Reply {
    const id = str(args, 'usergroup');
    if (!id) throw new SlackApiError('invalid_arguments');
    const users = this.scenario?.slackUsergroup(id);
    if (!users) throw new SlackApiError('no_such_subteam');
    return { ok: true, users: [...users] };
  }

  /** Slack refuses metadata without an event_type or with a payload that is not an object. */
  private validMetadata(metadata: unknown): unknown {
    if (!isRecord(metadata) || typeof metadata.event_type !== 'string' || !/^[\w.-]{1,255}$/.test(metadata.event_type)) {
      throw new SlackApiError('invalid_metadata_format');
    }
    if (metadata.event_payload !== undefined && !isRecord(metadata.event_payload)) throw new SlackApiError('invalid_metadata_format');
    return metadata;
  }

  /** Reading methods need a channel that exists: they never create one, unlike posting. */
  private existingChannelId(channel: string | undefined): string {
    if (!channel) throw new SlackApiError('channel_not_found');
    const id = /^[CGD][A-Z0-9]{8,}$/.test(channel) ? channel : this.channels.get(channel.replace(/^#/, ''));
    if (!id || ![...this.channels.values()].includes(id)) throw new SlackApiError('channel_not_found');
    return id;
  }

  /** Channel names ("#deploys" or "deploys") get a stable ID, like Slack answers with; IDs pass through. */
  private channelId(channel: string | undefined): string {
    if (!channel) throw new SlackApiError('channel_not_found');
    if (/^[CGD][A-Z0-9]{8,}$/.test(channel)) return channel;
    const name = channel.replace(/^#/, '');
    let id = this.channels.get(name);
    if (!id) {
      id = `C${String(this.channels.size + 1).padStart(9, '0')}`;
      this.channels.set(name, id);
    }
    return id;
  }

  /** Slack's "seconds.micro" message ids; the counter keeps them unique and increasing within a second. */
  private nextTs(): string {
    this.tsCounter += 1;
    return `${Math.floor(this.now() / 1000)}.${String(this.tsCounter % 1_000_000).padStart(6, '0')}`;
  }
}
