/** Thrown when a release refuses a request (its Update validator said no), with the release's reason. */
export class ReleaseRefusedError extends Error {
  override name = 'ReleaseRefusedError';
}

/**
 * Thrown when a running release cannot move because its workflow task keeps failing (the worker
 * cannot run its next step, e.g. a nondeterminism error after an incompatible workflow change):
 * its status query cannot answer either, so this says what is known and what to do.
 */
export class ReleaseStuckError extends Error {
  override name = 'ReleaseStuckError';
  constructor(
    readonly releaseId: string,
    readonly attempts: number,
    readonly lastStage: string | undefined,
  ) {
    super(
      `${releaseId} cannot move: its workflow task has failed ${attempts} times in a row (last stage recorded: ${lastStage ?? 'unknown'}). ` +
        `The worker log says why. ${stuckReleaseAdvice(releaseId)}`,
    );
  }
}

/** What to do about a release whose workflow task keeps failing (shared by `runway status` and `runway watch`). */
export function stuckReleaseAdvice(releaseId: string): string {
  return (
    'If it is a nondeterminism error, reset the release to a workflow task before the one that cannot replay ' +
    `(temporal workflow reset --workflow-id ${releaseId} --event-id <a WorkflowTaskCompleted event id> --reason …): ` +
    "Runway's steps are safe to repeat, so the steps after that point run again without repeating their effects."
  );
}
