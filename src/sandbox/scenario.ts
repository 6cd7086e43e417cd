/**
 * The scriptable part of the sandbox: which images are healthy, unhealthy or crash, which
 * commits have green checks, and how long deployments take. Set over `PUT /_sandbox/scenario`
 * (merged into what is there) so tests, the demo and operators drive the same switches.
 */
import { z } from 'zod';
import {
  DEFAULT_MIGRATION_OUTCOME,
  type EcsFault,
  type EcsFaults,
  ecsFaultsSchema,
  type HealthBehaviour,
  healthOf,
  type ImageBehaviour,
  imageBehaviourSchema,
  type MigrationOutcome,
  migrationOutcomeSchema,
  takeEcsFault,
  takeResponseHold,
  worstBehaviour,
} from './ecs/scenario';
import { type CanaryMetricsBehaviour, canaryMetricsBehaviourSchema, type Traffic, trafficSchema } from './prometheus/scenario';
import { type GitHubFault, type GitHubScenario, gitHubScenarioSchema, mergeGitHubScenario, takeGitHubFault } from './github/scenario';
import type { SlackRateLimits } from './slack/rate-limits';
import { mergeSlackScenario, type SlackFault, type SlackScenario, slackScenarioSchema, takeSlackFault } from './slack/scenario';
import { type SentryFault, type SentryOperation, type SentryScenario, sentryScenarioSchema, takeSentryFault } from './sentry/scenario';
import { takeWebhookFault, type WebhookFault, type WebhookScenario, webhookScenarioSchema } from './webhook-receiver';

export type { HealthBehaviour, ImageBehaviour } from './ecs/scenario';
export type { CanaryMetricsBehaviour } from './prometheus/scenario';

/** `pending` goes beyond success/failure so a build gate that waits can be exercised too. */
export type CheckConclusion = 'success' | 'failure' | 'pending';

export interface Scenario {
  /** Keyed by full image URI or by tag (the version); unknown images are healthy. */
  images: Record<string, ImageBehaviour>;
  /** Keyed by commit SHA; unknown commits have green checks. */
  checks: Record<string, CheckConclusion>;
  /** How long a new ECS deployment takes to settle (complete or fail). Applies to deployments started afterwards. */
  deploymentDelayMs: number;
  /** How RunTask tasks end, keyed by task definition family, full image URI or image tag. Absent until set. */
  migrations?: Record<string, MigrationOutcome>;
  /** Injected ECS API faults and latency. Absent until set; counts go down as calls consume them. */
  ecs?: EcsFaults;
  /** Slack user groups and injected Slack failures. Absent until set. */
  slack?: SlackScenario;
  /** Canary metrics per version (image URI or tag) for the Prometheus emulator; unknown versions are healthy. Absent until set. */
  canary?: Record<string, CanaryMetricsBehaviour>;
  /** Traffic the Prometheus emulator reports. Absent until set. */
  traffic?: Traffic;
  /** Build runs, branches and injected GitHub API faults (see github/scenario.ts). Absent until set. */
  github?: GitHubScenario;
  /** Linked repositories and injected Sentry failures. Absent until set. */
  sentry?: SentryScenario;
  /** Injected failures of the webhook receivers. Absent until set. */
  webhooks?: WebhookScenario;
}

/** Strict, so a typo such as `image:` is refused instead of silently doing nothing. */
export const scenarioPatchSchema = z
  .object({
    images: z.record(z.string().min(1), imageBehaviourSchema).optional(),
    checks: z.record(z.string().min(1), z.enum(['success', 'failure', 'pending'])).optional(),
    deploymentDelayMs: z.number().int().min(0).max(3_600_000).optional(),
    migrations: z.record(z.string().min(1), migrationOutcomeSchema).optional(),
    ecs: ecsFaultsSchema.optional(),
    slack: slackScenarioSchema.optional(),
    canary: z.record(z.string().min(1), canaryMetricsBehaviourSchema).optional(),
    traffic: trafficSchema.optional(),
    github: gitHubScenarioSchema.optional(),
    sentry: sentryScenarioSchema.optional(),
    webhooks: webhookScenarioSchema.optional(),
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

  /** Maps merge key by key; `ecs` faults merge field by field (a count of 0 clears one). */
  merge(patch: ScenarioPatch): Scenario {
    const { migrations, ecs } = this.current;
    this.current = {
      images: { ...this.current.images, ...patch.images },
      checks: { ...this.current.checks, ...patch.checks },
      deploymentDelayMs: patch.deploymentDelayMs ?? this.current.deploymentDelayMs,
      // Only present once set, so a scenario that never used them reads as it always did.
      ...(migrations || patch.migrations ? { migrations: { ...migrations, ...patch.migrations } } : {}),
      ...(ecs || patch.ecs ? { ecs: { ...ecs, ...patch.ecs } } : {}),
      ...(this.current.slack || patch.slack ? { slack: patch.slack ? mergeSlackScenario(this.current.slack, patch.slack) : this.current.slack } : {}),
      ...(this.current.canary || patch.canary ? { canary: { ...this.current.canary, ...patch.canary } } : {}),
      ...(this.current.traffic || patch.traffic ? { traffic: patch.traffic ?? this.current.traffic } : {}),
      ...(this.current.github || patch.github ? { github: patch.github ? mergeGitHubScenario(this.current.github, patch.github) : this.current.github } : {}),
      ...(this.current.sentry || patch.sentry ? { sentry: { ...this.current.sentry, ...patch.sentry } } : {}),
      ...(this.current.webhooks || patch.webhooks ? { webhooks: { ...this.current.webhooks, ...patch.webhooks } } : {}),
    };
    return this.get();
  }

  /** How the canary metrics of a task running `images` behave: the first scripted image decides (exact URI, then tag). */
  canaryMetrics(images: string[]): CanaryMetricsBehaviour | undefined {
    return this.lookup(this.current.canary ?? {}, images);
  }

  /** Exact image first, then its tag, so `{ images: { "<sha>": "crash" } }` works by version. */
  imageBehaviour(image: string): ImageBehaviour {
    return this.lookup(this.current.images, [image]) ?? 'healthy';
  }

  /** What a task's containers do together: the worst one decides (one crashing essential container crashes the task). */
  taskLifecycle(images: string[]): ImageBehaviour {
    return worstBehaviour(images.map((i) => this.imageBehaviour(i)));
  }

  /** What the health endpoint of a running task answers. */
  taskBehaviour(images: string[]): HealthBehaviour {
    return healthOf(this.taskLifecycle(images));
  }

  /** How a RunTask task of `family` running `images` ends: by family, then by image (exact, then tag). */
  migrationOutcome(family: string, images: string[]): { exitCode: number | null; durationMs: number } {
    const found = this.lookup(this.current.migrations ?? {}, [family, ...images]);
    return {
      exitCode: found?.exitCode === undefined ? DEFAULT_MIGRATION_OUTCOME.exitCode : found.exitCode,
      durationMs: found?.durationMs ?? DEFAULT_MIGRATION_OUTCOME.durationMs,
    };
  }

  /** Consumes one injected fault for a call of `operation`, if any is scripted for it. */
  takeEcsFault(operation: string): EcsFault | undefined {
    if (!this.current.ecs) return undefined;
    const { fault, remaining } = takeEcsFault(this.current.ecs, operation);
    this.current.ecs = remaining;
    return fault;
  }

  /** Consumes one scripted response hold for a successful call of `operation`: how long to hold its answer (0: none). */
  takeEcsResponseHold(operation: string): number {
    if (!this.current.ecs) return 0;
    const { holdMs, remaining } = takeResponseHold(this.current.ecs, operation);
    this.current.ecs = remaining;
    return holdMs ?? 0;
  }

  /** Consumes one injected fault for a Slack Web API call of `method`, if any is scripted for it. */
  takeSlackFault(method: string): SlackFault | undefined {
    if (!this.current.slack) return undefined;
    const { fault, remaining } = takeSlackFault(this.current.slack, method);
    this.current.slack = remaining;
    return fault;
  }

  /** Consumes one injected fault for a GitHub call (`METHOD path`), if any is scripted for it. */
  takeGitHubFault(operation: string): GitHubFault | undefined {
    if (!this.current.github) return undefined;
    const { fault, remaining } = takeGitHubFault(this.current.github, operation);
    this.current.github = remaining;
    return fault;
  }

  /** The GitHub part of the scenario as it is now (builds, branches, switches). */
  get gitHub(): GitHubScenario {
    return this.current.github ?? {};
  }

  /** Consumes one scripted 202 answer to a deployment creation; true when this call gets it. */
  takeGitHubAutoMerge(): boolean {
    const left = this.current.github?.autoMergeNext ?? 0;
    if (left <= 0) return false;
    this.current.github = { ...this.current.github, autoMergeNext: left - 1 };
    return true;
  }

  /** Consumes one injected fault for a Sentry API call of `operation`, if any is scripted for it. */
  takeSentryFault(operation: SentryOperation): SentryFault | undefined {
    return this.takeListedFault('sentry', (s) => takeSentryFault(s, operation));
  }

  /** The Sentry part of the scenario as it is now (down, linked repositories). */
  get sentry(): SentryScenario {
    return this.current.sentry ?? {};
  }

  /** Consumes one injected fault for a delivery to webhook receiver `receiver`, if any is scripted for it. */
  takeWebhookFault(receiver: string): WebhookFault | undefined {
    return this.takeListedFault('webhooks', (s) => takeWebhookFault(s, receiver));
  }

  /** Takes a fault from the `key` part of the scenario with `take`, keeping what is left. */
  private takeListedFault<K extends 'sentry' | 'webhooks', F>(key: K, take: (part: NonNullable<Scenario[K]>) => { fault?: F; remaining: NonNullable<Scenario[K]> }): F | undefined {
    const part = this.current[key];
    if (!part) return undefined;
    const { fault, remaining } = take(part as NonNullable<Scenario[K]>);
    this.current = { ...this.current, [key]: remaining };
    return fault;
  }

  /** True while the scenario says the whole Slack Web API is down. */
  get slackDown(): boolean {
    return this.current.slack?.down ?? false;
  }

  /** Slack's rate limits, when the scenario turns them on. */
  get slackRateLimits(): SlackRateLimits | undefined {
    return this.current.slack?.rateLimits;
  }

  /** Members of a Slack user group, or undefined for a group the scenario does not know. */
  slackUsergroup(id: string): string[] | undefined {
    return this.current.slack?.usergroups?.[id];
  }

  get ecsLatencyMs(): number {
    return this.current.ecs?.latencyMs ?? 0;
  }

  /** Exact keys first (in order), then image tags. */
  private lookup<T>(table: Record<string, T>, keys: string[]): T | undefined {
    for (const key of keys) if (Object.hasOwn(table, key)) return table[key];
    for (const key of keys) {
      const tag = imageTag(key);
      if (tag !== undefined && Object.hasOwn(table, tag)) return table[tag];
    }
    return undefined;
  }

  checkConclusion(sha: string): CheckConclusion {
    return this.current.checks[sha] ?? 'success';
  }

  get deploymentDelayMs(): number {
    return this.current.deploymentDelayMs;
  }
}
