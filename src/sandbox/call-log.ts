/**
 * Every call the emulators receive, per emulated system, in arrival order. Tests, the demo's
 * closing report and operators read it through `GET /_sandbox/calls`; it is the sandbox's
 * answer to "what did the release actually do to each system?".
 */

export type EmulatedSystem = 'ecs' | 'slack' | 'github' | 'health' | 'prometheus' | 'sentry' | 'webhook';

export interface SandboxCall {
  /** Global across systems, so calls to different systems can be put in one order. */
  seq: number;
  /** ISO timestamp of when the sandbox answered. */
  at: string;
  /** e.g. "UpdateService", "chat.postMessage", "POST /repos/o/r/deployments", "GET health staging/checkout". */
  operation: string;
  /** Parsed body (or query for GETs), with credentials removed. */
  request: unknown;
  /** HTTP status the sandbox answered with. */
  status: number;
  /** The HTTP exchange behind the call; only when the sandbox keeps them (`recordExchanges`). */
  exchange?: CallExchange;
}

/**
 * The wire view of one call: what was asked and what was answered, as sent. Kept for tests that
 * hold the emulators to the vendors' own descriptions (an answer is only checkable whole).
 */
export interface CallExchange {
  method: string;
  /** Path as received, before decoding, without the query string. */
  path: string;
  query: Record<string, string>;
  /** The answer's JSON body; undefined when the body was empty. */
  responseBody: unknown;
}

export type SandboxCalls = Record<EmulatedSystem, SandboxCall[]>;

/** What a route wants recorded; the server adds seq, time and status. */
export interface CallRecord {
  system: EmulatedSystem;
  operation: string;
  request: unknown;
}

export class CallLog {
  private seq = 0;
  private readonly calls: SandboxCalls = { ecs: [], slack: [], github: [], health: [], prometheus: [], sentry: [], webhook: [] };

  constructor(
    private readonly now: () => number,
    /**
     * Keep each call's exchange too (off by default: answers can be large and the log is never
     * trimmed); `onCall` hears of each call as it is recorded (`runway sandbox` at debug level).
     */
    private readonly options: { recordExchanges?: boolean; onCall?: (system: EmulatedSystem, call: SandboxCall) => void } = {},
  ) {}

  record(call: CallRecord, status: number, exchange?: CallExchange): SandboxCall {
    const entry: SandboxCall = {
      seq: ++this.seq,
      at: new Date(this.now()).toISOString(),
      operation: call.operation,
      request: call.request,
      status,
    };
    if (this.options.recordExchanges && exchange) {
      // As it went over the wire: the JSON text parsed back (undefined members dropped, as sendJson does).
      const responseBody = exchange.responseBody === undefined ? undefined : (JSON.parse(JSON.stringify(exchange.responseBody)) as unknown);
      entry.exchange = { ...exchange, query: { ...exchange.query }, responseBody };
    }
    this.calls[call.system].push(entry);
    this.options.onCall?.(call.system, entry);
    return entry;
  }

  /** A deep copy, so callers can neither see later calls appear nor change the record. */
  snapshot(): SandboxCalls {
    return structuredClone(this.calls);
  }
}
