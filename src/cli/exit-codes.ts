/** Process exit codes of `runway`. Documented in the README; CI scripts rely on them. */
export const ExitCode = {
  /** The command succeeded; for `start --wait` / `watch`: the release reached production. */
  ok: 0,
  /** Something unexpected (e.g. Temporal unreachable); the message says what. */
  error: 1,
  /** Invalid input: a flag, the config file or the environment; the message names the field. */
  invalidInput: 2,
  /** The release id does not exist. */
  notFound: 3,
  /**
   * Refused: the release refused the request (approver not allowed, wrong stage), or `start`
   * did not start because another release of the service is in flight (without `--queue`, or
   * when `--queue-timeout` ran out).
   */
  refused: 4,
  /** The release was rolled back (a stage failed). */
  rolledBack: 5,
  /** The release was rejected (by an approver, or the approval timed out). */
  rejected: 6,
  /** The release failed and its rollback did not complete: look at it now. */
  failed: 7,
  /**
   * For `start --wait` / `watch`: the release ended without an outcome of its own — its workflow
   * was terminated, timed out or failed before it finished or rolled back — or it is stuck (its
   * workflow task keeps failing). Staging or production may be left changed: look at it now.
   */
  noOutcome: 8,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export function exitCodeForResult(result: string | undefined): ExitCode {
  switch (result) {
    case 'released':
      return ExitCode.ok;
    case 'rolled-back':
      return ExitCode.rolledBack;
    case 'rejected':
      return ExitCode.rejected;
    default:
      return ExitCode.failed;
  }
}
