/**
 * ECS's own deployment strategies as UpdateService takes them: `deploymentConfiguration.strategy`
 * (ROLLING, BLUE_GREEN, LINEAR, CANARY) with its bake times, canary and linear configurations and
 * lifecycle hooks, and `loadBalancers[].advancedConfiguration`. Member names, types and enums are
 * botocore's ECS model; the ranges and the refused combinations are the model's documentation
 * (the ECS API reference). A refusal is an InvalidParameterException naming the member.
 */
import { z } from 'zod';
import { EcsError, EcsErrorType, parseInput } from './api-errors';

export const NATIVE_STRATEGIES = ['BLUE_GREEN', 'LINEAR', 'CANARY'] as const;
export type NativeStrategy = (typeof NATIVE_STRATEGIES)[number];

/** DeploymentLifecycleHookStage in the model. */
export const HOOK_STAGES = [
  'RECONCILE_SERVICE',
  'PRE_SCALE_UP',
  'POST_SCALE_UP',
  'TEST_TRAFFIC_SHIFT',
  'POST_TEST_TRAFFIC_SHIFT',
  'PRE_PRODUCTION_TRAFFIC_SHIFT',
  'PRODUCTION_TRAFFIC_SHIFT',
  'POST_PRODUCTION_TRAFFIC_SHIFT',
] as const;
export type HookStage = (typeof HOOK_STAGES)[number];

/** "PAUSE hooks cannot be configured at TEST_TRAFFIC_SHIFT or PRODUCTION_TRAFFIC_SHIFT stages." */
const LAMBDA_ONLY_STAGES: readonly HookStage[] = ['TEST_TRAFFIC_SHIFT', 'PRODUCTION_TRAFFIC_SHIFT'];

const MAX_BAKE_MINUTES = 1440;

const hookSchema = z.looseObject({
  targetType: z.enum(['AWS_LAMBDA', 'PAUSE']).optional(),
  hookTargetArn: z.string().optional(),
  roleArn: z.string().optional(),
  lifecycleStages: z.array(z.enum(HOOK_STAGES)).optional(),
  hookDetails: z.unknown().optional(),
  timeoutConfiguration: z
    .looseObject({ timeoutInMinutes: z.number().int().min(1).max(20160).optional(), action: z.enum(['ROLLBACK', 'CONTINUE']).optional() })
    .optional(),
});

const bakeMinutes = z.number().int().min(0).max(MAX_BAKE_MINUTES);

const strategyFieldsSchema = z.looseObject({
  strategy: z.enum(['ROLLING', ...NATIVE_STRATEGIES]).optional(),
  bakeTimeInMinutes: bakeMinutes.optional(),
  linearConfiguration: z.looseObject({ stepPercent: z.number().optional(), stepBakeTimeInMinutes: bakeMinutes.optional() }).optional(),
  canaryConfiguration: z.looseObject({ canaryPercent: z.number().optional(), canaryBakeTimeInMinutes: bakeMinutes.optional() }).optional(),
  lifecycleHooks: z.array(hookSchema).optional(),
});

const loadBalancersSchema = z.array(
  z.looseObject({
    targetGroupArn: z.string().optional(),
    loadBalancerName: z.string().optional(),
    containerName: z.string().optional(),
    containerPort: z.number().int().optional(),
    advancedConfiguration: z
      .looseObject({ alternateTargetGroupArn: z.string().optional(), productionListenerRule: z.string().optional(), testListenerRule: z.string().optional(), roleArn: z.string().optional() })
      .optional(),
  }),
);

/** A PAUSE or Lambda hook as a deployment runs it. */
export interface LifecycleHook {
  targetType: 'AWS_LAMBDA' | 'PAUSE';
  hookTargetArn?: string;
  stages: HookStage[];
  timeoutMinutes: number;
  timeoutAction: 'ROLLBACK' | 'CONTINUE';
}

/** What a native-strategy deployment follows, with the documented defaults filled in. */
export interface NativeStrategyPlan {
  strategy: NativeStrategy;
  /** Production traffic on the new revision after each shift, in order; the last is 100. */
  steps: number[];
  /** Minutes between shifts (not after the last). */
  stepBakeMinutes: number;
  /** Minutes both revisions run after all production traffic has moved. */
  bakeMinutes: number;
  hooks: LifecycleHook[];
  /** A test listener is configured: the new revision gets the test traffic before production traffic moves. */
  testListener: boolean;
}

function refuse(message: string): never {
  throw new EcsError(EcsErrorType.invalidParameter, message);
}

/** A multiple of 0.1 within [min, 100], as the model documents canaryPercent and stepPercent. */
function checkPercent(value: number, min: number, member: string): void {
  const tenths = Math.round(value * 10);
  if (value < min || value > 100 || Math.abs(tenths - value * 10) > 1e-6) refuse(`${member} must be a multiple of 0.1 from ${min} to 100.0.`);
}

function checkHook(hook: z.infer<typeof hookSchema>, at: string): void {
  const type = hook.targetType ?? 'AWS_LAMBDA';
  if (!hook.lifecycleStages || hook.lifecycleStages.length === 0) refuse(`${at}.lifecycleStages must be provided.`);
  if (type === 'AWS_LAMBDA') {
    if (!hook.hookTargetArn) refuse(`${at}.hookTargetArn must be provided for an AWS_LAMBDA lifecycle hook.`);
    if (!hook.roleArn) refuse(`${at}.roleArn must be provided for an AWS_LAMBDA lifecycle hook.`);
    return;
  }
  if (hook.hookTargetArn !== undefined) refuse(`${at}.hookTargetArn is not applicable for a PAUSE lifecycle hook.`);
  const bad = hook.lifecycleStages.find((s) => LAMBDA_ONLY_STAGES.includes(s));
  if (bad) refuse(`${at}.lifecycleStages: PAUSE hooks cannot be configured at the ${bad} stage; it is valid only for AWS_LAMBDA hooks.`);
}

/**
 * Checks the deployment configuration and load balancers a service would have after an
 * UpdateService (the service's stored ones merged with the request's), refusing what ECS refuses.
 * Undefined for a ROLLING service (the default); the plan its deployments follow otherwise.
 */
export function nativeStrategyPlan(deploymentConfiguration: Record<string, unknown>, loadBalancers: unknown[]): NativeStrategyPlan | undefined {
  const parsed = parseInput(z.object({ deploymentConfiguration: strategyFieldsSchema, loadBalancers: loadBalancersSchema }), { deploymentConfiguration, loadBalancers });
  const config = parsed.deploymentConfiguration;
  const balancers = parsed.loadBalancers;
  const strategy = config.strategy ?? 'ROLLING';
  const member = 'deploymentConfiguration';
  if (config.canaryConfiguration && strategy !== 'CANARY') refuse(`${member}.canaryConfiguration can only be specified when the deployment strategy is CANARY.`);
  if (config.linearConfiguration && strategy !== 'LINEAR') refuse(`${member}.linearConfiguration can only be specified when the deployment strategy is LINEAR.`);
  config.lifecycleHooks?.forEach((hook, i) => checkHook(hook, `${member}.lifecycleHooks[${i}]`));
  if (strategy === 'ROLLING') {
    if (config.lifecycleHooks?.length) refuse(`${member}.lifecycleHooks are only supported with the BLUE_GREEN, LINEAR and CANARY deployment strategies.`);
    return undefined;
  }
  if (strategy === 'BLUE_GREEN' && config.bakeTimeInMinutes === undefined) refuse(`${member}.bakeTimeInMinutes must be provided when the deployment strategy is BLUE_GREEN.`);
  if (balancers.length === 0) refuse(`loadBalancers must be provided for the ${strategy} deployment strategy.`);
  let testListener = false;
  balancers.forEach((lb, i) => {
    const advanced = lb.advancedConfiguration;
    const at = `loadBalancers[${i}].advancedConfiguration`;
    if (!advanced) refuse(`${at} must be provided for the ${strategy} deployment strategy.`);
    if (!lb.targetGroupArn) refuse(`loadBalancers[${i}].targetGroupArn must be provided for the ${strategy} deployment strategy.`);
    for (const name of ['alternateTargetGroupArn', 'productionListenerRule', 'roleArn'] as const) {
      if (!advanced[name]) refuse(`${at}.${name} must be provided for the ${strategy} deployment strategy.`);
    }
    if (advanced.alternateTargetGroupArn === lb.targetGroupArn) refuse(`${at}.alternateTargetGroupArn must differ from loadBalancers[${i}].targetGroupArn.`);
    if (advanced.testListenerRule) testListener = true;
  });
  const hooks: LifecycleHook[] = (config.lifecycleHooks ?? []).map((h) => ({
    targetType: h.targetType ?? 'AWS_LAMBDA',
    ...(h.hookTargetArn ? { hookTargetArn: h.hookTargetArn } : {}),
    stages: h.lifecycleStages ?? [],
    timeoutMinutes: h.timeoutConfiguration?.timeoutInMinutes ?? 1440,
    timeoutAction: h.timeoutConfiguration?.action ?? 'ROLLBACK',
  }));
  const bake = config.bakeTimeInMinutes ?? 0;
  if (strategy === 'CANARY') {
    const percent = config.canaryConfiguration?.canaryPercent ?? 5;
    checkPercent(percent, 0.1, `${member}.canaryConfiguration.canaryPercent`);
    const steps = percent >= 100 ? [100] : [percent, 100];
    return { strategy, steps, stepBakeMinutes: config.canaryConfiguration?.canaryBakeTimeInMinutes ?? 10, bakeMinutes: bake, hooks, testListener };
  }
  if (strategy === 'LINEAR') {
    const percent = config.linearConfiguration?.stepPercent ?? 10;
    checkPercent(percent, 3, `${member}.linearConfiguration.stepPercent`);
    const steps: number[] = [];
    for (let k = 1; Math.round(k * percent * 10) / 10 < 100; k++) steps.push(Math.round(k * percent * 10) / 10);
    steps.push(100);
    return { strategy, steps, stepBakeMinutes: config.linearConfiguration?.stepBakeTimeInMinutes ?? 6, bakeMinutes: bake, hooks, testListener };
  }
  return { strategy, steps: [100], stepBakeMinutes: 0, bakeMinutes: bake, hooks, testListener };
}
