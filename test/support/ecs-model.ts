/**
 * ECS calls held to the official ECS API model (botocore's service-2.json, see
 * ecs-model-source.ts): a request must be what the operation's input shape allows, a 200 answer
 * what its output shape describes, and an error answer one of the operation's modelled errors
 * (or an error every AWS JSON API may send), with the error's own shape.
 *
 * Checked: structures (no member the shape lacks, every `required` member present, a union with
 * exactly one member set), types (string, integer and long as whole numbers, double, boolean,
 * timestamps as epoch seconds — the awsJson1_1 wire format —, lists, maps), `enum` values, and
 * `min`/`max` lengths and ranges. `null` is refused: ECS leaves absent members out.
 */
import type { SandboxCall } from '../../src/sandbox';
import { EcsError } from '../../src/sandbox/ecs/api-errors';
import type { EcsEmulator } from '../../src/sandbox/ecs/emulator';
import { BOTOCORE_VERSION, ensureEcsModel, readEcsModelFile } from './ecs-model-source';

interface MemberRef {
  shape: string;
}

interface Shape {
  type: 'structure' | 'list' | 'map' | 'string' | 'integer' | 'long' | 'double' | 'float' | 'boolean' | 'timestamp' | 'blob';
  members?: Record<string, MemberRef>;
  required?: string[];
  member?: MemberRef;
  key?: MemberRef;
  value?: MemberRef;
  enum?: string[];
  min?: number;
  max?: number;
  pattern?: string;
  union?: boolean;
  document?: boolean;
  exception?: boolean;
  fault?: boolean;
}

interface Operation {
  name: string;
  input?: MemberRef;
  output?: MemberRef;
  errors?: MemberRef[];
}

interface ServiceModel {
  metadata: { protocol: string; targetPrefix: string; apiVersion: string };
  operations: Record<string, Operation>;
  shapes: Record<string, Shape>;
}

export interface ModelViolation {
  /** e.g. `DescribeServices output: services[0].deployments[0].rolloutState`. */
  where: string;
  problem: string;
}

/**
 * Errors any AWS JSON API may answer without its model listing them: the "Common Errors" of the
 * AWS API references (status class 4xx or 5xx as documented there), plus the awsJson1_1 front
 * end's own SerializationException (a body that is not the operation's JSON) and
 * UnknownOperationException (an X-Amz-Target the service does not have). Their body is
 * `{__type, message}`.
 */
const COMMON_ERRORS: Record<string, 4 | 5> = {
  AccessDeniedException: 4,
  IncompleteSignature: 4,
  InternalFailure: 5,
  InvalidAction: 4,
  InvalidClientTokenId: 4,
  NotAuthorized: 4,
  OptInRequired: 4,
  RequestExpired: 4,
  ServiceUnavailable: 5,
  ThrottlingException: 4,
  ValidationError: 4,
  SerializationException: 4,
  UnknownOperationException: 4,
};

const INT32 = { min: -(2 ** 31), max: 2 ** 31 - 1 };

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  const text = JSON.stringify(value);
  return `${typeof value} ${text && text.length > 60 ? `${text.slice(0, 57)}...` : text}`;
}

export class EcsModel {
  constructor(private readonly model: ServiceModel) {
    if (model.metadata?.protocol !== 'json' || !model.operations || !model.shapes) throw new Error('not an AWS JSON service model');
  }

  operation(name: string): Operation | undefined {
    return Object.hasOwn(this.model.operations, name) ? this.model.operations[name] : undefined;
  }

  /** Violations of the operation's input shape by a request body. */
  checkInput(operation: string, body: unknown): ModelViolation[] {
    const op = this.operation(operation);
    if (!op) return [{ where: operation, problem: 'is not an ECS operation' }];
    return this.checkTop(op.input?.shape, body, `${operation} input`);
  }

  /** Violations of the operation's output shape by a 200 answer's body. */
  checkOutput(operation: string, body: unknown): ModelViolation[] {
    const op = this.operation(operation);
    if (!op) return [{ where: operation, problem: 'is not an ECS operation' }];
    return this.checkTop(op.output?.shape, body, `${operation} output`);
  }

  /** Violations by an error answer: its `__type` must be one the operation may answer, with that error's shape and status class. */
  checkError(operation: string, status: number, body: unknown): ModelViolation[] {
    const where = `${operation} error`;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return [{ where, problem: `body is ${describeValue(body)}, not an object with __type` }];
    const { __type: rawType, ...rest } = body as Record<string, unknown>;
    if (typeof rawType !== 'string') return [{ where, problem: 'has no __type' }];
    // Clients accept `namespace#Name` and `Name:detail`; the name is what counts.
    const type = rawType.split('#').at(-1)!.split(':')[0]!;
    const statusClass = Math.floor(status / 100);
    const op = this.operation(operation);
    const modelled = op?.errors?.some((e) => e.shape === type) ?? false;
    if (modelled) {
      const shape = this.model.shapes[type]!;
      const expectedClass = shape.fault ? 5 : 4;
      const out: ModelViolation[] = statusClass === expectedClass ? [] : [{ where, problem: `${type} is a ${expectedClass}xx error in the model, answered with HTTP ${status}` }];
      this.check(type, rest, `${where} ${type}`, out);
      return out;
    }
    const common = COMMON_ERRORS[type];
    if (common === undefined) {
      const listed = op?.errors?.map((e) => e.shape).join(', ') ?? '(unknown operation)';
      return [{ where, problem: `__type ${type} is neither an error ${operation} may answer (${listed}) nor an AWS common error` }];
    }
    const out: ModelViolation[] = statusClass === common ? [] : [{ where, problem: `${type} is a ${common}xx error, answered with HTTP ${status}` }];
    for (const [name, value] of Object.entries(rest)) {
      if (name !== 'message' && name !== 'Message') out.push({ where: `${where} ${type}.${name}`, problem: 'is not a member of a common error (__type, message)' });
      else if (typeof value !== 'string') out.push({ where: `${where} ${type}.${name}`, problem: `is ${describeValue(value)}, not a string` });
    }
    return out;
  }

  /** Every violation in one recorded call: its request, and its answer by status. */
  checkCall(call: { operation: string; request: unknown; status: number; exchange?: { responseBody: unknown } }): ModelViolation[] {
    const request = this.checkInput(call.operation, call.request);
    if (!call.exchange) return [...request, { where: `${call.operation} (HTTP ${call.status})`, problem: 'has no recorded answer: start the sandbox with recordExchanges: true' }];
    const body = call.exchange.responseBody;
    const answer = call.status === 200 ? this.checkOutput(call.operation, body) : this.checkError(call.operation, call.status, body);
    return [...request, ...answer];
  }

  private checkTop(shapeName: string | undefined, body: unknown, where: string): ModelViolation[] {
    const out: ModelViolation[] = [];
    // An operation without an input or output shape takes and answers an empty object.
    if (shapeName === undefined) {
      if (typeof body !== 'object' || body === null || Object.keys(body).length > 0) out.push({ where, problem: `should be {} (the operation has no such shape), is ${describeValue(body)}` });
      return out;
    }
    this.check(shapeName, body, where, out, true);
    return out;
  }

  private check(shapeName: string, value: unknown, where: string, out: ModelViolation[], top = false): void {
    const shape = this.model.shapes[shapeName];
    if (!shape) {
      out.push({ where, problem: `the model has no shape ${shapeName}` });
      return;
    }
    const fail = (problem: string): void => {
      out.push({ where, problem });
    };
    if (value === null) return fail(`is null (${shapeName}); ECS leaves absent members out`);
    if (shape.document) return;
    switch (shape.type) {
      case 'structure':
        return this.checkStructure(shapeName, shape, value, where, out, top);
      case 'list': {
        if (!Array.isArray(value)) return fail(`is ${describeValue(value)}, not a list (${shapeName})`);
        this.checkLength(shape, value.length, `${value.length} items`, fail);
        value.forEach((item, i) => this.check(shape.member!.shape, item, `${where}[${i}]`, out));
        return;
      }
      case 'map': {
        if (typeof value !== 'object' || Array.isArray(value)) return fail(`is ${describeValue(value)}, not a map (${shapeName})`);
        const entries = Object.entries(value as Record<string, unknown>);
        this.checkLength(shape, entries.length, `${entries.length} entries`, fail);
        for (const [k, v] of entries) {
          this.check(shape.key!.shape, k, `${where} key ${JSON.stringify(k)}`, out);
          this.check(shape.value!.shape, v, `${where}.${k}`, out);
        }
        return;
      }
      case 'string': {
        if (typeof value !== 'string') return fail(`is ${describeValue(value)}, not a string (${shapeName})`);
        if (shape.enum && !shape.enum.includes(value)) return fail(`is ${JSON.stringify(value)}, not one of ${shapeName}'s values: ${shape.enum.join(', ')}`);
        this.checkLength(shape, [...value].length, `${[...value].length} characters long`, fail);
        // Smithy patterns are not implicitly anchored: the value must contain a match.
        if (shape.pattern && !new RegExp(shape.pattern, 'u').test(value)) fail(`${JSON.stringify(value)} does not match ${shapeName}'s pattern ${shape.pattern}`);
        return;
      }
      case 'integer':
      case 'long': {
        if (typeof value !== 'number' || !Number.isInteger(value)) return fail(`is ${describeValue(value)}, not a whole number (${shape.type} ${shapeName})`);
        if (shape.type === 'integer' && (value < INT32.min || value > INT32.max)) return fail(`${value} does not fit a 32-bit integer (${shapeName})`);
        this.checkRange(shape, value, fail);
        return;
      }
      case 'double':
      case 'float':
        if (typeof value !== 'number' || !Number.isFinite(value)) return fail(`is ${describeValue(value)}, not a number (${shapeName})`);
        this.checkRange(shape, value, fail);
        return;
      case 'boolean':
        if (typeof value !== 'boolean') fail(`is ${describeValue(value)}, not a boolean (${shapeName})`);
        return;
      case 'timestamp':
        // awsJson1_1 sends timestamps as epoch seconds (a number, fractions allowed).
        if (typeof value !== 'number' || !Number.isFinite(value)) fail(`is ${describeValue(value)}, not epoch seconds (timestamp ${shapeName})`);
        return;
      case 'blob':
        if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) fail(`is ${describeValue(value)}, not base64 (blob ${shapeName})`);
        return;
      default:
        fail(`has a shape type this check does not know: ${String((shape as { type: unknown }).type)}`);
    }
  }

  private checkStructure(shapeName: string, shape: Shape, value: unknown, where: string, out: ModelViolation[], top: boolean): void {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      out.push({ where, problem: `is ${describeValue(value)}, not a structure (${shapeName})` });
      return;
    }
    const record = value as Record<string, unknown>;
    const members = shape.members ?? {};
    const at = (name: string) => (top ? `${where}: ${name}` : `${where}.${name}`);
    for (const name of shape.required ?? []) {
      if (record[name] === undefined) out.push({ where: at(name), problem: `is required by ${shapeName} and missing` });
    }
    const set = Object.keys(record).filter((name) => record[name] !== undefined);
    if (shape.union && set.length !== 1) out.push({ where, problem: `is a union (${shapeName}): exactly one member must be set, found ${set.length}` });
    for (const name of set) {
      const member = Object.hasOwn(members, name) ? members[name] : undefined;
      if (!member) out.push({ where: at(name), problem: `is not a member of ${shapeName}` });
      else this.check(member.shape, record[name], at(name), out);
    }
  }

  private checkLength(shape: Shape, length: number, what: string, fail: (problem: string) => void): void {
    if (shape.min !== undefined && length < shape.min) fail(`is ${what}, fewer than the model's minimum ${shape.min}`);
    if (shape.max !== undefined && length > shape.max) fail(`is ${what}, more than the model's maximum ${shape.max}`);
  }

  private checkRange(shape: Shape, value: number, fail: (problem: string) => void): void {
    if (shape.min !== undefined && value < shape.min) fail(`${value} is below the model's minimum ${shape.min}`);
    if (shape.max !== undefined && value > shape.max) fail(`${value} is above the model's maximum ${shape.max}`);
  }
}

let loaded: EcsModel | undefined;

/** The official ECS model (fetched into the per-user cache on first use), parsed once per process. */
export function ecsModel(): EcsModel {
  loaded ??= new EcsModel(readEcsModelFile(ensureEcsModel({ log: (line) => process.stderr.write(`${line}\n`) })) as ServiceModel);
  return loaded;
}

export function formatViolations(violations: { where: string; problem: string }[]): string {
  return violations.map((v) => `  - ${v.where} ${v.problem}`).join('\n');
}

/**
 * Fails (throws) when any recorded ECS call breaks the model, listing every violation with the
 * call it came from. `allowRefusedRequests` exempts requests a test made malformed on purpose,
 * provided the emulator refused them (4xx) as ECS would: their answers are still checked.
 */
export function expectEcsCallsToFollowModel(calls: readonly SandboxCall[], options: { allowRefusedRequests?: boolean } = {}): void {
  const model = ecsModel();
  const lines: string[] = [];
  for (const call of calls) {
    let violations = model.checkCall(call);
    if (options.allowRefusedRequests && call.status >= 400 && call.status < 500) violations = violations.filter((v) => !v.where.startsWith(`${call.operation} input`));
    if (violations.length > 0) lines.push(`call #${call.seq} ${call.operation} → HTTP ${call.status}:\n${formatViolations(violations)}`);
  }
  if (lines.length > 0) throw new Error(`ECS calls that break the ECS API model (botocore ${BOTOCORE_VERSION}):\n${lines.join('\n')}`);
}

/** The JSON an answer becomes on the wire (undefined members dropped), as sendJson writes it. */
function asSent(body: unknown): unknown {
  return body === undefined ? undefined : (JSON.parse(JSON.stringify(body)) as unknown);
}

/**
 * The ECS emulator with every operation held to the model as it is called, for tests that drive
 * it directly (no HTTP, so no call log): a call whose request or answer breaks the model throws
 * at once. An EcsError thrown by the emulator is checked as the HTTP 400 error wire.ts makes of it.
 */
export function modelChecked(emulator: EcsEmulator): EcsEmulator {
  const model = ecsModel();
  return new Proxy(emulator, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof property !== 'string' || typeof value !== 'function') return value;
      const operation = property.charAt(0).toUpperCase() + property.slice(1);
      if (!model.operation(operation)) return value;
      return (input: unknown) => {
        let outcome: { status: number; body: unknown; thrown?: unknown };
        try {
          outcome = { status: 200, body: (value as (input: unknown) => unknown).call(target, input) };
        } catch (err) {
          if (!(err instanceof EcsError)) throw err;
          outcome = { status: 400, body: { __type: err.type, message: err.message }, thrown: err };
        }
        const violations = model.checkCall({ operation, request: asSent(input), status: outcome.status, exchange: { responseBody: asSent(outcome.body) } });
        if (violations.length > 0) throw new Error(`${operation} breaks the ECS API model (botocore ${BOTOCORE_VERSION}):\n${formatViolations(violations)}`);
        if (outcome.thrown) throw outcome.thrown;
        return outcome.body;
      };
    },
  });
}
