/**
 * Analysis queries for ECS's own strategies (BLUE_GREEN, LINEAR, CANARY), where one ECS service
 * runs both versions and canary and stable are told apart by task definition revision, not by
 * ECS service. The templates select by `task_revision="{{revision}}"` instead of
 * `track="{{track}}"`; the analysis fills `{{revision}}` with each version's task definition as
 * `family:revision` (e.g. `checkout-production:7`, see src/metrics/task-revision.ts).
 *
 * The label a service must export under these strategies: `task_revision`, on its request
 * counter and latency histogram, set to `<Family>:<Revision>` as the ECS task metadata endpoint
 * (`${ECS_CONTAINER_METADATA_URI_V4}/task`) reports them, next to `service` and `environment`.
 *
 * It lives in config, next to the default queries by track (schema.ts), because config reads it
 * and may not import src/metrics (the boundaries in eslint.config.mjs).
 */

/** The placeholders a query template may use; anything else is a typo that would query nothing. */
export const QUERY_PLACEHOLDERS: readonly string[] = ['service', 'environment', 'track', 'revision', 'interval'];

const selector = 'service="{{service}}",environment="{{environment}}",task_revision="{{revision}}"';

/** The three signals of the default queries, per task definition revision. */
export const DEFAULT_REVISION_QUERIES = {
  requests: `sum(increase(http_requests_total{${selector}}[{{interval}}]))`,
  errorRate: `sum(increase(http_requests_total{${selector},code=~"5.."}[{{interval}}])) / sum(increase(http_requests_total{${selector}}[{{interval}}]))`,
  p99Ms: `1000 * histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{${selector}}[{{interval}}])))`,
};
