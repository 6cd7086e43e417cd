/**
 * Why a release left its forward path on purpose. Thrown inside the workflow and caught by
 * release(), which rolls back with the message as the reason; never seen by Temporal.
 */
export class ReleaseStopped extends Error {}

/** A person (or the approval timeout) rejected the release. */
export class ReleaseRejected extends ReleaseStopped {}

/** A pre-release rule (CI green before a dispatched build) refused the commit. */
export class PreReleaseRefused extends ReleaseStopped {}

/** Canary analysis failed the canary, or nobody decided about a held canary in time. */
export class CanaryFailed extends ReleaseStopped {}

/** The post-release watch found production failing (or nobody decided about it in time). */
export class VerificationFailed extends ReleaseStopped {}

/** ECS ended the production deployment itself (a lifecycle hook timed out, a rollback it started), or it did not go as planned. */
export class ProductionDeploymentFailed extends ReleaseStopped {}
