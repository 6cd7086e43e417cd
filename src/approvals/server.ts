/**
 * The Slack approvals server: `POST /slack/events` takes button clicks, `GET /healthz` answers
 * load balancers. Each click is checked in a fixed order, cheapest and most fundamental first,
 * and nothing reaches a workflow unless every check passed:
 *
 *   size (413) → signature + timestamp window (401) → replay (409) → payload (400/415)
 *   → click replay (409) → ack 200 at once (Slack gives up after 3 s) → Update → ephemeral reply.
 *
 * With `socketMode` (SLACK_APP_TOKEN) the clicks arrive over Slack's Socket Mode WebSocket instead
 * (./socket-mode.ts): no signature there, every other check the same (./intake.ts is shared), and
 * `/healthz` is healthy only while the connection is up. `POST /slack/events` is then not served.
 *
 * Approve / Reject become the approve / reject Updates; a held canary's Resume / Promote / Roll
 * back become the resume / promote / abort control Updates. Both carry the clicker's Slack id and
 * matched groups, and the release's validators judge them by the same approval policy. A released
 * release's Roll back starts a rollback of it (`rollbacks`), for whom the service's policy allows.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import type { LogLevel } from '../config/env';
import { BodyTooLargeError, readLimitedBody } from '../shared/read-body';
import { decideClick } from './decide-click';
import { type EphemeralApi, replyEphemeral } from './ephemeral-reply';
import type { DecisionHmacKey } from '../release-client/decision-signing';
import type { GroupMembership } from './group-membership';
import { InteractionIntake, type IntakeOutcome } from './intake';
import { type ButtonClick, parseButtonClick } from './interaction';
import type { RollbackClickOptions } from './rollback-click';
import { connectSocketMode, type SocketModeConnection, type SocketModeOptions } from './socket-mode';
import { UnverifiedRequestError, type VerifiedRequest, verifySignedRequest } from './verify-request';

export const EVENTS_PATH = '/slack/events';
export const HEALTH_PATH = '/healthz';
/** Interaction payloads are a few KiB; anything near this is not Slack. */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

export interface ApprovalsServerOptions {
  /** @default 3000; 0 picks a free port (read it from the result) */
  port?: number;
  /** @default '127.0.0.1': put a TLS-terminating proxy in front rather than exposing this directly */
  host?: string;
  /** HTTP: the Slack app's signing secret (SLACK_SIGNING_SECRET). Required unless `socketMode` is given. */
  signingSecret?: string;
  /** Socket Mode instead of HTTP (SLACK_APP_TOKEN): clicks arrive over Slack's WebSocket; no signing secret needed. */
  socketMode?: SocketModeOptions;
  client: Client;
  /** For chat.postEphemeral when a payload has no usable response_url. */
  slack?: EphemeralApi;
  now?: () => number;
  /**
   * One line per refused request (warn) and per click decided (info; warn when it was not
   * recorded), errors as error. Never given the secret, token or body.
   */
  log?: (line: string, level?: LogLevel) => void;
  maxBodyBytes?: number;
  /** How long a click waits for the release to accept its Update. @default 20000 */
  decisionTimeoutMs?: number;
  /** The name a Slack user acts under (config `people`). @default the Slack user id itself */
  identityForSlackUser?: (slackUserId: string) => string;
  /**
   * Which configured approver groups a clicker belongs to (UserGroupMembership over
   * usergroups.users.list); passed in the Update so the release's validator can match them.
   * @default none: groups play no part
   */
  groupMembership?: GroupMembership;
  /**
   * The task queue and the services' plans a released release's Roll back button needs to start
   * its rollback (`rollbacksFromConfig(config, RUNWAY_TASK_QUEUE)`). @default none: such clicks
   * are answered that this server cannot start rollbacks
   */
  rollbacks?: RollbackClickOptions;
  /**
   * The key decisions are signed with (the first of RUNWAY_DECISION_HMAC_KEYS), once Slack's
   * signature is verified and the clicker's groups resolved; the worker verifies it. @default
   * none: decisions go unsigned (accepted only by a worker with no keys)
   */
  decisionKey?: DecisionHmacKey;
}

export interface ApprovalsServer {
  /** `http://host:port` */
  url: string;
  /** `${url}/slack/events`: the Request URL to configure in the Slack app. */
  eventsUrl: string;
  port: number;
  /** How clicks arrive: signed HTTP requests at eventsUrl, or Socket Mode. */
  transport: 'http' | 'socket';
  /** Resolves when every acknowledged click has been decided and answered (tests, shutdown). */
  settled(): Promise<void>;
  /** Stops taking requests, lets acknowledged clicks finish, then resolves. */
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body?: Record<string, unknown>, headers: Record<string, string> = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export async function startApprovalsServer(opts: ApprovalsServerOptions): Promise<ApprovalsServer> {
  const { signingSecret, socketMode } = opts;
  if (socketMode ? !socketMode.appToken : !signingSecret) {
    throw new Error(socketMode ? 'Socket Mode needs an app-level token' : 'the approvals server needs a Slack signing secret');
  }
  const now = opts.now ?? Date.now;
  const log = opts.log ?? (() => {});
  const maxBodyBytes = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const decisionTimeoutMs = opts.decisionTimeoutMs ?? 20_000;

  const refuse = (res: ServerResponse, status: number, reason: string, headers?: Record<string, string>) => {
    log(`approvals: refused ${EVENTS_PATH} → ${status}: ${reason}`, 'warn');
    send(res, status, { error: reason }, headers);
  };

  /** After the ack: the Update, then the reply. Never throws; problems are logged. */
  const decideAndReply = async (click: ButtonClick): Promise<void> => {
    const outcome = await decideClick(opts.client, click, {
      timeoutMs: decisionTimeoutMs,
      identity: opts.identityForSlackUser,
      membership: opts.groupMembership,
      rollbacks: opts.rollbacks,
      decisionKey: opts.decisionKey,
    });
    log(`approvals: ${click.userId} ${click.action} ${click.releaseId} → ${outcome.summary}`, outcome.decided ? 'info' : 'warn');
    try {
      await replyEphemeral(click, outcome.text, opts.slack);
    } catch (err) {
      log(`approvals: could not answer ${click.userId} about ${click.releaseId}: ${(err as Error).message}`, 'warn');
    }
  };
  // One intake for both transports: replays, payload checks and the decision are the same.
  const intake = new InteractionIntake({
    decide: decideAndReply,
    onError: (err) => log(`approvals: internal error after ack: ${(err as Error).message}`, 'error'),
    now,
  });

  const handleEvents = async (req: IncomingMessage, res: ServerResponse, secret: string): Promise<void> => {
    let rawBody: string;
    try {
      rawBody = await readLimitedBody(req, maxBodyBytes);
    } catch (err) {
      // Close the connection: the rest of an oversized body is not worth reading.
      if (err instanceof BodyTooLargeError) return refuse(res, 413, err.message, { connection: 'close' });
      throw err;
    }
    let verified: VerifiedRequest;
    try {
      const signed = { rawBody, signature: header(req, 'x-slack-signature'), timestamp: header(req, 'x-slack-request-timestamp') };
      verified = verifySignedRequest(secret, signed, now());
    } catch (err) {
      if (err instanceof UnverifiedRequestError) return refuse(res, 401, err.message);
      throw err;
    }
    const outcome: IntakeOutcome = intake.take({
      // Keyed on the verified signature, never the raw header, so no variant of a request passes twice.
      replayKey: `signature:${verified.timestamp}:${verified.signature}`,
      timestampSec: verified.timestamp,
      replayed: 'replayed request (this signature was already used)',
      click: () => parseButtonClick(header(req, 'content-type'), rawBody),
    });
    if (outcome.status !== 200) return refuse(res, outcome.status, outcome.error ?? 'refused');
    send(res, 200);
  };

  let socket: SocketModeConnection | undefined;
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://approvals').pathname;
    if (path === HEALTH_PATH) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, { error: 'use GET' }, { allow: 'GET, HEAD' });
      if (!socketMode) return send(res, 200, { ok: true });
      // Healthy only while Slack can reach us: a process without its WebSocket takes no clicks.
      const state = socket?.state() ?? 'connecting';
      return send(res, state === 'connected' ? 200 : 503, { ok: state === 'connected', socketMode: state });
    }
    if (path !== EVENTS_PATH) return send(res, 404, { error: `no route for ${path}` });
    if (!signingSecret) return send(res, 404, { error: 'this server takes Slack interactions over Socket Mode (SLACK_APP_TOKEN), not here' });
    if (req.method !== 'POST') return send(res, 405, { error: 'use POST' }, { allow: 'POST' });
    return handleEvents(req, res, signingSecret);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log(`approvals: internal error: ${(err as Error).message}`, 'error');
      if (!res.headersSent) send(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  });

  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 3000, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const closeServer = async () => {
    const closed = new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    server.closeIdleConnections();
    await intake.settled();
    await closed;
  };
  if (socketMode) {
    try {
      socket = await connectSocketMode({ ...socketMode, take: (delivery) => intake.take(delivery), maxPayloadBytes: maxBodyBytes, now, log });
    } catch (err) {
      await closeServer();
      throw err;
    }
  }
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  return {
    url,
    eventsUrl: `${url}${EVENTS_PATH}`,
    port,
    transport: socketMode ? 'socket' : 'http',
    settled: () => intake.settled(),
    close: async () => {
      // Take no new clicks, then finish those already acknowledged.
      await socket?.close();
      await closeServer();
    },
  };
}
