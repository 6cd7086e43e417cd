/**
 * The ECS part of the scenario: what an image's tasks do once deployed, how one-off
 * (migration) tasks end, and injected faults. Kept apart from scenario.ts so the wire
 * vocabulary of behaviours and faults lives in one place.
 */
import { z } from 'zod';

/**
 * Wire form of a behaviour, as set in `images`:
 * - healthy / unhealthy: tasks run; unhealthy ones answer their health endpoint with 503.
 * - crash: tasks exit as they start; the rollout fails through the circuit breaker.
 * - crash-after:<seconds>: the rollout completes, then every task exits after that long and
 *   ECS keeps replacing them (a crash loop that only analysis of stopped tasks notices).
 * - never-stable: one task can never be placed, so the rollout stays IN_PROGRESS forever.
 */
export type ImageBehaviour = 'healthy' | 'unhealthy' | 'crash' | 'never-stable' | `crash-after:${number}`;

/** What the health endpoint sees of a running task; crash-after and never-stable tasks answer fine while they run. */
export type HealthBehaviour = 'healthy' | 'unhealthy' | 'crash';

const CRASH_AFTER = /^crash-after:(\d+(?:\.\d+)?)$/;
/** A day: longer is indistinguishable from healthy for any test or demo. */
const MAX_CRASH_AFTER_SECONDS = 86_400;

/** Milliseconds a crash-after task runs before it exits, or undefined for any other behaviour. */
export function crashAfterMs(behaviour: string): number | undefined {
  const match = CRASH_AFTER.exec(behaviour);
  return match ? Number(match[1]) * 1000 : undefined;
}

export function isImageBehaviour(value: unknown): value is ImageBehaviour {
  if (typeof value !== 'string') return false;
  if (['healthy', 'unhealthy', 'crash', 'never-stable'].includes(value)) return true;
  const ms = crashAfterMs(value);
  return ms !== undefined && ms > 0 && ms <= MAX_CRASH_AFTER_SECONDS * 1000;
}

export const imageBehaviourSchema = z.custom<ImageBehaviour>(isImageBehaviour, {
  message: `expected healthy, unhealthy, crash, never-stable or crash-after:<seconds> (0 < seconds <= ${MAX_CRASH_AFTER_SECONDS})`,
});

/**
 * Orders behaviours from harmless to worst; when a task has several containers the worst one
 * decides what the task does (an essential container that crashes brings the whole task down).
 */
function severity(b: ImageBehaviour): [number, number] {
  const ms = crashAfterMs(b);
  // Among crash-after behaviours, crashing sooner is worse.
  if (ms !== undefined) return [3, -ms];
  return [{ healthy: 0, unhealthy: 1, 'never-stable': 2, crash: 4 }[b as 'healthy' | 'unhealthy' | 'never-stable' | 'crash'], 0];
}

function worse(a: ImageBehaviour, b: ImageBehaviour): boolean {
  const [ra, sa] = severity(a);
  const [rb, sb] = severity(b);
  return ra > rb || (ra === rb && sa > sb);
}

export function worstBehaviour(behaviours: ImageBehaviour[]): ImageBehaviour {
  return behaviours.reduce<ImageBehaviour>((worst, b) => (worse(b, worst) ? b : worst), 'healthy');
}

export function healthOf(b: ImageBehaviour): HealthBehaviour {
  return b === 'crash' || b === 'unhealthy' ? b : 'healthy';
}

/** How a RunTask task ends. `exitCode: null` is a task that never ran (no exit code, as when an image cannot be pulled). */
export const migrationOutcomeSchema = z
  .object({
    exitCode: z.number().int().min(0).max(255).nullable().optional(),
    durationMs: z.number().int().min(0).max(3_600_000).optional(),
  })
  .strict();
/** Defaults are applied when a task starts rather than in the schema, so a patch may leave either field out. */
export type MigrationOutcome = z.infer<typeof migrationOutcomeSchema>;
export const DEFAULT_MIGRATION_OUTCOME = { exitCode: 0, durationMs: 500 } as const;

/** The SDK's own retry handles these; counts are consumed by matching calls so a test can script "fail twice, then work". */
export const ecsFaultsSchema = z
  .object({
    /** The next `count` calls (of `operations`, or of any operation) answer 400 ThrottlingException. */
    throttle: z.object({ operations: z.array(z.string().min(1)).optional(), count: z.number().int().min(0).max(10_000) }).strict().optional(),
    /** Added to every ECS answer. Needs the server to honour `delayMs` on responses (see ecs-wire.ts). */
    latencyMs: z.number().int().min(0).max(60_000).optional(),
    /** The next `count` calls of `operation` answer with a 5xx. */
    failNext: z.object({ operation: z.string().min(1), status: z.union([z.literal(500), z.literal(503)]), count: z.number().int().min(0).max(10_000) }).strict().optional(),
  })
  .strict();
export type EcsFaults = z.infer<typeof ecsFaultsSchema>;

export type EcsFault = { kind: 'throttle' } | { kind: 'server-error'; status: 500 | 503 };

/**
 * The fault the next call of `operation` gets, and the faults left after it. A 5xx scripted for
 * one operation goes before a general throttle so both can be combined predictably.
 */
export function takeEcsFault(faults: EcsFaults, operation: string): { fault?: EcsFault; remaining: EcsFaults } {
  const { failNext, throttle } = faults;
  if (failNext && failNext.count > 0 && failNext.operation === operation) {
    const count = failNext.count - 1;
    const { failNext: _used, ...rest } = faults;
    return { fault: { kind: 'server-error', status: failNext.status }, remaining: count > 0 ? { ...rest, failNext: { ...failNext, count } } : rest };
  }
  if (throttle && throttle.count > 0 && (!throttle.operations || throttle.operations.includes(operation))) {
    const count = throttle.count - 1;
    const { throttle: _used, ...rest } = faults;
    return { fault: { kind: 'throttle' }, remaining: count > 0 ? { ...rest, throttle: { ...throttle, count } } : rest };
  }
  return { remaining: faults };
}
