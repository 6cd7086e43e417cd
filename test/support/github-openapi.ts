/**
 * The GitHub emulator held to GitHub's own description of its REST API: `@octokit/openapi`'s
 * api.github.com description (OpenAPI 3.0.3, the file GitHub publishes in github/rest-api-description
 * with Octokit's extensions). Each call the sandbox recorded (with `recordExchanges`) is mapped to
 * the operation whose path template and method it matches, and:
 * - the answer is validated against the schema for its status (a status the operation does not
 *   list is accepted only for GitHub's general errors — 400, 401, 403, 404, 422, 429, 5xx — and
 *   then checked against GitHub's `basic-error` / `validation-error`; an undocumented 2xx is a
 *   violation, and so is a body on a status described without one, or none where one is described);
 * - the request is validated when the emulator accepted it (status < 400): path and query
 *   parameters against their schemas (an unknown or missing required query parameter is a
 *   violation), the JSON body against the request body schema. A request the emulator refused is
 *   the test's own bad input on purpose, so only the refusal's answer is checked.
 *
 * OpenAPI 3.0 is not JSON Schema: schemas go through @openapi-contrib/openapi-schema-to-json-schema
 * (`nullable: true` with a `type` adds "null" to the type and to an `enum`; OpenAPI-only keywords
 * dropped), and a `nullable: true` beside `allOf`/`oneOf`/`anyOf` without a `type` (which the
 * converter, reading OpenAPI 3.0.3 to the letter, ignores) admits null too, as GitHub means it.
 * A formatted string (`format: uri`) whose declared `default` is "" also accepts "", GitHub's
 * own value for it when unset. `oneOf` keeps JSON Schema's "exactly one" meaning under Ajv.
 */
import { readFileSync } from 'node:fs';
import { openapiSchemaToJsonSchema } from '@openapi-contrib/openapi-schema-to-json-schema';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { Sandbox, SandboxCall } from '../../src/sandbox';

/** Where the sandbox serves GitHub (`GITHUB_API_URL` = `${sandbox.url}/github`). */
const GITHUB_PREFIX = '/github';

/** Statuses api.github.com may answer on any operation, and the schema of their body. */
const GENERAL_ERRORS: Record<number, string> = {
  400: 'basic-error',
  401: 'basic-error',
  403: 'basic-error',
  404: 'basic-error',
  422: 'validation-error',
  429: 'basic-error',
  500: 'basic-error',
  502: 'basic-error',
  503: 'basic-error',
};

/** One exchange with the GitHub API, as the checker needs it. */
export interface GitHubExchange {
  method: string;
  /** Path under the API root (no `/github` prefix), not decoded. */
  path: string;
  query: Record<string, string>;
  /** JSON request body; undefined when there was none. */
  requestBody: unknown;
  status: number;
  /** JSON answer; undefined when the body was empty. */
  responseBody: unknown;
}

export interface GitHubViolation {
  /** `METHOD /template` of the operation (or the path, when no operation matched). */
  operation: string;
  part: 'request' | 'response';
  /** JSON pointer into the body, `query.name` / `path.name` for a parameter, '' for the whole. */
  at: string;
  message: string;
}

type Json = Record<string, unknown>;
interface Operation {
  template: string;
  method: string;
  op: Json;
  pathParameters: unknown[];
}
interface Route {
  template: string;
  regex: RegExp;
  names: string[];
  /** More literal text first: `/runs/{run_id}/jobs` before `/runs/{run_id}/{x}`. */
  literalLength: number;
}

type Description = { paths: Record<string, Json>; components: { schemas: Record<string, Json>; parameters: Record<string, Json>; responses: Record<string, Json> } };

let shared: GitHubOpenApi | undefined;

/** The description, loaded once per test process (13 MB of JSON). */
export function gitHubOpenApi(): GitHubOpenApi {
  shared ??= new GitHubOpenApi(JSON.parse(readFileSync(require.resolve('@octokit/openapi/generated/api.github.com.json'), 'utf8')) as Description);
  return shared;
}

export class GitHubOpenApi {
  private readonly routes: Route[];
  private readonly ajv: Ajv;
  private readonly paramAjv: Ajv;
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(private readonly description: Description) {
    this.routes = Object.keys(description.paths)
      .map((template) => {
        const names: string[] = [];
        const source = template
          .split(/(\{[^}]+\})/)
          .map((part) => {
            const name = /^\{([^}]+)\}$/.exec(part)?.[1];
            if (name === undefined) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
            names.push(name);
            return '([^/]+)';
          })
          .join('');
        return { template, regex: new RegExp(`^${source}$`), names, literalLength: template.replace(/\{[^}]+\}/g, '').length };
      })
      .sort((a, b) => b.literalLength - a.literalLength);
    this.ajv = newAjv(false);
    // Path and query values arrive as text: "100" is a valid integer there.
    this.paramAjv = newAjv(true);
  }

  /** Which operation a call is: the matching template with the most literal text that has the method. */
  operation(method: string, path: string): (Operation & { params: Record<string, string> }) | undefined {
    for (const route of this.routes) {
      const m = route.regex.exec(path);
      const item = this.description.paths[route.template];
      const op = item?.[method.toLowerCase()] as Json | undefined;
      if (!m || !op) continue;
      const params = Object.fromEntries(route.names.map((name, i) => [name, safeDecode(m[i + 1]!)]));
      return { template: route.template, method: method.toUpperCase(), op, pathParameters: (item!.parameters as unknown[] | undefined) ?? [], params };
    }
    return undefined;
  }

  check(x: GitHubExchange): GitHubViolation[] {
    const found = this.operation(x.method, x.path);
    if (!found) {
      // GitHub answers a path it does not have with 404 too.
      if (x.status === 404) return this.general(`${x.method} ${x.path}`, 404, x.responseBody);
      return [{ operation: `${x.method} ${x.path}`, part: 'response', at: '', message: 'no operation in GitHub\'s description has this method and path' }];
    }
    const name = `${found.method} ${found.template}`;
    return [...(x.status < 400 ? this.checkRequest(name, found, x) : []), ...this.checkResponse(name, found.op, x.status, x.responseBody)];
  }

  /** A recorded sandbox call (needs `recordExchanges`). */
  checkCall(call: SandboxCall): GitHubViolation[] {
    const ex = call.exchange;
    if (!ex) throw new Error(`GitHub call ${call.operation} has no exchange: start the sandbox with recordExchanges: true`);
    const path = ex.path.startsWith(GITHUB_PREFIX) ? ex.path.slice(GITHUB_PREFIX.length) || '/' : ex.path;
    const hasBody = !['GET', 'HEAD'].includes(ex.method.toUpperCase());
    return this.check({ method: ex.method, path, query: ex.query, requestBody: hasBody ? call.request : undefined, status: call.status, responseBody: ex.responseBody });
  }

  private checkRequest(name: string, found: Operation & { params: Record<string, string> }, x: GitHubExchange): GitHubViolation[] {
    const violations: GitHubViolation[] = [];
    const v = (at: string, message: string) => violations.push({ operation: name, part: 'request', at, message });
    const parameters = [...found.pathParameters, ...((found.op.parameters as unknown[] | undefined) ?? [])].map((p) => this.deref(p) as Json);
    for (const p of parameters) {
      const where = p.in as string;
      const pname = p.name as string;
      const value = where === 'path' ? found.params[pname] : where === 'query' ? x.query[pname] : undefined;
      if (where !== 'path' && where !== 'query') continue;
      if (value === undefined) {
        if (p.required === true) v(`${where}.${pname}`, 'required parameter missing');
        continue;
      }
      const validate = this.validator(`param:${name}:${where}:${pname}`, { type: 'object', properties: { value: p.schema ?? {} } }, this.paramAjv);
      if (!validate({ value })) for (const e of validate.errors ?? []) v(`${where}.${pname}${e.instancePath.slice('/value'.length)}`, problemOf(e));
    }
    const known = new Set(parameters.filter((p) => p.in === 'query').map((p) => p.name as string));
    for (const key of Object.keys(x.query)) if (!known.has(key)) v(`query.${key}`, 'not a query parameter of this operation');

    const body = this.deref(found.op.requestBody) as Json | undefined;
    const schema = (body?.content as Record<string, Json> | undefined)?.['application/json']?.schema;
    if (x.requestBody === undefined || isEmptyObject(x.requestBody)) {
      if (body?.required === true && schema) v('', 'request body required');
    } else if (!schema) {
      v('', 'this operation takes no JSON request body');
    } else {
      const validate = this.validator(`request:${name}`, schema);
      if (!validate(x.requestBody)) for (const e of validate.errors ?? []) v(e.instancePath, problemOf(e));
    }
    return violations;
  }

  private checkResponse(name: string, op: Json, status: number, body: unknown): GitHubViolation[] {
    const responses = op.responses as Record<string, unknown>;
    const described = this.deref(responses[String(status)]) as Json | undefined;
    if (!described) {
      if (GENERAL_ERRORS[status]) return this.general(name, status, body);
      return [{ operation: name, part: 'response', at: '', message: `status ${status} is not described for this operation (described: ${Object.keys(responses).join(', ')})` }];
    }
    const schema = (described.content as Record<string, Json> | undefined)?.['application/json']?.schema;
    if (!schema) return body === undefined ? [] : [{ operation: name, part: 'response', at: '', message: `status ${status} is described without a body, but one was sent` }];
    if (body === undefined) return [{ operation: name, part: 'response', at: '', message: `status ${status} is described with a JSON body, but none was sent` }];
    return this.validate(`response:${name}:${status}`, schema, body, name);
  }

  private general(name: string, status: number, body: unknown): GitHubViolation[] {
    return this.validate(`general:${status}`, { $ref: `#/components/schemas/${GENERAL_ERRORS[status]}` }, body, name);
  }

  private validate(key: string, schema: unknown, body: unknown, name: string): GitHubViolation[] {
    const validate = this.validator(key, schema);
    if (validate(body)) return [];
    return (validate.errors ?? []).map((e) => ({ operation: name, part: 'response' as const, at: e.instancePath, message: problemOf(e) }));
  }

  /** Compiles an OpenAPI schema (with the components it reaches) as JSON Schema, once per key. */
  private validator(key: string, schema: unknown, ajv = this.ajv): ValidateFunction {
    let validate = this.compiled.get(key);
    if (!validate) {
      const definitions: Record<string, unknown> = {};
      const pending = [...refsIn(schema)];
      while (pending.length > 0) {
        const ref = pending.pop()!;
        if (ref in definitions) continue;
        const component = this.description.components.schemas[ref];
        if (!component) throw new Error(`GitHub's description has no schema ${ref}`);
        definitions[ref] = toJsonSchema(component);
        pending.push(...refsIn(component));
      }
      validate = ajv.compile({ ...(toJsonSchema(schema) as object), definitions });
      this.compiled.set(key, validate);
    }
    return validate;
  }

  private deref(value: unknown): unknown {
    const ref = isJson(value) && typeof value.$ref === 'string' ? value.$ref : undefined;
    if (!ref) return value;
    const [, section, name] = /^#\/components\/(\w+)\/(.+)$/.exec(ref) ?? [];
    return this.deref((this.description.components as Record<string, Record<string, unknown>>)[section!]?.[name!]);
  }
}

/**
 * The violations of one answer the emulator gave when driven directly (no server, no call log):
 * `path` under the API root, `requestBody` as sent.
 */
export function gitHubAnswerViolations(request: { method: string; path: string; requestBody?: unknown }, response: { status: number; body?: unknown }): GitHubViolation[] {
  // As it would go over the wire: JSON text parsed back.
  const responseBody = response.body === undefined ? undefined : (JSON.parse(JSON.stringify(response.body)) as unknown);
  return gitHubOpenApi().check({ ...request, query: {}, requestBody: request.requestBody, status: response.status, responseBody });
}

/** Every violation in the GitHub calls a sandbox recorded, one line each ('' when there are none). */
export function gitHubViolationReport(calls: SandboxCall[]): string {
  const api = gitHubOpenApi();
  return calls
    .flatMap((call) => api.checkCall(call).map((v) => `${call.operation} → ${call.status}: ${v.part} ${v.at || '(whole)'} ${v.message} [${v.operation}]`))
    .join('\n');
}

/**
 * Registers an afterEach that fails the test when a GitHub call it made (request or answer)
 * breaks GitHub's description. `sandbox` is read after the test; start it with recordExchanges.
 */
export function checkGitHubCallsAfterEach(sandbox: () => Sandbox | undefined): void {
  afterEach(() => {
    const current = sandbox();
    if (!current) return;
    const report = gitHubViolationReport(current.calls().github);
    if (report) throw new Error(`GitHub calls that break GitHub's OpenAPI description (@octokit/openapi):\n${report}`);
  });
}

/** A format that also takes "" (the field's declared default). */
const orEmpty = (format: string) => `${format} (or empty)`;

function newAjv(coerceTypes: boolean): Ajv {
  // allowUnionTypes: nullable becomes type [T, "null"]; strictTypes off: GitHub writes
  // `properties` without `type: object` in places, which is valid JSON Schema.
  const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false, allowUnionTypes: true, coerceTypes });
  addFormats(ajv);
  // Formats GitHub names that JSON Schema has no validator for; annotations only.
  for (const format of ['repo.nwo', 'binary', 'timestamp']) ajv.addFormat(format, true);
  for (const format of ['uri', 'uri-template', 'email', 'date-time', 'date']) {
    const valid = ajv.compile({ type: 'string', format });
    ajv.addFormat(orEmpty(format), (text: string) => text === '' || valid(text));
  }
  return ajv;
}

function toJsonSchema(schema: unknown): unknown {
  const converted = openapiSchemaToJsonSchema(withRefsToDefinitions(schema) as Json, {
    beforeTransform: (s) => {
      const node = s as Json;
      // `nullable` without `type` beside a composition: GitHub means "or null".
      if (node.nullable === true && node.type === undefined && (node.allOf || node.oneOf || node.anyOf)) {
        const { nullable: _nullable, ...rest } = node;
        return { anyOf: [rest, { type: 'null' }] };
      }
      // A formatted string whose declared default is "" (a deployment status's target_url,
      // log_url, environment_url): GitHub answers "" when it was not given, and says so.
      if (typeof node.format === 'string' && node.default === '') return { ...node, format: orEmpty(node.format) };
      return node;
    },
    afterTransform: (s) => {
      // Vendor extensions (x-github, x-multi-segment, …) are not JSON Schema keywords.
      for (const key of Object.keys(s)) if (key.startsWith('x-')) delete (s as Json)[key];
      return s as never;
    },
  }) as Json;
  delete converted.$schema;
  return converted;
}

function withRefsToDefinitions(schema: unknown): unknown {
  return JSON.parse(JSON.stringify(schema), (key, value: unknown) =>
    key === '$ref' && typeof value === 'string' ? value.replace(/^#\/components\/schemas\//, '#/definitions/') : value,
  ) as unknown;
}

function refsIn(schema: unknown): string[] {
  const refs: string[] = [];
  JSON.stringify(schema, (key, value: unknown) => {
    if (key === '$ref' && typeof value === 'string') {
      const name = /^#\/components\/schemas\/(.+)$/.exec(value)?.[1];
      if (name) refs.push(name);
    }
    return value;
  });
  return refs;
}

function problemOf(e: ErrorObject): string {
  const params = e.params as { additionalProperty?: string; allowedValues?: unknown };
  if (e.keyword === 'additionalProperties') return `has ${params.additionalProperty ?? '?'}, which the schema does not allow`;
  if (e.keyword === 'enum') return `${e.message ?? 'enum'} ${JSON.stringify(params.allowedValues)}`;
  return e.message ?? e.keyword;
}

function isJson(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isEmptyObject(value: unknown): boolean {
  return isJson(value) && Object.keys(value).length === 0;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
