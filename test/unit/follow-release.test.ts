/**
 * How a follow (`runway watch`, `start --wait`) ends for a release whose workflow closed without
 * a result, or is stuck: what the history says, which outcome stands, the message and the exit
 * code. Pure parts of src/release-client/follow.ts; the CLI processes are in
 * test/e2e/cli-follow-ends.test.ts.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { errorToExit } from '../../src/cli/run-action';
import { ExitCode } from '../../src/cli/exit-codes';
import {
  closureFromHistory,
  closureKind,
  closureMessage,
  latestWorkflowTaskFailure,
  ReleaseEndedWithoutOutcomeError,
  settleClosedRelease,
  stuckMessage,
} from '../../src/release-client/follow';
import type { ReleaseStatus } from '../../src/domain/release';

type HistoryEvent = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>[number];
const event = (fields: Record<string, unknown>, seconds = 1_796_208_000): HistoryEvent => ({ eventTime: { seconds, nanos: 250_000_000 }, ...fields }) as unknown as HistoryEvent;

const started = (attributes: Record<string, unknown> = {}) => event({ workflowExecutionStartedEventAttributes: attributes });
const AT = '2026-12-02T10:40:00.250Z';
const ID = 'release-checkout-abc1234';

describe('closureKind', () => {
  it.each([
    ['TERMINATED', 'terminated'],
    ['TIMED_OUT', 'timed-out'],
    ['FAILED', 'failed'],
    ['CANCELLED', 'cancelled'],
  ])('%s closed without a result: %s', (status, kind) => expect(closureKind(status)).toBe(kind));

  it.each(['RUNNING', 'COMPLETED', 'CONTINUED_AS_NEW', 'PAUSED', 'UNKNOWN'])('%s is not a closure without a result', (status) => expect(closureKind(status)).toBeUndefined());
});

describe('closureFromHistory', () => {
  it('a termination: who, why and when, from the terminated event', () => {
    const events = [started(), event({ workflowExecutionTerminatedEventAttributes: { reason: 'wrong build', identity: 'temporal-cli:ops@ci' } })];
    expect(closureFromHistory('terminated', events)).toEqual({ kind: 'terminated', at: new Date(AT), by: 'temporal-cli:ops@ci', reason: 'wrong build' });
  });

  it('a cancellation: who asked, from the cancel request (events before the end)', () => {
    const events = [
      started(),
      event({ workflowExecutionCancelRequestedEventAttributes: { cause: 'superseded', identity: 'alice@laptop' } }),
      event({ activityTaskScheduledEventAttributes: {} }),
      event({ workflowExecutionCanceledEventAttributes: {} }),
    ];
    expect(closureFromHistory('cancelled', events)).toEqual({ kind: 'cancelled', at: new Date(AT), by: 'alice@laptop', reason: 'superseded' });
  });

  it('a workflow failure: its message', () => {
    const events = [started(), event({ workflowExecutionFailedEventAttributes: { failure: { message: 'boom' } } })];
    expect(closureFromHistory('failed', events)).toMatchObject({ kind: 'failed', failure: 'boom' });
  });

  it('a timeout: the execution timeout set at start, else the run timeout', () => {
    const timedOut = event({ workflowExecutionTimedOutEventAttributes: {} });
    expect(closureFromHistory('timed-out', [started({ workflowExecutionTimeout: { seconds: 4 } }), timedOut]).timeout).toBe('4s');
    expect(closureFromHistory('timed-out', [started({ workflowRunTimeout: { seconds: 1, nanos: 500_000_000 } }), timedOut]).timeout).toBe('1500ms');
    expect(closureFromHistory('timed-out', [started(), timedOut]).timeout).toBeUndefined();
  });

  it('leaves out what the history does not say (empty identity and reason)', () => {
    expect(closureFromHistory('terminated', [event({ workflowExecutionTerminatedEventAttributes: { reason: '', identity: '' } })])).toEqual({ kind: 'terminated', at: new Date(AT) });
  });
});

describe('latestWorkflowTaskFailure', () => {
  it('the failure recorded for the workflow task that keeps failing', () => {
    const events = [started(), event({ workflowTaskScheduledEventAttributes: {} }), event({ workflowTaskFailedEventAttributes: { failure: { message: 'Nondeterminism error: …' } } })];
    expect(latestWorkflowTaskFailure(events)).toBe('Nondeterminism error: …');
  });

  it('a timed-out task says so', () => {
    expect(latestWorkflowTaskFailure([started(), event({ workflowTaskTimedOutEventAttributes: {} })])).toMatch(/timed out/);
  });

  it('none once a later workflow task completed', () => {
    const events = [started(), event({ workflowTaskFailedEventAttributes: { failure: { message: 'old' } } }), event({ workflowTaskCompletedEventAttributes: {} })];
    expect(latestWorkflowTaskFailure(events)).toBeUndefined();
  });
});

describe('messages', () => {
  const terminated = { kind: 'terminated', at: new Date(AT), by: 'ops@ci', reason: 'wrong build' } as const;

  it('a termination names who, when, why, the last stage, and where to look (the Web UI run when known)', () => {
    expect(closureMessage(terminated, { releaseId: ID, lastStage: 'canary', webUiLink: 'https://ui/namespaces/default/workflows/x/r' })).toBe(
      `${ID} was terminated by ops@ci at ${AT} (reason: wrong build); last stage recorded: canary. It did not roll back, so staging or production may be left changed: ` +
        `run \`runway status ${ID}\` (a worker must be up to answer) or open https://ui/namespaces/default/workflows/x/r and put right what it left.`,
    );
  });

  it('without a Web UI address, points to the Temporal CLI; an unknown stage says so', () => {
    const message = closureMessage({ kind: 'timed-out', at: new Date(AT), timeout: '6h' }, { releaseId: ID });
    expect(message).toMatch(/timed out at .*: its workflow timeout \(6h\) ran out; last stage recorded: unknown\./);
    expect(message).toContain(`\`temporal workflow show --workflow-id ${ID}\``);
  });

  it('a cancelled release that did not finish its rollback, and a failed workflow', () => {
    expect(closureMessage({ kind: 'cancelled', by: 'alice' }, { releaseId: ID, lastStage: 'rolling-back' })).toMatch(/was cancelled by alice; last stage recorded: rolling-back\. Its rollback did not finish/);
    expect(closureMessage({ kind: 'failed', failure: 'boom' }, { releaseId: ID, lastStage: 'staging' })).toMatch(/'s workflow failed: boom; last stage recorded: staging\. It did not roll back/);
  });

  it('a stuck release: how many failures, the recorded one, that it still runs, and the way out', () => {
    const message = stuckMessage(3, 'Nondeterminism error: x', { releaseId: ID, lastStage: 'canary' });
    expect(message).toMatch(/is stuck: its workflow task has failed 2 times in a row \(last stage recorded: canary; recorded failure: Nondeterminism error: x\)\. It is still running/);
    expect(message).toContain(`temporal workflow reset --workflow-id ${ID}`);
  });
});

describe('settleClosedRelease', () => {
  const status = (stage: ReleaseStatus['stage'], extra: Partial<ReleaseStatus> = {}) => ({ releaseId: ID, stage, history: [], ...extra }) as unknown as ReleaseStatus;
  const cancelled = { kind: 'cancelled', by: 'alice' } as const;
  const thrown = (fn: () => unknown): unknown => {
    try {
      fn();
    } catch (err) {
      return err;
    }
    throw new Error('did not throw');
  };

  it('a cancelled release that rolled back keeps its outcome, noting who asked', () => {
    const settled = settleClosedRelease(cancelled, status('rolled-back', { result: 'rolled-back', outcomeReason: 'the release was cancelled' }), { releaseId: ID });
    expect(settled).toMatchObject({ result: 'rolled-back', outcomeReason: 'the release was cancelled; cancellation requested by alice' });
  });

  it('a release terminated before any final stage ended without an outcome: exit 8', () => {
    const error = thrown(() => settleClosedRelease({ kind: 'terminated', by: 'ops' }, status('awaiting-approval'), { releaseId: ID, lastStage: 'smoke' }));
    expect(error).toBeInstanceOf(ReleaseEndedWithoutOutcomeError);
    expect(error).toMatchObject({ ending: 'terminated', lastStage: 'awaiting-approval', result: undefined });
    expect(errorToExit(error)).toEqual({ code: 8, message: (error as Error).message });
  });

  it('with no worker to answer, the recorded final stage stands (a cancelled release that rolled back: exit 5)', () => {
    const error = thrown(() => settleClosedRelease(cancelled, undefined, { releaseId: ID, lastStage: 'rolled-back' })) as ReleaseEndedWithoutOutcomeError;
    expect(error.result).toBe('rolled-back');
    expect(errorToExit(error)).toEqual({ code: 5, message: `${ID}: rolled-back — cancellation requested by alice (no worker answered for its final status: run \`runway status ${ID}\` (a worker must be up to answer) or \`temporal workflow show --workflow-id ${ID}\`)` });
  });

  it('with no worker and no stage recorded, ended without an outcome', () => {
    expect(() => settleClosedRelease({ kind: 'timed-out' }, undefined, { releaseId: ID })).toThrow(/timed out: its workflow timeout ran out; last stage recorded: unknown/);
  });
});

it('exit codes: 8 is new and distinct, every earlier code unchanged', () => {
  expect(ExitCode).toEqual({ ok: 0, error: 1, invalidInput: 2, notFound: 3, refused: 4, rolledBack: 5, rejected: 6, failed: 7, noOutcome: 8 });
});
