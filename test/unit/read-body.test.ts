/** The one request-body reader the approvals server and the sandbox share (src/shared/read-body.ts). */
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { BodyTooLargeError, readLimitedBody } from '../../src/shared/read-body';

/** A request as node:http hands it over: a stream of chunks with lower-cased headers. */
function request(chunks: string[], headers: Record<string, string> = {}): IncomingMessage & { consumed: () => number } {
  let read = 0;
  const stream = Readable.from(
    (function* () {
      for (const chunk of chunks) {
        read++;
        yield Buffer.from(chunk);
      }
    })(),
  );
  return Object.assign(stream, { headers, consumed: () => read }) as unknown as IncomingMessage & { consumed: () => number };
}

it('returns the whole body as UTF-8 when it is within the limit', async () => {
  await expect(readLimitedBody(request(['{"a":', '"é"}']), 11)).resolves.toBe('{"a":"é"}');
  await expect(readLimitedBody(request([]), 0)).resolves.toBe('');
});

it('refuses a declared length over the limit before reading a byte, with the limit in the error', async () => {
  const req = request(['x'], { 'content-length': '11' });
  const err = await readLimitedBody(req, 10).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(BodyTooLargeError);
  expect(err).toMatchObject({ name: 'BodyTooLargeError', limit: 10, message: 'request body exceeds 10 bytes' });
  expect(req.consumed()).toBe(0);
});

it('counts a body without a declared length (chunked) as it comes and stops at the first chunk past the limit', async () => {
  const req = request(['12345', '67890', '1', 'never read']);
  await expect(readLimitedBody(req, 10)).rejects.toMatchObject({ limit: 10 });
  expect(req.consumed()).toBe(3);
});
