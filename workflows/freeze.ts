/**
 * Ad hoc freezes of one Runway installation (task queue), as one long-lived entity workflow
 * (`runway-freeze:<taskQueue>`), started by `runway freeze start` with update-with-start. It
 * records who froze what and why, answers releases at their production gate (freezeWatch: the
 * freezes in force for their service, atomically registering them as waiting), and signals the
 * waiting releases when a freeze ends so they go on at once. It continues as new when its history
 * grows, carrying its state. Deterministic: no I/O.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import {
  type AdHocFreeze,
  adHocFreezesOf,
  type FreezeEvent,
  type FreezeWorkflowState,
  freezeChangedSignal,
  freezeEndUpdate,
  freezeStartUpdate,
  freezeStateQuery,
  freezeWatchUpdate,
} from '../src/domain/freeze-api';

export interface FreezeWorkflowInput {
  /** Carried over by continue-as-new. */
  state?: FreezeWorkflowState;
  /** Continue as new past this many history events (tests set it low). @default 2000 */
  historyLimit?: number;
}

/** Starts and ends kept in the log. */
const LOG_LIMIT = 200;
/** Continue as new before the history gets long (Temporal also suggests it). */
const HISTORY_LIMIT = 2000;

export async function freeze(input: FreezeWorkflowInput = {}): Promise<void> {
  const historyLimit = input.historyLimit ?? HISTORY_LIMIT;
  const longHistory = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > historyLimit;
  const state: FreezeWorkflowState = {
    freezes: [...(input.state?.freezes ?? [])],
    waiting: [...(input.state?.waiting ?? [])],
    log: [...(input.state?.log ?? [])],
  };
  let toNotify: string[] = [];
  const scopeOf = (service: string | undefined) => (service ? `service ${service}` : 'every service');
  const log = (event: FreezeEvent) => {
    state.log.push(event);
    if (state.log.length > LOG_LIMIT) state.log.splice(0, state.log.length - LOG_LIMIT);
  };

  setHandler(freezeStateQuery, () => state);
  setHandler(
    freezeStartUpdate,
    (request) => {
      const freeze: AdHocFreeze = { ...(request.service ? { service: request.service } : {}), reason: request.reason.trim(), by: request.by.trim(), startedAt: new Date().toISOString() };
      state.freezes.push(freeze);
      log({ at: freeze.startedAt, action: 'start', ...(request.service ? { service: request.service } : {}), by: freeze.by, reason: freeze.reason });
      return freeze;
    },
    {
      validator: (request) => {
        if (!request.reason?.trim()) throw new Error('a reason is required (--reason)');
        if (!request.by?.trim()) throw new Error('who freezes is required (--as)');
        const existing = state.freezes.find((f) => f.service === (request.service || undefined));
        if (existing) throw new Error(`${scopeOf(request.service)} is already frozen by ${existing.by} since ${existing.startedAt}: ${existing.reason}`);
      },
    },
  );
  setHandler(
    freezeEndUpdate,
    (request) => {
      const index = state.freezes.findIndex((f) => f.service === (request.service || undefined));
      const [ended] = state.freezes.splice(index, 1);
      log({ at: new Date().toISOString(), action: 'end', ...(request.service ? { service: request.service } : {}), by: request.by.trim() });
      // Every waiting release looks again (one still held by another freeze registers again).
      toNotify.push(...state.waiting);
      state.waiting = [];
      return ended!;
    },
    {
      validator: (request) => {
        if (!request.by?.trim()) throw new Error('who ends the freeze is required (--as)');
        if (!state.freezes.some((f) => f.service === (request.service || undefined))) {
          const inForce = state.freezes.map((f) => scopeOf(f.service)).join(', ') || 'none';
          throw new Error(`${scopeOf(request.service)} has no ad hoc freeze to end (in force: ${inForce})`);
        }
      },
    },
  );
  setHandler(
    freezeWatchUpdate,
    (request) => {
      const holding = adHocFreezesOf(state.freezes, request.service);
      if (holding.length > 0 && !state.waiting.includes(request.releaseId)) state.waiting.push(request.releaseId);
      return holding;
    },
    {
      validator: (request) => {
        if (!request.releaseId || !request.service) throw new Error('a release id and a service are required');
      },
    },
  );

  for (;;) {
    await condition(() => toNotify.length > 0 || longHistory());
    while (toNotify.length > 0) {
      const batch = toNotify;
      toNotify = [];
      for (const releaseId of batch) {
        try {
          await getExternalWorkflowHandle(releaseId).signal(freezeChangedSignal);
        } catch {
          // A release that has ended (or was never found) has nothing to wait for.
        }
      }
    }
    if (longHistory()) {
      await condition(allHandlersFinished);
      if (toNotify.length === 0) await continueAsNew<typeof freeze>({ state, ...(input.historyLimit !== undefined ? { historyLimit: input.historyLimit } : {}) });
    }
  }
}
