import { ECSClient } from '@aws-sdk/client-ecs';

/**
 * The ECS client with AWS's own configuration chain: region and credentials from the
 * environment or profile, and the endpoint from `AWS_ENDPOINT_URL_ECS` or the profile's
 * `services` section in the shared config file (the sandbox, a VPC endpoint) — else AWS's own.
 * The SDK retries throttling and 5xx itself (standard mode); Temporal retries what is left.
 */
export function createEcsClient(): ECSClient {
  return new ECSClient({ maxAttempts: 4 });
}
