/**
 * Task definitions as Runway copies and compares them: what RegisterTaskDefinition would be given
 * to recreate one, and a canonical form so two definitions ECS would run alike compare equal.
 * Pure; used by the ECS activities to reuse an identical revision instead of registering again.
 */
import type { ContainerDefinition, RegisterTaskDefinitionCommandInput, TaskDefinition } from '@aws-sdk/client-ecs';

/** Fields DescribeTaskDefinition returns that RegisterTaskDefinition refuses (checked against the ECS API model in test/sandbox). */
export const READ_ONLY_FIELDS = [
  'taskDefinitionArn',
  'revision',
  'status',
  'requiresAttributes',
  'compatibilities',
  'registeredAt',
  'registeredBy',
  'deregisteredAt',
  // Set while ECS deletes a revision; a copy carrying it would never compare equal to what ECS answers.
  'deleteRequestedAt',
] as const;

export function containerImage(td: TaskDefinition, container: string): string | undefined {
  return td.containerDefinitions?.find((c: ContainerDefinition) => c.name === container)?.image;
}

function withoutEmpty<T extends object>(value: T): T {
  return Object.fromEntries(
    Object.entries(value).filter(([, v]) => v !== null && v !== undefined && !(Array.isArray(v) && v.length === 0)),
  ) as T;
}

/**
 * What RegisterTaskDefinition would be given to recreate `td`: read-only fields and empty
 * top-level values dropped, tags (from `include: ['TAGS']`) attached.
 */
export function registrableCopy(td: TaskDefinition, tags: RegisterTaskDefinitionCommandInput['tags']): Record<string, unknown> {
  const copy = withoutEmpty({ ...td }) as Record<string, unknown>;
  for (const field of READ_ONLY_FIELDS) delete copy[field];
  if (tags && tags.length > 0) copy.tags = tags;
  return copy;
}

/** The name (environment, secrets, containers, volumes) or key (tags) a list item is known by. */
function itemName(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const { name, key } = value as { name?: unknown; key?: unknown };
  return typeof name === 'string' ? name : typeof key === 'string' ? key : undefined;
}

/**
 * A canonical form of task definition content, so two definitions ECS would run alike compare
 * equal whatever order ECS echoed them in: object keys sorted; null, empty strings, empty lists
 * and empty objects dropped (ECS omits or fills them inconsistently); lists of named items
 * (environment, secrets, containers, tags) sorted by name. Other lists (command, entryPoint)
 * keep their order, which matters. `false` and `0` are kept: `essential: false` is not the default.
 */
export function canonical(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) {
    const items = value.map(canonical).filter((v) => v !== undefined);
    if (items.length === 0) return undefined;
    const names = items.map(itemName);
    if (names.every((n) => n !== undefined)) {
      return items.map((v, i) => [names[i]!, v] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
    }
    return items;
  }
  if (typeof value === 'object' && value !== null) {
    const entries = Object.keys(value)
      .sort()
      .map((k) => [k, canonical((value as Record<string, unknown>)[k])] as const)
      .filter(([, v]) => v !== undefined);
    return entries.length === 0 ? undefined : Object.fromEntries(entries);
  }
  return value === null || value === undefined || value === '' ? undefined : value;
}

export function canonicalJson(value: unknown): string {
  return JSON.stringify(canonical(value) ?? null);
}
