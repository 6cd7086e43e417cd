/**
 * What a Temporal server needs to honour the priority Runway's shared workflows are started with
 * (src/domain/shared-workflow-priority.ts): its priority-enabled matcher, off by default in Temporal
 * 1.29, which Runway's dev server, its PostgreSQL stack and the compose stack
 * (deploy/temporal/dynamicconfig.yaml) turn on. A server without it treats every task alike, first
 * in, first out: nothing breaks, the shared workflows' answers only wait their turn behind the
 * releases' tasks.
 */
export const PRIORITY_MATCHER_CONFIG = { 'matching.useNewMatcher': true } as const;
