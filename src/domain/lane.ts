/**
 * Release lanes (issue 18, part 1): who may deploy a service now, and who waits, as plain data and
 * pure functions. Deterministic: no I/O, no clock, no Node built-ins and no structuredClone —
 * every time is epoch milliseconds passed in (workflow time), so the lane's entity workflow
 * (`runway-lane:<taskQueue>:<service>`, not built yet) can call this from its `admit` Update
 * handler, synchronously. Every function returns a new state and leaves the one it was given as
 * it was; a call that changes nothing returns the very state it was given.
 *
 * The rules, per service:
 * - One holder at a time. A holder leaves the lane only when its run has closed (`released`, fed by
 *   the server's word on the run, never by the release saying so), or, for a reservation never
 *   bound to a run, when its grace ends (`expireReservations`). A run the lane saw close never
 *   holds it again: a late admit from it is refused.
 * - `queue` mode: releases wait in the order they were admitted (FIFO).
 * - `supersede` mode: a newly admitted release replaces the releases waiting (they are dropped,
 *   see `AdmitResult.dropped`), and stops a holder that has not passed approval (see
 *   `AdmitResult.stops`: it rolls back through its own compensation, "superseded by <id>", and
 *   keeps the lane until its run has closed); the newcomer waits next. A holder past approval is
 *   never stopped by a release: the newcomer queues behind it.
 * - A rollback (of a finished release) goes to the front of the queue, behind earlier rollbacks
 *   only, and stops a release holding the lane whatever its stage ("preempted by rollback <id>");
 *   it waits until that run has closed. A rollback never stops a rollback: it waits behind it.
 * - A reservation (an admit without a run id, from `runway start` before the workflow exists) holds
 *   a place like a run; the workflow's own admit binds its run to it. A reservation holding the
 *   lane has started nothing, so instead of a stop it is dropped when superseded, and put back at
 *   the head of the releases (behind the rollback) when a rollback arrives.
 * - Admission is idempotent by workflow id: asking again returns the entry's place and changes
 *   nothing (but binding a run to a reservation). `ifBusy: 'refuse'` is an atomic try: granted
 *   now, or refused naming the holder, with nothing queued, stopped or dropped.
 * - Workflow ids are unique among open runs, so when a run of a workflow id the lane holds for
 *   another run asks, the lane's run has closed: the lane lets it go and admits the new run afresh
 *   (unless the new run says it continues the old one: `previousRunId`).
 *
 * What the lane must do with the results (the wiring):
 * - `stops`: signal each run (by workflow id and run id) to stop with the reason; the release
 *   rolls back what it did and closes; the lane keeps it as holder until `released`. A stop also
 *   stays on the holder (`LaneEntry.stopping`) so a lane that continued-as-new can send it again.
 * - `dropped`: releases that were waiting and never started deploying. One with a run id: signal
 *   that run that it was superseded (it ends without compensation, having changed nothing). One
 *   without (a reservation): nothing to signal; the lane remembers it (`LaneState.ended`), so the
 *   workflow `runway start` launched for it is refused "superseded by <id>" when it asks, and
 *   `runway start --queue` sees that in `standingOf`. A dropped run that missed its signal is
 *   refused the same way when it asks again.
 * - `newHolder`: tell that run it may go (it waits for the word after being queued).
 */

export type LaneMode = 'queue' | 'supersede';
export type LaneEntryKind = 'release' | 'rollback';

/** A stop the lane asked of its holder, kept until the holder's run has closed. */
export interface LaneStopRequest {
  reason: string;
  /** The workflow id that caused it: the superseding release or the preempting rollback. */
  by: string;
  atMs: number;
}

/** A release or rollback holding the lane or waiting in it. */
export interface LaneEntry {
  workflowId: string;
  /** Absent for a reservation that no run has bound yet. */
  runId?: string;
  kind: LaneEntryKind;
  /** The commit, for a release (shown in the lane's lines). */
  version?: string;
  admittedAtMs: number;
  /** The holder passed its approval: no release may supersede it any more. */
  passedApproval?: boolean;
  /** A reservation (no run id) is dropped at this instant unless a run bound it. */
  reservedUntilMs?: number;
  /** The lane asked this holder to stop; it holds the lane until its run has closed. */
  stopping?: LaneStopRequest;
  /** Found running when the lane was created (`adopt`): it may be running though queued. */
  adopted?: boolean;
}

export type LaneEvent = 'granted' | 'queued' | 'bound' | 'continued' | 'superseded' | 'stop' | 'requeued' | 'approval' | 'closed' | 'expired' | 'adopted';

export interface LaneLogEntry {
  atMs: number;
  event: LaneEvent;
  workflowId: string;
  detail: string;
}

/** A run (or reservation) that left the lane other than by expiry: a late admit from it is refused. */
export interface LaneEnded {
  workflowId: string;
  /** Absent for a dropped reservation: then every admit of the workflow id is refused until `untilMs`. */
  runId?: string;
  reason: string;
  atMs: number;
  untilMs?: number;
}

export interface LaneState {
  service: string;
  mode: LaneMode;
  holder?: LaneEntry;
  /** Rollbacks first (in admission order), then releases. */
  queue: LaneEntry[];
  /** The last `LANE_LOG_LIMIT` events, oldest first. */
  log: LaneLogEntry[];
  /** The last `LANE_ENDED_LIMIT` runs and reservations that left the lane, oldest first. */
  ended: LaneEnded[];
}

/** Bounds that keep the lane's continue-as-new payload small. */
export const LANE_LOG_LIMIT = 100;
export const LANE_ENDED_LIMIT = 50;
/** How long a reservation waits for its run to bind it, unless the admit says otherwise. */
export const LANE_RESERVATION_GRACE_MS = 5 * 60_000;
/** How long a dropped reservation's workflow id stays refused (long enough for its run to ask). */
export const LANE_DROPPED_RESERVATION_MEMORY_MS = 60 * 60_000;

export function newLane(service: string, mode: LaneMode): LaneState {
  return { service, mode, queue: [], log: [], ended: [] };
}

export interface AdmitRequest {
  workflowId: string;
  /** Absent: a reservation made before the workflow exists (`runway start`). */
  runId?: string;
  kind: LaneEntryKind;
  version?: string;
  /** For releases: `refuse` gets an atomic refusal instead of a place in the queue. Default `queue`. Rollbacks always wait. */
  ifBusy?: 'queue' | 'refuse';
  /** A reservation's grace; default `LANE_RESERVATION_GRACE_MS`. */
  reserveForMs?: number;
  /** The run this one continues (continue-as-new, reset): it takes over that run's place. */
  previousRunId?: string;
}

export type LaneDecision =
  | { kind: 'granted' }
  /** `position` is 1-based; `behind` is the entry just ahead (the holder for position 1). */
  | { kind: 'queued'; position: number; behind: string }
  | { kind: 'refused'; reason: string };

/** A run the lane must stop (always a run: a reservation holding the lane is dropped or put back instead). */
export interface LaneStop {
  workflowId: string;
  runId: string;
  reason: string;
  cause: 'superseded' | 'rollback';
}

export interface AdmitResult {
  state: LaneState;
  decision: LaneDecision;
  stops: LaneStop[];
  /** Entries superseded and gone from the lane (see the module's comment for how to tell them). */
  dropped: LaneEntry[];
  /** The holder changed to someone other than the one asking: tell it. */
  newHolder?: LaneEntry;
}

// ---------------------------------------------------------------------------------------------
// Internals: copy once, then change the copy.

function copyEntry(entry: LaneEntry): LaneEntry {
  return entry.stopping ? { ...entry, stopping: { ...entry.stopping } } : { ...entry };
}

function draft(state: LaneState): LaneState {
  const copy: LaneState = { service: state.service, mode: state.mode, queue: state.queue.map(copyEntry), log: [...state.log], ended: [...state.ended] };
  if (state.holder) copy.holder = copyEntry(state.holder);
  return copy;
}

function record(s: LaneState, atMs: number, event: LaneEvent, workflowId: string, detail: string): void {
  s.log.push({ atMs, event, workflowId, detail });
  if (s.log.length > LANE_LOG_LIMIT) s.log.splice(0, s.log.length - LANE_LOG_LIMIT);
}

function remember(s: LaneState, ended: LaneEnded): void {
  s.ended.push(ended);
  if (s.ended.length > LANE_ENDED_LIMIT) s.ended.splice(0, s.ended.length - LANE_ENDED_LIMIT);
}

type Place = { at: 'holder'; entry: LaneEntry } | { at: 'queue'; index: number; entry: LaneEntry };

function find(s: LaneState, workflowId: string): Place | undefined {
  if (s.holder?.workflowId === workflowId) return { at: 'holder', entry: s.holder };
  const index = s.queue.findIndex((e) => e.workflowId === workflowId);
  return index === -1 ? undefined : { at: 'queue', index, entry: s.queue[index]! };
}

function remove(s: LaneState, place: Place): void {
  if (place.at === 'holder') delete s.holder;
  else s.queue.splice(place.index, 1);
}

/** Behind the rollbacks already waiting, ahead of every release. */
function insertAfterRollbacks(s: LaneState, entry: LaneEntry): void {
  const firstRelease = s.queue.findIndex((e) => e.kind !== 'rollback');
  if (firstRelease === -1) s.queue.push(entry);
  else s.queue.splice(firstRelease, 0, entry);
}

/** The lane is free and someone waits: the first in the queue holds it now. */
function promote(s: LaneState, nowMs: number): LaneEntry | undefined {
  if (s.holder || s.queue.length === 0) return undefined;
  const next = s.queue.shift()!;
  s.holder = next;
  record(s, nowMs, 'granted', next.workflowId, `${describeEntry(next)} holds the lane`);
  return next;
}

/** An entry leaves for good (superseded, closed): remembered so that it is not admitted again by a late ask. */
function endEntry(s: LaneState, entry: LaneEntry, nowMs: number, reason: string): void {
  remember(
    s,
    entry.runId !== undefined
      ? { workflowId: entry.workflowId, runId: entry.runId, reason, atMs: nowMs }
      : { workflowId: entry.workflowId, reason, atMs: nowMs, untilMs: nowMs + LANE_DROPPED_RESERVATION_MEMORY_MS },
  );
}

function closeRun(s: LaneState, place: Place, nowMs: number, reason: string): void {
  remove(s, place);
  endEntry(s, place.entry, nowMs, reason);
  record(s, nowMs, 'closed', place.entry.workflowId, reason);
}

function decisionOf(s: LaneState, workflowId: string): LaneDecision {
  const standing = standingOf(s, workflowId);
  if (standing.kind === 'holder') return { kind: 'granted' };
  if (standing.kind === 'queued') return { kind: 'queued', position: standing.position, behind: standing.behind };
  return { kind: 'refused', reason: standing.kind === 'ended' ? standing.reason : `${workflowId} is not in the ${s.service} lane` };
}

function busyReason(s: LaneState, holder: LaneEntry): string {
  const waiting = s.queue.length > 0 ? `, ${s.queue.length} waiting` : '';
  return `${holder.workflowId} holds the ${s.service} lane (${describeEntry(holder)}${waiting})`;
}

function describeEntry(entry: LaneEntry): string {
  const what = entry.version ? `${entry.kind} ${entry.version}` : entry.kind;
  const notes = [
    entry.runId === undefined ? 'reserved, not started' : undefined,
    entry.passedApproval ? 'past approval' : undefined,
    entry.adopted ? 'adopted running' : undefined,
    entry.stopping ? `stopping: ${entry.stopping.reason}` : undefined,
  ].filter((n): n is string => n !== undefined);
  return notes.length > 0 ? `${what}, ${notes.join(', ')}` : what;
}

// ---------------------------------------------------------------------------------------------
// Admission.

/** Admits a release or rollback (see the module's comment for the rules). */
export function admit(state: LaneState, request: AdmitRequest, nowMs: number): AdmitResult {
  const { workflowId, runId } = request;
  const holderBefore = state.holder?.workflowId;
  const unchanged = (decision: LaneDecision): AdmitResult => ({ state, decision, stops: [], dropped: [] });

  // A run the lane saw leave never comes back (a retried or late admit from it).
  if (runId !== undefined) {
    const gone = state.ended.find((e) => e.workflowId === workflowId && e.runId === runId);
    if (gone) return unchanged({ kind: 'refused', reason: gone.reason });
  }

  const s = draft(state);
  const found = find(s, workflowId);
  if (found) {
    const entry = found.entry;
    if (runId === undefined || entry.runId === runId) return unchanged(decisionOf(state, workflowId));
    if (entry.runId === undefined) {
      entry.runId = runId;
      delete entry.reservedUntilMs;
      record(s, nowMs, 'bound', workflowId, `run ${runId} bound to the reservation`);
      return { state: s, decision: decisionOf(s, workflowId), stops: [], dropped: [] };
    }
    if (request.previousRunId !== undefined && request.previousRunId === entry.runId) {
      endEntry(s, entry, nowMs, `run ${entry.runId} of ${workflowId} continued as ${runId}`);
      entry.runId = runId;
      record(s, nowMs, 'continued', workflowId, `run ${runId} continues run ${request.previousRunId} in its place`);
      return { state: s, decision: decisionOf(s, workflowId), stops: [], dropped: [] };
    }
    // Only one run of a workflow id is open at a time and this one is asking: the lane's has closed.
    closeRun(s, found, nowMs, `run ${entry.runId} of ${workflowId} has closed (run ${runId} asked)`);
    promote(s, nowMs);
  } else {
    const dropped = s.ended.find((e) => e.workflowId === workflowId && e.runId === undefined && (e.untilMs === undefined || nowMs < e.untilMs));
    if (dropped) return unchanged({ kind: 'refused', reason: dropped.reason });
  }

  const entry: LaneEntry = { workflowId, kind: request.kind, admittedAtMs: nowMs };
  if (request.version !== undefined) entry.version = request.version;
  if (runId !== undefined) entry.runId = runId;
  else entry.reservedUntilMs = nowMs + (request.reserveForMs ?? LANE_RESERVATION_GRACE_MS);

  const stops: LaneStop[] = [];
  const dropped: LaneEntry[] = [];
  if (request.kind === 'rollback') {
    admitRollback(s, entry, nowMs, stops);
  } else {
    if (request.ifBusy === 'refuse' && s.holder) {
      // Nothing of this admission is kept; a run closed above stays closed.
      return { state: found ? s : state, decision: { kind: 'refused', reason: busyReason(s, s.holder) }, stops: [], dropped: [] };
    }
    admitRelease(s, entry, nowMs, stops, dropped);
  }
  promote(s, nowMs);
  const decision = decisionOf(s, workflowId);
  if (decision.kind === 'queued') record(s, nowMs, 'queued', workflowId, `${describeEntry(entry)}: ${describePlace(s, workflowId)}`);
  const result: AdmitResult = { state: s, decision, stops, dropped };
  if (s.holder && s.holder.workflowId !== workflowId && s.holder.workflowId !== holderBefore) result.newHolder = s.holder;
  return result;
}

function admitRelease(s: LaneState, entry: LaneEntry, nowMs: number, stops: LaneStop[], dropped: LaneEntry[]): void {
  if (s.mode === 'supersede') {
    const reason = `superseded by ${entry.workflowId}`;
    // Adopted releases may be running already: dropping them would not stop them, so they stay.
    const waiting = s.queue.filter((e) => e.kind === 'release' && !e.adopted);
    for (const old of waiting) {
      dropped.push(old);
      endEntry(s, old, nowMs, reason);
      record(s, nowMs, 'superseded', old.workflowId, `${reason} while waiting`);
    }
    s.queue = s.queue.filter((e) => !waiting.includes(e));
    const holder = s.holder;
    if (holder && holder.kind === 'release' && !holder.passedApproval) {
      if (holder.runId === undefined) {
        // A reservation has started nothing: nothing to roll back, it just goes.
        dropped.push(holder);
        endEntry(s, holder, nowMs, reason);
        record(s, nowMs, 'superseded', holder.workflowId, `${reason} before its run started`);
        delete s.holder;
      } else if (!holder.stopping) {
        holder.stopping = { reason, by: entry.workflowId, atMs: nowMs };
        stops.push({ workflowId: holder.workflowId, runId: holder.runId, reason, cause: 'superseded' });
        record(s, nowMs, 'stop', holder.workflowId, reason);
      }
    }
  }
  s.queue.push(entry);
}

function admitRollback(s: LaneState, entry: LaneEntry, nowMs: number, stops: LaneStop[]): void {
  insertAfterRollbacks(s, entry);
  const holder = s.holder;
  if (!holder || holder.kind === 'rollback') return;
  if (holder.runId === undefined) {
    // A reservation has started nothing: it waits again, first among the releases.
    delete s.holder;
    insertAfterRollbacks(s, holder);
    record(s, nowMs, 'requeued', holder.workflowId, `put back behind rollback ${entry.workflowId}`);
  } else if (!holder.stopping) {
    const reason = `preempted by rollback ${entry.workflowId}`;
    holder.stopping = { reason, by: entry.workflowId, atMs: nowMs };
    stops.push({ workflowId: holder.workflowId, runId: holder.runId, reason, cause: 'rollback' });
    record(s, nowMs, 'stop', holder.workflowId, reason);
  }
}

// ---------------------------------------------------------------------------------------------
// What happens to admitted releases afterwards.

export type ApprovalAnswer = { state: LaneState; ok: true } | { state: LaneState; ok: false; reason: string };

/**
 * The holder asks to pass its approval (from then on no release supersedes it). Refused when it
 * does not hold the lane or was asked to stop: the release must then not go past approval, which
 * is what makes "superseded before approval" and "never superseded after" exclusive.
 */
export function holderPassedApproval(state: LaneState, workflowId: string, nowMs: number): ApprovalAnswer {
  const holder = state.holder;
  if (holder?.workflowId !== workflowId) {
    const place = describePlace(state, workflowId);
    return { state, ok: false, reason: `${workflowId} does not hold the ${state.service} lane${place ? ` (${place})` : ''}` };
  }
  if (holder.stopping) return { state, ok: false, reason: holder.stopping.reason };
  if (holder.runId === undefined) return { state, ok: false, reason: `${workflowId} holds only a reservation: no run has bound it` };
  if (holder.passedApproval) return { state, ok: true };
  const s = draft(state);
  s.holder!.passedApproval = true;
  record(s, nowMs, 'approval', workflowId, 'passed approval: no release supersedes it now');
  return { state: s, ok: true };
}

export interface ReleasedResult {
  state: LaneState;
  /** The entry of the run that closed, when it was in the lane. */
  removed?: LaneEntry;
  /** Who holds the lane now, when that changed: tell it. */
  newHolder?: LaneEntry;
}

/**
 * The server reports `runId` of `workflowId` closed (the lane's `awaitClosed`): it leaves the lane
 * wherever it is, and the next in the queue holds the lane if it was the holder. A run the lane
 * does not hold is still remembered, so that a late admit from it is refused. Idempotent.
 */
export function released(state: LaneState, workflowId: string, runId: string, nowMs: number): ReleasedResult {
  const place = find(state, workflowId);
  if (!place || place.entry.runId !== runId) {
    if (state.ended.some((e) => e.workflowId === workflowId && e.runId === runId)) return { state };
    const s = draft(state);
    remember(s, { workflowId, runId, reason: `run ${runId} of ${workflowId} has closed`, atMs: nowMs });
    return { state: s };
  }
  const s = draft(state);
  const copy = find(s, workflowId)!;
  closeRun(s, copy, nowMs, `run ${runId} of ${workflowId} has closed`);
  const newHolder = promote(s, nowMs);
  return newHolder ? { state: s, removed: copy.entry, newHolder } : { state: s, removed: copy.entry };
}

export interface ExpiryResult {
  state: LaneState;
  expired: LaneEntry[];
  newHolder?: LaneEntry;
}

/**
 * Drops the reservations no run bound before their grace ended (holder or waiting), and forgets
 * dropped reservations past their memory. Call it before each admit and at `nextExpiryMs`. A run
 * whose reservation expired is admitted afresh when it asks.
 */
export function expireReservations(state: LaneState, nowMs: number): ExpiryResult {
  const isExpired = (e: LaneEntry) => e.runId === undefined && e.reservedUntilMs !== undefined && e.reservedUntilMs <= nowMs;
  const expired = [...(state.holder && isExpired(state.holder) ? [state.holder] : []), ...state.queue.filter(isExpired)];
  const forgotten = state.ended.filter((e) => e.untilMs !== undefined && e.untilMs <= nowMs);
  if (expired.length === 0 && forgotten.length === 0) return { state, expired: [] };
  const s = draft(state);
  if (s.holder && isExpired(s.holder)) delete s.holder;
  s.queue = s.queue.filter((e) => !isExpired(e));
  s.ended = s.ended.filter((e) => !forgotten.includes(e));
  for (const e of expired) record(s, nowMs, 'expired', e.workflowId, 'reservation expired: no run bound it in time');
  const newHolder = promote(s, nowMs);
  return newHolder ? { state: s, expired: expired.map(copyEntry), newHolder } : { state: s, expired: expired.map(copyEntry) };
}

/** The next instant `expireReservations` would change something, if any. */
export function nextExpiryMs(state: LaneState): number | undefined {
  const times = [
    ...[state.holder, ...state.queue].flatMap((e) => (e && e.runId === undefined && e.reservedUntilMs !== undefined ? [e.reservedUntilMs] : [])),
    ...state.ended.flatMap((e) => (e.untilMs !== undefined ? [e.untilMs] : [])),
  ];
  return times.length > 0 ? Math.min(...times) : undefined;
}

/** A release or rollback found running when the lane was created. */
export interface RunningRelease {
  workflowId: string;
  runId: string;
  kind: LaneEntryKind;
  version?: string;
  startedAtMs: number;
  passedApproval?: boolean;
}

export interface AdoptResult {
  state: LaneState;
  /** Adopted runs that could not hold the lane: they run alongside its holder (report them). */
  overlapping: LaneEntry[];
}

/**
 * Takes in runs already in flight (a lane created fresh, or after its history was lost). A
 * rollback first, else the earliest started, holds the lane if it is free; the others wait in the
 * queue (rollbacks first) though they are running — the lane cannot undo that, it reports them,
 * and supersede never drops them. Runs already in the lane or seen closed are skipped.
 */
export function adopt(state: LaneState, running: readonly RunningRelease[], nowMs: number): AdoptResult {
  const s = draft(state);
  const overlapping: LaneEntry[] = [];
  const fresh = running
    .filter((r) => !find(s, r.workflowId) && !s.ended.some((e) => e.workflowId === r.workflowId && e.runId === r.runId))
    .sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'rollback' ? -1 : 1) || a.startedAtMs - b.startedAtMs || (a.workflowId < b.workflowId ? -1 : a.workflowId > b.workflowId ? 1 : 0));
  const seen = new Set<string>();
  for (const run of fresh) {
    if (seen.has(run.workflowId)) continue;
    seen.add(run.workflowId);
    const entry: LaneEntry = { workflowId: run.workflowId, runId: run.runId, kind: run.kind, admittedAtMs: run.startedAtMs, adopted: true };
    if (run.version !== undefined) entry.version = run.version;
    if (run.passedApproval) entry.passedApproval = true;
    if (!s.holder) {
      s.holder = entry;
      record(s, nowMs, 'adopted', entry.workflowId, `found running (${describeEntry(entry)}): holds the lane`);
    } else {
      if (entry.kind === 'rollback') insertAfterRollbacks(s, entry);
      else s.queue.push(entry);
      overlapping.push(entry);
      record(s, nowMs, 'adopted', entry.workflowId, `found running alongside ${s.holder.workflowId}: waits in the lane`);
    }
  }
  return fresh.length === 0 ? { state, overlapping } : { state: s, overlapping };
}

// ---------------------------------------------------------------------------------------------
// Reading the lane.

/** 0 for the holder, the 1-based queue position for one waiting, undefined otherwise. */
export function positionOf(state: LaneState, workflowId: string): number | undefined {
  const place = find(state, workflowId);
  if (!place) return undefined;
  return place.at === 'holder' ? 0 : place.index + 1;
}

/** The run holds the lane or waits in it (a reservation never bound to it does not count). */
export function hasPlace(state: LaneState, workflowId: string, runId: string): boolean {
  return find(state, workflowId)?.entry.runId === runId;
}

export type LaneStanding =
  | { kind: 'holder'; stopping?: string }
  | { kind: 'queued'; position: number; behind: string }
  /** It left the lane and the lane remembers why (superseded, closed). */
  | { kind: 'ended'; reason: string }
  | { kind: 'absent' };

export function standingOf(state: LaneState, workflowId: string): LaneStanding {
  const place = find(state, workflowId);
  if (place?.at === 'holder') return place.entry.stopping ? { kind: 'holder', stopping: place.entry.stopping.reason } : { kind: 'holder' };
  if (place?.at === 'queue') {
    const behind = place.index === 0 ? state.holder!.workflowId : state.queue[place.index - 1]!.workflowId;
    return { kind: 'queued', position: place.index + 1, behind };
  }
  for (let i = state.ended.length - 1; i >= 0; i--) {
    if (state.ended[i]!.workflowId === workflowId) return { kind: 'ended', reason: state.ended[i]!.reason };
  }
  return { kind: 'absent' };
}

export function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}

/** One release's place, for `runway list` / `runway status`: "queued (2nd, behind release-checkout-abc123)". */
export function describePlace(state: LaneState, workflowId: string): string | undefined {
  const standing = standingOf(state, workflowId);
  switch (standing.kind) {
    case 'holder':
      return standing.stopping ? `holds the lane, stopping (${standing.stopping})` : 'holds the lane';
    case 'queued':
      return `queued (${ordinal(standing.position)}, behind ${standing.behind})`;
    case 'ended':
      return standing.reason;
    case 'absent':
      return undefined;
  }
}

/** The whole lane, a line each: the holder first, then the queue in order. */
export function describeLane(state: LaneState): string[] {
  const head = `${state.service} lane (${state.mode})`;
  if (!state.holder) return [`${head}: free`];
  return [
    `${head}: held by ${state.holder.workflowId} (${describeEntry(state.holder)})`,
    ...state.queue.map((e, i) => `${ordinal(i + 1)}: ${e.workflowId} (${describeEntry(e)})`),
  ];
}

/**
 * What must always hold of a lane; an empty list when it does. The lane workflow may check it
 * after every change; the tests do.
 */
export function laneViolations(state: LaneState): string[] {
  const out: string[] = [];
  const entries = [...(state.holder ? [state.holder] : []), ...state.queue];
  const ids = entries.map((e) => e.workflowId);
  if (new Set(ids).size !== ids.length) out.push(`a workflow id is in the lane twice: ${ids.join(', ')}`);
  if (!state.holder && state.queue.length > 0) out.push('releases wait while nobody holds the lane');
  const firstRelease = state.queue.findIndex((e) => e.kind === 'release');
  if (firstRelease !== -1 && state.queue.slice(firstRelease).some((e) => e.kind === 'rollback')) out.push('a rollback waits behind a release');
  if (state.mode === 'supersede' && state.queue.filter((e) => e.kind === 'release' && !e.adopted).length > 1) out.push('more than one release waits in supersede mode');
  for (const e of state.queue) if (e.stopping) out.push(`${e.workflowId} waits with a stop: only a holder is stopped`);
  for (const e of entries) {
    if ((e.runId === undefined) !== (e.reservedUntilMs !== undefined)) out.push(`${e.workflowId}: a reservation has a grace and no run, and only it`);
    if (e.runId === undefined && e.passedApproval) out.push(`${e.workflowId}: passed approval without a run`);
    if (e.runId !== undefined && state.ended.some((x) => x.workflowId === e.workflowId && x.runId === e.runId)) out.push(`${e.workflowId}: run ${e.runId} left the lane yet is in it`);
  }
  if (state.log.length > LANE_LOG_LIMIT) out.push(`log of ${state.log.length} entries`);
  if (state.ended.length > LANE_ENDED_LIMIT) out.push(`${state.ended.length} ended runs remembered`);
  return out;
}
