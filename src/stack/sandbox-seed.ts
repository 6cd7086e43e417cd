/**
 * What the sandbox's ECS starts with, derived from the config: for every service a staging
 * service, a stable production service and an empty canary service, all running an "initial"
 * image, so the first release has something to copy and to roll back to.
 */
import type { RunwayConfig } from '../config/schema';
import { type EmulatedSystem, type MetricsTarget, SANDBOX_WEBHOOK_SECRET, type SandboxCall, type SandboxServiceSeed } from '../sandbox';

/** Stable production task count: 9 makes 10 % exactly one canary task. */
export const SANDBOX_PRODUCTION_TASKS = 9;
export const SANDBOX_STAGING_TASKS = 2;

export function sandboxSeed(config: RunwayConfig): SandboxServiceSeed[] {
  return Object.entries(config.services).flatMap(([name, svc]) => {
    const image = `${svc.image}:initial`;
    return [
      { cluster: svc.staging.cluster, service: svc.staging.service, family: `${name}-staging`, container: svc.container, image, desiredCount: SANDBOX_STAGING_TASKS },
      { cluster: svc.production.cluster, service: svc.production.service, family: `${name}-production`, container: svc.container, image, desiredCount: SANDBOX_PRODUCTION_TASKS },
      // The two-service canary's second service; ECS's own strategies deploy the one production service.
      ...(svc.production.canaryService
        ? [{ cluster: svc.production.cluster, service: svc.production.canaryService, family: `${name}-production`, container: svc.container, image, desiredCount: 0 }]
        : []),
    ];
  });
}

/** The production stable and canary services as the Prometheus emulator's metrics targets (under ECS's own strategies, revisions of the one service tell them apart). */
export function sandboxMetricsTargets(config: RunwayConfig): MetricsTarget[] {
  return Object.entries(config.services).flatMap(([name, svc]) => [
    { service: name, environment: 'production', track: 'stable' as const, cluster: svc.production.cluster, ecsService: svc.production.service },
    ...(svc.production.canaryService
      ? [{ service: name, environment: 'production', track: 'canary' as const, cluster: svc.production.cluster, ecsService: svc.production.canaryService }]
      : []),
  ]);
}

/**
 * Environment that points the real clients at a sandbox: AWS's standard endpoint variable, the
 * Slack and GitHub base URLs, and throwaway credentials (the emulators check none).
 */
export function sandboxClientEnv(sandboxUrl: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_ECS: sandboxUrl,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'sandbox',
    AWS_SECRET_ACCESS_KEY: 'sandbox',
    SLACK_API_URL: `${sandboxUrl}/slack/api/`,
    SLACK_BOT_TOKEN: 'xoxb-sandbox',
    GITHUB_API_URL: `${sandboxUrl}/github`,
    GITHUB_TOKEN: 'sandbox',
    PROMETHEUS_URL: `${sandboxUrl}/prometheus`,
    SENTRY_URL: `${sandboxUrl}/sentry`,
    SENTRY_AUTH_TOKEN: 'sntrys_sandbox',
    // The sandbox's webhook receivers check signatures with the same secret.
    RUNWAY_WEBHOOK_SECRET: SANDBOX_WEBHOOK_SECRET,
  };
}

/** One line per call the sandbox answered, as `runway sandbox` / `runway dev` print it at RUNWAY_LOG_LEVEL=debug. */
export function sandboxCallLine(system: EmulatedSystem, call: SandboxCall): string {
  return `sandbox: ${system} ${call.operation} → ${call.status}`;
}
