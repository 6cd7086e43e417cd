import { DEFAULT_THRESHOLDS } from '../../src/domain/canary-analysis';
import type { CanaryAnalysisPlan, ReleasePlan } from '../../src/domain/release';

/** Canary analysis as workflow tests use it: fast intervals; the fake `analyseBake` decides what is measured. */
export const SAMPLE_ANALYSIS: CanaryAnalysisPlan = {
  intervalMs: 100,
  failureLimit: 2,
  inconclusiveLimit: 3,
  decisionTimeoutMs: 60_000,
  thresholds: DEFAULT_THRESHOLDS,
  queries: { requests: 'r', errorRate: 'e', p99Ms: 'p' },
};

/** Overrides of a sample plan; `canary` fields are merged into the sample's. */
export type SamplePlanOverrides = Omit<Partial<ReleasePlan>, 'canary'> & { canary?: Partial<ReleasePlan['canary']> };

/** A plan with short durations so workflow tests run in seconds. */
export function samplePlan(overrides: SamplePlanOverrides = {}): ReleasePlan {
  const { canary, ...rest } = overrides;
  return {
    repo: 'acme/checkout',
    imageRepository: 'registry.local/checkout',
    container: 'app',
    staging: { cluster: 'staging', service: 'checkout' },
    production: { cluster: 'production', service: 'checkout', canaryService: 'checkout-canary' },
    smoke: { url: 'http://127.0.0.1:1/health', successes: 2, intervalMs: 10, timeoutMs: 1000, requestTimeoutMs: 1000 },
    approval: { channel: '#deploys', approvers: ['alice', 'bob'], timeoutMs: 60_000, allowSelfApproval: false },
    deployTimeoutMs: 30_000,
    build: { mode: 'checks', requiredChecks: [], pendingDeadlineMs: 0 },
    ...rest,
    canary: { steps: [10, 30, 60, 100], bakeMs: 50, analysis: SAMPLE_ANALYSIS, ...canary },
  };
}
