import type { ReleasePlan } from '../../src/domain/release';

/** A plan with short durations so workflow tests run in seconds. */
export function samplePlan(overrides: Partial<ReleasePlan> = {}): ReleasePlan {
  return {
    repo: 'acme/checkout',
    imageRepository: 'registry.local/checkout',
    container: 'app',
    staging: { cluster: 'staging', service: 'checkout' },
    production: { cluster: 'production', service: 'checkout', canaryService: 'checkout-canary' },
    smoke: { url: 'http://127.0.0.1:1/health', attempts: 2, intervalMs: 10, timeoutMs: 1000 },
    canary: { steps: [10, 30, 60, 100], bakeMs: 50 },
    approval: { channel: '#deploys', approvers: ['alice', 'bob'], timeoutMs: 60_000, allowSelfApproval: false },
    deployTimeoutMs: 30_000,
    ...overrides,
  };
}
