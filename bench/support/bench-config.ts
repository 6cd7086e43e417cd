/**
 * A config for benches: the repository's sample service cloned under several names, each with
 * its own ECS services, GitHub repo and smoke URL on the sandbox, so concurrent releases never
 * touch each other's services and every sandbox call can be attributed to one release.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { parseConfig } from '../../src/config/load';
import type { RunwayConfig } from '../../src/config/schema';
import type { ProductionStrategyName } from '../../src/domain/release';
import { sandboxLoadBalancer, sandboxTestUrl } from '../../src/stack/sandbox-strategy';

/** What one service does differently from the rest of the bench's services. */
export interface BenchServiceOverride {
  /**
   * How production traffic moves. `two-service-canary` (the default) gets a canary service
   * `<name>-canary` and steps 10/30/60/100; ECS's own strategies get the sandbox's load balancer
   * (and, for blue-green, its test listener), no canary service, and the strategy's default steps.
   */
  strategy?: ProductionStrategyName;
  /** This service's post-release watch, instead of the bench's `verify`. */
  verify?: string | number;
  /** `dispatch`: Runway runs the build (`build.yml` on the sandbox's GitHub) instead of trusting CI's checks. */
  build?: 'checks' | 'dispatch';
}

export interface BenchTiming {
  /** Canary bake per step, e.g. "500ms" or 0. */
  bake: string | number;
  /** Smoke check interval. @default '100ms' */
  smokeInterval?: string | number;
  /** Passing smoke checks in a row required. @default 2 */
  smokeSuccesses?: number;
  /** Canary analysis interval. @default the bake (one measurement per bake) */
  analysisInterval?: string | number;
  /** The post-release watch's window (`verify.duration`). @default none: no watch */
  verify?: string | number;
  /** Per service name: what differs from the above. */
  perService?: Record<string, BenchServiceOverride>;
}

const SAMPLE = path.join(__dirname, '../../runway.config.yaml');

const isZero = (duration: string | number) => duration === 0 || /^0\s*(ms|s)?$/.test(String(duration).trim());

export function benchServiceNames(count: number, prefix = 'svc'): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}-${String(i).padStart(3, '0')}`);
}

/** YAML text (for RUNWAY_CONFIG, so `runway approve` works against the bench) and the parsed config. */
export function benchConfig(sandboxUrl: string, services: string[], timing: BenchTiming): { text: string; config: RunwayConfig } {
  const sample = YAML.parse(readFileSync(SAMPLE, 'utf8')) as { services: Record<string, Record<string, unknown>> } & Record<string, unknown>;
  const template = sample.services.checkout;
  const bake = timing.bake;
  const strategyOf = (name: string) => timing.perService?.[name]?.strategy ?? 'two-service-canary';
  const verifyOf = (name: string) => timing.perService?.[name]?.verify ?? timing.verify;
  const entries = services.map((name) => [
    name,
    {
      ...template,
      repo: `acme/${name}`,
      image: `000000000000.dkr.ecr.us-east-1.amazonaws.com/${name}`,
      staging: { cluster: 'staging', service: name, url: `${sandboxUrl}/services/staging/${name}` },
      production: productionOf(sandboxUrl, name, strategyOf(name)),
      smoke: {
        url: `${sandboxUrl}/services/staging/${name}/health`,
        successes: timing.smokeSuccesses ?? 2,
        interval: timing.smokeInterval ?? '100ms',
        timeout: '5s',
      },
      // One analysis interval per bake, so one failed measurement must be enough to roll back;
      // the stack sends enough traffic that even the 10 % canary is measured.
      // A bake of 0 skips analysis; the interval must still be a valid one (at least 1 s).
      // ECS's own strategies take their default steps (ECS refuses the two-service canary's).
      canary: {
        ...(strategyOf(name) === 'two-service-canary' ? { steps: [10, 30, 60, 100] } : {}),
        bake,
        analysis: { interval: timing.analysisInterval ?? (isZero(bake) ? '1s' : bake), failureLimit: 1, thresholds: { minRequests: 1 } },
      },
      // CI has built the image (unless asked): benches measure Runway's own path, not a build's poll interval.
      build: timing.perService?.[name]?.build === 'dispatch' ? { mode: 'dispatch', workflow: 'build.yml' } : { mode: 'checks' },
      deployTimeout: '2m',
      ...(verifyOf(name) !== undefined ? { verify: { duration: verifyOf(name) } } : {}),
    },
  ]);
  const text = YAML.stringify({ ...sample, services: Object.fromEntries(entries) });
  return { text, config: parseConfig(text, 'bench config') };
}

/** `production:` of a bench service under `strategy`, on the sandbox (the sandbox seeds what it names). */
function productionOf(sandboxUrl: string, name: string, strategy: ProductionStrategyName): Record<string, unknown> {
  const service = { cluster: 'production', service: name, url: `${sandboxUrl}/services/production/${name}` };
  if (strategy === 'two-service-canary') return { ...service, canaryService: `${name}-canary` };
  return {
    ...service,
    strategy,
    loadBalancer: sandboxLoadBalancer(name),
    ...(strategy === 'ecs-blue-green' ? { testUrl: sandboxTestUrl(sandboxUrl, service.cluster, name) } : {}),
  };
}
