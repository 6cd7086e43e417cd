/** How the sample service behaves, shared by the query emulator and the service's own counters. */

/** What a healthy version looks like; a bad one is measured against these. */
export const HEALTHY = { errorRate: 0.002, p99Ms: 120 };
export const BAD_ERROR_RATE = 0.15;
export const BAD_LATENCY_FACTOR = 3;
/** Requests per second across all tracks of a service when the scenario sets none. */
export const DEFAULT_TRAFFIC_RPS = 1000;
