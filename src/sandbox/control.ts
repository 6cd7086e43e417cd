/**
 * The control API beside the emulators (`/_sandbox/...`): what was called, what the world
 * looks like, and the scenario switches. Its own requests are not recorded as calls.
 */
import type { z } from 'zod';
import { BadJsonError, notFound, parseJsonBody, type SandboxRequest, type SandboxResponse } from './http/route';
import type { SandboxParts } from './parts';
import { scenarioPatchSchema, type ScenarioStore } from './scenario';
import { ClickError, clickRequestSchema, type SlackClicker } from './slack/click';


function methodNotAllowed(req: SandboxRequest, allowed: string): SandboxResponse {
  return { status: 405, body: { message: `${req.method} ${req.path} not allowed (use ${allowed})` }, headers: { allow: allowed } };
}

/** Async only for `/_sandbox/slack/click`, which waits for the app it clicks at. */
export function handleControlRequest(deps: SandboxParts, req: SandboxRequest): SandboxResponse | Promise<SandboxResponse> {
  switch (req.path) {
    case '/_sandbox/calls':
      return req.method === 'GET' ? { status: 200, body: deps.calls.snapshot() } : methodNotAllowed(req, 'GET');
    case '/_sandbox/state':
      return req.method === 'GET' ? { status: 200, body: sandboxState(deps) } : methodNotAllowed(req, 'GET');
    case '/_sandbox/scenario':
      if (req.method === 'GET') return { status: 200, body: deps.scenario.get() };
      if (req.method === 'PUT') return putScenario(deps.scenario, req);
      return methodNotAllowed(req, 'GET, PUT');
    case '/_sandbox/slack/click':
      return req.method === 'POST' ? postClick(deps.clicker, req) : methodNotAllowed(req, 'POST');
    case '/_sandbox/slack/responses':
      return req.method === 'GET' ? { status: 200, body: deps.slack.state().responses } : methodNotAllowed(req, 'GET');
    case '/_sandbox/slack/socket':
      return req.method === 'GET' ? { status: 200, body: { connections: deps.socket.connections, envelopes: deps.socket.envelopes() } } : methodNotAllowed(req, 'GET');
    default:
      return notFound(`no control endpoint ${req.path}`);
  }
}

export function sandboxState(deps: Pick<SandboxParts, 'ecs' | 'slack' | 'github' | 'sentry' | 'webhooks'>): Record<string, unknown> {
  return { ecs: deps.ecs.snapshot(), slack: deps.slack.state(), github: deps.github.state(), sentry: deps.sentry.state(), webhooks: deps.webhooks.state() };
}

/**
 * Parses and validates a control request's JSON body: the data, or the 400 answer that says
 * what is wrong with it.
 */
function validBody<T>(req: SandboxRequest, schema: z.ZodType<T>, what: string): { data: T } | { refusal: SandboxResponse } {
  let body: unknown;
  try {
    body = parseJsonBody(req.body);
  } catch (err) {
    if (err instanceof BadJsonError) return { refusal: { status: 400, body: { message: err.message } } };
    throw err;
  }
  const parsed = schema.safeParse(body);
  if (parsed.success) return { data: parsed.data };
  const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`);
  return { refusal: { status: 400, body: { message: `invalid ${what}: ${issues.join('; ')}`, issues } } };
}

/** Merges into the current scenario; answers the whole scenario as it now is. */
function putScenario(scenario: ScenarioStore, req: SandboxRequest): SandboxResponse {
  const valid = validBody(req, scenarioPatchSchema, 'scenario');
  if ('refusal' in valid) return valid.refusal;
  return { status: 200, body: scenario.merge(valid.data) };
}

/** Clicks a button as a Slack user; answers what the app answered, plus where its reply will land. */
async function postClick(clicker: SlackClicker, req: SandboxRequest): Promise<SandboxResponse> {
  const valid = validBody(req, clickRequestSchema, 'click');
  if ('refusal' in valid) return valid.refusal;
  try {
    return { status: 200, body: await clicker.click(valid.data) };
  } catch (err) {
    if (err instanceof ClickError) return { status: err.status, body: { message: err.message } };
    throw err;
  }
}
