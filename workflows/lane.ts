/**
 * The release lane of one service (issue 18, part 1): an entity workflow,
 * `runway-lane:<taskQueue>:<service>`, through which every release and rollback of the service is
 * admitted. The rules are src/domain/lane.ts; this workflow applies them atomically (each Update
 * runs alone on the workflow's state) and carries out what they ask:
 * - tells a run it holds the lane now (`laneTurn`), or to stop (`laneStop`: superseded, preempted
 *   by a rollback, or dropped while waiting);
 * - frees the lane only when the server says the holder's run has closed, never on the run's own
 *   word, so a terminated release, a crashed worker or a lost signal cannot leave the lane held or
 *   let two runs hold it. A run says when it ends (`laneLeaving`, its last step) and the lane then
 *   waits for the server to confirm it; while others wait behind the holder, the lane also watches it
 *   (`awaitRunClosed`, a long poll), so one ended from outside (terminated) frees the lane at once;
 *   with no one waiting, it looks every ten minutes, and a newcomer makes it look at once.
 * It never ends: it continues as new when its history grows, carrying the lane's state.
 */
import {
  allHandlersFinished,
  CancellationScope,
  condition,
  continueAsNew,
  type ExternalWorkflowHandle,
  getExternalWorkflowHandle,
  isCancellation,
  makeContinueAsNewFunc,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { LaneActivities } from '../activities/lane';
import {
  admit,
  describePlace,
  expireReservations,
  hasPlace,
  holderPassedApproval,
  type LaneEntry,
  type LaneState,
  type LaneStop,
  newLane,
  nextExpiryMs,
  released,
} from '../src/domain/lane';
import {
  admitUpdate,
  type LaneAdmitted,
  type LaneInput,
  type LaneLeaving,
  laneLeavingSignal,
  laneQuery,
  laneStopSignal,
  laneTurnSignal,
  passApprovalUpdate,
} from '../src/domain/lane-api';

/** One wait for the holder's run is at most this long; the lane then looks at its history size and waits again. */
const HOLDER_WAIT_MS = 10 * 60_000;
/** Continue as new well before Temporal's history limits (and its own suggestion). */
const HISTORY_EVENTS_LIMIT = 5_000;

/**
 * How soon a watch lost with its worker is taken up by another. A watched lane is watched for as
 * long as its holder is in flight (hours, with an approval wait), and the SDK sends a heartbeat every
 * 0.8 × this, each a database write for the server: at Runway's usual 5 s, every release in
 * flight cost the server a write every 4 s just for its lane (measured at 100 releases: 15 of the
 * 77 calls a release made before approval). The long poll, not the heartbeat, frees the lane the
 * moment the holder closes; this only bounds the extra wait in the rare case where the watching
 * worker dies and the holder closes before the watch is taken up again.
 */
const WATCH_HEARTBEAT_TIMEOUT_MS = 60_000;

const { awaitRunClosed } = proxyActivities<Pick<LaneActivities, 'awaitRunClosed'>>({
  startToCloseTimeout: HOLDER_WAIT_MS + 60_000,
  heartbeatTimeout: WATCH_HEARTBEAT_TIMEOUT_MS,
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s' },
});

/**
 * A look at a run: one describe, no waiting. A newcomer makes the lane look at its holder (so a
 * release started right after its predecessor closed is not queued behind a run that has already
 * ended, whether or not anyone watched it), and so does the lane's own periodic look.
 */
const { awaitRunClosed: lookAtRun } = proxyActivities<Pick<LaneActivities, 'awaitRunClosed'>>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '5s', maximumAttempts: 3 },
});

/**
 * A run that said it is leaving closes a moment later (the word is its last step): the lane waits
 * for the server to say so (a long poll), this long at most; not closed by then, the run is left to
 * the lane's watch or its next look.
 */
const LEAVING_CONFIRM_MS = 30_000;
const { awaitRunClosed: confirmClosed } = proxyActivities<Pick<LaneActivities, 'awaitRunClosed'>>({
  startToCloseTimeout: LEAVING_CONFIRM_MS + 30_000,
  heartbeatTimeout: WATCH_HEARTBEAT_TIMEOUT_MS,
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 5 },
});

/**
 * Lanes from before runs said they were leaving watched every holder for its whole life: an
 * activity in flight per release waiting for approval, the SDK's bookkeeping and a long poll each
 * (issue 20: about 60 KiB of the worker's heap per activity, before the poll).
 */
export const LANE_HEARS_LEAVING_PATCH = 'lane-hears-leaving';

export async function lane(input: LaneInput): Promise<never> {
  let state: LaneState = input.state ?? newLane(input.service, input.mode);
  // Decided once per run, before anything else: a lane run started before the change keeps watching.
  const hearsLeaving = patched(LANE_HEARS_LEAVING_PATCH);
  /** Runs that said they are leaving, not yet confirmed closed by the server. */
  const leaving: LaneLeaving[] = [];
  // Signals to the runs the lane admits; awaited before continuing as new so none is lost.
  const outbox: Promise<void>[] = [];
  const send = (entry: Pick<LaneEntry, 'workflowId' | 'runId'>, deliver: (run: ExternalWorkflowHandle) => Promise<void>) => {
    if (entry.runId === undefined) return;
    // A run that closed before the signal arrived needs it no more: its failure is ignored.
    outbox.push(deliver(getExternalWorkflowHandle(entry.workflowId, entry.runId)).catch(() => undefined));
  };
  const tellTurn = (entry: LaneEntry | undefined) => entry && send(entry, (run) => run.signal(laneTurnSignal));
  const tellStop = (stop: Pick<LaneStop, 'workflowId' | 'runId' | 'reason' | 'cause'>) => send(stop, (run) => run.signal(laneStopSignal, { reason: stop.reason, cause: stop.cause }));

  const expire = (nowMs: number) => {
    const result = expireReservations(state, nowMs);
    state = result.state;
    tellTurn(result.newHolder);
  };

  setHandler(laneQuery, () => state);
  setHandler(laneLeavingSignal, (run) => {
    if (hearsLeaving && !leaving.some((l) => l.workflowId === run.workflowId && l.runId === run.runId)) leaving.push(run);
  });

  // One look at a holder at a time: admissions arriving meanwhile wait on the same look and resume
  // in the order they arrived, so the lane still admits in arrival order.
  let holderLook: Promise<void> | undefined;
  const lookAtHolder = (): Promise<void> => {
    if (holderLook) return holderLook;
    const holder = state.holder;
    if (holder?.runId === undefined) return Promise.resolve();
    const { workflowId, runId } = holder;
    holderLook = lookAtRun({ workflowId, runId, forMs: 0 })
      .then(({ closed }) => {
        if (!closed || state.holder?.workflowId !== workflowId || state.holder.runId !== runId) return;
        const result = released(state, workflowId, runId, Date.now());
        state = result.state;
        tellTurn(result.newHolder);
      })
      // Not knowing is no reason to refuse anyone: the watch frees the lane in any case.
      .catch(() => undefined)
      .finally(() => {
        holderLook = undefined;
      });
    return holderLook;
  };

  setHandler(
    admitUpdate,
    async (request): Promise<LaneAdmitted> => {
      const someoneElseHolds = state.holder?.runId !== undefined && state.holder.workflowId !== request.workflowId;
      if ((someoneElseHolds || holderLook) && patched('lane-admit-looks-at-holder')) await lookAtHolder();
      const nowMs = Date.now();
      expire(nowMs);
      // The service's config decides the mode; a change takes effect at the next admission.
      if (request.mode !== state.mode) state = { ...state, mode: request.mode };
      const { mode: _mode, ...admitRequest } = request;
      const result = admit(state, admitRequest, nowMs);
      state = result.state;
      for (const stop of result.stops) tellStop(stop);
      for (const gone of result.dropped) {
        if (gone.runId !== undefined) tellStop({ workflowId: gone.workflowId, runId: gone.runId, reason: `superseded by ${request.workflowId}`, cause: 'superseded' });
      }
      tellTurn(result.newHolder);
      const place = describePlace(state, request.workflowId);
      return { decision: result.decision, ...(place ? { place } : {}) };
    },
    {
      validator: (request) => {
        if (typeof request?.workflowId !== 'string' || request.workflowId === '') throw new Error('admit: workflowId is required');
        if (request.kind !== 'release' && request.kind !== 'rollback') throw new Error(`admit: kind must be release or rollback, not ${String(request.kind)}`);
        if (request.mode !== 'queue' && request.mode !== 'supersede') throw new Error(`admit: mode must be queue or supersede, not ${String(request.mode)}`);
      },
    },
  );

  setHandler(passApprovalUpdate, ({ workflowId }) => {
    const answer = holderPassedApproval(state, workflowId, Date.now());
    state = answer.state;
    return answer.ok ? { ok: true } : { ok: false, reason: answer.reason };
  });

  // Continue as new when the history grows, and when the operator has made another Runway build
  // current: the lane is pinned to the build that started its run like every workflow, and moves to
  // the new one through continue-as-new, so an old build can be drained and retired.
  const timeToMove = () => {
    const info = workflowInfo();
    return info.continueAsNewSuggested || info.historyLength > HISTORY_EVENTS_LIMIT || info.targetWorkerDeploymentVersionChanged;
  };

  while (!timeToMove()) {
    if (leaving.length > 0) {
      await confirmLeaving(leaving.splice(0));
      continue;
    }
    const holder = state.holder;
    if (holder?.runId === undefined) {
      // Nobody holds the lane (or only a reservation): wait for an admission or a reservation's expiry.
      const expiry = nextExpiryMs(state);
      const somethingChanged = () => state.holder !== holder || timeToMove() || leaving.length > 0;
      // An idle lane still wakes now and then, to notice a new current build.
      const wakeMs = Math.min(HOLDER_WAIT_MS, expiry === undefined ? HOLDER_WAIT_MS : Math.max(0, expiry - Date.now()));
      if (!(await condition(somethingChanged, wakeMs)) && expiry !== undefined && expiry <= Date.now()) expire(Date.now());
      continue;
    }
    // With no one waiting, a holder closing a few minutes unnoticed (terminated from outside)
    // delays nobody: the next to ask makes the lane look first.
    if (hearsLeaving && state.queue.length === 0) await awaitWordFromHolder(holder.workflowId, holder.runId);
    else await awaitHolderClosed(holder.workflowId, holder.runId);
  }
  // Words heard but not yet confirmed would be lost with this run (the looks would free those places later).
  if (leaving.length > 0) await confirmLeaving(leaving.splice(0));
  await condition(allHandlersFinished);
  await Promise.all(outbox);
  const next = { ...input, mode: state.mode, state };
  // A versioned worker (runway worker) pins runs; the next one starts on the current build. Unversioned workers (tests, dev) have no build to move to.
  if (workflowInfo().currentDeploymentVersion === undefined) return continueAsNew<typeof lane>(next);
  return makeContinueAsNewFunc<typeof lane>({ initialVersioningBehavior: 'AUTO_UPGRADE' })(next);

  /** The lane no longer names this run as its holder. */
  function holderChangedFrom(workflowId: string, runId: string): boolean {
    return state.holder?.workflowId !== workflowId || state.holder.runId !== runId;
  }

  /** Waits for the holder's run to close (then frees the lane), for the holder to change, or for a run to say it is leaving. */
  async function awaitHolderClosed(workflowId: string, runId: string): Promise<void> {
    const holderChanged = () => holderChangedFrom(workflowId, runId);
    const scope = new CancellationScope();
    const closed = scope.run(() => awaitRunClosed({ workflowId, runId, forMs: HOLDER_WAIT_MS }));
    // A run waiting behind the holder that says it is leaving (it gave up) is let go now, not at its turn.
    const changed = scope.run(() => condition(() => holderChanged() || leaving.length > 0));
    const first = await Promise.race([closed, changed.then(() => ({ closed: false }))]);
    scope.cancel();
    await Promise.all([closed, changed].map((p) => p.catch((err: unknown) => (isCancellation(err) ? undefined : Promise.reject(err)))));
    if (!first.closed || holderChanged()) return;
    const result = released(state, workflowId, runId, Date.now());
    state = result.state;
    tellTurn(result.newHolder);
  }

  /**
   * Waits, with no activity in flight, for the holder to say it is leaving, for someone to queue
   * behind it (then it is watched), or for the holder to change; after `HOLDER_WAIT_MS` of none of
   * that, looks at it once.
   */
  async function awaitWordFromHolder(workflowId: string, runId: string): Promise<void> {
    const heard = await condition(() => holderChangedFrom(workflowId, runId) || leaving.length > 0 || state.queue.length > 0 || timeToMove(), HOLDER_WAIT_MS);
    if (!heard) await lookAtHolder();
  }

  /** Frees the places of the runs that said they are leaving, once the server confirms each has closed. */
  async function confirmLeaving(runs: LaneLeaving[]): Promise<void> {
    await Promise.all(
      runs
        .filter(({ workflowId, runId }) => hasPlace(state, workflowId, runId))
        .map(async ({ workflowId, runId }) => {
          // Not confirmed (still running, or the server did not answer): the watch or the next look frees it.
          const { closed } = await confirmClosed({ workflowId, runId, forMs: LEAVING_CONFIRM_MS }).catch(() => ({ closed: false }));
          if (!closed || !hasPlace(state, workflowId, runId)) return;
          const result = released(state, workflowId, runId, Date.now());
          state = result.state;
          tellTurn(result.newHolder);
        }),
    );
  }
}
