/**
 * The ECS part of the scenario: what an image's tasks do once deployed, how one-off
 * (migration) tasks end, and injected faults. Kept apart from scenario.ts so the wire
 * vocabulary of behaviours and faults lives in one place.
 */
import { z } from 'zod';
import { nativeDeploymentsSchema } from './native-faults';

/**
 * Wire form of a behaviour, as set in `images`:
 * - healthy / unhealthy: tasks run; unhealthy ones answer their health endpoint with 503.
 * - crash: tasks exit as they start (EssentialContainerExited, exit code 1). With the circuit
 *   breaker on the rollout fails (and rolls back when asked); with it off ECS keeps replacing
 *   them and the rollout stays IN_PROGRESS while failedTasks grows.
 * - fail-to-start: like crash, but the tasks never run: they stop with TaskFailedToStart and a
 *   CannotPullContainerError reason, and no exit code (an image that cannot be pulled).
 * - crash-after:<seconds>: the rollout completes, then every task exits after that long and
 *   ECS keeps replacing them (a crash loop that only analysis of stopped tasks notices).
 * - never-stable: one task can never be placed, so the rollout stays IN_PROGRESS forever.
 * - slow-start:<seconds>: the rollout completes like a healthy one, but the health endpoint answers
 *   503 ("starting") for that long after the deployment's tasks started, then 200 (a service
 *   warming up: caches, connection pools, a JIT).
 */
export type ImageBehaviour =
  | 'healthy'
  | 'unhealthy'
  | 'crash'
  | 'fail-to-start'
  | 'never-stable'
  | `crash-after:${number}`
  | `slow-start:${number}`;

/** Behaviours whose tasks stop as soon as ECS starts them, so a rollout never gets a running task. */
export function failsOnStart(b: ImageBehaviour): b is 'crash' | 'fail-to-start' {
  return b === 'crash' || b === 'fail-to-start';
}

/**
 * What the health endpoint sees of a running task; crash-after and never-stable tasks answer fine
 * while they run, slow-start ones only once warmed up.
 */
export type HealthBehaviour = 'healthy' | 'unhealthy' | 'crash' | `slow-start:${number}`;

const CRASH_AFTER = /^crash-after:(\d+(?:\.\d+)?)$/;
const SLOW_START = /^slow-start:(\d+(?:\.\d+)?)$/;
/** A day: longer is indistinguishable from healthy (crash-after) or unhealthy (slow-start) for any test or demo. */
const MAX_SECONDS = 86_400;

/** Milliseconds a crash-after task runs before it exits, or undefined for any other behaviour. */
export function crashAfterMs(behaviour: string): number | undefined {
  const match = CRASH_AFTER.exec(behaviour);
  return match ? Number(match[1]) * 1000 : undefined;
}

/** Milliseconds a slow-start task answers 503 after it started, or undefined for any other behaviour. */
export function slowStartMs(behaviour: string): number | undefined {
  const match = SLOW_START.exec(behaviour);
  return match ? Number(match[1]) * 1000 : undefined;
}

export function isImageBehaviour(value: unknown): value is ImageBehaviour {
  if (typeof value !== 'string') return false;
  if (['healthy', 'unhealthy', 'crash', 'fail-to-start', 'never-stable'].includes(value)) return true;
  const ms = crashAfterMs(value) ?? slowStartMs(value);
  return ms !== undefined && ms > 0 && ms <= MAX_SECONDS * 1000;
}

export const imageBehaviourSchema = z.custom<ImageBehaviour>(isImageBehaviour, {
  message: `expected healthy, unhealthy, crash, fail-to-start, never-stable, crash-after:<seconds> or slow-start:<seconds> (0 < seconds <= ${MAX_SECONDS})`,
});

/**
 * Orders behaviours from harmless to worst; when a task has several containers the worst one
 * decides what the task does (an essential container that crashes brings the whole task down).
 */
function severity(b: ImageBehaviour): [number, number] {
  const ms = crashAfterMs(b);
  // Among crash-after behaviours, crashing sooner is worse.
  if (ms !== undefined) return [3, -ms];
  // Warming up is better than never answering; a longer warm-up is worse.
  const warmUp = slowStartMs(b);
  if (warmUp !== undefined) return [0.5, warmUp];
  // A container that cannot even be pulled stops the task before any other container can crash it.
  return [{ healthy: 0, unhealthy: 1, 'never-stable': 2, crash: 4, 'fail-to-start': 5 }[b as 'healthy' | 'unhealthy' | 'never-stable' | 'crash' | 'fail-to-start'], 0];
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
  if (failsOnStart(b)) return 'crash';
  if (slowStartMs(b) !== undefined) return b as `slow-start:${number}`;
  return b === 'unhealthy' ? b : 'healthy';
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
    /** Added to every ECS answer. Needs the server to honour `delayMs` on responses (see wire.ts). */
    latencyMs: z.number().int().min(0).max(60_000).optional(),
    /**
     * The next `count` calls of `operation` answer with a 5xx; with `skip`, that many matching
     * calls pass first (so "the rollback's update fails, the forward one did not" is scriptable).
     */
    failNext: z
      .object({ operation: z.string().min(1), status: z.union([z.literal(500), z.literal(503)]), count: z.number().int().min(0).max(10_000), skip: z.number().int().min(0).max(10_000).optional() })
      .strict()
      .optional(),
    /** The next `count` calls (of `operations`, or of any), after `skip` matching ones, answer 400 AccessDeniedException, as when IAM lacks the action. */
    accessDenied: z
      .object({ operations: z.array(z.string().min(1)).optional(), count: z.number().int().min(0).max(10_000), skip: z.number().int().min(0).max(10_000).optional() })
      .strict()
      .optional(),
    /**
     * The next `count` successful calls of `action` take effect at once, but their answer is held
     * back `ms`: the window in which a client (or its worker) can die after the change was made
     * and before it learnt so. Consumed when the effect is applied, so `GET /_sandbox/scenario`
     * shows the change has happened.
     */
    /**
     * Services (`cluster/service`) to put in DRAINING, as DeleteService does: their tasks stop,
     * UpdateService refuses them and DescribeServices shows status DRAINING. It cannot be undone:
     * leaving a service out of a later list does not bring it back.
     */
    drainServices: z.array(z.string().regex(/^[^/\s]+\/[^/\s]+$/, 'expected cluster/service')).max(100).optional(),
    /**
     * Image behaviours for one cluster only, e.g. `{ production: { "<tag>": "crash" } }`: looked up
     * (exact URI, then tag) before `images` when a deployment of that cluster starts, so a version
     * can pass staging and crash in production. They decide what ECS does with the deployment's
     * tasks; the health endpoint still reads `images` (a crash or fail-to-start task never runs
     * anyway). Replaced as a whole by a later patch that sets it.
     */
    clusterImages: z.record(z.string().min(1), z.record(z.string().min(1), imageBehaviourSchema)).optional(),
    /** ECS's own strategies (BLUE_GREEN, LINEAR, CANARY): the length of a minute, hooks that time out, rollbacks that fail (see native-faults.ts). */
    nativeDeployments: nativeDeploymentsSchema.optional(),
    holdResponseAfterEffect: z
      .object({ action: z.string().min(1), ms: z.number().int().min(1).max(600_000), count: z.number().int().min(0).max(10_000) })
      .strict()
      .optional(),
  })
  .strict();
export type EcsFaults = z.infer<typeof ecsFaultsSchema>;

export type EcsFault = { kind: 'throttle' } | { kind: 'server-error'; status: 500 | 503 } | { kind: 'access-denied' };

/**
 * A counted fault: `skip` matching calls pass, then `count` calls get it. Faults are consulted
 * in order (5xx, access denied, throttle) and a call answered by one never reaches the next, so
 * a later fault's `skip` counts only the calls that got that far.
 */
interface CountedFault {
  count: number;
  skip?: number;
}

/**
 * Consumes one matching call of a counted fault: whether this call gets the fault, and the
 * fault as it is afterwards (undefined once used up).
 */
function consume<T extends CountedFault>(fault: T): { hit: boolean; rest: T | undefined } {
  if (fault.skip) return { hit: false, rest: { ...fault, skip: fault.skip - 1 } };
  const count = fault.count - 1;
  return { hit: true, rest: count > 0 ? { ...fault, count } : undefined };
}

function withField<K extends keyof EcsFaults>(faults: EcsFaults, key: K, value: EcsFaults[K] | undefined): EcsFaults {
  const { [key]: _old, ...rest } = faults;
  return value === undefined ? rest : { ...rest, [key]: value };
}

/**
 * The fault the next call of `operation` gets, and the faults left after it. A 5xx scripted for
 * one operation goes before access denied and a general throttle, so they combine predictably.
 */
export function takeEcsFault(faults: EcsFaults, operation: string): { fault?: EcsFault; remaining: EcsFaults } {
  let remaining = faults;
  const { failNext, accessDenied, throttle } = faults;
  if (failNext && failNext.count > 0 && failNext.operation === operation) {
    const { hit, rest } = consume(failNext);
    remaining = withField(remaining, 'failNext', rest);
    if (hit) return { fault: { kind: 'server-error', status: failNext.status }, remaining };
  }
  if (accessDenied && accessDenied.count > 0 && (!accessDenied.operations || accessDenied.operations.includes(operation))) {
    const { hit, rest } = consume(accessDenied);
    remaining = withField(remaining, 'accessDenied', rest);
    if (hit) return { fault: { kind: 'access-denied' }, remaining };
  }
  if (throttle && throttle.count > 0 && (!throttle.operations || throttle.operations.includes(operation))) {
    const { rest } = consume(throttle);
    return { fault: { kind: 'throttle' }, remaining: withField(remaining, 'throttle', rest) };
  }
  return { remaining };
}

/** How long to hold the answer to a successful `operation`, and the faults left after it. */
export function takeResponseHold(faults: EcsFaults, operation: string): { holdMs?: number; remaining: EcsFaults } {
  const hold = faults.holdResponseAfterEffect;
  if (!hold || hold.count <= 0 || hold.action !== operation) return { remaining: faults };
  const count = hold.count - 1;
  return { holdMs: hold.ms, remaining: withField(faults, 'holdResponseAfterEffect', count > 0 ? { ...hold, count } : undefined) };
}
