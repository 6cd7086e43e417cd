/**
 * Reads a request body up to a byte limit, so a client (an unauthenticated one, or a buggy one)
 * cannot make a server buffer without bound. Shared by the approvals server and the sandbox;
 * each keeps its own limit and answers BodyTooLargeError with 413.
 */
import type { IncomingMessage } from 'node:http';

export class BodyTooLargeError extends Error {
  override name = 'BodyTooLargeError';
  constructor(readonly limit: number) {
    super(`request body exceeds ${limit} bytes`);
  }
}

export async function readLimitedBody(req: IncomingMessage, limit: number): Promise<string> {
  // Refuse on the declared length before reading a byte; chunked bodies are counted as they come.
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) throw new BodyTooLargeError(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limit) throw new BodyTooLargeError(limit);
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}
