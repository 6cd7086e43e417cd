/**
 * The GitHub writer (issue 20): every release's deployment records go through this one workflow
 * per installation, which writes them one at a time, first asked first written, at GitHub's pace
 * for content-creating requests (src/domain/github-write-budget.ts). One writer for every worker
 * means four workers write no faster than one; being a workflow, it loses nothing when a worker
 * dies (a write in flight is retried, and the writes are idempotent). Each worker hands its
 * releases' records over together, one Update at a time (activities/github-record-hand-over.ts):
 * a signal per record from hundreds of releases at once queued on this one workflow's lock in the
 * server until calls were refused ("Workflow is busy"). A write GitHub turns away
 * for now (rate limits, outages) is retried for as long as it takes, holding the queue behind it,
 * since the credential is shared; one GitHub refuses for good (permissions, a missing repository)
 * is dropped and counted. It knows each record's deployment id, so releases never wait for it.
 * Writes a release does wait for (build dispatches) ask it for a slot in the same budget, and
 * are granted ahead of the queued records.
 *
 * A long backlog (hundreds of releases at GitHub's 500 writes an hour) is parked in batches, each
 * held by a workflow of its own (workflows/github-record-batch.ts) and fetched back in order, so
 * the state it carries stays within Temporal's payload limit however long the backlog grows.
 *
 * It continues as new when its history grows or another Runway build becomes current, carrying
 * its queue, ids and recent writes, and ends
 * only when idle with no write left inside GitHub's hourly window (the next request starts it again).
 */
import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  getExternalWorkflowHandle,
  log,
  makeContinueAsNewFunc,
  ParentClosePolicy,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import type { GitHubRecordActivities } from '../activities/github-records';
import { expectedRequests, GITHUB_WRITE_BUDGET, type GitHubWriteBudget, nextWriteAt, recentWrites, WRITE_WINDOW_MS } from '../src/domain/github-write-budget';
import {
  BATCH_FOLLOWS_CURRENT_BUILD_MEMO,
  deploymentRecordKey,
  GITHUB_RECORD_BATCH_WORKFLOW_TYPE,
  GITHUB_WRITER_TASK_TIMEOUT_MS,
  gitHubRecordBatchTakenSignal,
  gitHubRecordBatchWorkflowId,
  type GitHubRecordRequest,
  gitHubRecordSignal,
  gitHubRecordsUpdate,
  type GitHubWriterInput,
  gitHubWriteSlotUpdate,
  type GitHubWriterState,
  gitHubWriterQuery,
  type QueuedGitHubRecord,
} from '../src/domain/github-writer-api';

/** Deployment ids remembered (a release's statuses can come days after its create; 5,000 is weeks of releases at GitHub's pace). */
const IDS_KEPT = 5_000;
/** Reasons for dropped requests kept for the query. */
const REASONS_KEPT = 10;
/** How long an idle writer with no recent writes waits for a request before it ends. */
const IDLE_MS = 60_000;
/** Continue as new past this many events (each write costs about ten). */
const HISTORY_EVENTS_LIMIT = 4_000;
/**
 * Continue as new once a run's history has grown this much: a worker that does not have the writer
 * cached replays its whole history within one workflow task (then 10 s at most; since, see
 * GITHUB_WRITER_TASK_TIMEOUT_MS). With 2,000 releases on two workers the writer's history reached
 * 2.4 MB at 3,066 events, well inside the event limit, and its tasks then timed out for 41 minutes
 * while every release waited to hand its records over; a new run's small history went through at
 * once (README, "Two thousand on two workers stalled").
 * Counted from the run's start, which already holds the state carried over (up to about 1 MB).
 */
const HISTORY_BYTES_LIMIT = 1024 * 1024;
/**
 * Records per parked batch, and how many the writer holds itself before parking: at about 400 bytes
 * a record, what it carries (under three batches' worth, and the ids) stays near 1 MB, inside
 * Temporal's 2 MB payload limit, whatever the backlog.
 */
const PARK_BATCH = 500;

const { takeParkedGitHubRecords } = proxyActivities<GitHubRecordActivities>({
  startToCloseTimeout: '1 minute',
  // A batch is there until taken; a failure to reach it (its worker restarting) is retried.
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

const { writeGitHubRecord } = proxyActivities<GitHubRecordActivities>({
  // One write activity makes up to a handful of requests, paced a second apart by the worker's client.
  startToCloseTimeout: '1 minute',
  // Retried until GitHub takes it: the record must not be lost. A rate limit's own delay overrides the backoff.
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

export async function githubWriter(input: GitHubWriterInput = {}): Promise<void> {
  const state: GitHubWriterState = input.state ?? { queue: [], ids: [], spent: [], written: 0, dropped: 0, droppedReasons: [] };
  const ids = new Map(state.ids);
  const parked = (state.parked ??= []);
  const later = (state.later ??= []);
  const parkBatch = input.parkBatch ?? PARK_BATCH;
  const parkedRecords = () => parked.reduce((sum, batch) => sum + batch.records, 0);

  // Build dispatches: a write the release waits for, so it goes ahead of the queued records, in the same budget.
  const slotWaiters: { ticket: number; purpose: string }[] = [];
  const grantedTickets = new Set<number>();
  let ticketsIssued = 0;
  /** Set once this run stops granting (continuing as new or ending): a slot asked for then is asked again of the next run. */
  let closingDown = false;
  setHandler(
    gitHubWriteSlotUpdate,
    async ({ purpose, budget }) => {
      state.budget = budget;
      const ticket = ++ticketsIssued;
      slotWaiters.push({ ticket, purpose });
      await condition(() => grantedTickets.has(ticket));
      grantedTickets.delete(ticket);
    },
    {
      validator: ({ purpose }) => {
        if (closingDown) throw new Error('this GitHub writer run is closing down: ask again');
        if (typeof purpose !== 'string' || purpose === '') throw new Error('githubWriteSlot: purpose is required');
      },
    },
  );

  const enqueue = (request: GitHubRecordRequest, budget: GitHubWriteBudget) => {
    // Once records are parked (or being parked), new ones go behind them, so every record keeps its place in line.
    (parked.length > 0 || later.length > 0 ? later : state.queue).push({ ...request, queuedAtMs: Date.now() } as QueuedGitHubRecord);
    state.budget = budget;
  };
  setHandler(
    gitHubRecordsUpdate,
    ({ records, budget }) => {
      for (const request of records) enqueue(request, budget);
    },
    {
      validator: ({ records }) => {
        if (closingDown) throw new Error('this GitHub writer run is closing down: ask again');
        if (!Array.isArray(records) || records.length === 0) throw new Error('githubRecords: at least one record is required');
      },
    },
  );
  // Workers from before githubRecords hand records over one signal each.
  setHandler(gitHubRecordSignal, ({ request, budget }) => enqueue(request, budget));
  setHandler(gitHubWriterQuery, () => ({
    pending: state.queue.length + parkedRecords() + later.length,
    ...(parked.length > 0 ? { parked: parkedRecords() } : {}),
    ...(state.queue[0] ? { oldestQueuedAt: new Date(state.queue[0].queuedAtMs).toISOString() } : {}),
    written: state.written,
    dropped: state.dropped,
    droppedReasons: state.droppedReasons,
    ...(state.budget ? { budget: state.budget } : {}),
    ...(slotWaiters.length > 0 ? { slotsWaiting: slotWaiters.length } : {}),
    ...(state.slotsGranted ? { slotsGranted: state.slotsGranted } : {}),
  }));

  const historyLimit = input.historyLimit ?? HISTORY_EVENTS_LIMIT;
  // Decided once, before any condition reads it: runs started before the byte limit replay without it.
  const bytesBounded = patched('github-writer-history-bytes');
  const startBytes = workflowInfo().historySize;
  const historyBytesLimit = input.historyBytesLimit ?? HISTORY_BYTES_LIMIT;
  // Continue as new when the history grows, and when another Runway build became current (a run is
  // pinned to its build; the next one starts on the current one, so old builds can retire).
  const timeToMove = () => {
    const info = workflowInfo();
    const grownTooLarge = bytesBounded && info.historySize - startBytes > historyBytesLimit;
    return info.continueAsNewSuggested || info.historyLength > historyLimit || grownTooLarge || info.targetWorkerDeploymentVersionChanged;
  };
  const drop = (request: QueuedGitHubRecord, reason: string) => {
    state.dropped++;
    state.droppedReasons.push(`${request.kind} ${deploymentRecordKey(request.key)}: ${reason}`);
    state.droppedReasons.splice(0, Math.max(0, state.droppedReasons.length - REASONS_KEPT));
    log.warn('GitHub record dropped', { key: deploymentRecordKey(request.key), kind: request.kind, reason });
  };

  while (!timeToMove()) {
    state.spent = recentWrites(state.spent, Date.now());
    await grantSlots();
    await parkOverflow();
    if (state.queue.length === 0 && (parked.length > 0 || later.length > 0)) {
      await takeNextParked();
      continue;
    }
    if (state.queue.length === 0) {
      // Idle: wait for a request; end once no write counts against GitHub's hour any more.
      const idleMs = state.spent.length > 0 ? state.spent[0]!.atMs + WRITE_WINDOW_MS - Date.now() : IDLE_MS;
      const woke = await condition(() => state.queue.length > 0 || slotWaiters.length > 0 || timeToMove(), Math.max(1000, idleMs));
      if (!woke && state.spent.length === 0) break;
      continue;
    }
    const request = state.queue[0]!;
    const key = deploymentRecordKey(request.key);
    const deploymentId = ids.get(key);
    if (request.kind === 'status' && deploymentId === undefined) {
      drop(request, 'its deployment was never created');
    } else if (request.kind === 'restore-previous' && deploymentId === undefined) {
      // This run never deployed there: there is nothing to put right.
    } else {
      const wait = nextWriteAt(state.spent, Date.now(), state.budget ?? GITHUB_WRITE_BUDGET, expectedRequests(request)) - Date.now();
      // A build dispatch asking meanwhile goes first; this record waits for its next turn.
      if (wait > 0 && (await condition(() => slotWaiters.length > 0, wait))) continue;
      try {
        const result = await writeGitHubRecord({ request, ...(deploymentId !== undefined ? { deploymentId } : {}) });
        state.spent.push({ atMs: Date.now(), requests: Math.max(1, result.requests) });
        if (result.deploymentId !== undefined) remember(key, result.deploymentId);
        state.written++;
      } catch (err) {
        // Only a failure GitHub gave for good reaches here (everything else is retried).
        state.spent.push({ atMs: Date.now(), requests: 1 });
        drop(request, failureMessage(err));
      }
    }
    state.queue.shift();
  }

  closingDown = true;
  await grantSlots();
  await condition(allHandlersFinished);
  await parkOverflow();
  state.ids = [...ids];
  // Signals that arrive while finishing keep the workflow open (Temporal refuses to close it with them unhandled).
  if (state.queue.length === 0 && parked.length === 0 && later.length === 0 && !timeToMove()) return;
  const next: GitHubWriterInput = { ...input, state };
  // Unversioned workers (tests, dev) have no build to move to. The task timeout is given again so
  // that writers started before it was set take it at their next run.
  const workflowTaskTimeout = GITHUB_WRITER_TASK_TIMEOUT_MS;
  if (workflowInfo().currentDeploymentVersion === undefined) await makeContinueAsNewFunc<typeof githubWriter>({ workflowTaskTimeout })(next);
  await makeContinueAsNewFunc<typeof githubWriter>({ workflowTaskTimeout, initialVersioningBehavior: 'AUTO_UPGRADE' })(next);

  /**
   * Parks whole batches of what is beyond the writer's own share: once the queue holds two batches'
   * worth, all but its first batch moves behind, into `later`, and `later` is parked a batch at a
   * time, oldest first. Never needed below two batches' worth of backlog, so writers that never
   * had one replay as before the patch.
   */
  async function parkOverflow(): Promise<void> {
    if (parked.length === 0 && later.length === 0) {
      if (state.queue.length < 2 * parkBatch || !patched('github-writer-parks-backlog')) return;
      later.push(...state.queue.splice(parkBatch));
    }
    while (later.length >= parkBatch) {
      const records = later.slice(0, parkBatch);
      const workflowId = gitHubRecordBatchWorkflowId(workflowInfo().workflowId, workflowInfo().firstExecutionRunId, (state.parkedSoFar ?? 0) + 1);
      // Abandoned, not ended, when this run continues as new: the batch outlives the run that parked it.
      await startChild(GITHUB_RECORD_BATCH_WORKFLOW_TYPE, {
        workflowId,
        args: [{ records }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        // An unversioned worker reports its build id with no deployment name.
        memo: { [BATCH_FOLLOWS_CURRENT_BUILD_MEMO]: Boolean(workflowInfo().currentDeploymentVersion?.deploymentName) },
        staticSummary: `${records.length} GitHub deployment records parked by the writer`,
      });
      later.splice(0, parkBatch);
      state.parkedSoFar = (state.parkedSoFar ?? 0) + 1;
      parked.push({ workflowId, records: records.length });
      log.info('GitHub records parked', { workflowId, records: records.length, parked: parkedRecords() });
    }
  }

  /**
   * Grants the waiting build dispatches their writes, oldest first, each when the budget has room.
   * The writer cannot see when GitHub answers a dispatch, so a slot counts as a write answered one
   * interval after its grant: the next write of either kind waits two intervals.
   */
  async function grantSlots(): Promise<void> {
    while (slotWaiters.length > 0) {
      const budget = state.budget ?? GITHUB_WRITE_BUDGET;
      state.spent = recentWrites(state.spent, Date.now());
      const wait = nextWriteAt(state.spent, Date.now(), budget, 1) - Date.now();
      if (wait > 0) await sleep(wait);
      const { ticket, purpose } = slotWaiters.shift()!;
      state.spent.push({ atMs: Date.now() + budget.minIntervalMs, requests: 1 });
      state.slotsGranted = (state.slotsGranted ?? 0) + 1;
      grantedTickets.add(ticket);
      log.info('GitHub write slot granted', { purpose, waiting: slotWaiters.length });
    }
  }

  /** The oldest parked batch becomes the queue; after the last one, the records that came later follow. */
  async function takeNextParked(): Promise<void> {
    const batch = parked[0];
    if (batch) {
      try {
        state.queue.push(...(await takeParkedGitHubRecords({ workflowId: batch.workflowId })));
        // Ended by hand in the meantime: the records are here all the same.
        await getExternalWorkflowHandle(batch.workflowId)
          .signal(gitHubRecordBatchTakenSignal)
          .catch(() => undefined);
      } catch (err) {
        state.dropped += batch.records;
        state.droppedReasons.push(`${batch.records} parked records: ${failureMessage(err)}`);
        state.droppedReasons.splice(0, Math.max(0, state.droppedReasons.length - REASONS_KEPT));
        log.error('Parked GitHub records lost', { workflowId: batch.workflowId, records: batch.records, error: failureMessage(err) });
      }
      parked.shift();
    }
    if (parked.length === 0) state.queue.push(...later.splice(0));
  }

  function remember(key: string, id: number) {
    ids.delete(key);
    ids.set(key, id);
    while (ids.size > IDS_KEPT) ids.delete(ids.keys().next().value!);
  }
}

function failureMessage(err: unknown): string {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure || cause instanceof Error) return cause.message;
  return String(cause);
}
