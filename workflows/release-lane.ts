/**
 * A release's (or rollback's) side of its service's lane (issue 18, part 1): it asks for a place
 * before doing anything, waits for its turn, tells the lane when it goes past approval, and stops
 * when the lane says so (superseded by a newer commit, preempted by a rollback), rolling back what
 * it did through its own compensation. Constructing it registers the lane's signals, so it must
 * happen before the workflow's first await.
 */
import { CancellationScope, condition, getExternalWorkflowHandle, patched, setHandler } from '@temporalio/workflow';
import type { LaneEntryKind, LaneMode } from '../src/domain/lane';
import { laneLeavingSignal, laneStopSignal, laneTurnSignal, laneWorkflowId } from '../src/domain/lane-api';
import { ReleaseStage } from '../src/domain/release';
import type { ReleaseContext } from './release-context';
import { ReleaseRejected, ReleaseStopped } from './release-stopped';

/** Releases and rollbacks recorded before they told their lane they were leaving replay without it. */
export const RELEASE_SAYS_LEAVING_PATCH = 'release-says-leaving';

export class ReleaseLane {
  /** Why the lane stopped this run, once it did. */
  stopReason?: string;
  /** It holds the lane (it got its turn): what it does from now on is undone if it stops. */
  started = false;
  private turn = false;
  private passedApproval = false;
  /** It has a place in the lane (holding or waiting), so the lane must hear when it ends. */
  private admitted = false;

  constructor(
    private readonly release: ReleaseContext,
    private readonly kind: LaneEntryKind,
    private readonly taskQueue: string,
  ) {
    setHandler(laneTurnSignal, () => {
      this.turn = true;
    });
    setHandler(laneStopSignal, ({ reason, cause }) => {
      // A release past approval is never superseded (the lane refuses that order); a rollback still preempts it.
      if (this.stopReason !== undefined || (cause === 'superseded' && this.passedApproval)) return;
      this.stopReason = reason;
      release.record(`the ${release.input.service} lane stops this ${kind}: ${reason}`);
      release.forward.cancel();
    });
  }

  get mode(): LaneMode {
    return this.release.plan.lane?.mode ?? 'queue';
  }

  /** Asks for a place in the lane and waits for its turn (at most the input's lane timeout, when it has one). */
  async awaitTurn(): Promise<void> {
    const { release, kind } = this;
    const { service, version } = release.input;
    const { decision, place } = await release.acts.lane.enterLane({
      taskQueue: this.taskQueue,
      service,
      request: { workflowId: release.releaseId, runId: release.runId, kind, mode: this.mode, ...(kind === 'release' ? { version } : {}) },
    });
    if (decision.kind === 'refused') throw new ReleaseRejected(`not admitted to the ${service} lane: ${decision.reason}`);
    this.admitted = true;
    if (decision.kind === 'queued') {
      release.enter(ReleaseStage.queued, `waiting in the ${service} lane (${this.mode}): ${place ?? `behind ${decision.behind}`}`);
      const timeoutMs = release.input.laneTimeoutMs;
      if (timeoutMs === undefined) await condition(() => this.turn);
      else if (!(await condition(() => this.turn, timeoutMs))) throw new ReleaseRejected(`gave up after waiting ${Math.round(timeoutMs! / 1000)} s in the ${service} lane (its queue timeout)`);
    }
    this.started = true;
    release.record(`holds the ${service} lane`);
  }

  /**
   * The run's last word to its lane: it is leaving. Awaited (the server delivers a signal only
   * while its sender is open), and the lane, asking the server, waits for the run to close before
   * it frees the place. Whatever happens to the word, the lane's own looks free the place later.
   * Sent even when the run was cancelled: its rollback is done by now.
   */
  async sayLeaving(): Promise<void> {
    if (!this.admitted || !patched(RELEASE_SAYS_LEAVING_PATCH)) return;
    const { release } = this;
    const lane = getExternalWorkflowHandle(laneWorkflowId(this.taskQueue, release.input.service));
    await CancellationScope.nonCancellable(() => lane.signal(laneLeavingSignal, { workflowId: release.releaseId, runId: release.runId })).catch(() => undefined);
  }

  /** Before going past approval: refused (the release stops) when the lane has already superseded it. */
  async passApproval(): Promise<void> {
    if (this.kind !== 'release') return;
    const { release } = this;
    const answer = await release.acts.lane.passLaneApproval({ taskQueue: this.taskQueue, service: release.input.service, workflowId: release.releaseId });
    if (!answer.ok) {
      this.stopReason ??= answer.reason;
      throw new ReleaseStopped(answer.reason);
    }
    this.passedApproval = true;
  }
}
