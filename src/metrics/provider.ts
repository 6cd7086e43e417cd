/**
 * Where canary and stable metrics come from. Prometheus implements it today; a CloudWatch
 * provider can implement the same interface without the analysis changing.
 */
import type { TrackMetrics } from '../domain/canary-analysis';

export type Track = 'canary' | 'stable';

export interface MetricsQuery {
  service: string;
  environment: string;
  track: Track;
  /**
   * The task definition revision the track runs, as `family:revision` (e.g. `checkout-production:7`),
   * for `{{revision}}` in the queries: under ECS's own strategies one ECS service runs both
   * versions and the revision tells them apart (see src/config/revision-queries.ts).
   */
  revision?: string;
  /** Window the rates are computed over, in ms (the analysis interval). */
  windowMs: number;
}

export interface MetricsProvider {
  /** Metrics of one track over the window ending now; fields are undefined when there is no data. */
  trackMetrics(query: MetricsQuery): Promise<TrackMetrics>;
}

/** Thrown when the metrics source cannot be queried at all (as opposed to having no data). */
export class MetricsUnavailableError extends Error {
  override name = 'MetricsUnavailableError';
}
