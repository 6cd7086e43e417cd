/**
 * One service deployment under ECS's own BLUE_GREEN, LINEAR or CANARY strategy, and how it
 * advances through ECS's lifecycle stages. Like settle.ts, nothing runs on a timer: every read
 * advances the deployment up to now from timestamps (stage entered, hook expires, bake ends), so
 * a test's clock is the only clock. The green revision is a DeploymentRecord the emulator shows in
 * DescribeServices; this file starts its tasks at POST_SCALE_UP and ends it at CLEAN_UP or rollback.
 */
import { addEvent, circuitBreakerThreshold, type DeploymentRecord, type IdSource, type SettlingService, startedTasksMessage } from './deployments';
import type { HookStage, LifecycleHook, NativeStrategyPlan } from './native-config';
import { failsOnStart } from './scenario';
import { scaledInStop, startTasks, stopTasks } from './tasks';

/** ServiceDeploymentStatus in the model. */
export type ServiceDeploymentStatus = 'PENDING' | 'SUCCESSFUL' | 'STOPPED' | 'STOP_REQUESTED' | 'IN_PROGRESS' | 'ROLLBACK_REQUESTED' | 'ROLLBACK_IN_PROGRESS' | 'ROLLBACK_SUCCESSFUL' | 'ROLLBACK_FAILED';

/** ServiceDeploymentLifecycleStage in the model (which, unlike the hook stages, has no PRE_PRODUCTION_TRAFFIC_SHIFT). */
export type LifecycleStage =
  | 'RECONCILE_SERVICE'
  | 'PRE_SCALE_UP'
  | 'SCALE_UP'
  | 'POST_SCALE_UP'
  | 'TEST_TRAFFIC_SHIFT'
  | 'POST_TEST_TRAFFIC_SHIFT'
  | 'PRODUCTION_TRAFFIC_SHIFT'
  | 'POST_PRODUCTION_TRAFFIC_SHIFT'
  | 'BAKE_TIME'
  | 'CLEAN_UP';

/** One step of a deployment: the stage it shows, the hooks it runs on entry, what it changes, how long it lasts once its hooks are done. */
interface PlanEntry {
  stage: LifecycleStage;
  hookStage?: HookStage;
  /** Production traffic on the green revision from this step on. */
  productionWeight?: number;
  /** Test traffic on the green revision from this step on. */
  testWeight?: number;
  startsTasks?: boolean;
  /** SCALE_UP: ECS launches the green tasks; tasks of an image that fails on start fail here. */
  scalesUp?: boolean;
  durationMs: number;
  final?: boolean;
}

export type HookStatus = 'AWAITING_ACTION' | 'IN_PROGRESS' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT';

export interface HookRun {
  hookId: string;
  targetType: 'AWS_LAMBDA' | 'PAUSE';
  targetArn?: string;
  status: HookStatus;
  expiresAtMs: number;
  timeoutAction: 'ROLLBACK' | 'CONTINUE';
}

export interface ServiceDeploymentRecord {
  id: string;
  strategy: NativeStrategyPlan['strategy'];
  createdAtMs: number;
  updatedAtMs: number;
  finishedAtMs?: number;
  stoppedAtMs?: number;
  status: ServiceDeploymentStatus;
  statusReason?: string;
  /** The service's deploymentConfiguration when the deployment started, as DescribeServiceDeployments shows it. */
  deploymentConfiguration: Record<string, unknown>;
  testListener: boolean;
  plan: PlanEntry[];
  index: number;
  /** When the current step's hooks were all done (undefined while one awaits action). */
  clearedAtMs?: number;
  /** The hooks of the current step. */
  hooks: HookRun[];
  hookDefinitions: LifecycleHook[];
  source: DeploymentRecord;
  target: DeploymentRecord;
  /** Traffic on the green revision, in percent; blue has the rest. */
  weights: { production: number; test: number };
  rollback?: { reason: string; startedAtMs: number; endsAtMs: number };
  /** Fixed at start from the scenario. */
  minuteMs: number;
  delayMs: number;
  hookTimesOut: boolean;
  rollbackFails: boolean;
  /** The circuit breaker failed the target revision (DescribeServiceDeployments' deploymentCircuitBreaker status TRIGGERED). */
  circuitBreakerTripped?: boolean;
}

/** The steps of a deployment under `plan`, durations in milliseconds. */
export function planEntries(plan: NativeStrategyPlan, delayMs: number, minuteMs: number): PlanEntry[] {
  const entries: PlanEntry[] = [
    { stage: 'PRE_SCALE_UP', hookStage: 'PRE_SCALE_UP', durationMs: 0 },
    { stage: 'SCALE_UP', scalesUp: true, durationMs: delayMs },
    { stage: 'POST_SCALE_UP', hookStage: 'POST_SCALE_UP', startsTasks: true, durationMs: 0 },
    { stage: 'TEST_TRAFFIC_SHIFT', hookStage: 'TEST_TRAFFIC_SHIFT', ...(plan.testListener ? { testWeight: 100 } : {}), durationMs: 0 },
    { stage: 'POST_TEST_TRAFFIC_SHIFT', hookStage: 'POST_TEST_TRAFFIC_SHIFT', durationMs: 0 },
  ];
  plan.steps.forEach((weight, i) => {
    const last = i === plan.steps.length - 1;
    // Before every shift (PRE_PRODUCTION_TRAFFIC_SHIFT): the model's lifecycleStage enum has no such value, so it shows as PRODUCTION_TRAFFIC_SHIFT with the weights not yet moved.
    entries.push({ stage: 'PRODUCTION_TRAFFIC_SHIFT', hookStage: 'PRE_PRODUCTION_TRAFFIC_SHIFT', durationMs: 0 });
    entries.push({ stage: 'PRODUCTION_TRAFFIC_SHIFT', hookStage: 'PRODUCTION_TRAFFIC_SHIFT', productionWeight: weight, durationMs: last ? 0 : plan.stepBakeMinutes * minuteMs });
  });
  entries.push({ stage: 'POST_PRODUCTION_TRAFFIC_SHIFT', hookStage: 'POST_PRODUCTION_TRAFFIC_SHIFT', durationMs: 0 });
  entries.push({ stage: 'BAKE_TIME', durationMs: plan.bakeMinutes * minuteMs });
  entries.push({ stage: 'CLEAN_UP', durationMs: 0, final: true });
  return entries;
}

/** Advances and acts on native deployments; owns the hook ids. */
export class NativeDeploymentEngine {
  private hookCounter = 0;

  constructor(private readonly ids: IdSource) {}

  /** Enters the first step at `atMs`. */
  begin(service: SettlingService, sd: ServiceDeploymentRecord, atMs: number): void {
    this.enter(service, sd, 0, atMs);
  }

  /** Plays everything that happened up to `nowMs`: bakes ending, hooks timing out, rollbacks finishing. */
  advance(service: SettlingService, sd: ServiceDeploymentRecord, nowMs: number): void {
    for (;;) {
      if (sd.rollback) {
        if (sd.status === 'ROLLBACK_IN_PROGRESS' && nowMs >= sd.rollback.endsAtMs) this.finishRollback(service, sd);
        return;
      }
      if (sd.status !== 'IN_PROGRESS') return;
      const awaiting = sd.hooks.filter((h) => h.status === 'AWAITING_ACTION').sort((a, b) => a.expiresAtMs - b.expiresAtMs);
      const first = awaiting[0];
      if (first) {
        if (nowMs < first.expiresAtMs) return;
        first.status = 'TIMED_OUT';
        sd.updatedAtMs = first.expiresAtMs;
        if (first.timeoutAction === 'ROLLBACK') this.startRollback(service, sd, first.expiresAtMs, `lifecycle hook ${first.hookId} timed out (timeout action ROLLBACK).`);
        else if (awaiting.length === 1) sd.clearedAtMs = first.expiresAtMs;
        continue;
      }
      const entry = sd.plan[sd.index]!;
      if (entry.scalesUp && failsOnStart(sd.target.behaviour) && sd.target.desiredCount > 0) {
        // settle.ts plays the failing tasks as for a rolling deployment; the stage never ends on its own.
        if (sd.target.rolloutState !== 'FAILED') return;
        this.breakerTripped(service, sd, sd.target.updatedAtMs);
        continue;
      }
      const endsAt = (sd.clearedAtMs ?? nowMs) + entry.durationMs;
      if (nowMs < endsAt) return;
      this.enter(service, sd, sd.index + 1, endsAt);
    }
  }

  /** ContinueServiceDeployment on a hook awaiting action, at `nowMs` (the deployment advanced up to now). */
  answerHook(service: SettlingService, sd: ServiceDeploymentRecord, hook: HookRun, action: 'CONTINUE' | 'ROLLBACK', nowMs: number): void {
    sd.updatedAtMs = nowMs;
    if (action === 'ROLLBACK') {
      hook.status = 'FAILED';
      this.startRollback(service, sd, nowMs, `ContinueServiceDeployment answered lifecycle hook ${hook.hookId} with ROLLBACK.`);
      return;
    }
    hook.status = 'SUCCEEDED';
    if (!sd.hooks.some((h) => h.status === 'AWAITING_ACTION')) sd.clearedAtMs = nowMs;
  }

  /** StopServiceDeployment(ROLLBACK). */
  stopWithRollback(service: SettlingService, sd: ServiceDeploymentRecord, nowMs: number): void {
    for (const hook of sd.hooks) if (hook.status === 'AWAITING_ACTION') hook.status = 'FAILED';
    this.startRollback(service, sd, nowMs, 'StopServiceDeployment with stopType ROLLBACK.');
  }

  /** A newer deployment of the service replaces one under way: it stops where it was and its green tasks go. */
  supersede(service: SettlingService, sd: ServiceDeploymentRecord, by: string, nowMs: number): void {
    sd.status = 'STOPPED';
    sd.statusReason = `Superseded by service deployment ${by}.`;
    sd.stoppedAtMs = nowMs;
    sd.finishedAtMs = nowMs;
    sd.updatedAtMs = nowMs;
    for (const hook of sd.hooks) if (hook.status === 'AWAITING_ACTION') hook.status = 'FAILED';
    retire(service, sd.target, nowMs);
  }

  private enter(service: SettlingService, sd: ServiceDeploymentRecord, index: number, atMs: number): void {
    const entry = sd.plan[index]!;
    sd.index = index;
    sd.updatedAtMs = atMs;
    if (entry.productionWeight !== undefined) sd.weights.production = entry.productionWeight;
    if (entry.testWeight !== undefined) sd.weights.test = entry.testWeight;
    if (entry.scalesUp) {
      sd.target.scaleUpFromMs = atMs;
      // Where settle.ts's failing tasks reach the circuit breaker's threshold (the deployment delay, as for a rolling deployment).
      if (failsOnStart(sd.target.behaviour)) sd.target.settlesAtMs = atMs + entry.durationMs;
    }
    if (entry.startsTasks) this.startGreen(service, sd.target, atMs);
    if (entry.final) return this.succeed(service, sd, atMs);
    const defined = entry.hookStage ? sd.hookDefinitions.filter((h) => h.stages.includes(entry.hookStage!)) : [];
    sd.hooks = defined.map((h) => ({
      hookId: `${sd.id}-hook-${++this.hookCounter}`,
      targetType: h.targetType,
      ...(h.hookTargetArn ? { targetArn: h.hookTargetArn } : {}),
      // The sandbox has no Lambda: a Lambda hook succeeds at once.
      status: h.targetType === 'PAUSE' ? 'AWAITING_ACTION' : 'SUCCEEDED',
      expiresAtMs: atMs + (sd.hookTimesOut ? 0 : h.timeoutMinutes * sd.minuteMs),
      timeoutAction: h.timeoutAction,
    }));
    sd.clearedAtMs = sd.hooks.some((h) => h.status === 'AWAITING_ACTION') ? undefined : atMs;
  }

  private startGreen(service: SettlingService, target: DeploymentRecord, atMs: number): void {
    const started = startTasks(service, target, target.desiredCount - target.runningCount, atMs, () => this.ids.next('task'));
    target.runningCount = target.desiredCount;
    target.updatedAtMs = atMs;
    if (started.length > 0) addEvent(service, this.ids, atMs, startedTasksMessage(service, started));
  }

  /** CLEAN_UP: the green deployment completes at `atMs` (settle.ts then drains blue). */
  private succeed(service: SettlingService, sd: ServiceDeploymentRecord, atMs: number): void {
    sd.status = 'SUCCESSFUL';
    sd.statusReason = 'Service deployment completed.';
    sd.finishedAtMs = atMs;
    sd.weights = { production: 100, test: sd.testListener ? 100 : 0 };
    sd.target.settlesAtMs = atMs;
  }

  /**
   * The circuit breaker failed the green revision during SCALE_UP (settle.ts set its rolloutState
   * FAILED at `atMs` and wrote ECS's events). ECS's guide: the breaker and its rollback apply to
   * blue/green deployments too ("deployment failure detection"), a failed deployment is rolled back
   * to the last COMPLETED one; it does not say at which stage or with which words. The sandbox,
   * closest to its rolling emulation: with rollback, ROLLBACK_IN_PROGRESS at once (no production
   * traffic ever moved), ROLLBACK_SUCCESSFUL after the deployment delay, `rollback.reason` naming
   * the breaker and the failed tasks; without rollback (the docs do not say), STOPPED with that
   * reason, the green revision left FAILED as a rolling deployment is and blue keeping all traffic.
   */
  private breakerTripped(service: SettlingService, sd: ServiceDeploymentRecord, atMs: number): void {
    const target = sd.target;
    const lastStop = service.tasks.filter((t) => t.deploymentId === target.id && t.stop).at(-1)?.stop?.reason;
    const reason = `ECS deployment circuit breaker: ${target.failedTasks} tasks of the target service revision failed to start (threshold ${circuitBreakerThreshold(target.desiredCount)})${lastStop ? `: ${lastStop}` : ''}.`;
    sd.circuitBreakerTripped = true;
    if (target.rollbackOnFailure) return this.startRollback(service, sd, atMs, reason);
    sd.status = 'STOPPED';
    sd.statusReason = `${reason} Rollback is not turned on for the circuit breaker.`;
    sd.stoppedAtMs = atMs;
    sd.finishedAtMs = atMs;
    sd.updatedAtMs = atMs;
  }

  private startRollback(service: SettlingService, sd: ServiceDeploymentRecord, atMs: number, reason: string): void {
    sd.status = 'ROLLBACK_IN_PROGRESS';
    sd.statusReason = `Rolling back: ${reason}`;
    sd.updatedAtMs = atMs;
    sd.rollback = { reason, startedAtMs: atMs, endsAtMs: atMs + sd.delayMs };
    // The listener rules move back first: blue has all the traffic again at once.
    if (!sd.rollbackFails) sd.weights = { production: 0, test: 0 };
    addEvent(service, this.ids, atMs, `(service ${service.name}) (service deployment ${sd.id}) rolling back: ${reason}`);
  }

  private finishRollback(service: SettlingService, sd: ServiceDeploymentRecord): void {
    const at = sd.rollback!.endsAtMs;
    sd.finishedAtMs = at;
    sd.updatedAtMs = at;
    if (sd.rollbackFails) {
      sd.status = 'ROLLBACK_FAILED';
      sd.statusReason = `Rollback failed: the listener rules could not be restored to the source service revision (scripted by the sandbox scenario). ${sd.rollback!.reason}`;
      sd.target.rolloutState = 'FAILED';
      sd.target.rolloutStateReason = sd.statusReason;
      sd.target.updatedAtMs = at;
      addEvent(service, this.ids, at, `(service ${service.name}) (service deployment ${sd.id}) rollback failed.`);
      return;
    }
    sd.status = 'ROLLBACK_SUCCESSFUL';
    sd.statusReason = `Rolled back to the source service revision: ${sd.rollback!.reason}`;
    // A newer deployment started meanwhile is PRIMARY: blue goes back to serving only if green still was.
    const restore = sd.target.status === 'PRIMARY';
    retire(service, sd.target, at);
    if (restore) {
      sd.source.status = 'PRIMARY';
      sd.source.updatedAtMs = at;
    }
    addEvent(service, this.ids, at, `(service ${service.name}) (service deployment ${sd.id}) rolled back to deployment ${sd.source.id}.`);
  }
}

/** The green deployment goes: its tasks stop and it leaves the listing. */
function retire(service: SettlingService, target: DeploymentRecord, atMs: number): void {
  stopTasks(service, target.id, atMs, scaledInStop(target.id));
  target.status = 'INACTIVE';
  target.runningCount = 0;
  // A revision the circuit breaker failed keeps ECS's reason.
  if (target.rolloutState !== 'FAILED') target.rolloutStateReason = 'Service deployment rolled back or stopped.';
  target.rolloutState = 'FAILED';
  target.updatedAtMs = atMs;
}
