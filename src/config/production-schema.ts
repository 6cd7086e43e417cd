/**
 * `production:` of a service, and how its traffic strategy constrains the rest of the service's
 * config. Four strategies (README "Choosing a production strategy"):
 *
 * - `two-service-canary` (the default): a second ECS service (`canaryService`) in the stable
 *   service's target group; the canary's share of traffic is its share of tasks.
 * - `ecs-canary`, `ecs-linear`, `ecs-blue-green`: ECS's own CANARY, LINEAR and BLUE_GREEN
 *   deployments of the one production service, with exact weights through the load balancer's
 *   two target groups (`loadBalancer`), paused by Runway's lifecycle hooks for its analysis.
 *
 * What ECS itself refuses (a canary percent off its 0.1 grid, linear steps under 3 %, a
 * blue-green without a test listener to smoke-test through) is refused here, naming the field,
 * before any release starts.
 */
import { z } from 'zod';
import { ecsServiceSchema } from './ecs-service-schema';

export const PRODUCTION_STRATEGIES = ['two-service-canary', 'ecs-canary', 'ecs-linear', 'ecs-blue-green'] as const;
export type ProductionStrategyName = (typeof PRODUCTION_STRATEGIES)[number];

/** Canary steps when the config names none, per strategy (blue-green moves all traffic at once). */
export const DEFAULT_STEPS: Record<ProductionStrategyName, number[]> = {
  'two-service-canary': [10, 30, 60, 100],
  'ecs-canary': [10, 100],
  'ecs-linear': [25, 50, 75, 100],
  'ecs-blue-green': [100],
};

/** ECS: "stepPercent … from 3.0 to 100.0", in tenths; "canaryPercent … from 0.1 to 100.0". */
const MIN_LINEAR_STEP = 3;

const elbArn = (kind: string) =>
  z.string().regex(new RegExp(`^arn:aws[\\w-]*:elasticloadbalancing:[\\w-]+:\\d{12}:${kind}/\\S+$`), `must be an Elastic Load Balancing ${kind} ARN (arn:aws:elasticloadbalancing:<region>:<account>:${kind}/…)`);

/** The load balancer ECS shifts traffic on: two target groups behind a production (and a test) listener rule. */
const loadBalancerSchema = z.strictObject({
  /** The target group the serving (blue) revision is registered in. */
  targetGroupArn: elbArn('targetgroup'),
  /** The target group ECS registers the new (green) revision in. */
  alternateTargetGroupArn: elbArn('targetgroup'),
  /** The listener rule whose weights move production traffic between the two. */
  productionListenerRule: elbArn('listener-rule'),
  /** A listener rule sending test traffic to the new revision before production moves (required for ecs-blue-green). */
  testListenerRule: elbArn('listener-rule').optional(),
  /** The IAM role ECS assumes to change the listener rules (README "IAM"). */
  roleArn: z.string().regex(/^arn:aws[\w-]*:iam::\d{12}:role\/\S+$/, 'must be an IAM role ARN (arn:aws:iam::<account>:role/…)'),
  /** The container and port registered in the target groups; the container defaults to the service's `container`. */
  containerName: z.string().min(1).optional(),
  containerPort: z.number().int().min(1).max(65535),
});

export const productionSchema = ecsServiceSchema.extend({
  strategy: z.enum(PRODUCTION_STRATEGIES).default('two-service-canary'),
  /** two-service-canary: the second ECS service that carries the canary. */
  canaryService: z.string().min(1, 'must not be empty').optional(),
  /** ecs-*: the target groups and listener rules ECS shifts traffic on. */
  loadBalancer: loadBalancerSchema.optional(),
  /** ecs-blue-green: where the test listener answers; the smoke checks run here against the new revision before production traffic moves. */
  testUrl: z.url({ message: 'must be a URL' }).optional(),
  /**
   * ecs-blue-green: the release's approval is asked once the new revision is up and passed the
   * smoke test through the test listener, right before production traffic moves (instead of after
   * the staging smoke test). ECS holds the deployment meanwhile.
   */
  approveAfterTestTraffic: z.boolean().default(false),
});

interface StrategyFields {
  production: z.output<typeof productionSchema>;
  canary: { steps?: number[] | undefined };
  migration?: unknown;
}

const isTenth = (n: number) => Math.abs(Math.round(n * 10) - n * 10) < 1e-9;

/** The steps a release of this service steps through: the configured ones or the strategy's default. */
export function canaryStepsOf(svc: StrategyFields): number[] {
  return svc.canary.steps ?? DEFAULT_STEPS[svc.production.strategy];
}

/** Refuses what the chosen strategy cannot do, naming the field. */
export function checkProductionStrategy(svc: StrategyFields, ctx: z.RefinementCtx): void {
  const { production } = svc;
  const strategy = production.strategy;
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  const steps = canaryStepsOf(svc);
  const below = steps.filter((w) => w < 100);

  if (strategy === 'two-service-canary') {
    if (!production.canaryService) issue(['production', 'canaryService'], 'required by the two-service-canary strategy (the ECS service that carries the canary); or choose an ecs-* strategy');
    if (production.loadBalancer) issue(['production', 'loadBalancer'], 'only ecs-canary, ecs-linear and ecs-blue-green use it (the two-service canary shares the stable service\'s target group)');
    if (production.testUrl) issue(['production', 'testUrl'], 'only ecs-blue-green smoke-tests through a test listener');
    if (steps.some((w) => !Number.isInteger(w))) issue(['canary', 'steps'], 'the two-service canary moves whole tasks: steps are whole percents');
    if (below.length === 0) issue(['canary', 'steps'], 'at least one step below 100 is needed (100 alone would skip the canary)');
    return;
  }

  if (production.canaryService) issue(['production', 'canaryService'], `${strategy} deploys the one production service; a canary service is only for two-service-canary`);
  if (!production.loadBalancer) issue(['production', 'loadBalancer'], `required by ${strategy}: targetGroupArn, alternateTargetGroupArn, productionListenerRule, roleArn and containerPort`);
  const lb = production.loadBalancer;
  if (lb && lb.alternateTargetGroupArn === lb.targetGroupArn) issue(['production', 'loadBalancer', 'alternateTargetGroupArn'], 'must differ from targetGroupArn (ECS moves traffic between the two)');

  if (production.approveAfterTestTraffic && strategy !== 'ecs-blue-green') {
    issue(['production', 'approveAfterTestTraffic'], 'only ecs-blue-green has test traffic to approve after (the other strategies are approved after the staging smoke test)');
  }
  if (production.approveAfterTestTraffic && svc.migration) {
    issue(['production', 'approveAfterTestTraffic'], 'cannot be combined with a migration: the migration runs after approval and before the new revision starts, and here the new revision starts before approval');
  }
  if (strategy === 'ecs-blue-green') {
    if (svc.canary.steps && (svc.canary.steps.length !== 1 || svc.canary.steps[0] !== 100)) {
      issue(['canary', 'steps'], 'ecs-blue-green moves all production traffic at once: leave steps out (its bake is the post-release watch)');
    }
    if (lb && !lb.testListenerRule) issue(['production', 'loadBalancer', 'testListenerRule'], 'required by ecs-blue-green: the smoke test reaches the new revision through the test listener before production traffic moves');
    if (!production.testUrl) issue(['production', 'testUrl'], 'required by ecs-blue-green: the URL the test listener answers on, where the smoke checks run against the new revision');
    return;
  }

  if (production.testUrl) issue(['production', 'testUrl'], 'only ecs-blue-green smoke-tests through a test listener');
  steps.forEach((w, i) => {
    if (!isTenth(w)) issue(['canary', 'steps', i], `ECS shifts traffic in tenths of a percent (${w} is not)`);
  });
  if (strategy === 'ecs-canary') {
    if (below.length !== 1) issue(['canary', 'steps'], `ecs-canary shifts once to the canary percent, then to 100: give one step below 100, e.g. [${below[0] ?? 10}, 100]`);
    return;
  }
  // ecs-linear: ECS moves `stepPercent` at every step, so the steps are its multiples.
  const stepPercent = below[0];
  if (stepPercent === undefined) {
    issue(['canary', 'steps'], 'at least one step below 100 is needed (ecs-linear moves stepPercent at a time)');
    return;
  }
  if (stepPercent < MIN_LINEAR_STEP) issue(['canary', 'steps', 0], `ECS's linear steps are at least ${MIN_LINEAR_STEP}% (got ${stepPercent})`);
  const expected = linearSteps(stepPercent);
  if (expected.length !== steps.length || expected.some((w, i) => Math.abs(w - steps[i]!) > 1e-9)) {
    issue(['canary', 'steps'], `ecs-linear moves the same share at every step: with a first step of ${stepPercent}% the steps are [${expected.join(', ')}]`);
  }
}

/** The weights ECS's LINEAR strategy goes through for a step percent: its multiples below 100, then 100. */
export function linearSteps(stepPercent: number): number[] {
  const steps: number[] = [];
  for (let k = 1; Math.round(k * stepPercent * 10) / 10 < 100; k++) steps.push(Math.round(k * stepPercent * 10) / 10);
  return [...steps, 100];
}
