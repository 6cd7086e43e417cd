/**
 * `runway audit`'s pure half: recorded histories (test/histories, the JSON of `temporal workflow
 * show --output json`) become audit records and Markdown, without a server. Channels, refused
 * signals, running releases, rollback workflows and secrets are shown on histories derived from
 * the recorded ones.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { formatAuditMarkdown } from '../../src/cli/audit-format';
import { type AuditDescription, buildAuditRecord, redact, summarize } from '../../src/release-client/audit';

type JsonEvent = Record<string, unknown> & { eventId: string; eventTime: string; eventType: string };
type JsonHistory = { events: JsonEvent[] };

function recorded(name: string): JsonHistory {
  return JSON.parse(readFileSync(path.join(__dirname, '../histories', `${name}.json`), 'utf8')) as JsonHistory;
}

const b64 = (text: string) => Buffer.from(text).toString('base64');
const payload = (value: unknown) => ({ metadata: { encoding: b64('json/plain') }, data: b64(JSON.stringify(value)) });
const valueOf = (p: { data: string }) => JSON.parse(Buffer.from(p.data, 'base64').toString()) as unknown;

/** The events of `history` with the given type suffix (e.g. UPDATE_ACCEPTED). */
const eventsOf = (history: JsonHistory, type: string) => history.events.filter((e) => e.eventType === `EVENT_TYPE_${type}`);

function attributes<T = Record<string, unknown>>(event: JsonEvent): T {
  const key = Object.keys(event).find((k) => k.endsWith('EventAttributes'))!;
  return event[key] as T;
}

/** Rewrites the workflow's result payload (a ReleaseOutcome). */
function editOutcome(history: JsonHistory, edit: (outcome: Record<string, unknown>) => void): void {
  const completed = attributes<{ result: { payloads: { data: string }[] } }>(eventsOf(history, 'WORKFLOW_EXECUTION_COMPLETED')[0]!);
  const outcome = valueOf(completed.result.payloads[0]!) as Record<string, unknown>;
  edit(outcome);
  completed.result.payloads[0] = payload(outcome);
}

/** A signal event inserted just before event `beforeId`, a little earlier than it. */
function insertSignal(history: JsonHistory, beforeId: string, signalName: string, arg: unknown, identity: string): string {
  const index = history.events.findIndex((e) => e.eventId === beforeId);
  const next = history.events[index]!;
  const at = new Date(Date.parse(next.eventTime) - 5).toISOString();
  history.events.splice(index, 0, {
    eventId: `${beforeId}0`,
    eventTime: at,
    eventType: 'EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED',
    workflowExecutionSignaledEventAttributes: { signalName, input: { payloads: [payload(arg)] }, identity },
  });
  return at;
}

describe('audit record from a recorded history', () => {
  const record = buildAuditRecord(recorded('released'));

  it('says who started the release and why, and the plan it ran under', () => {
    expect(record).toMatchObject({
      format: 'runway-audit/1',
      id: 'release-checkout-0000000000000000000000000000000000000000',
      type: 'release',
      status: 'completed',
      start: { requestedBy: 'recorder', reason: 'released', service: 'checkout', version: '0'.repeat(40), clientIdentity: '10875@vm' },
      approvalPolicy: { approvers: ['alice', 'bob'], allowSelfApproval: false, channel: '#deploys' },
    });
    expect(record.start.image).toMatch(/checkout:0{40}$/);
    expect(record.stages.map((s) => s.stage)).toEqual(['queued', 'building', 'staging', 'smoke', 'awaiting-approval', 'canary', 'promoting', 'released']);
  });

  it('names the approver, the Update channel and the client that sent it', () => {
    expect(record.decisions).toEqual([
      expect.objectContaining({
        name: 'approve',
        via: 'update',
        channel: 'cli',
        by: 'alice',
        note: 'recorded',
        clientIdentity: '10875@vm',
        outcome: 'accepted',
        response: expect.objectContaining({ decision: 'approved', by: 'alice' }),
      }),
    ]);
  });

  it('lists every side effect with its input, result, attempts and worker', () => {
    expect(record.activities).toHaveLength(34);
    for (const a of record.activities) expect(a).toMatchObject({ status: 'completed', attempts: 1, worker: '10875@vm' });
    const updates = record.activities.filter((a) => a.name === 'updateService');
    expect(updates.map((a) => (a.input[0] as { desiredCount?: number }).desiredCount)).toEqual([undefined, 1, 4, 14, undefined, 0]);
    expect(updates[0]).toMatchObject({ stage: 'staging', result: { changed: true, previous: { desiredCount: 2 } } });
    expect(updates[0]!.inputSummary).toBe('cluster=staging service=checkout taskDefinition=arn:aws:ecs:us-east-1:000000000000:task-definition/checkout-staging:2');
    expect(updates[0]!.resultSummary).toMatch(/^previous\.taskDefinition=.*checkout-staging:1 previous\.desiredCount=2 previous\.runningCount=2 changed=true$/);
  });

  it('keeps each canary measurement with the thresholds it was judged against', () => {
    expect(record.canary?.steps).toEqual([10, 30, 60, 100]);
    expect(record.canary?.bakes.map((b) => [b.step, b.weight, b.decision?.action])).toEqual([
      [1, 10, 'continue'],
      [2, 30, 'continue'],
      [3, 60, 'continue'],
    ]);
    const bake = record.canary!.bakes[0]!;
    expect(bake.thresholds).toEqual({ maxErrorRate: 0.01, maxErrorRateIncrease: 0.01, maxP99Increase: 0.25, maxCrashedTasks: 0, minRequests: 50 });
    expect(bake.measurements[0]).toMatchObject({ verdict: 'pass', candidate: { requests: 100, errorRate: 0.002, p99Ms: 120 }, reference: { requests: 900 }, crashedTasks: 0 });
    expect(bake.measurements[0]!.signals.find((s) => s.signal === 'error-rate')?.detail).toBe('canary 0.20% vs limit 1.20% (stable 0.20%)');
    expect(record.verify).toBeUndefined();
    expect(record.rollback).toBeUndefined();
    expect(record.outcome).toMatchObject({ closedAs: 'completed', result: 'released' });
  });

  it('is the same record from the SDK history object as from the CLI JSON', () => {
    expect(buildAuditRecord(historyFromJSON(recorded('released')))).toEqual(record);
  });

  it('renders readable Markdown of the whole story', () => {
    const md = formatAuditMarkdown(record);
    expect(md).toMatch(/^# Audit record: release-checkout-0{40}\n/);
    expect(md).toContain('| status | completed: **released** |');
    expect(md).toContain('- **Requested by** recorder: “released”');
    expect(md).toContain('approvers alice, bob; 1 approval(s) required; self-approval not allowed; timeout 24 h; asked in #deploys.');
    expect(md).toMatch(/\| approve \| alice \| Workflow Update without a Slack origin \(runway CLI or another Temporal client\) \| `10875@vm` \| accepted — “recorded” \|/);
    expect(md).toContain('### Step 1 at 10 %');
    expect(md).toContain('| 11:33:01.293 | pass | 100 | 0.20 % | 0.20 % | 120 ms | 120 ms | 0 | none |');
    expect(md).toMatch(/\*\*updateService\*\* — staging, completed in \d+ ms, 1 attempt\(s\), worker `10875@vm`\n {3}- input: `cluster=staging service=checkout/);
    expect(md).toMatch(/## Outcome\n\n\*\*released\*\* at 11:33:11\.\d{3}\n$/);
  });
});

describe('audit record of releases that did not go through', () => {
  it('shows a failed side effect, the rollback it set off and its undo steps', () => {
    const record = buildAuditRecord(recorded('rolled-back-bad-image'));
    const failed = record.activities.find((a) => a.status === 'failed')!;
    expect(failed).toMatchObject({ name: 'waitForDeployment', stage: 'staging', attempts: 1 });
    expect(failed.failure).toMatch(/^ECS rolled back the deployment .* \(DeploymentFailed\)$/);
    expect(record.rollback).toMatchObject({
      trigger: { kind: 'activity', detail: expect.stringMatching(/^waitForDeployment failed: ECS rolled back/) },
      cause: expect.stringMatching(/^ECS rolled back/),
    });
    const undo = record.activities.filter((a) => record.rollback!.activityIds.includes(a.activityId)).map((a) => a.name);
    expect(undo).toEqual(['updateService', 'waitForDeployment', 'setDeploymentStatus', 'restorePreviousDeployment']);
    expect(record.outcome).toMatchObject({ result: 'rolled-back' });
    const md = formatAuditMarkdown(record);
    expect(md).toMatch(/## Rollback\n\n- \*\*Started\*\* [\d:.]+\n- \*\*Set off by\*\* activity at [\d:.]+: waitForDeployment failed/);
    expect(md).toContain('- **Undo steps and reports** 4 side effect(s): 10–13 above');
  });

  it('shows the canary measurements that failed and the rollback they caused', () => {
    const record = buildAuditRecord(recorded('rolled-back-canary'));
    const last = record.canary!.bakes.at(-1)!;
    expect(last.decision).toEqual({ action: 'fail', reason: expect.stringMatching(/^2 failed measurement\(s\) \(limit 2\)/) });
    expect(last.measurements[0]).toMatchObject({ verdict: 'fail', candidate: { errorRate: 0.15 } });
    expect(record.canary!.failure).toEqual([{ signal: 'error-rate', detail: 'canary 15.00% vs limit 1.20% (stable 0.20%)' }]);
    expect(record.rollback?.trigger).toMatchObject({ kind: 'analysis', detail: expect.stringMatching(/^canary step 1 \(10%\): 2 failed measurement/) });
    expect(formatAuditMarkdown(record)).toContain(`| fail | ${last.measurements[0]!.candidate.requests} | 15.00 % | 0.20 % |`);
  });

  it('shows the post-release watch: its window, baseline, measurements and the rollback it caused', () => {
    const record = buildAuditRecord(recorded('rolled-back-by-watch'));
    expect(record.verify).toMatchObject({ durationMs: 30_000, baseline: { requests: 1000, errorRate: 0.002, p99Ms: 120 }, failure: [{ signal: 'error-rate' }] });
    expect(record.verify!.startedAt).toBe(record.stages.find((s) => s.stage === 'verifying')!.at);
    expect(record.verify!.bakes).toHaveLength(1);
    expect(record.verify!.bakes[0]).toMatchObject({ phase: 'verify', baseline: { errorRate: 0.002 }, decision: { action: 'fail' } });
    expect(record.verify!.bakes[0]!.measurements.map((m) => m.verdict)).toEqual(['fail', 'fail']);
    expect(record.rollback?.trigger).toMatchObject({ kind: 'analysis', detail: expect.stringMatching(/^post-release watch: 2 failed/) });
    const md = formatAuditMarkdown(record);
    expect(md).toMatch(
      /## Post-release watch\n\nWindow 30 s, from [\d:.]+\.\n\nBaseline \(the previous version before the canary, at [\d:.]+\): 1000 requests, errors 0\.20 %, p99 120 ms\./,
    );
    expect(md).toContain('| production requests | production errors | baseline errors |');
    expect(md).toContain('error-rate fail: production 15.00% vs limit 1.20% (baseline 0.20%)');
  });

  it('shows an operator abort and the held canary resumed by a human', () => {
    const aborted = buildAuditRecord(recorded('aborted-by-operator'));
    expect(aborted.decisions.map((d) => [d.name, d.by, d.outcome])).toEqual([
      ['approve', 'alice', 'accepted'],
      ['abort', 'bob', 'accepted'],
    ]);
    expect(aborted.activities.find((a) => a.name === 'analyseBake')?.cancelRequested).toBe(true);
    expect(aborted.rollback?.trigger).toMatchObject({ kind: 'decision', detail: 'abort by bob (cli): recorded' });

    const held = buildAuditRecord(recorded('held-then-resumed'));
    expect(held.decisions.filter((d) => d.name === 'resume').map((d) => [d.by, d.note, d.outcome])).toEqual(Array(3).fill(['bob', 'recorded: quiet hour', 'accepted']));
    expect(held.canary!.bakes.filter((b) => b.decision?.action === 'ask-human').map((b) => b.step)).toEqual([1, 2, 3]);
  });

  it('reads the outcome a release that did not reach production fails with, as one that completed with it', () => {
    const failed = buildAuditRecord(recorded('rolled-back-as-failed'));
    expect(failed.outcome).toMatchObject({ closedAs: 'failed', result: 'rolled-back', reason: expect.stringMatching(/^canary analysis failed at 10%/) });
    expect(failed.outcome?.failure).toMatch(/^rolled-back: canary analysis failed at 10%.*\(ReleaseNotReleased\)$/);
    expect(failed.canary!.failure).toEqual(buildAuditRecord(recorded('rolled-back-canary')).canary!.failure);
    expect(buildAuditRecord(recorded('rejected-as-failed')).outcome).toMatchObject({ closedAs: 'failed', result: 'rejected' });
  });

  it("tells the Slack messenger's word that the final was sent apart from the decisions: nobody sent it", () => {
    const record = buildAuditRecord(recorded('released-told-by-slack-messenger'));
    expect(record.decisions.map((d) => d.name)).toEqual(['approve']);
    expect(record.otherEvents).toContainEqual(expect.objectContaining({ kind: 'slack-sent', detail: expect.stringMatching(/^the Slack messenger had sent every item up to \d+$/) }));
  });

  it('shows a rejection as the cause of the rollback', () => {
    const record = buildAuditRecord(recorded('rejected'));
    expect(record.decisions).toEqual([expect.objectContaining({ name: 'reject', by: 'bob', channel: 'cli', outcome: 'accepted' })]);
    expect(record.outcome?.result).toBe('rejected');
    expect(record.rollback?.trigger).toMatchObject({ kind: 'decision', detail: 'reject by bob (cli): recorded' });
  });
});

describe('audit record: channels, signals, running releases, rollbacks and secrets', () => {
  it('tells a Slack click (an Update carrying the Slack user id) from the CLI', () => {
    const history = recorded('released');
    const accepted = attributes<{ acceptedRequest: { input: { args: { payloads: unknown[] } } } }>(eventsOf(history, 'WORKFLOW_EXECUTION_UPDATE_ACCEPTED')[0]!);
    accepted.acceptedRequest.input.args.payloads[0] = payload({ by: 'alice', slackUserId: 'U01ALICE', groups: ['S0DEPLOY'] });
    const record = buildAuditRecord(history);
    expect(record.decisions[0]).toMatchObject({ via: 'update', channel: 'slack', by: 'alice', slackUserId: 'U01ALICE', groups: ['S0DEPLOY'] });
    expect(formatAuditMarkdown(record)).toContain('| approve | alice (Slack U01ALICE, groups S0DEPLOY) | Slack button (Workflow Update from the approvals server) |');
  });

  it('shows signals and which of them the release refused, from its final status', () => {
    const history = recorded('released');
    const acceptedId = eventsOf(history, 'WORKFLOW_EXECUTION_UPDATE_ACCEPTED')[0]!.eventId;
    const refusedAt = insertSignal(history, acceptedId, 'approve', { by: 'mallory' }, 'temporal-cli:ops@bastion');
    editOutcome(history, (outcome) => {
      const status = outcome.status as { approval: { refused: unknown[] } };
      status.approval.refused = [{ by: 'mallory', at: new Date(Date.parse(refusedAt) + 3).toISOString(), reason: 'mallory is not an allowed approver' }];
    });
    const record = buildAuditRecord(history);
    expect(record.decisions.map((d) => [d.name, d.by, d.via, d.channel, d.outcome])).toEqual([
      ['approve', 'mallory', 'signal', 'signal', 'refused'],
      ['approve', 'alice', 'update', 'cli', 'accepted'],
    ]);
    expect(record.decisions[0]).toMatchObject({ clientIdentity: 'temporal-cli:ops@bastion', detail: 'mallory is not an allowed approver' });
    expect(formatAuditMarkdown(record)).toContain(
      '| approve | mallory | signal (Temporal Web UI or temporal workflow signal) | `temporal-cli:ops@bastion` | **refused**: mallory is not an allowed approver |',
    );
  });

  it('describes a release still running: no outcome, pending side effects and live measurements from describe()', () => {
    const full = recorded('released');
    // Up to the first analyseBake's scheduling: the bake is in progress.
    const bakeEvent = full.events.find(
      (e) => e.eventType === 'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED' && attributes<{ activityType: { name: string } }>(e).activityType.name === 'analyseBake',
    )!;
    const history = { events: full.events.slice(0, full.events.indexOf(bakeEvent) + 1) };
    const bakeId = attributes<{ activityId: string }>(bakeEvent).activityId;
    const live = {
      measurement: {
        at: '2026-12-02T11:33:01.000Z',
        canary: { requests: 80, errorRate: 0.001, p99Ms: 110 },
        stable: { requests: 700, errorRate: 0.001, p99Ms: 100 },
        crashedTasks: 0,
      },
      verdict: 'pass',
      signals: [],
    };
    const description: AuditDescription = {
      workflowId: 'release-checkout-0000000000000000000000000000000000000000',
      runId: 'run-1',
      status: { name: 'RUNNING' },
      raw: {
        pendingActivities: [
          {
            activityId: bakeId,
            activityType: { name: 'analyseBake' },
            state: 2,
            attempt: 2,
            lastWorkerIdentity: 'worker-b@host',
            lastFailure: { message: 'worker lost' },
            heartbeatDetails: { payloads: [historyPayload({ startedAt: 0, results: [live] })] },
          },
        ],
      },
    };
    const record = buildAuditRecord(history, { description });
    expect(record).toMatchObject({ status: 'running', runId: 'run-1' });
    expect(record.outcome).toBeUndefined();
    expect(record.closedAt).toBeUndefined();
    const bake = record.activities.find((a) => a.activityId === bakeId)!;
    expect(bake).toMatchObject({ status: 'running', attempts: 2, worker: 'worker-b@host', lastFailure: 'worker lost' });
    expect(record.canary!.bakes.at(-1)).toMatchObject({
      status: 'running',
      weight: 10,
      measurements: [expect.objectContaining({ live: true, candidate: { requests: 80, errorRate: 0.001, p99Ms: 110 } })],
    });
    const md = formatAuditMarkdown(record);
    expect(md).toContain('the workflow is still running, so this record ends now');
    expect(md).toMatch(/\| 11:33:01\.000 \(live\) \| pass \| 80 \|/);
    expect(md).toMatch(/## Outcome\n\nStill running\.\n$/);
  });

  it('describes the rollback of a finished release generically: its input, side effects and result', () => {
    const record = buildAuditRecord(recorded('rollback-of-release'));
    expect(record).toMatchObject({ type: 'rollback', status: 'completed', start: { requestedBy: 'recorder', service: 'checkout' } });
    const input = record.start.input[0] as { from: { workflowId: string }; to: { version: string; taskDefinition: string } };
    const production = record.activities.find((a) => a.name === 'updateService' && (a.input[0] as { cluster: string }).cluster === 'production')!;
    expect(production).toMatchObject({ status: 'completed', input: [expect.objectContaining({ taskDefinition: input.to.taskDefinition })], result: { changed: true } });
    expect(record.outcome).toMatchObject({ closedAs: 'completed', result: expect.any(String), reason: expect.any(String) });
    const md = formatAuditMarkdown(record);
    expect(md).toContain('| workflow | `rollback`');
    expect(md).toContain(`- from.workflowId: \`${input.from.workflowId}\``);
    expect(md).toContain(`- to.version: \`${input.to.version}\``);
    expect(md).not.toContain('## Canary analysis');
    expect(record.approvalPolicy).toBeUndefined();
    expect(md).toContain('None asked: rollbacks of this service need no approval');
    expect(md).toContain(`**${record.outcome!.result}** at`);

    // A service whose rollbacks need approval: its policy is shown.
    const history = recorded('rollback-of-release');
    const started = attributes<{ input: { payloads: { data: string }[] } }>(history.events[0]!);
    const withApproval = valueOf(started.input.payloads[0]!) as { plan: Record<string, unknown> };
    withApproval.plan.rollback = { approval: 'required' };
    started.input.payloads[0] = payload(withApproval);
    expect(buildAuditRecord(history).approvalPolicy).toMatchObject({ approvers: ['alice', 'bob'] });
  });

  it('never prints a secret that reached a history', () => {
    const history = recorded('released');
    const scheduled = attributes<{ input: { payloads: unknown[] } }>(eventsOf(history, 'ACTIVITY_TASK_SCHEDULED')[0]!);
    scheduled.input.payloads[0] = payload({
      url: 'https://deploy:hunter22@hooks.example.com/x',
      sentryAuthToken: 'sntrys_abc123',
      headers: { Authorization: 'Bearer abcdefghijklmnop' },
      note: 'token xoxb-1234-5678-secretvalue',
    });
    const record = buildAuditRecord(history);
    const text = `${JSON.stringify(record)}\n${formatAuditMarkdown(record)}`;
    for (const secret of ['hunter22', 'sntrys_abc123', 'abcdefghijklmnop', 'secretvalue']) expect(text).not.toContain(secret);
    expect(record.activities[0]!.input[0]).toEqual({
      url: 'https://[redacted]@hooks.example.com/x',
      sentryAuthToken: '[redacted]',
      headers: { Authorization: '[redacted]' },
      note: 'token xoxb-[redacted]',
    });
  });

  it('refuses what is not a history', () => {
    expect(() => buildAuditRecord({})).toThrow(/not a workflow history/);
    expect(() => buildAuditRecord({ events: [] })).toThrow(/not a workflow history/);
  });
});

describe('summaries', () => {
  it('flattens scalars two levels deep and shortens long values', () => {
    expect(summarize([{ a: 1, b: { c: 'x', d: { e: 1 } }, f: [1, 2], g: [{ h: 1 }] }])).toBe('a=1 b.c=x b.d={…} f=[1,2] g=[1 item(s)]');
    expect(summarize([null])).toBe('null');
    expect(summarize([])).toBe('—');
    expect(summarize([{ s: 'x'.repeat(100) }])).toMatch(/^s=x{36}…x{35}$/);
  });

  it('redacts nested secret fields and leaves the rest', () => {
    expect(redact({ token: 'abc', tokens: '', nested: [{ password: 'p', user: 'u' }] })).toEqual({
      token: '[redacted]',
      tokens: '',
      nested: [{ password: '[redacted]', user: 'u' }],
    });
  });
});

/** A payload as the SDK's describe() returns it (bytes, not base64 JSON). */
function historyPayload(value: unknown) {
  return { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(JSON.stringify(value)) };
}
