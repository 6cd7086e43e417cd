/**
 * The GitHub Actions workflow run a `runway start` runs in, read from the variables Actions sets
 * in every job (GITHUB_ACTIONS, GITHUB_REPOSITORY, GITHUB_RUN_ID, GITHUB_RUN_ATTEMPT). Each job
 * of a run is a check run on the commit it runs for, so the job that starts a release and waits
 * for it is itself a check run still in progress; the release's CI gates leave that run's check
 * runs out, and this is how the release learns which run it is.
 */
import type { ReleaseInput } from '../domain/release';
import { invalidInput } from './errors';

export interface StartingRun {
  /** For the release input; absent outside Actions or when the run is in another repository. */
  startedBy?: NonNullable<ReleaseInput['startedBy']>;
  /** Why a run was seen but not passed on, for the person reading the job's log. */
  note?: string;
}

const RUN_ID = /^[1-9]\d{0,15}$/;
const RUN_ATTEMPT = /^[1-9]\d{0,5}$/;

/**
 * The run that is starting a release of a service whose repository is `serviceRepo`. Only a run
 * in that repository can have check runs on the service's commits: a run elsewhere (a central
 * deploy repository, a renamed repository) is not passed on, and the note says so. A malformed
 * run id or attempt is refused (exit 2) naming the variable.
 */
export function startingRunFromEnv(env: NodeJS.ProcessEnv, serviceRepo: string): StartingRun {
  if (env.GITHUB_ACTIONS !== 'true') return {};
  const repository = env.GITHUB_REPOSITORY ?? '';
  if (repository.toLowerCase() !== serviceRepo.toLowerCase()) {
    return {
      note:
        `this job runs in ${repository || 'a repository GITHUB_REPOSITORY does not name'}, not in ${serviceRepo} (the service's repo in the config): ` +
        'its check runs are not on the commit, so all of the commit’s check runs count',
    };
  }
  const runId = env.GITHUB_RUN_ID ?? '';
  if (!RUN_ID.test(runId) || !Number.isSafeInteger(Number(runId))) {
    throw invalidInput(`GITHUB_RUN_ID: "${runId}" is not a workflow run id (GitHub Actions sets it to the run's number; GITHUB_ACTIONS is true)`);
  }
  const attempt = env.GITHUB_RUN_ATTEMPT ?? '';
  if (attempt !== '' && !RUN_ATTEMPT.test(attempt)) {
    throw invalidInput(`GITHUB_RUN_ATTEMPT: "${attempt}" is not a run attempt (a number from 1; GitHub Actions sets it)`);
  }
  return { startedBy: { githubRunId: Number(runId), ...(attempt ? { githubRunAttempt: Number(attempt) } : {}) } };
}
