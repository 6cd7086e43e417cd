/**
 * ECS's error vocabulary. The SDK turns `__type` into an exception class of the same name,
 * so these strings must be exactly the ones ECS uses.
 */
import type { z } from 'zod';

export const EcsErrorType = {
  clusterNotFound: 'ClusterNotFoundException',
  serviceNotFound: 'ServiceNotFoundException',
  serviceNotActive: 'ServiceNotActiveException',
  invalidParameter: 'InvalidParameterException',
  client: 'ClientException',
  unknownOperation: 'UnknownOperationException',
  serialization: 'SerializationException',
  serviceDeploymentNotFound: 'ServiceDeploymentNotFoundException',
  conflict: 'ConflictException',
} as const;
export type EcsErrorType = (typeof EcsErrorType)[keyof typeof EcsErrorType];

/** Thrown by emulator operations; the wire layer answers it as HTTP 400 `{__type, message}`. */
export class EcsError extends Error {
  constructor(
    readonly type: EcsErrorType,
    message: string,
  ) {
    super(message);
    this.name = type;
  }
}

/** Validates an operation's input, answering a mismatch the way ECS does (naming the field). */
export function parseInput<T>(schema: z.ZodType<T>, input: unknown, type: EcsErrorType = EcsErrorType.invalidParameter): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  throw new EcsError(type, `${where}${issue?.message ?? 'invalid input'}`);
}
