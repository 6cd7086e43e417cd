/**
 * The ECS JSON 1.1 protocol: `POST /` with `X-Amz-Target: AmazonEC2ContainerServiceV20141113.<Operation>`,
 * JSON in and out, errors as HTTP 400 `{__type, message}`. The SigV4 signature is not checked:
 * the sandbox accepts any credentials, which is what lets real clients reach it unchanged.
 * Scripted faults (throttling, 5xx, access denied) answer before the operation runs, as a real
 * front end refuses a call; injected latency and a held answer delay the answer after it ran,
 * so a slow answer can still carry a change the client (or its dead worker) never learns of.
 */
import { randomUUID } from 'node:crypto';
import type { EcsEmulator } from './emulator';
import { EcsError, EcsErrorType } from './api-errors';
import { BadJsonError, parseJsonBody, type SandboxRequest, type SandboxResponse } from '../http/route';

export const ECS_TARGET_PREFIX = 'AmazonEC2ContainerServiceV20141113.';
const CONTENT_TYPE = 'application/x-amz-json-1.1';

type Operation = (ecs: EcsEmulator, input: unknown) => Record<string, unknown>;

const OPERATIONS: Record<string, Operation> = {
  DescribeServices: (ecs, input) => ecs.describeServices(input),
  DescribeTaskDefinition: (ecs, input) => ecs.describeTaskDefinition(input),
  RegisterTaskDefinition: (ecs, input) => ecs.registerTaskDefinition(input),
  UpdateService: (ecs, input) => ecs.updateService(input),
  ListTaskDefinitions: (ecs, input) => ecs.listTaskDefinitions(input),
  ListTasks: (ecs, input) => ecs.listTasks(input),
  DescribeTasks: (ecs, input) => ecs.describeTasks(input),
  RunTask: (ecs, input) => ecs.runTask(input),
  ListServiceDeployments: (ecs, input) => ecs.serviceDeployments.listServiceDeployments(input),
  DescribeServiceDeployments: (ecs, input) => ecs.serviceDeployments.describeServiceDeployments(input),
  ContinueServiceDeployment: (ecs, input) => ecs.serviceDeployments.continueServiceDeployment(input),
  StopServiceDeployment: (ecs, input) => ecs.serviceDeployments.stopServiceDeployment(input),
  DescribeServiceRevisions: (ecs, input) => ecs.serviceDeployments.describeServiceRevisions(input),
};

/**
 * The `__type` of each scripted 5xx; the SDK retries on the status whatever the type. 500 is
 * ECS's modelled ServerException; 503 is AWS's common ServiceUnavailable (ECS's model has no 503
 * error of its own, and no "ServiceUnavailableException").
 */
const SERVER_ERROR_TYPES = { 500: 'ServerException', 503: 'ServiceUnavailable' } as const;

/** The operation name from the target header; the raw header (or a stand-in name) when it is not ECS's. */
function operationName(target: string | undefined): string {
  if (!target) return '(no X-Amz-Target)';
  return target.startsWith(ECS_TARGET_PREFIX) ? target.slice(ECS_TARGET_PREFIX.length) : target;
}

function answer(status: number, body: Record<string, unknown>, operation: string, request: unknown, errorType?: string): SandboxResponse {
  return {
    status,
    body,
    headers: {
      'content-type': CONTENT_TYPE,
      'x-amzn-requestid': randomUUID(),
      ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
    },
    call: { system: 'ecs', operation, request },
  };
}

function failure(type: string, message: string, operation: string, request: unknown, status = 400): SandboxResponse {
  return answer(status, { __type: type, message }, operation, request, type);
}

export function handleEcsRequest(ecs: EcsEmulator, req: SandboxRequest): SandboxResponse | Promise<SandboxResponse> {
  const response = answerEcsRequest(ecs, req);
  // A held answer is for a call that took effect: refused calls changed nothing worth holding.
  const holdMs = response.status === 200 && response.call ? ecs.takeResponseHold(response.call.operation) : 0;
  const delayMs = ecs.latencyMs + holdMs;
  if (delayMs <= 0) return response;
  return new Promise((resolve) => setTimeout(() => resolve(response), delayMs));
}

function answerEcsRequest(ecs: EcsEmulator, req: SandboxRequest): SandboxResponse {
  const target = req.headers['x-amz-target'];
  const operation = operationName(target);
  let input: unknown;
  try {
    input = parseJsonBody(req.body);
  } catch (err) {
    if (!(err instanceof BadJsonError)) throw err;
    return failure(EcsErrorType.serialization, err.message, operation, { unparsedBody: req.body.slice(0, 500) });
  }
  const run = target?.startsWith(ECS_TARGET_PREFIX) ? OPERATIONS[operation] : undefined;
  if (!run) return failure(EcsErrorType.unknownOperation, `Unknown operation ${target ?? '(no X-Amz-Target header)'}`, operation, input);
  const fault = ecs.takeFault(operation);
  if (fault?.kind === 'throttle') return failure('ThrottlingException', 'Rate exceeded', operation, input);
  if (fault?.kind === 'access-denied') {
    // The wording of a real IAM refusal, naming the action, so callers can be checked for quoting it.
    const message = `User: arn:aws:sts::000000000000:assumed-role/runway-worker/sandbox is not authorized to perform: ecs:${operation} because no identity-based policy allows the ecs:${operation} action`;
    return failure('AccessDeniedException', message, operation, input);
  }
  if (fault?.kind === 'server-error') {
    return failure(SERVER_ERROR_TYPES[fault.status], 'Service is temporarily unavailable (scripted by the sandbox scenario).', operation, input, fault.status);
  }
  try {
    return answer(200, run(ecs, input), operation, input);
  } catch (err) {
    if (err instanceof EcsError) return failure(err.type, err.message, operation, input);
    throw err;
  }
}
