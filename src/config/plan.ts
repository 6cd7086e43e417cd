import type { ProductionPlan, ReleasePlan } from '../domain/release';
import { buildPlan } from './build-schema';
import { freezePlanOf } from './freeze-plan';
import { DEFAULT_REVISION_QUERIES } from './revision-queries';
import { type RunwayConfig, type ServiceConfig, usesDefaultQueries } from './schema';
import { canaryStepsOf } from './production-schema';
import { smokePlanOf } from './smoke-schema';

/** Thrown when a release names a service the config does not know. */
export class UnknownServiceError extends Error {
  constructor(
    readonly service: string,
    readonly known: string[],
  ) {
    super(`unknown service "${service}" (configured: ${known.join(', ')})`);
    this.name = 'UnknownServiceError';
  }
}

export function serviceConfig(config: RunwayConfig, service: string): ServiceConfig {
  const found = config.services[service];
  if (!found) throw new UnknownServiceError(service, Object.keys(config.services));
  return found;
}

/**
 * How far ahead a release's plan resolves the configured freeze windows: long past any approval
 * timeout, and short enough that an hourly rule's occurrences (720) keep the workflow input small.
 */
export const RELEASE_FREEZE_HORIZON_MS = 30 * 24 * 3600_000;

/** Resolves the config of one service into the plan a release carries in its input. */
/** `requestedBy` (a name from `people`) lets the plan carry the requester's Slack id for mentions and the self-approval rule. */
/** `nowMs`: when the release starts, from which the configured freeze windows are resolved (src/config/freeze-plan.ts). */
export function releasePlan(config: RunwayConfig, service: string, requestedBy?: string, nowMs = Date.now()): ReleasePlan {
  const svc = serviceConfig(config, service);
  return {
    repo: svc.repo,
    imageRepository: svc.image,
    container: svc.container,
    staging: { cluster: svc.staging.cluster, service: svc.staging.service },
    production: productionPlanOf(svc),
    smoke: smokePlanOf(svc.smoke),
    canary: {
      steps: canaryStepsOf(svc),
      bakeMs: svc.canary.bake,
      analysis: {
        intervalMs: svc.canary.analysis.interval,
        failureLimit: svc.canary.analysis.failureLimit,
        inconclusiveLimit: svc.canary.analysis.inconclusiveLimit,
        decisionTimeoutMs: svc.canary.analysis.decisionTimeout,
        thresholds: svc.canary.analysis.thresholds,
        // Under ECS's own strategies both versions run in one service: the default queries select by revision.
        queries: svc.production.strategy !== 'two-service-canary' && usesDefaultQueries(svc) ? DEFAULT_REVISION_QUERIES : svc.canary.analysis.queries,
      },
    },
    approval: {
      channel: svc.approval.channel,
      approvers: svc.approval.approvers,
      timeoutMs: svc.approval.timeout,
      allowSelfApproval: svc.approval.selfApproval,
      // Only when set, so plans of services that use none of them stay as they were.
      ...(svc.approval.groups?.length ? { groups: svc.approval.groups } : {}),
      ...(svc.approval.required > 1 ? { requiredApprovals: svc.approval.required } : {}),
      ...(svc.approval.reminder !== undefined ? { reminderMs: svc.approval.reminder } : {}),
      ...(requestedBy && config.people[requestedBy]?.slack ? { requesterSlackId: config.people[requestedBy].slack } : {}),
      ...approverSlackIds(config, svc.approval.approvers),
    },
    deployTimeoutMs: svc.deployTimeout,
    webUiUrl: config.webUiUrl?.replace(/\/+$/, ''),
    environmentUrls: { staging: svc.staging.url, production: svc.production.url },
    build: buildPlan(svc.build, svc.releaseBranch, svc.requireGreenCi),
    releaseBranch: svc.releaseBranch,
    // In checks mode the build gate is this check already.
    ...(svc.requireGreenCi && svc.build.mode === 'dispatch' ? { requireGreenCi: true } : {}),
    ...verifyPlan(svc),
    ...(svc.rollback.approval === 'required' ? { rollback: { approval: 'required' as const } } : {}),
    lane: { mode: svc.lane.mode },
    ...(svc.migration ? { migration: { command: svc.migration.command, container: svc.migration.container ?? svc.container } } : {}),
    ...markerPlan(config, svc),
    // Only when configured, so plans of services without freezes stay as they were.
    ...(config.freeze || svc.freeze ? { freeze: freezePlanOf(config, service, { nowMs, horizonMs: RELEASE_FREEZE_HORIZON_MS }) } : {}),
  };
}

/** Slack ids of the approvers `people` maps, so reminders and holds mention them; absent when none is mapped. */
function approverSlackIds(config: RunwayConfig, approvers: string[]): { approverSlackIds?: Record<string, string> } {
  const ids = Object.fromEntries(
    approvers.flatMap((name) => {
      const slack = Object.prototype.hasOwnProperty.call(config.people, name) ? config.people[name]?.slack : undefined;
      return slack ? [[name, slack] as const] : [];
    }),
  );
  return Object.keys(ids).length > 0 ? { approverSlackIds: ids } : {};
}

/** Sentry and webhooks only when configured, so plans of services without them stay as they were. */
function markerPlan(config: RunwayConfig, svc: ServiceConfig): Pick<ReleasePlan, 'sentry' | 'webhooks'> {
  const sentry = svc.markers?.sentry;
  const webhooks = [...new Set([...(config.notify?.webhooks ?? []), ...(svc.notify?.webhooks ?? [])])];
  return {
    ...(sentry ? { sentry: { org: sentry.org, project: sentry.project, repository: sentry.repository ?? svc.repo, versionPrefix: sentry.versionPrefix } } : {}),
    ...(webhooks.length > 0 ? { webhooks } : {}),
  };
}

/** Production as the release's traffic strategy needs it; the two-service canary's plan is as it was before strategies existed. */
function productionPlanOf(svc: ServiceConfig): ProductionPlan {
  const { cluster, service, strategy, canaryService, loadBalancer, testUrl, approveAfterTestTraffic } = svc.production;
  if (strategy === 'two-service-canary') return { cluster, service, canaryService: canaryService! };
  return {
    cluster,
    service,
    strategy,
    loadBalancer: { ...loadBalancer!, containerName: loadBalancer!.containerName ?? svc.container },
    ...(testUrl ? { testUrl } : {}),
    ...(approveAfterTestTraffic ? { approveAfterTestTraffic: true as const } : {}),
  };
}

/**
 * The post-release watch. A blue-green release's bake is its watch (the new version at full
 * traffic, held to the old one's baseline while ECS keeps the old one ready): without `verify`
 * it lasts `canary.bake`.
 */
function verifyPlan(svc: ServiceConfig): { verify?: { durationMs: number } } {
  if (svc.verify) return { verify: { durationMs: svc.verify.duration } };
  if (svc.production.strategy === 'ecs-blue-green' && svc.canary.bake > 0) return { verify: { durationMs: svc.canary.bake } };
  return {};
}
