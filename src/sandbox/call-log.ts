/**
 * Every call the emulators receive, per emulated system, in arrival order. Tests, the demo's
 * closing report and operators read it through `GET /_sandbox/calls`; it is the sandbox's
 * answer to "what did the release actually do to each system?".
 */

export type EmulatedSystem = 'ecs' | 'slack' | 'github' | 'health' | 'prometheus';

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
  private readonly calls: SandboxCalls = { ecs: [], slack: [], github: [], health: [], prometheus: [] };

  constructor(private readonly now: () => number) {}

  record(call: CallRecord, status: number): SandboxCall {
    const entry: SandboxCall = {
      seq: ++this.seq,
      at: new Date(this.now()).toISOString(),
      operation: call.operation,
      request: call.request,
      status,
    };
    this.calls[call.system].push(entry);
    return entry;
  }

  /** A deep copy, so callers can neither see later calls appear nor change the record. */
  snapshot(): SandboxCalls {
    return structuredClone(this.calls);
  }
}
