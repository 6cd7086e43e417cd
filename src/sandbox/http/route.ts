/**
 * The shape every emulator handles: a fully read request in, a JSON answer out. Emulators stay
 * free of node:http so they can be driven directly, and the server owns I/O and recording.
 */
import type { CallRecord } from '../call-log';

export interface SandboxRequest {
  method: string;
  /** Path without query string, not yet decoded. */
  path: string;
  query: URLSearchParams;
  /** Lower-cased header names, as node:http gives them. */
  headers: Record<string, string | undefined>;
  /** Raw body text ('' when there is none). */
  body: string;
}

export interface SandboxResponse {
  status: number;
  /** Serialised as JSON; `undefined` sends an empty body. */
  body?: unknown;
  /** Sent as it is instead of `body` (with the content type in `headers`): Prometheus text, for one. */
  text?: string;
  headers?: Record<string, string>;
  /** What to put in the call log; control-API requests are not recorded. */
  call?: CallRecord;
}

/** Thrown by body parsers when a request body is not valid JSON; each emulator answers it in its own dialect. */
export class BadJsonError extends Error {
  constructor(detail: string) {
    super(`request body is not valid JSON: ${detail}`);
    this.name = 'BadJsonError';
  }
}

/** Parses a JSON body; an empty body is `{}` because SDKs send nothing for input-less calls. */
export function parseJsonBody(body: string): unknown {
  if (body.trim() === '') return {};
  try {
    return JSON.parse(body) as unknown;
  } catch (err) {
    throw new BadJsonError((err as Error).message);
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function notFound(message = 'Not Found'): SandboxResponse {
  return { status: 404, body: { message } };
}
