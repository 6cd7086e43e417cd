/**
 * The scriptable part of the sandbox: which images are healthy, unhealthy or crash, which
 * commits have green checks, and how long deployments take. Set over `PUT /_sandbox/scenario`
 * (merged into what is there) so tests, the demo and operators drive the same switches.
 */
import { z } from 'zod';

export const ImageBehaviour = { healthy: 'healthy', unhealthy: 'unhealthy', crash: 'crash' } as const;
export type ImageBehaviour = (typeof ImageBehaviour)[keyof typeof ImageBehaviour];

/** `pending` goes beyond success/failure so a build gate that waits can be exercised too. */
export type CheckConclusion = 'success' | 'failure' | 'pending';

export interface Scenario {
  /** Keyed by full image URI or by tag (the version); unknown images are healthy. */
  images: Record<string, ImageBehaviour>;
  /** Keyed by commit SHA; unknown commits have green checks. */
  checks: Record<string, CheckConclusion>;
  /** How long a new ECS deployment takes to settle (complete or fail). Applies to deployments started afterwards. */
  deploymentDelayMs: number;
}

/** Strict, so a typo such as `image:` is refused instead of silently doing nothing. */
export const scenarioPatchSchema = z
  .object({
    images: z.record(z.string().min(1), z.enum(['healthy', 'unhealthy', 'crash'])).optional(),
    checks: z.record(z.string().min(1), z.enum(['success', 'failure', 'pending'])).optional(),
    deploymentDelayMs: z.number().int().min(0).max(3_600_000).optional(),
  })
  .strict();

export type ScenarioPatch = z.infer<typeof scenarioPatchSchema>;

/**
 * The tag of an image URI: the part after the last ':' when that ':' is not a registry port
 * (a port is followed by a path, so the candidate tag would contain '/').
 */
export function imageTag(image: string): string | undefined {
  const at = image.lastIndexOf(':');
  if (at < 0) return undefined;
  const tag = image.slice(at + 1);
  return tag && !tag.includes('/') ? tag : undefined;
}

export class ScenarioStore {
  private current: Scenario;

  constructor(deploymentDelayMs: number) {
    this.current = { images: {}, checks: {}, deploymentDelayMs };
  }

  get(): Scenario {
    return structuredClone(this.current);
  }

  merge(patch: ScenarioPatch): Scenario {
    this.current = {
      images: { ...this.current.images, ...patch.images },
      checks: { ...this.current.checks, ...patch.checks },
      deploymentDelayMs: patch.deploymentDelayMs ?? this.current.deploymentDelayMs,
    };
    return this.get();
  }

  /** Exact image first, then its tag, so `{ images: { "<sha>": "crash" } }` works by version. */
  imageBehaviour(image: string): ImageBehaviour {
    const exact = this.current.images[image];
    if (exact) return exact;
    const tag = imageTag(image);
    return (tag !== undefined ? this.current.images[tag] : undefined) ?? ImageBehaviour.healthy;
  }

  /** The worst behaviour among a task's containers: one crashing essential container crashes the task. */
  taskBehaviour(images: string[]): ImageBehaviour {
    const behaviours = images.map((i) => this.imageBehaviour(i));
    if (behaviours.includes(ImageBehaviour.crash)) return ImageBehaviour.crash;
    if (behaviours.includes(ImageBehaviour.unhealthy)) return ImageBehaviour.unhealthy;
    return ImageBehaviour.healthy;
  }

  checkConclusion(sha: string): CheckConclusion {
    return this.current.checks[sha] ?? 'success';
  }

  get deploymentDelayMs(): number {
    return this.current.deploymentDelayMs;
  }
}
