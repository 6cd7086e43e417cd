/**
 * The metrics part of the sandbox scenario: how a version's canary metrics behave (keyed by
 * full image URI or by tag, like `images`) and how much traffic a service gets.
 */
import { z } from 'zod';

export const canaryMetricsBehaviourSchema = z.strictObject({
  /** errors: 15 % 5xx; latency: p99 three times stable's; no-data: the query returns nothing. */
  behaviour: z.enum(['healthy', 'errors', 'latency', 'no-data']),
  /** How long after its deployment started the version turns bad. @default 0 */
  afterMs: z.number().int().min(0).max(3_600_000).optional(),
});
export type CanaryMetricsBehaviour = z.infer<typeof canaryMetricsBehaviourSchema>;

export const trafficSchema = z.strictObject({
  /** Requests per second across a service's stable and canary tasks. */
  rps: z.number().min(0).max(1_000_000),
});
export type Traffic = z.infer<typeof trafficSchema>;
