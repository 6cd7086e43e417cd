/**
 * Socket Mode: Slack delivers interactions over a WebSocket the app opens itself (through
 * `apps.connections.open` with the app-level token, SLACK_APP_TOKEN), so no public HTTPS endpoint
 * is needed. @slack/socket-mode's SocketModeClient opens, keeps (pings, reconnects) and acks it;
 * each `interactive` envelope goes to the same intake as a signed HTTP request, so payload,
 * replay and policy checks are the same. There is no signature: the connection is the proof.
 *
 * Every envelope is acknowledged, also a refused one (or Slack would redeliver it), and only
 * after the intake has taken it, so a redelivery after a lost ack finds it already taken.
 */
import { LogLevel, type Logger, SocketModeClient } from '@slack/socket-mode';
import type { LogLevel as RunwayLogLevel } from '../config/env';
import type { Delivery, IntakeOutcome } from './intake';
import { parseButtonClickPayload } from './interaction';

export interface SocketModeOptions {
  /** The app-level token (xapp-…, scope connections:write). Never logged. */
  appToken: string;
  /** Slack's Web API base (SLACK_API_URL), for apps.connections.open. @default https://slack.com/api/ */
  slackApiUrl?: string;
}

export type SocketState = 'connecting' | 'connected' | 'reconnecting' | 'disconnected';

export interface SocketModeConnection {
  state(): SocketState;
  close(): Promise<void>;
}

interface SlackEnvelope {
  ack: (response?: Record<string, unknown>) => Promise<void>;
  envelope_id?: string;
  type?: string;
  body?: unknown;
  retry_num?: number;
}

/** The Slack SDK's own lines, at warn and error only (its debug lines echo whole messages). */
function slackLogger(log: (line: string, level?: RunwayLogLevel) => void, lastError: { text?: string }): Logger {
  const line = (level: RunwayLogLevel) => (...msg: unknown[]) => {
    const text = msg.map(String).join(' ');
    if (level === 'error') lastError.text = text;
    log(`approvals: Socket Mode: ${text}`, level);
  };
  return {
    debug: () => {},
    info: () => {},
    warn: line('warn'),
    error: line('error'),
    setLevel: () => {},
    getLevel: () => LogLevel.WARN,
    setName: () => {},
  };
}

/**
 * Opens the connection and resolves once Slack said hello; rejects when Slack refuses the token
 * (the error names SLACK_APP_TOKEN and Slack's error code, never the token).
 */
export async function connectSocketMode(
  opts: SocketModeOptions & {
    take: (delivery: Delivery) => IntakeOutcome;
    maxPayloadBytes: number;
    now: () => number;
    log: (line: string, level?: RunwayLogLevel) => void;
  },
): Promise<SocketModeConnection> {
  const { log } = opts;
  const lastError: { text?: string } = {};
  const client = new SocketModeClient({
    appToken: opts.appToken,
    logger: slackLogger(log, lastError),
    // A few quick tries at apps.connections.open, not the library's hundred.
    clientOptions: { ...(opts.slackApiUrl ? { slackApiUrl: opts.slackApiUrl } : {}), retryConfig: { retries: 2, factor: 2, minTimeout: 200, maxTimeout: 2000 } },
  });
  let state: SocketState = 'connecting';
  client.on('connected', () => (state = 'connected'));
  client.on('reconnecting', () => (state = 'reconnecting'));
  client.on('connecting', () => (state = state === 'connected' ? 'reconnecting' : state));
  client.on('disconnected', () => (state = 'disconnected'));
  client.on('close', () => (state = state === 'connected' ? 'reconnecting' : state));

  const refuse = (envelopeId: string, outcome: IntakeOutcome) =>
    log(`approvals: refused Socket Mode envelope ${envelopeId} → ${outcome.status}: ${outcome.error ?? 'refused'}`, 'warn');

  client.on('slack_event', (envelope: SlackEnvelope) => {
    const envelopeId = String(envelope.envelope_id ?? '').slice(0, 128);
    let outcome: IntakeOutcome;
    if (envelope.type !== 'interactive') {
      outcome = { status: 400, error: `unsupported envelope type "${String(envelope.type).slice(0, 64)}" (Runway takes interactions only)` };
    } else if (Buffer.byteLength(JSON.stringify(envelope.body ?? null)) > opts.maxPayloadBytes) {
      outcome = { status: 413, error: `payload exceeds ${opts.maxPayloadBytes} bytes` };
    } else if (!envelopeId) {
      outcome = { status: 400, error: 'envelope without an envelope_id' };
    } else {
      outcome = opts.take({
        replayKey: `envelope:${envelopeId}`,
        replayed: `replayed envelope (already delivered${envelope.retry_num ? `; retry ${envelope.retry_num}` : ''})`,
        click: () => parseButtonClickPayload(envelope.body),
      });
    }
    if (outcome.status !== 200) refuse(envelopeId || '(none)', outcome);
    envelope.ack().catch((err: unknown) => log(`approvals: Socket Mode: could not ack envelope ${envelopeId}: ${(err as Error).message}`, 'warn'));
  });

  try {
    // The library retries some refusals of apps.connections.open for ever (not_allowed_token_type,
    // for one); at start, a retry before the first hello is a failure to report, not to wait out.
    await new Promise<void>((resolve, reject) => {
      const retrying = () => reject(new Error(lastError.text ?? 'the connection failed before Slack said hello'));
      client.once('reconnecting', retrying);
      client.start().then(() => {
        client.off('reconnecting', retrying);
        resolve();
      }, reject);
    });
  } catch (err) {
    await client.disconnect().catch(() => undefined);
    const code = (err as { data?: { error?: string } }).data?.error ?? /An API error occurred: (\w+)/.exec((err as Error).message)?.[1];
    throw new SocketModeStartError(
      code
        ? `SLACK_APP_TOKEN: Slack refused it at apps.connections.open (${code}${code === 'invalid_auth' || code === 'not_allowed_token_type' ? ': expected the app-level token of an app with Socket Mode on, scope connections:write' : ''})`
        : `SLACK_APP_TOKEN: could not open the Socket Mode connection: ${(err as Error).message}`,
      code,
    );
  }
  state = 'connected';
  return {
    state: () => state,
    close: async () => {
      await client.disconnect();
      state = 'disconnected';
    },
  };
}

/** Socket Mode could not start; the message names SLACK_APP_TOKEN and never holds the token. */
export class SocketModeStartError extends Error {
  override name = 'SocketModeStartError';
  constructor(
    message: string,
    /** Slack's error code, when Slack answered. */
    readonly slackError?: string,
  ) {
    super(message);
  }
}
