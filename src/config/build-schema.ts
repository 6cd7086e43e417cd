/**
 * `build:` of a service: how Runway gets a built image for the commit before deploying.
 *
 * - `checks` (default): CI already built the image on push; the commit's check runs must all be
 *   green, and the `requiredChecks` present. Checks still running (or not yet reported) are
 *   polled until `pendingDeadline`. With the service's `requireGreenCi: false`, only the
 *   `requiredChecks` are judged (they must be present and green; other check runs are not looked
 *   at), so at least one is needed.
 * - `dispatch`: Runway runs the build itself with workflow_dispatch of `workflow` (a file in the
 *   repository's .github/workflows) from `ref`, and waits up to `timeout` for the run. The
 *   workflow must accept the inputs `runway_id` and `commit` and put `runway_id` in its run-name.
 */
import { z } from 'zod';
import type { BuildPlan } from '../domain/release';
import { durationSchema } from './duration';

const checksBuildSchema = z.strictObject({
  mode: z.literal('checks'),
  /** Check run names that must exist and pass (every check that exists must pass anyway). */
  requiredChecks: z.array(z.string().min(1)).default([]),
  /** How long checks may stay pending before the release fails. */
  pendingDeadline: durationSchema.default(10 * 60_000),
});

const dispatchBuildSchema = z.strictObject({
  mode: z.literal('dispatch'),
  /** Workflow file name, e.g. build.yml. */
  workflow: z.string().regex(/^[\w.-]+\.ya?ml$|^\d+$/, 'must be a workflow file name such as build.yml (or a workflow id)'),
  /** Branch or tag the workflow runs from (GitHub does not accept a SHA here); default: the release branch. */
  ref: z.string().min(1).optional(),
  /** The image the build pushes: `{{image}}` (the configured image:sha), `{{version}}`, `{{runId}}`, `{{runNumber}}`. */
  imageOutput: z.string().min(1).optional(),
  /** How long the build run may take. */
  timeout: durationSchema.default(30 * 60_000),
});

export const buildSchema = z.discriminatedUnion('mode', [checksBuildSchema, dispatchBuildSchema]);

/** What `build:` means when a service leaves it out: today's gate, look at CI checks. */
export const DEFAULT_BUILD = checksBuildSchema.parse({ mode: 'checks' });

export type BuildConfig = z.output<typeof buildSchema>;

/**
 * The build part of a release plan; a dispatched build runs from the release branch unless `ref`
 * says otherwise. With `requireGreenCi` off, a checks gate judges only the `requiredChecks`.
 */
export function buildPlan(build: BuildConfig, releaseBranch: string, requireGreenCi = true): BuildPlan {
  if (build.mode === 'checks') {
    return { mode: 'checks', requiredChecks: build.requiredChecks, pendingDeadlineMs: build.pendingDeadline, ...(requireGreenCi ? {} : { onlyRequiredChecks: true }) };
  }
  return { mode: 'dispatch', workflow: build.workflow, ref: build.ref ?? releaseBranch, imageOutput: build.imageOutput, timeoutMs: build.timeout };
}
