/**
 * One node:http server for every emulator: reads the request, picks the emulator by path,
 * records the call and writes the JSON answer. Emulators never see node:http.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { BodyTooLargeError, readLimitedBody } from '../shared/read-body';
import { handleControlRequest } from './control';
import { handleEcsRequest } from './ecs/wire';
import { handleHealthRequest, matchHealthPath } from './health';
import { notFound, type SandboxRequest, type SandboxResponse } from './http/route';
import { sendJson } from './http/send-json';
import type { SandboxParts } from './parts';

export type { SandboxParts };

/** Generous for task definitions and Slack blocks, small enough to refuse garbage quickly. */
const MAX_BODY_BYTES = 5 * 1024 * 1024;

const SLACK_PREFIX = '/slack/api/';
/** Where simulated clicks' response_urls point. */
const SLACK_RESPONSE_PREFIX = '/slack/response/';
const GITHUB_PREFIX = '/github';
const PROMETHEUS_PREFIX = '/prometheus';
const SENTRY_PREFIX = '/sentry';
const WEBHOOK_PREFIX = '/webhooks/';

export function routeRequest(parts: SandboxParts, req: SandboxRequest): SandboxResponse | Promise<SandboxResponse> {
  const { path } = req;
  if (path === '/_sandbox' || path.startsWith('/_sandbox/')) return handleControlRequest(parts, req);
  if (path === '/' && req.method === 'POST') return handleEcsRequest(parts.ecs, req);
  if (path.startsWith(SLACK_PREFIX)) return parts.slack.handle(safeDecode(path.slice(SLACK_PREFIX.length)), req);
  if (path.startsWith(SLACK_RESPONSE_PREFIX)) return parts.slack.receiveResponse(safeDecode(path.slice(SLACK_RESPONSE_PREFIX.length)), req);
  if (path === GITHUB_PREFIX || path.startsWith(`${GITHUB_PREFIX}/`)) return parts.github.handle(path.slice(GITHUB_PREFIX.length) || '/', req);
  if (path.startsWith(`${PROMETHEUS_PREFIX}/`)) return parts.prometheus.handle(path.slice(PROMETHEUS_PREFIX.length), req);
  if (path.startsWith(`${SENTRY_PREFIX}/`)) return parts.sentry.handle(path.slice(SENTRY_PREFIX.length), req);
  if (path.startsWith(WEBHOOK_PREFIX) && path.length > WEBHOOK_PREFIX.length) return parts.webhooks.handle(safeDecode(path.slice(WEBHOOK_PREFIX.length)), req);
  const health = matchHealthPath(path);
  if (health) return handleHealthRequest(parts, req, health);
  return notFound(`no sandbox route for ${req.method} ${path}`);
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

async function handleHttp(parts: SandboxParts, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://sandbox');
  let body: string;
  try {
    body = await readLimitedBody(req, MAX_BODY_BYTES);
  } catch (err) {
    if (err instanceof BodyTooLargeError) return sendJson(res, 413, { message: err.message }, { connection: 'close' });
    throw err;
  }
  const headers: SandboxRequest['headers'] = {};
  for (const [name, value] of Object.entries(req.headers)) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  const request: SandboxRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers, body };

  let response: SandboxResponse;
  try {
    response = await routeRequest(parts, request);
  } catch (err) {
    // A bug in an emulator must answer, not kill the sandbox mid-release.
    response = { status: 500, body: { message: `sandbox error: ${(err as Error).message}` } };
  }
  if (response.call) {
    const exchange = { method: request.method, path: request.path, query: Object.fromEntries(request.query), responseBody: response.body };
    parts.calls.record(response.call, response.status, exchange);
  }
  if (response.text !== undefined) {
    res.writeHead(response.status, { 'content-type': 'text/plain; charset=utf-8', ...response.headers }).end(response.text);
    return;
  }
  sendJson(res, response.status, response.body, response.headers);
}

export function createSandboxServer(parts: SandboxParts): Server {
  return createServer((req, res) => {
    handleHttp(parts, req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { message: `sandbox error: ${(err as Error).message}` });
      else res.destroy();
    });
  });
}
