/**
 * Release lanes as pure rules (src/domain/lane.ts, issue 18 part 1): queue and supersede, rollbacks
 * at the front, reservations and their binding, idempotent admission, the holder freed only when its
 * run has closed — then a seeded walk of several hundred random steps per mode that checks the
 * invariants after every one.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  adopt,
  admit,
  type AdmitRequest,
  type AdmitResult,
  describeLane,
  describePlace,
  expireReservations,
  hasPlace,
  holderPassedApproval,
  LANE_DROPPED_RESERVATION_MEMORY_MS,
  LANE_ENDED_LIMIT,
  LANE_LOG_LIMIT,
  LANE_RESERVATION_GRACE_MS,
  laneViolations,
  type LaneMode,
  type LaneState,
  newLane,
  nextExpiryMs,
  ordinal,
  positionOf,
  released,
  standingOf,
} from '../../src/domain/lane';

const rel = (n: string, extra: Partial<AdmitRequest> = {}): AdmitRequest => ({ workflowId: `release-checkout-${n}`, runId: `run-${n}`, kind: 'release', version: n, ...extra });
const rb = (n: string, extra: Partial<AdmitRequest> = {}): AdmitRequest => ({ workflowId: `rollback-release-checkout-${n}`, runId: `rb-run-${n}`, kind: 'rollback', ...extra });
const id = (n: string) => `release-checkout-${n}`;
const rbId = (n: string) => `rollback-release-checkout-${n}`;

/** Admits in turn from `state` (one millisecond apart), checking the invariants each time. */
function admitAll(state: LaneState, requests: AdmitRequest[], fromMs = 1000): { state: LaneState; results: AdmitResult[] } {
  const results: AdmitResult[] = [];
  requests.forEach((request, i) => {
    const result = admit(state, request, fromMs + i);
    expect(laneViolations(result.state)).toEqual([]);
    results.push(result);
    state = result.state;
  });
  return { state, results };
}

const order = (state: LaneState) => [state.holder?.workflowId, ...state.queue.map((e) => e.workflowId)];

describe('queue mode', () => {
  it('grants a free lane, then queues in admission order with each place and who is just ahead', () => {
    const { state, results } = admitAll(newLane('checkout', 'queue'), [rel('a'), rel('b'), rel('c')]);
    expect(results.map((r) => r.decision)).toEqual([
      { kind: 'granted' },
      { kind: 'queued', position: 1, behind: id('a') },
      { kind: 'queued', position: 2, behind: id('b') },
    ]);
    expect(results.every((r) => r.stops.length === 0 && r.dropped.length === 0)).toBe(true);
    expect(order(state)).toEqual([id('a'), id('b'), id('c')]);
    expect(positionOf(state, id('a'))).toBe(0);
    expect(positionOf(state, id('c'))).toBe(2);
    expect(positionOf(state, id('zzz'))).toBeUndefined();
    // A run leaving the lane is looked at only when it holds or waits: by run, not just by workflow id.
    expect([hasPlace(state, id('a'), 'run-a'), hasPlace(state, id('c'), 'run-c')]).toEqual([true, true]);
    expect([hasPlace(state, id('a'), 'run-other'), hasPlace(state, id('zzz'), 'run-zzz')]).toEqual([false, false]);
    expect(describePlace(state, id('c'))).toBe(`queued (2nd, behind ${id('b')})`);
    expect(describePlace(state, id('a'))).toBe('holds the lane');
    expect(describeLane(state)).toEqual([`checkout lane (queue): held by ${id('a')} (release a)`, `1st: ${id('b')} (release b)`, `2nd: ${id('c')} (release c)`]);
  });

  it('frees the lane only when the holder run has closed, and hands it to the next', () => {
    const { state } = admitAll(newLane('checkout', 'queue'), [rel('a'), rel('b'), rel('c')]);
    // A report about another run of the holder's workflow id is not its close.
    expect(released(state, id('a'), 'run-other', 2000).state.holder?.workflowId).toBe(id('a'));
    const freed = released(state, id('a'), 'run-a', 2000);
    expect(freed.removed?.workflowId).toBe(id('a'));
    expect(freed.newHolder?.workflowId).toBe(id('b'));
    expect(order(freed.state)).toEqual([id('b'), id('c')]);
    expect(describePlace(freed.state, id('c'))).toBe(`queued (1st, behind ${id('b')})`);
    expect(freed.state.log.slice(-2).map((l) => l.event)).toEqual(['closed', 'granted']);
    // Idempotent, and the closed run never comes back.
    expect(released(freed.state, id('a'), 'run-a', 2001).state).toBe(freed.state);
    expect(admit(freed.state, rel('a'), 2002).decision).toEqual({ kind: 'refused', reason: `run run-a of ${id('a')} has closed` });
    expect(standingOf(freed.state, id('a'))).toEqual({ kind: 'ended', reason: `run run-a of ${id('a')} has closed` });
  });

  it('lets a queued run that closed leave without changing the holder', () => {
    const { state } = admitAll(newLane('checkout', 'queue'), [rel('a'), rel('b'), rel('c')]);
    const gone = released(state, id('b'), 'run-b', 2000);
    expect(gone.newHolder).toBeUndefined();
    expect(order(gone.state)).toEqual([id('a'), id('c')]);
  });

  it('keeps the freed lane free, and remembers a run it never held that closed', () => {
    const one = admit(newLane('checkout', 'queue'), rel('a'), 1).state;
    const free = released(one, id('a'), 'run-a', 2).state;
    expect(free.holder).toBeUndefined();
    expect(describeLane(free)).toEqual(['checkout lane (queue): free']);
    const remembered = released(free, id('x'), 'run-x', 3);
    expect(remembered.removed).toBeUndefined();
    expect(admit(remembered.state, rel('x'), 4).decision.kind).toBe('refused');
  });
});

describe('supersede mode', () => {
  it('stops a holder before approval ("superseded by <id>"), which keeps the lane until its run has closed; the newcomer waits next', () => {
    const { state, results } = admitAll(newLane('checkout', 'supersede'), [rel('a'), rel('b')]);
    expect(results[1]!.decision).toEqual({ kind: 'queued', position: 1, behind: id('a') });
    expect(results[1]!.stops).toEqual([{ workflowId: id('a'), runId: 'run-a', reason: `superseded by ${id('b')}`, cause: 'superseded' }]);
    expect(state.holder?.stopping).toMatchObject({ reason: `superseded by ${id('b')}`, by: id('b') });
    expect(describePlace(state, id('a'))).toBe(`holds the lane, stopping (superseded by ${id('b')})`);
    // The stopped holder may not pass approval any more.
    expect(holderPassedApproval(state, id('a'), 1500)).toMatchObject({ ok: false, reason: `superseded by ${id('b')}` });
    const freed = released(state, id('a'), 'run-a', 2000);
    expect(freed.newHolder?.workflowId).toBe(id('b'));
  });

  it('replaces the waiting release with a newer one and does not stop the holder twice', () => {
    const { state, results } = admitAll(newLane('checkout', 'supersede'), [rel('a'), rel('b'), rel('c')]);
    expect(results[2]!.stops).toEqual([]);
    expect(results[2]!.dropped.map((e) => e.workflowId)).toEqual([id('b')]);
    expect(results[2]!.decision).toEqual({ kind: 'queued', position: 1, behind: id('a') });
    expect(order(state)).toEqual([id('a'), id('c')]);
    expect(standingOf(state, id('b'))).toEqual({ kind: 'ended', reason: `superseded by ${id('c')}` });
    // The dropped run asking again (a retry, or missing its signal) is told why.
    expect(admit(state, rel('b'), 3000).decision).toEqual({ kind: 'refused', reason: `superseded by ${id('c')}` });
  });

  it('never stops a holder past approval for a release: the newest queues behind it', () => {
    let state = admit(newLane('checkout', 'supersede'), rel('a'), 1).state;
    const approved = holderPassedApproval(state, id('a'), 2);
    expect(approved.ok).toBe(true);
    state = approved.state;
    const { state: after, results } = admitAll(state, [rel('b'), rel('c')], 3);
    expect(results.flatMap((r) => r.stops)).toEqual([]);
    expect(results[1]!.dropped.map((e) => e.workflowId)).toEqual([id('b')]);
    expect(order(after)).toEqual([id('a'), id('c')]);
    expect(describeLane(after)[0]).toBe(`checkout lane (supersede): held by ${id('a')} (release a, past approval)`);
  });

  it('drops a reservation holding the lane (it started nothing) and grants the newcomer; its run is refused when it asks', () => {
    const reserved = admit(newLane('checkout', 'supersede'), rel('a', { runId: undefined }), 1);
    expect(reserved.decision).toEqual({ kind: 'granted' });
    const next = admit(reserved.state, rel('b'), 2);
    expect(next.decision).toEqual({ kind: 'granted' });
    expect(next.stops).toEqual([]);
    expect(next.dropped.map((e) => e.workflowId)).toEqual([id('a')]);
    expect(admit(next.state, rel('a'), 3).decision).toEqual({ kind: 'refused', reason: `superseded by ${id('b')}` });
    expect(admit(next.state, rel('a', { runId: undefined }), 3).decision.kind).toBe('refused');
    // Forgotten after a while: the same commit may be started again later.
    const later = expireReservations(next.state, 2 + LANE_DROPPED_RESERVATION_MEMORY_MS).state;
    expect(admit(later, rel('a'), 3 + LANE_DROPPED_RESERVATION_MEMORY_MS).decision).toEqual({ kind: 'queued', position: 1, behind: id('b') });
  });
});

describe('rollbacks', () => {
  it('go to the front, behind earlier rollbacks only, and stop a release holder whatever its stage', () => {
    let state = admitAll(newLane('checkout', 'queue'), [rel('a'), rel('b'), rel('c')]).state;
    state = holderPassedApproval(state, id('a'), 1500).state;
    const first = admit(state, rb('x'), 1600);
    expect(first.decision).toEqual({ kind: 'queued', position: 1, behind: id('a') });
    expect(first.stops).toEqual([{ workflowId: id('a'), runId: 'run-a', reason: `preempted by rollback ${rbId('x')}`, cause: 'rollback' }]);
    const second = admit(first.state, rb('y'), 1601);
    expect(second.decision).toEqual({ kind: 'queued', position: 2, behind: rbId('x') });
    expect(second.stops).toEqual([]);
    expect(order(second.state)).toEqual([id('a'), rbId('x'), rbId('y'), id('b'), id('c')]);
    expect(laneViolations(second.state)).toEqual([]);
    // The rollback waits until the stopped release's run has closed.
    expect(released(second.state, id('a'), 'run-a', 1700).newHolder?.workflowId).toBe(rbId('x'));
  });

  it('never stop a rollback holding the lane, nor does a release', () => {
    const { state, results } = admitAll(newLane('checkout', 'supersede'), [rb('x'), rb('y'), rel('a')]);
    expect(results.flatMap((r) => r.stops)).toEqual([]);
    expect(order(state)).toEqual([rbId('x'), rbId('y'), id('a')]);
  });

  it('are not refused by ifBusy and pass a stopping holder without a second stop', () => {
    const { state, results } = admitAll(newLane('checkout', 'supersede'), [rel('a'), rel('b'), rb('x', { ifBusy: 'refuse' })]);
    expect(results[2]!.decision).toEqual({ kind: 'queued', position: 1, behind: id('a') });
    expect(results[2]!.stops).toEqual([]);
    expect(order(state)).toEqual([id('a'), rbId('x'), id('b')]);
  });

  it('put a reservation holding the lane back at the head of the releases (it started nothing)', () => {
    const { state, results } = admitAll(newLane('checkout', 'queue'), [rel('a', { runId: undefined }), rel('b'), rb('x')]);
    expect(results[2]!.decision).toEqual({ kind: 'granted' });
    expect(results[2]!.stops).toEqual([]);
    expect(order(state)).toEqual([rbId('x'), id('a'), id('b')]);
    expect(state.log.map((l) => l.event)).toContain('requeued');
  });
});

describe('ifBusy: refuse', () => {
  it('is granted on a free lane and refused, naming the holder, with nothing changed, on a busy one', () => {
    for (const mode of ['queue', 'supersede'] as LaneMode[]) {
      const first = admit(newLane('checkout', mode), rel('a', { ifBusy: 'refuse' }), 1);
      expect(first.decision).toEqual({ kind: 'granted' });
      const second = admit(first.state, rel('b', { ifBusy: 'refuse', runId: undefined }), 2);
      expect(second.decision).toEqual({ kind: 'refused', reason: `${id('a')} holds the checkout lane (release a)` });
      expect(second.state).toBe(first.state);
      expect(second.stops).toEqual([]);
      const withQueue = admit(first.state, rel('c'), 3).state;
      expect(admit(withQueue, rel('d', { ifBusy: 'refuse' }), 4).decision).toMatchObject({ reason: expect.stringContaining('1 waiting') });
    }
  });
});

describe('idempotent admission', () => {
  it('answers the same admit twice the same, with the state unchanged', () => {
    const { state } = admitAll(newLane('checkout', 'queue'), [rel('a'), rel('b')]);
    for (const request of [rel('a'), rel('b'), rel('b', { ifBusy: 'refuse' }), rel('b', { runId: undefined })]) {
      const again = admit(state, request, 5000);
      expect(again.state).toBe(state);
      expect(again.stops).toEqual([]);
    }
    expect(admit(state, rel('b'), 5000).decision).toEqual({ kind: 'queued', position: 1, behind: id('a') });
    const refused = admit(state, rel('z', { ifBusy: 'refuse' }), 5000);
    expect(admit(refused.state, rel('z', { ifBusy: 'refuse' }), 5001)).toEqual(refused);
  });

  it('binds a later admit with a run id to the reservation made before the workflow existed, keeping its place', () => {
    const { state } = admitAll(newLane('checkout', 'queue'), [rel('a'), rel('b', { runId: undefined }), rel('c')]);
    expect(state.queue[0]).toMatchObject({ workflowId: id('b'), reservedUntilMs: 1001 + LANE_RESERVATION_GRACE_MS });
    expect(state.queue[0]!.runId).toBeUndefined();
    const bound = admit(state, rel('b'), 3000);
    expect(bound.decision).toEqual({ kind: 'queued', position: 1, behind: id('a') });
    const { runId, reservedUntilMs, ...rest } = bound.state.queue[0]!;
    expect(runId).toBe('run-b');
    expect(reservedUntilMs).toBeUndefined();
    expect(rest).toEqual({ workflowId: id('b'), kind: 'release', version: 'b', admittedAtMs: 1001 });
    expect({ ...bound.state, queue: undefined, log: undefined }).toEqual({ ...state, queue: undefined, log: undefined });
    expect(bound.state.log.at(-1)).toMatchObject({ event: 'bound', workflowId: id('b') });
    // Bound now: a reservation retry, or the same run again, changes nothing.
    expect(admit(bound.state, rel('b', { runId: undefined }), 3001).state).toBe(bound.state);
    expect(admit(bound.state, rel('b'), 3001).state).toBe(bound.state);
  });

  it('takes a new run of a held workflow id as the old run closed (one open run per id), unless it continues that run', () => {
    const { state } = admitAll(newLane('checkout', 'queue'), [rel('a'), rel('b')]);
    const rerun = admit(state, rel('a', { runId: 'run-a2' }), 2000);
    expect(order(rerun.state)).toEqual([id('b'), id('a')]);
    expect(rerun.newHolder?.workflowId).toBe(id('b'));
    expect(rerun.decision).toEqual({ kind: 'queued', position: 1, behind: id('b') });
    expect(admit(rerun.state, rel('a'), 2001).decision.kind).toBe('refused');

    const continued = admit(state, rel('a', { runId: 'run-a2', previousRunId: 'run-a' }), 2000);
    expect(continued.decision).toEqual({ kind: 'granted' });
    expect(continued.state.holder).toMatchObject({ workflowId: id('a'), runId: 'run-a2' });
    expect(admit(continued.state, rel('a'), 2001).decision).toEqual({ kind: 'refused', reason: `run run-a of ${id('a')} continued as run-a2` });
    expect(released(continued.state, id('a'), 'run-a', 2002).state.holder?.runId).toBe('run-a2');
  });
});

describe('holderPassedApproval', () => {
  it('is for the holder only, bound to a run, not stopped; idempotent', () => {
    const state = admitAll(newLane('checkout', 'queue'), [rel('a'), rel('b')]).state;
    expect(holderPassedApproval(state, id('b'), 1)).toMatchObject({ ok: false, reason: `${id('b')} does not hold the checkout lane (queued (1st, behind ${id('a')}))` });
    const ok = holderPassedApproval(state, id('a'), 2);
    expect(ok).toMatchObject({ ok: true });
    expect(ok.state.holder?.passedApproval).toBe(true);
    expect(holderPassedApproval(ok.state, id('a'), 3).state).toBe(ok.state);
    const reserved = admit(newLane('checkout', 'queue'), rel('r', { runId: undefined }), 1).state;
    expect(holderPassedApproval(reserved, id('r'), 2).ok).toBe(false);
  });
});

describe('expireReservations', () => {
  it('drops reservations no run bound in time, frees the lane to the next, and says when to look again', () => {
    const { state } = admitAll(newLane('checkout', 'queue'), [rel('a', { runId: undefined, reserveForMs: 100 }), rel('b', { runId: undefined, reserveForMs: 500 }), rel('c')], 0);
    expect(nextExpiryMs(state)).toBe(100);
    expect(expireReservations(state, 99).state).toBe(state);
    const snapshot = JSON.stringify(state);
    const at100 = expireReservations(state, 100);
    expect(JSON.stringify(state)).toBe(snapshot);
    expect(at100.expired.map((e) => e.workflowId)).toEqual([id('a')]);
    expect(at100.newHolder?.workflowId).toBe(id('b'));
    expect(nextExpiryMs(at100.state)).toBe(501);
    const at501 = expireReservations(at100.state, 501);
    expect(order(at501.state)).toEqual([id('c')]);
    expect(nextExpiryMs(at501.state)).toBeUndefined();
    // A run whose reservation expired is admitted afresh, at the back.
    expect(admit(at501.state, rel('a'), 600).decision).toEqual({ kind: 'queued', position: 1, behind: id('c') });
  });
});

describe('adopt', () => {
  it('takes in runs already in flight: a rollback first, else the earliest, holds; the others wait and are reported', () => {
    const running = [
      { workflowId: id('b'), runId: 'run-b', kind: 'release' as const, version: 'b', startedAtMs: 20 },
      { workflowId: id('a'), runId: 'run-a', kind: 'release' as const, version: 'a', startedAtMs: 10, passedApproval: true },
      { workflowId: rbId('x'), runId: 'rb-run-x', kind: 'rollback' as const, startedAtMs: 30 },
    ];
    const { state, overlapping } = adopt(newLane('checkout', 'supersede'), running, 100);
    expect(order(state)).toEqual([rbId('x'), id('a'), id('b')]);
    expect(overlapping.map((e) => e.workflowId)).toEqual([id('a'), id('b')]);
    expect(state.queue[0]).toMatchObject({ adopted: true, passedApproval: true, admittedAtMs: 10 });
    expect(laneViolations(state)).toEqual([]);
    // Supersede never drops what is already running; a second adopt of the same runs changes nothing.
    const next = admit(state, rel('c'), 200);
    expect(next.dropped).toEqual([]);
    expect(order(next.state)).toEqual([rbId('x'), id('a'), id('b'), id('c')]);
    expect(adopt(state, running, 300).state).toBe(state);
    const single = adopt(newLane('checkout', 'queue'), [running[0]!], 1);
    expect(single.overlapping).toEqual([]);
    expect(single.state.holder).toMatchObject({ workflowId: id('b'), adopted: true });
  });
});

describe('bounds and text', () => {
  it('keeps the last LANE_LOG_LIMIT events and LANE_ENDED_LIMIT ended runs', () => {
    let state = newLane('checkout', 'queue');
    for (let i = 0; i < 200; i++) {
      state = admit(state, rel(`v${i}`), i * 2).state;
      state = released(state, id(`v${i}`), `run-v${i}`, i * 2 + 1).state;
    }
    expect(state.log).toHaveLength(LANE_LOG_LIMIT);
    expect(state.log.at(-1)).toMatchObject({ event: 'closed', workflowId: id('v199') });
    expect(state.ended).toHaveLength(LANE_ENDED_LIMIT);
    expect(state.ended[0]!.workflowId).toBe(id('v150'));
    expect(JSON.stringify(state).length).toBeLessThan(30_000);
  });

  it('writes ordinals', () => {
    expect([1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 111, 112].map(ordinal)).toEqual(['1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st', '22nd', '23rd', '101st', '111th', '112th']);
  });

  it('uses no clock, randomness or imports (it runs in the workflow sandbox)', () => {
    const source = readFileSync(path.join(__dirname, '../../src/domain/lane.ts'), 'utf8');
    expect(source).not.toMatch(/^import /m);
    expect(source).not.toMatch(/Date\.now|new Date|Math\.random|structuredClone\(/);
  });
});

// ---------------------------------------------------------------------------------------------
// A seeded walk: several hundred random steps per mode, every invariant checked after each.

/** mulberry32: a tiny seeded PRNG, so a failing walk can be replayed from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function walk(mode: LaneMode, seed: number, steps: number): { grants: number; stops: number; drops: number; refusals: number } {
  const random = prng(seed);
  const pick = <T>(items: readonly T[]): T | undefined => (items.length === 0 ? undefined : items[Math.floor(random() * items.length)]);
  let state = newLane('checkout', mode);
  let nowMs = 1_000;
  let next = 0;
  let runs = 0;
  const closed = new Set<string>();
  const everHeld = new Set<string>();
  const reservations: AdmitRequest[] = [];
  const stats = { grants: 0, stops: 0, drops: 0, refusals: 0 };

  const entries = () => [...(state.holder ? [state.holder] : []), ...state.queue];
  const close = (workflowId: string, runId: string) => {
    const before = JSON.stringify(state);
    const result = released(state, workflowId, runId, nowMs);
    expect(JSON.stringify(state)).toBe(before);
    closed.add(runId);
    state = result.state;
  };

  const doAdmit = (request: AdmitRequest) => {
    const before = state;
    const snapshot = JSON.stringify(before);
    const result = admit(before, request, nowMs);
    expect(JSON.stringify(before)).toBe(snapshot);
    // Stops: only of the holder before, once, and never of one past approval for a release.
    for (const stop of result.stops) {
      expect(stop.workflowId).toBe(before.holder?.workflowId);
      expect(before.holder?.stopping).toBeUndefined();
      expect(before.holder?.kind).toBe('release');
      if (request.kind === 'release') {
        expect(mode).toBe('supersede');
        expect(before.holder?.passedApproval).not.toBe(true);
        expect(stop).toMatchObject({ cause: 'superseded', reason: `superseded by ${request.workflowId}` });
      } else expect(stop).toMatchObject({ cause: 'rollback' });
    }
    if (mode === 'queue') expect(result.dropped).toEqual([]);
    if (result.decision.kind === 'granted') expect(result.state.holder?.workflowId).toBe(request.workflowId);
    if (result.decision.kind === 'queued') expect(positionOf(result.state, request.workflowId)).toBe(result.decision.position);
    if (result.decision.kind === 'refused') expect(positionOf(result.state, request.workflowId)).toBeUndefined();
    stats.refusals += result.decision.kind === 'refused' ? 1 : 0;
    stats.stops += result.stops.length;
    stats.drops += result.dropped.length;
    state = result.state;
    // The same admit again, at once: the same answer, nothing changed.
    const again = admit(state, request, nowMs);
    expect(again.decision).toEqual(result.decision);
    expect(again.state).toBe(state);
    // Dropped runs are told and end.
    for (const gone of result.dropped) if (gone.runId !== undefined) close(gone.workflowId, gone.runId);
  };

  for (let step = 0; step < steps; step++) {
    nowMs += 1 + Math.floor(random() * 20_000);
    const roll = random();
    if (roll < 0.3) {
      const n = String(next++);
      const reservation = random() < 0.35;
      const request = rel(n, { runId: reservation ? undefined : `run-${n}-${runs++}`, ifBusy: random() < 0.25 ? 'refuse' : 'queue' });
      if (reservation) reservations.push(request);
      doAdmit(request);
    } else if (roll < 0.37) {
      const n = String(next++);
      doAdmit(rb(n, { runId: `rb-run-${n}` }));
    } else if (roll < 0.47) {
      // The workflow `runway start` launched asks with its run (maybe long after its reservation).
      const reserved = reservations.splice(Math.floor(random() * reservations.length), 1)[0];
      if (reserved) doAdmit({ ...reserved, runId: `run-${reserved.workflowId}-${runs++}`, ifBusy: 'queue' });
    } else if (roll < 0.57) {
      const holder = state.holder;
      if (holder) {
        const answer = holderPassedApproval(state, holder.workflowId, nowMs);
        expect(answer.ok).toBe(holder.runId !== undefined && !holder.stopping);
        state = answer.state;
      }
    } else if (roll < 0.8) {
      // A run closes: most often a stopped holder, else the holder finishing, else one waiting (terminated).
      const bound = entries().filter((e) => e.runId !== undefined);
      const target = state.holder?.stopping && random() < 0.7 ? state.holder : random() < 0.6 && state.holder?.runId ? state.holder : pick(bound);
      if (target?.runId) close(target.workflowId, target.runId);
    } else if (roll < 0.86) {
      // A late admit from a run the lane saw close is refused (while it still remembers it).
      const remembered = state.ended.filter((e) => e.runId !== undefined && closed.has(e.runId));
      const late = pick(remembered);
      if (late) {
        const result = admit(state, { workflowId: late.workflowId, runId: late.runId, kind: late.workflowId.startsWith('rollback-') ? 'rollback' : 'release' }, nowMs);
        expect(result.decision.kind).toBe('refused');
        expect(result.state).toBe(state);
      }
    } else if (roll < 0.9) {
      // The holder continues as a new run in its place.
      const holder = state.holder;
      if (holder?.runId && !closed.has(holder.runId)) {
        const runId = `${holder.runId}-c${runs++}`;
        const result = admit(state, { workflowId: holder.workflowId, runId, previousRunId: holder.runId, kind: holder.kind }, nowMs);
        expect(result.decision).toEqual({ kind: 'granted' });
        closed.add(holder.runId);
        everHeld.add(runId);
        state = result.state;
      }
    } else {
      const before = JSON.stringify(state);
      const expiry = expireReservations(state, nowMs);
      expect(JSON.stringify(state)).toBe(before);
      for (const e of expiry.expired) expect(e.runId).toBeUndefined();
      state = expiry.state;
    }

    // After every step:
    expect(laneViolations(state)).toEqual([]);
    for (const e of entries()) if (e.runId !== undefined) expect(closed.has(e.runId)).toBe(false);
    if (state.holder?.runId && !everHeld.has(state.holder.runId)) {
      everHeld.add(state.holder.runId);
      stats.grants++;
    }
    // At most one run ever granted the lane is still open: no two deploy at once.
    expect([...everHeld].filter((r) => !closed.has(r)).length).toBeLessThanOrEqual(1);
    const queuedReleases = state.queue.filter((e) => e.kind === 'release');
    const queuedRollbacks = state.queue.filter((e) => e.kind === 'rollback');
    // FIFO: each kind waits in admission order (admission times strictly grow in this walk).
    for (const group of [queuedReleases, queuedRollbacks]) for (let i = 1; i < group.length; i++) expect(group[i]!.admittedAtMs).toBeGreaterThan(group[i - 1]!.admittedAtMs);
    if (mode === 'supersede') expect(queuedReleases.length).toBeLessThanOrEqual(1);
    expect(state.log.length).toBeLessThanOrEqual(LANE_LOG_LIMIT);
    expect(state.ended.length).toBeLessThanOrEqual(LANE_ENDED_LIMIT);
    for (const e of state.queue) expect(describePlace(state, e.workflowId)).toMatch(/^queued \(\d+(st|nd|rd|th), behind \S+\)$/);
  }
  return stats;
}

describe('a seeded random walk keeps every invariant', () => {
  for (const mode of ['queue', 'supersede'] as LaneMode[]) {
    it.each([1, 7, 42, 2024])(`${mode} mode, seed %i, 600 steps`, (seed) => {
      const stats = walk(mode, seed, 600);
      // The walk reached the interesting cases.
      expect(stats.grants).toBeGreaterThan(20);
      expect(stats.refusals).toBeGreaterThan(0);
      expect(stats.stops).toBeGreaterThan(0);
      if (mode === 'supersede') expect(stats.drops).toBeGreaterThan(0);
    });
  }
});
