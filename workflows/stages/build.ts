/**
 * Stage 1, build: the commit must be releasable (on the release branch), and CI builds its image
 * (a dispatched GitHub Actions run, after the CI-green rule) or has already built it (the
 * commit's checks are green).
 */
import { isCancellation } from '@temporalio/workflow';
import { type BuildPlan, ReleaseStage } from '../../src/domain/release';
import { CI_GREEN_DEADLINE_MS } from '../activity-options';
import { failureMessage } from '../compensations';
import type { ReleaseContext } from '../release-context';
import { PreReleaseRefused } from '../release-stopped';

export async function build(release: ReleaseContext): Promise<void> {
  const { plan, input, acts } = release;
  release.enter(ReleaseStage.building, `verifying the build of ${release.shortVersion}`);
  if (plan.releaseBranch) {
    const branch = await acts.github.checkReleaseBranch({ repo: plan.repo, version: input.version, branch: plan.releaseBranch });
    release.record(`release-branch rule: the commit is on ${branch.branch} (${branch.status})`);
  }
  if (plan.build.mode === 'dispatch') return dispatchedBuild(release, plan.build);
  const verified = await acts.buildWait.verifyBuild({
    repo: plan.repo,
    version: input.version,
    image: input.image,
    requiredChecks: plan.build.requiredChecks,
    pendingDeadlineMs: plan.build.pendingDeadlineMs,
    ...(plan.build.onlyRequiredChecks ? { onlyRequiredChecks: true } : {}),
    ...startingRun(release),
  });
  release.record(`build verified: ${verified.checks.join(', ')} green${notJudged(verified)}`);
}

/** The Actions run that started the release, whose own check runs the CI gates leave out. */
function startingRun({ input }: ReleaseContext): { startedBy?: { runId: number; runAttempt?: number } } {
  const run = input.startedBy;
  return run ? { startedBy: { runId: run.githubRunId, ...(run.githubRunAttempt ? { runAttempt: run.githubRunAttempt } : {}) } } : {};
}

const notJudged = (verified: { notJudged?: string[] }) =>
  verified.notJudged?.length ? ` (not judged: ${verified.notJudged.join(', ')} of the workflow run that started this release)` : '';

/** Runs the service's build workflow for the commit and deploys the image it produced. */
async function dispatchedBuild(release: ReleaseContext, build: Extract<BuildPlan, { mode: 'dispatch' }>): Promise<void> {
  const { plan, input, acts } = release;
  if (plan.requireGreenCi) await requireGreenCi(release);
  const run = await acts.buildWait.dispatchBuild({ repo: plan.repo, workflow: build.workflow, ref: build.ref, version: input.version, releaseId: release.releaseId });
  release.record(`build ${run.dispatched ? 'dispatched' : 'found already dispatched'}: ${build.workflow} run ${run.runId} ${run.url}`);
  release.showDetails();
  const built = await acts.buildWait.waitForBuild({
    repo: plan.repo,
    runId: run.runId,
    version: input.version,
    image: input.image,
    imageOutput: build.imageOutput,
    timeoutMs: build.timeoutMs,
  });
  release.state.useImage(built.image);
  release.record(`build run ${built.runId} ${built.conclusion}: ${built.image}`);
}

/** The CI-green rule before Runway spends a build on the commit; a refusal names the rule. */
async function requireGreenCi(release: ReleaseContext): Promise<void> {
  const { plan, input, acts } = release;
  try {
    const verified = await acts.buildWait.verifyBuild({ repo: plan.repo, version: input.version, image: input.image, requiredChecks: [], pendingDeadlineMs: CI_GREEN_DEADLINE_MS, ...startingRun(release) });
    release.record(`ci-green rule: ${verified.checks.join(', ')} green${notJudged(verified)}`);
  } catch (err) {
    if (isCancellation(err)) throw err;
    throw new PreReleaseRefused(`ci-green rule: ${failureMessage(err)}`);
  }
}
