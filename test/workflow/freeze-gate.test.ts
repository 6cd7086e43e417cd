/**
 * Freeze windows at the production gate, on a real dev server with fake activities (and the real
 * freeze workflow for ad hoc freezes): a configured window holds a release as `frozen` after its
 * approval and it goes on by itself when the window ends; an ad hoc freeze holds it until `freeze
 * end`; break-glass passes with enough approvals and stays frozen with too few (an operator's abort
 * still works there); a rollback is never held; a freeze that starts while the canary bakes does
 * not interrupt it. Windows are a few seconds long, computed from now.
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { createFreezeActivities } from '../../activities/freeze';
import { parseConfig } from '../../src/config/load';
import { releasePlan } from '../../src/config/plan';
import type { FreezeInterval, FreezePlan } from '../../src/domain/freeze';
import { breakGlassApproveUpdate } from '../../src/domain/freeze-api';
import type { ReleaseOutcome, ReleasePlan } from '../../src/domain/release';
import { abortUpdate, approveUpdate, ROLLBACK_WORKFLOW_TYPE, stageSearchAttribute, statusQuery } from '../../src/domain/release-api';
import { type RollbackInput, rollbackId } from '../../src/domain/rollback';
import { endFreeze, freezeState, startFreeze } from '../../src/release-client/freeze';
import { createFakeActivities } from '../support/fake-activities';
import { MINIMAL_CONFIG_YAML } from '../support/minimal-config';
import { samplePlan } from '../support/sample-plan';
import { uniqueId, useTestClient } from '../support/temporal';
import { releaseInput, startReleaseWorkflow, untilStage, untilStatus, withWorker } from '../support/workflow-runner';
import { releaseOutcome } from '../../src/release-client/outcome';

const temporal = useTestClient();
type Fake = ReturnType<typeof createFakeActivities>;

/** A schedule with one fixed window [startMs, endMs). */
function freezePlan(startMs: number, endMs: number, breakGlassRequired = 2, reason = 'year-end freeze'): FreezePlan {
  const interval: FreezeInterval = { startMs, endMs, reason, scope: 'global' };
  return { intervals: [interval], resolvedFromMs: Date.now() - 3600_000, resolvedUntilMs: Date.now() + 24 * 3600_000, breakGlassRequired };
}

const productionChanges = (fake: Fake) => fake.calls.filter((c) => c.name === 'updateService' && (c.input as { cluster: string }).cluster === 'production');
const historyOf = (outcome: ReleaseOutcome) => outcome.status.history.map((e) => e.message);
const refusal = (p: Promise<unknown>) => p.then(() => 'accepted', (err: WorkflowUpdateFailedError) => (err.cause as Error).message);

/** Fake activities, with the real watchFreeze (the freeze workflow on the test server), logged like the fakes. */
function withRealFreezes(fake: Fake): Fake['activities'] {
  const real = createFreezeActivities({ temporal: temporal.client });
  return {
    ...fake.activities,
    watchFreeze: (input) => {
      fake.calls.push({ name: 'watchFreeze', input });
      return real.watchFreeze(input);
    },
  };
}

describe('production gate: configured windows', () => {
  it('holds an approved release as frozen with the window end and reason, and it goes on by itself when the window ends', async () => {
    const fake = createFakeActivities();
    const now = Date.now();
    const plan: ReleasePlan = samplePlan({ freeze: freezePlan(now - 1000, now + 6000) });
    const outcome = await withWorker(fake.activities, async (taskQueue) => {
      const handle = await startReleaseWorkflow(temporal.client, taskQueue, releaseInput(plan));
      await untilStage(handle, 'awaiting-approval');
      await handle.executeUpdate(approveUpdate, { args: [{ by: 'alice' }] });
      const frozen = await untilStage(handle, 'frozen');
      expect(frozen.freeze).toMatchObject({ holding: true, reasons: ['year-end freeze'], until: new Date(now + 6000).toISOString() });
      expect(frozen.freeze!.text).toMatch(/^frozen until \d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?Z: year-end freeze$/);
      // Staging and smoke went ahead; production is untouched while frozen.
      expect(productionChanges(fake)).toEqual([]);
      return await releaseOutcome(handle);
    });
    expect(outcome.result).toBe('released');
    expect(outcome.status.freeze).toMatchObject({ holding: false });
    expect(historyOf(outcome)).toContain('the freeze is over: passing the production gate');
    const frozenAt = outcome.status.history.findIndex((e) => e.stage === 'frozen');
    const canaryAt = outcome.status.history.findIndex((e) => e.stage === 'canary');
    expect(frozenAt).toBeGreaterThan(outcome.status.history.findIndex((e) => e.stage === 'awaiting-approval'));
    expect(canaryAt).toBeGreaterThan(frozenAt);
    // The Slack message said so and the thread announced it.
    const replies = fake.calls.filter((c) => c.name === 'postThreadReply').map((c) => (c.input as { text: string }).text);
    expect(replies.some((t) => t.includes('waits at the production gate: frozen until'))).toBe(true);
  });

  it('two chained windows hold as one, until the end of the second', async () => {
    const fake = createFakeActivities();
    const now = Date.now();
    const freeze = freezePlan(now - 1000, now + 2000);
    freeze.intervals = [...freeze.intervals, { startMs: now + 2000, endMs: now + 5000, reason: 'release train', scope: 'service' }];
    const outcome = await withWorker(fake.activities, async (taskQueue) => {
      const handle = await startReleaseWorkflow(temporal.client, taskQueue, releaseInput(samplePlan({ freeze })));
      await untilStage(handle, 'awaiting-approval');
      await handle.executeUpdate(approveUpdate, { args: [{ by: 'alice' }] });
      return await releaseOutcome(handle);
    });
    expect(outcome.result).toBe('released');
    expect(outcome.status.freeze).toMatchObject({ reasons: ['year-end freeze', 'release train'], until: new Date(now + 5000).toISOString() });
  });

  it('a window outside the release\'s time does not hold it', async () => {
    const fake = createFakeActivities();
    const now = Date.now();
    const outcome = await withWorker(fake.activities, async (taskQueue) => {
      const handle = await startReleaseWorkflow(temporal.client, taskQueue, releaseInput(samplePlan({ freeze: freezePlan(now + 3600_000, now + 7200_000) })));
      await untilStage(handle, 'awaiting-approval');
      await handle.executeUpdate(approveUpdate, { args: [{ by: 'alice' }] });
      return await releaseOutcome(handle);
    });
    expect(outcome.result).toBe('released');
    expect(outcome.status.freeze).toBeUndefined();
    expect(outcome.status.history.some((e) => e.stage === 'frozen')).toBe(false);
  });
});

describe('production gate: a recurring window from the config', () => {
  it('an hourly RRULE window in force holds the release as frozen, and it goes on when the occurrence ends', async () => {
    const fake = createFakeActivities();
    // An occurrence that began 30 s ago and lasts 40 s, then one every hour.
    const startMs = Math.floor(Date.now() / 1000) * 1000 - 30_000;
    const dtstart = new Date(startMs).toISOString().replace(/[-:]/g, '').slice(0, 15);
    const config = parseConfig(`${MINIMAL_CONFIG_YAML}freeze:\n  windows:\n    - { rrule: "DTSTART:${dtstart}\\nRRULE:FREQ=HOURLY", duration: 40s, timeZone: UTC, reason: hourly quiet time }\n`, 'test.yaml');
    const configured = releasePlan(config, 'api', 'carol');
    expect(configured.freeze!.intervals.slice(0, 2).map((i) => i.startMs)).toEqual([startMs, startMs + 3600_000]);
    const plan = samplePlan({ freeze: configured.freeze });
    const outcome = await withWorker(fake.activities, async (taskQueue) => {
      const handle = await startReleaseWorkflow(temporal.client, taskQueue, releaseInput(plan));
      await untilStage(handle, 'awaiting-approval');
      await handle.executeUpdate(approveUpdate, { args: [{ by: 'alice' }] });
      const frozen = await untilStage(handle, 'frozen');
      expect(frozen.freeze).toMatchObject({ reasons: ['hourly quiet time'], until: new Date(startMs + 40_000).toISOString() });
      expect(productionChanges(fake)).toEqual([]);
      return await releaseOutcome(handle);
    });
    expect(outcome.result).toBe('released');
    expect(historyOf(outcome)).toContain('the freeze is over: passing the production gate');
  });
});

describe('production gate: ad hoc freezes', () => {
  it('runway freeze start holds the release; freeze end releases it at once', async () => {
    const fake = createFakeActivities();
    const outcome = await withWorker(withRealFreezes(fake), async (taskQueue) => {
      const started = await startFreeze(temporal.client, taskQueue, { reason: 'incident 4711', by: 'dave' });
      expect(started).toMatchObject({ reason: 'incident 4711', by: 'dave' });
      const handle = await startReleaseWorkflow(temporal.client, taskQueue, releaseInput());
      await untilStage(handle, 'awaiting-approval');
      await handle.executeUpdate(approveUpdate, { args: [{ by: 'alice' }] });
      const frozen = await untilStage(handle, 'frozen');
      expect(frozen.freeze!.text).toBe('frozen until the freeze is ended (runway freeze end): incident 4711 (ad hoc, dave, every service)');
      expect(frozen.freeze!.until).toBeUndefined();
      expect((await freezeState(temporal.client, taskQueue)).waiting).toEqual([handle.workflowId]);
      expect(productionChanges(fake)).toEqual([]);
      await endFreeze(temporal.client, taskQueue, { by: 'dave' });
      const outcome = await releaseOutcome(handle);
      const state = await freezeState(temporal.client, taskQueue);
      expect(state.freezes).toEqual([]);
      expect(state.log.map((e) => [e.action, e.by])).toEqual([
        ['start', 'dave'],
        ['end', 'dave'],
      ]);
      return outcome;
    });
    expect(outcome.result).toBe('released');
    expect(historyOf(outcome)).toContain('the freeze is over: passing the production gate');
  });

  it('a freeze of another service does not hold it; a second freeze of the same scope is refused', async () => {
    const fake = createFakeActivities();
    const outcome = await withWorker(withRealFreezes(fake), async (taskQueue) => {
      await startFreeze(temporal.client, taskQueue, { service: 'payments', reason: 'payments incident', by: 'dave' });
      await expect(startFreeze(temporal.client, taskQueue, { service: 'payments', reason: 'again', by: 'erin' })).rejects.toThrow(
        /service payments is already frozen by dave since .*: payments incident/,
      );
      await expect(endFreeze(temporal.client, taskQueue, { service: 'checkout', by: 'erin' })).rejects.toThrow('service checkout has no ad hoc freeze to end (in force: service payments)');
      const handle = await startReleaseWorkflow(temporal.client, taskQueue, releaseInput());
      await untilStage(handle, 'awaiting-approval');
      await handle.executeUpdate(approveUpdate, { args: [{ by: 'alice' }] });
      return await releaseOutcome(handle);
    });
    expect(outcome.result).toBe('released');
    expect(outcome.status.freeze).toBeUndefined();
  });

  it('a freeze that starts while the canary bakes does not interrupt the release', async () => {
    const fake = createFakeActivities();
    const outcome = await withWorker(withRealFreezes(fake), async (taskQueue) => {
      const handle = await startReleaseWorkflow(temporal.client, taskQueue, releaseInput(samplePlan({ canary: { bakeMs: 1500 } })));
      await untilStage(handle, 'awaiting-approval');
      await handle.executeUpdate(approveUpdate, { args: [{ by: 'alice' }] });
      await untilStatus(handle, (s) => s.canary.step === 1, 'canary step 1');
      await startFreeze(temporal.client, taskQueue, { reason: 'incident during the bake', by: 'dave' });
      return await releaseOutcome(handle);
    });
    expect(outcome.result).toBe('released');
    expect(outcome.status.history.some((e) => e.stage === 'frozen')).toBe(false);
    expect(fake.names().filter((n) => n === 'watchFreeze')).toHaveLength(1);
  });
});

describe('break-glass', () => {
  const breakGlassInput = (plan: ReleasePlan) => ({ ...releaseInput(plan), breakGlass: { reason: 'security fix CVE-2026-1' } });

  it('passes the freeze with the required approvals under the approval policy, recorded and announced', async () => {
    const fake = createFakeActivities();
    const now = Date.now();
    const outcome = await withWorker(fake.activities, async (taskQueue) => {
      const plan = samplePlan({ freeze: freezePlan(now - 1000, now + 3600_000, 2) });
      plan.approval.approvers = ['alice', 'bob', 'carol'];
      const handle = await startReleaseWorkflow(temporal.client, taskQueue, breakGlassInput(plan));
      await untilStage(handle, 'awaiting-approval');
      // Before the gate, break-glass approvals are refused.
      expect(await refusal(handle.executeUpdate(breakGlassApproveUpdate, { args: [{ by: 'alice' }] }))).toBe(
        'break-glass approval refused: the release is not held by a freeze at its production gate',
      );
      await handle.executeUpdate(approveUpdate, { args: [{ by: 'alice' }] });
      const frozen = await untilStage(handle, 'frozen');
      expect(frozen.freeze!.breakGlass).toEqual({ reason: 'security fix CVE-2026-1', required: 2, approvals: [] });
      expect(await refusal(handle.executeUpdate(breakGlassApproveUpdate, { args: [{ by: 'carol' }] }))).toBe(
        'break-glass approval refused: carol requested this release and self-approval is not allowed',
      );
      expect(await refusal(handle.executeUpdate(breakGlassApproveUpdate, { args: [{ by: 'mallory' }] }))).toBe(
        'break-glass approval refused: mallory is not an allowed approver (allowed: alice, bob, carol)',
      );
      expect(await handle.executeUpdate(breakGlassApproveUpdate, { args: [{ by: 'alice', comment: 'fix is tiny' }] })).toMatchObject({ by: 'alice', pending: 1 });
      expect(await refusal(handle.executeUpdate(breakGlassApproveUpdate, { args: [{ by: 'alice' }] }))).toMatch(/alice has already approved breaking the freeze; 1 more/);
      expect(await handle.executeUpdate(breakGlassApproveUpdate, { args: [{ by: 'bob' }] })).toMatchObject({ by: 'bob', pending: 0 });
      return await releaseOutcome(handle);
    });
    expect(outcome.result).toBe('released');
    expect(outcome.status.freeze!.breakGlass!.approvals.map((a) => a.by)).toEqual(['alice', 'bob']);
    expect(historyOf(outcome)).toContain('break-glass: passing the freeze (year-end freeze) with the approval of alice, bob: security fix CVE-2026-1');
    const replies = fake.calls.filter((c) => c.name === 'postThreadReply').map((c) => (c.input as { text: string }).text);
    expect(replies.some((t) => t.includes('Break-glass: checkout') && t.includes('approved by alice, bob'))).toBe(true);
  });

  it('with too few approvals it stays frozen; an operator can still abort it there', async () => {
    const fake = createFakeActivities();
    const now = Date.now();
    const outcome = await withWorker(fake.activities, async (taskQueue) => {
      const handle = await startReleaseWorkflow(temporal.client, taskQueue, breakGlassInput(samplePlan({ freeze: freezePlan(now - 1000, now + 3600_000, 2) })));
      await untilStage(handle, 'awaiting-approval');
      await handle.executeUpdate(approveUpdate, { args: [{ by: 'alice' }] });
      await untilStage(handle, 'frozen');
      await handle.executeUpdate(breakGlassApproveUpdate, { args: [{ by: 'alice' }] });
      const status = await handle.query(statusQuery);
      expect(status).toMatchObject({ stage: 'frozen', freeze: { holding: true } });
      expect(productionChanges(fake)).toEqual([]);
      await handle.executeUpdate(abortUpdate, { args: [{ by: 'bob', reason: 'wait for January' }] });
      return await releaseOutcome(handle);
    });
    expect(outcome).toMatchObject({ result: 'rolled-back', reason: 'aborted by bob: wait for January' });
    expect(productionChanges(fake)).toEqual([]);
    expect(historyOf(outcome)).toContain('break-glass approved by alice; 1 more needed');
  });

  it('a release not started with --break-glass is told so', async () => {
    const fake = createFakeActivities();
    const now = Date.now();
    await withWorker(fake.activities, async (taskQueue) => {
      const handle = await startReleaseWorkflow(temporal.client, taskQueue, releaseInput(samplePlan({ freeze: freezePlan(now - 1000, now + 3600_000) })));
      await untilStage(handle, 'awaiting-approval');
      await handle.executeUpdate(approveUpdate, { args: [{ by: 'alice' }] });
      await untilStage(handle, 'frozen');
      expect(await refusal(handle.executeUpdate(breakGlassApproveUpdate, { args: [{ by: 'alice' }] }))).toBe(
        'break-glass approval refused: this release was not started with --break-glass',
      );
      await handle.terminate('test done');
    });
  });
});

describe('rollbacks are never frozen', () => {
  it('a rollback runs through a configured window and an ad hoc freeze', async () => {
    const fake = createFakeActivities();
    const now = Date.now();
    const input: RollbackInput = {
      service: 'checkout',
      from: { workflowId: uniqueId('release-checkout'), version: 'b'.repeat(40), taskDefinition: 'td/checkout-production:1' },
      to: { workflowId: 'release-checkout-aaaaaaaaaaaa', version: 'a'.repeat(40), image: 'registry.local/checkout:aaaa', taskDefinition: 'td/checkout-production:0' },
      requestedBy: 'carol',
      reason: 'errors after the release',
      plan: samplePlan({ freeze: freezePlan(now - 1000, now + 3600_000) }),
    };
    const outcome = (await withWorker(withRealFreezes(fake), async (taskQueue) => {
      await startFreeze(temporal.client, taskQueue, { reason: 'incident', by: 'dave' });
      const handle = await temporal.client.workflow.start(ROLLBACK_WORKFLOW_TYPE, {
        workflowId: rollbackId(input.from.workflowId),
        taskQueue,
        args: [input],
        typedSearchAttributes: [{ key: stageSearchAttribute, value: 'queued' }],
      });
      return releaseOutcome(handle);
    })) as ReleaseOutcome;
    expect(outcome.result).toBe('released');
    expect(fake.services.get('production/checkout')!.taskDefinition).toBe('td/checkout-production:0');
    expect(fake.names()).not.toContain('watchFreeze');
  });
});

describe('the freeze workflow', () => {
  it('continues as new when its history grows, keeping freezes, waiting releases and the log', async () => {
    const fake = createFakeActivities();
    await withWorker(fake.activities, async (taskQueue) => {
      const workflowId = `runway-freeze:${taskQueue}`;
      const first = await temporal.client.workflow.start('freeze', { workflowId, taskQueue, args: [{ historyLimit: 20 }] });
      for (let i = 0; i < 4; i++) {
        await startFreeze(temporal.client, taskQueue, { service: 'payments', reason: `round ${i}`, by: 'dave' });
        await endFreeze(temporal.client, taskQueue, { service: 'payments', by: 'dave' });
      }
      await startFreeze(temporal.client, taskQueue, { reason: 'still frozen', by: 'erin' });
      const latest = await temporal.client.workflow.getHandle(workflowId).describe();
      expect(latest.runId).not.toBe(first.firstExecutionRunId);
      const state = await freezeState(temporal.client, taskQueue);
      expect(state.freezes).toEqual([expect.objectContaining({ reason: 'still frozen', by: 'erin' })]);
      expect(state.log).toHaveLength(9);
      await temporal.client.workflow.getHandle(workflowId).terminate('test done');
    });
  });
});
