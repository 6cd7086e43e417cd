/**
 * `runway codec-server` (issue 19): Temporal's codec server protocol over Runway's payload codec,
 * so the Web UI and `temporal workflow show --codec-endpoint` show encrypted payloads decoded.
 * `POST /encode` and `POST /decode` (also under a namespace segment, `/{namespace}/decode`, as
 * the CLI's endpoint template makes them) take and return `{"payloads": [...]}` in proto3 JSON
 * (bytes as base64). CORS answers only the Web UI's origin; with a bearer token configured, a
 * request without `Authorization: Bearer <token>` is refused (401) before anything is decoded.
 * Listens where it is told (127.0.0.1 by default): whoever reaches it can decrypt payloads.
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

export interface CodecServerOptions {
  codec: PayloadCodec;
  host: string;
  port: number;
  /** Origins allowed to call it from a browser (the Web UI's, e.g. http://localhost:8233). */
  origins: string[];
  /** When set, every call must carry `Authorization: Bearer <token>`. */
  bearerToken?: string;
  /** Largest request body accepted. @default 4 MiB (Temporal's payloads are at most 2 MiB each by default) */
  maxBodyBytes?: number;
}

export interface CodecServer {
  url: string;
  close(): Promise<void>;
}

const ROUTE = /^(?:\/[^/]*)?\/(encode|decode)$/;
const PayloadsProto = temporal.api.common.v1.Payloads;

/** `{"payloads": [...]}` in proto3 JSON → payloads; throws a message for a malformed body. */
export function payloadsFromJson(body: string): Payload[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new Error('the body is not JSON');
  }
  if (!parsed || typeof parsed !== 'object' || !Array.isArray((parsed as { payloads?: unknown }).payloads)) throw new Error('the body has no "payloads" array');
  return PayloadsProto.fromObject(parsed as Record<string, unknown>).payloads as Payload[];
}

/** Payloads → `{"payloads": [...]}` in proto3 JSON (bytes as base64). */
export function payloadsToJson(payloads: Payload[]): string {
  return JSON.stringify(PayloadsProto.toObject(PayloadsProto.create({ payloads }), { bytes: String, defaults: false }));
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(/^Bearer (.+)$/.exec(header ?? '')?.[1] ?? '');
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        resolve(undefined);
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startCodecServer(options: CodecServerOptions): Promise<CodecServer> {
  const limit = options.maxBodyBytes ?? 4 * 1024 * 1024;
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const origin = req.headers.origin;
    if (origin && options.origins.includes(origin)) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('access-control-allow-credentials', 'true');
      res.setHeader('vary', 'Origin');
    }
    const send = (status: number, body: string, type = 'text/plain; charset=utf-8') => res.writeHead(status, { 'content-type': type }).end(body);
    if (req.method === 'OPTIONS') {
      res.setHeader('access-control-allow-methods', 'POST, OPTIONS');
      res.setHeader('access-control-allow-headers', 'Content-Type, X-Namespace, Authorization');
      res.setHeader('access-control-max-age', '600');
      res.writeHead(204).end();
      return;
    }
    const route = ROUTE.exec((req.url ?? '/').split('?')[0]);
    if (!route) return send(404, 'not found: POST /encode or /decode\n');
    if (req.method !== 'POST') return send(405, 'method not allowed: POST only\n');
    if (options.bearerToken && !bearerMatches(req.headers.authorization, options.bearerToken)) return send(401, 'unauthorized: a bearer token is required\n');
    const body = await readBody(req, limit);
    if (body === undefined) return send(413, `request body over ${limit} bytes\n`);
    let payloads: Payload[];
    try {
      payloads = payloadsFromJson(body);
    } catch (err) {
      return send(400, `bad request: ${(err as Error).message}\n`);
    }
    try {
      const out = route[1] === 'encode' ? await options.codec.encode(payloads) : await options.codec.decode(payloads);
      return send(200, payloadsToJson(out), 'application/json');
    } catch (err) {
      // Names the key id that is missing; never key material.
      return send(400, `cannot ${route[1]}: ${(err as Error).message}\n`);
    }
  };
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`internal error: ${(err as Error).message}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
