/**
 * ARNs in the shapes ECS uses, for one fixed fake account and region. Callers may name
 * clusters, services and task definitions by ARN or by name, as with the real API.
 */

export const SANDBOX_ACCOUNT = '000000000000';
export const SANDBOX_REGION = 'us-east-1';
const PREFIX = `arn:aws:ecs:${SANDBOX_REGION}:${SANDBOX_ACCOUNT}:`;

export function clusterArn(cluster: string): string {
  return `${PREFIX}cluster/${cluster}`;
}

export function serviceArn(cluster: string, service: string): string {
  return `${PREFIX}service/${cluster}/${service}`;
}

export function taskDefinitionArn(family: string, revision: number): string {
  return `${PREFIX}task-definition/${family}:${revision}`;
}

/** The long ARN format, which carries the cluster. */
export function taskArn(cluster: string, id: string): string {
  return `${PREFIX}task/${cluster}/${id}`;
}

/** The task id of a task ARN (either ARN format) or of a bare id. */
export function taskIdOf(ref: string): string {
  const res = resource(ref);
  return res?.startsWith('task/') ? (res.split('/').at(-1) ?? ref) : ref;
}

/** Any ECS ARN's resource part (after the last ':' of the prefix), or undefined for a plain name. */
function resource(ref: string): string | undefined {
  if (!ref.startsWith('arn:')) return undefined;
  const parts = ref.split(':');
  return parts.length >= 6 ? parts.slice(5).join(':') : undefined;
}

/** "default" when absent, as in ECS. */
export function clusterName(ref: string | undefined): string {
  if (ref === undefined || ref === '') return 'default';
  const res = resource(ref);
  return res?.startsWith('cluster/') ? res.slice('cluster/'.length) : ref;
}

/** A service name, and the cluster when the ARN is the long format that carries it. */
export function parseServiceRef(ref: string): { cluster?: string; service: string } {
  const res = resource(ref);
  if (!res?.startsWith('service/')) return { service: ref };
  const path = res.slice('service/'.length).split('/');
  return path.length >= 2 ? { cluster: path[0], service: path.slice(1).join('/') } : { service: path[0] ?? ref };
}

/** `family`, `family:revision` or a full ARN, as DescribeTaskDefinition and UpdateService accept. */
export function parseTaskDefinitionRef(ref: string): { family: string; revision?: number } | undefined {
  const res = resource(ref);
  const text = res ? (res.startsWith('task-definition/') ? res.slice('task-definition/'.length) : undefined) : ref;
  if (!text) return undefined;
  const match = /^([A-Za-z0-9_-]{1,255})(?::(\d+))?$/.exec(text);
  if (!match) return undefined;
  return { family: match[1]!, revision: match[2] === undefined ? undefined : Number(match[2]) };
}

/** ECS's wire format for timestamps: epoch seconds, fractional. */
export function epochSeconds(ms: number): number {
  return ms / 1000;
}
