/**
 * Task definition families and their revisions. Registering always makes a new revision (ECS
 * has no idempotency token here), which is exactly what callers must guard against.
 */
import { z } from 'zod';
import { epochSeconds, parseTaskDefinitionRef, taskDefinitionArn } from './arns';
import { EcsError, EcsErrorType, parseInput } from './api-errors';

export interface EcsTag {
  key: string;
  value?: string;
}

export interface StoredTaskDefinition {
  family: string;
  revision: number;
  arn: string;
  status: 'ACTIVE' | 'INACTIVE';
  registeredAtMs: number;
  /** The registration input minus tags, echoed back on describe. */
  definition: Record<string, unknown>;
  containers: { name: string; image: string }[];
  tags: EcsTag[];
}

const containerSchema = z.looseObject({
  name: z.string().min(1, 'Container.name should not be null or empty.'),
  image: z.string().min(1, 'Container.image should not be null or empty.'),
});

const registerSchema = z.looseObject({
  family: z.string().regex(/^[A-Za-z0-9_-]{1,255}$/, 'Family must be 1-255 letters, numbers, hyphens or underscores.'),
  containerDefinitions: z.array(containerSchema).min(1, 'TaskDefinition must contain at least one container definition.'),
  tags: z.array(z.object({ key: z.string().min(1), value: z.string().optional() })).optional(),
});

const listSchema = z.looseObject({
  familyPrefix: z.string().optional(),
  status: z.enum(['ACTIVE', 'INACTIVE', 'DELETE_IN_PROGRESS']).optional(),
  sort: z.enum(['ASC', 'DESC']).optional(),
  maxResults: z.number().int().min(1).max(100).optional(),
  nextToken: z.string().optional(),
});

/** Fields ECS sets itself; a caller that echoes them back (a copied definition) must not override ours. */
const SERVER_FIELDS = ['taskDefinitionArn', 'revision', 'status', 'requiresAttributes', 'compatibilities', 'registeredAt', 'registeredBy', 'deregisteredAt', 'tags'];

export class TaskDefinitionRegistry {
  private readonly families = new Map<string, StoredTaskDefinition[]>();

  register(input: unknown, nowMs: number): StoredTaskDefinition {
    const parsed = parseInput(registerSchema, input, EcsErrorType.client);
    const definition: Record<string, unknown> = { ...parsed };
    for (const field of SERVER_FIELDS) delete definition[field];
    const revisions = this.families.get(parsed.family) ?? [];
    const revision = revisions.length + 1;
    const stored: StoredTaskDefinition = {
      family: parsed.family,
      revision,
      arn: taskDefinitionArn(parsed.family, revision),
      status: 'ACTIVE',
      registeredAtMs: nowMs,
      definition,
      containers: parsed.containerDefinitions.map((c) => ({ name: c.name, image: c.image })),
      tags: parsed.tags ?? [],
    };
    revisions.push(stored);
    this.families.set(parsed.family, revisions);
    return stored;
  }

  /** `family` alone means its latest ACTIVE revision, as in ECS. */
  find(ref: string): StoredTaskDefinition | undefined {
    const parsed = parseTaskDefinitionRef(ref);
    if (!parsed) return undefined;
    const revisions = this.families.get(parsed.family) ?? [];
    if (parsed.revision !== undefined) return revisions[parsed.revision - 1];
    return revisions.filter((td) => td.status === 'ACTIVE').at(-1);
  }

  /** Like `find`, answering a miss with ECS's own error for DescribeTaskDefinition. */
  resolve(ref: string): StoredTaskDefinition {
    const td = this.find(ref);
    if (!td) throw new EcsError(EcsErrorType.client, 'Unable to describe task definition.');
    return td;
  }

  /** ListTaskDefinitions: `familyPrefix` is, despite its name, an exact family in ECS. Paged by offset. */
  list(input: unknown): { taskDefinitionArns: string[]; nextToken?: string } {
    const q = parseInput(listSchema, input);
    const status = q.status ?? 'ACTIVE';
    let all = [...this.families.values()]
      .flat()
      .filter((td) => td.status === status && (q.familyPrefix === undefined || td.family === q.familyPrefix))
      .sort((a, b) => a.family.localeCompare(b.family) || a.revision - b.revision);
    if (q.sort === 'DESC') all = all.reverse();
    const start = q.nextToken === undefined ? 0 : Number(q.nextToken);
    if (!Number.isInteger(start) || start < 0) throw new EcsError(EcsErrorType.invalidParameter, 'Invalid nextToken.');
    const size = q.maxResults ?? 100;
    const page = all.slice(start, start + size);
    const next = start + size < all.length ? String(start + size) : undefined;
    return { taskDefinitionArns: page.map((td) => td.arn), ...(next ? { nextToken: next } : {}) };
  }

  all(): StoredTaskDefinition[] {
    return [...this.families.values()].flat();
  }
}

/** The `taskDefinition` object of DescribeTaskDefinition / RegisterTaskDefinition responses. */
export function taskDefinitionToWire(td: StoredTaskDefinition): Record<string, unknown> {
  const requires = td.definition.requiresCompatibilities;
  return {
    ...td.definition,
    taskDefinitionArn: td.arn,
    family: td.family,
    revision: td.revision,
    status: td.status,
    requiresAttributes: [],
    compatibilities: Array.isArray(requires) && requires.length > 0 ? requires : ['EC2', 'FARGATE'],
    registeredAt: epochSeconds(td.registeredAtMs),
    registeredBy: 'arn:aws:iam::000000000000:role/runway-sandbox',
  };
}
