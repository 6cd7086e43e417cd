/**
 * Slack's side of Socket Mode. `apps.connections.open` (app-level token only) hands out a
 * one-use `ws://127.0.0.1:<port>/slack/socket/<ticket>` URL; the app connects there, gets
 * `hello`, and receives envelopes `{ envelope_id, type: "interactive", payload,
 * accepts_response_payload }` that it must acknowledge with `{ envelope_id }`. An envelope not
 * acknowledged within the ack timeout is delivered again with the same envelope_id and
 * `retry_attempt` / `retry_reason` set, up to `maxRetries` times, as Slack does. The server pings
 * every connection (Slack's client closes a connection that stops being pinged).
 *
 * Every envelope is recorded: each delivery, whether and when it was acknowledged, and acks the
 * sandbox dropped on purpose (`loseAcks`, so a test can see a redelivery).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';

export const SOCKET_PATH_PREFIX = '/slack/socket/';

export interface SocketDelivery {
  at: string;
  /** 0 for the first delivery, then 1, 2, … (Slack's retry_attempt). */
  retryAttempt: number;
}

export interface SocketEnvelopeRecord {
  envelopeId: string;
  type: string;
  deliveries: SocketDelivery[];
  /** When the ack the app sent was taken (an ack the sandbox dropped does not count). */
  ackedAt?: string;
  /** Milliseconds from the first delivery to the ack. */
  ackedAfterMs?: number;
  /** Acks received and dropped on purpose (`loseAcks`). */
  lostAcks: number;
  /** Acks for this envelope after the first one counted (a confused app). */
  extraAcks: number;
}

export interface SocketModeHubOptions {
  now: () => number;
  /** ws://host:port of the sandbox, known once it listens. */
  wsBase: () => string;
  /** How long Slack waits for an ack before delivering again. @default 3000 */
  ackTimeoutMs?: number;
  /** Redeliveries of an unacknowledged envelope. @default 3 */
  maxRetries?: number;
  /** @default 10000 (Slack's client gives up on a server silent for 30 s) */
  pingIntervalMs?: number;
}

interface Pending {
  record: SocketEnvelopeRecord;
  message: Record<string, unknown>;
  loseAcks: number;
  timer?: NodeJS.Timeout;
  settle: () => void;
}

/** apps.connections.open was called with a token that cannot open a connection. */
export class SocketTokenError extends Error {
  constructor(readonly error: 'not_allowed_token_type') {
    super(error);
  }
}

export class SocketModeHub {
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly tickets = new Set<string>();
  private readonly sockets = new Set<WebSocket>();
  private readonly pending = new Map<string, Pending>();
  private readonly records: SocketEnvelopeRecord[] = [];
  private readonly pinger: NodeJS.Timeout;
  private readonly ackTimeoutMs: number;
  private readonly maxRetries: number;

  constructor(private readonly opts: SocketModeHubOptions) {
    this.ackTimeoutMs = opts.ackTimeoutMs ?? 3000;
    this.maxRetries = opts.maxRetries ?? 3;
    this.pinger = setInterval(() => this.sockets.forEach((s) => s.ping()), opts.pingIntervalMs ?? 10_000);
    this.pinger.unref();
  }

  /** `apps.connections.open`: a one-use URL for a token that may open one (app-level, xapp-). */
  openConnection(token: string): string {
    if (!token.startsWith('xapp-')) throw new SocketTokenError('not_allowed_token_type');
    const ticket = randomUUID();
    this.tickets.add(ticket);
    return `${this.opts.wsBase()}${SOCKET_PATH_PREFIX}${ticket}`;
  }

  /** Takes the sandbox server's WebSocket upgrades at /slack/socket/<ticket>. */
  attach(server: Server): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const path = new URL(req.url ?? '/', 'http://sandbox').pathname;
      const ticket = path.startsWith(SOCKET_PATH_PREFIX) ? path.slice(SOCKET_PATH_PREFIX.length) : '';
      if (!this.tickets.delete(ticket)) {
        socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.connected(ws));
    });
  }

  /** Open connections. */
  get connections(): number {
    return this.sockets.size;
  }

  envelopes(): SocketEnvelopeRecord[] {
    return structuredClone(this.records);
  }

  /**
   * Sends an interaction over an open connection; resolves with its record once it is
   * acknowledged or every redelivery went unacknowledged. `loseAcks` drops that many acks first.
   */
  deliver(payload: unknown, options: { loseAcks?: number } = {}): Promise<SocketEnvelopeRecord> {
    if (this.sockets.size === 0) return Promise.reject(new Error('no app is connected over Socket Mode'));
    const envelopeId = randomUUID();
    const record: SocketEnvelopeRecord = { envelopeId, type: 'interactive', deliveries: [], lostAcks: 0, extraAcks: 0 };
    this.records.push(record);
    const message = { envelope_id: envelopeId, type: 'interactive', payload, accepts_response_payload: false };
    return new Promise((resolve) => {
      const entry: Pending = { record, message, loseAcks: options.loseAcks ?? 0, settle: () => resolve(structuredClone(record)) };
      this.pending.set(envelopeId, entry);
      this.send(entry);
    });
  }

  close(): void {
    clearInterval(this.pinger);
    for (const entry of this.pending.values()) {
      clearTimeout(entry.timer);
      entry.settle();
    }
    this.pending.clear();
    for (const ws of this.sockets) ws.terminate();
    this.wss.close();
  }

  private connected(ws: WebSocket): void {
    this.sockets.add(ws);
    ws.on('close', () => this.sockets.delete(ws));
    ws.on('error', () => this.sockets.delete(ws));
    ws.on('message', (data, isBinary) => {
      if (!isBinary) this.received(Buffer.from(data as Buffer).toString('utf8'));
    });
    ws.send(
      JSON.stringify({
        type: 'hello',
        num_connections: this.sockets.size,
        debug_info: { host: 'applink-sandbox', build_number: 1, approximate_connection_time: 18060 },
        connection_info: { app_id: 'A0SANDBOX' },
      }),
    );
  }

  private send(entry: Pending): void {
    const attempt = entry.record.deliveries.length;
    const ws = [...this.sockets].find((s) => s.readyState === s.OPEN);
    if (ws) {
      const message = attempt === 0 ? entry.message : { ...entry.message, retry_attempt: attempt, retry_reason: 'timeout' };
      ws.send(JSON.stringify(message));
      entry.record.deliveries.push({ at: new Date(this.opts.now()).toISOString(), retryAttempt: attempt });
    }
    entry.timer = setTimeout(() => {
      if (entry.record.deliveries.length > this.maxRetries) {
        this.pending.delete(entry.record.envelopeId);
        entry.settle();
      } else this.send(entry);
    }, this.ackTimeoutMs);
  }

  private received(text: string): void {
    let envelopeId: unknown;
    try {
      envelopeId = (JSON.parse(text) as { envelope_id?: unknown }).envelope_id;
    } catch {
      return;
    }
    if (typeof envelopeId !== 'string') return;
    const entry = this.pending.get(envelopeId);
    if (!entry) {
      const late = this.records.find((r) => r.envelopeId === envelopeId);
      if (late) late.extraAcks += 1;
      return;
    }
    if (entry.loseAcks > 0) {
      entry.loseAcks -= 1;
      entry.record.lostAcks += 1;
      return;
    }
    clearTimeout(entry.timer);
    this.pending.delete(envelopeId);
    const now = this.opts.now();
    entry.record.ackedAt = new Date(now).toISOString();
    entry.record.ackedAfterMs = now - Date.parse(entry.record.deliveries[0]!.at);
    entry.settle();
  }
}
