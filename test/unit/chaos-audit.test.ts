/**
 * The chaos runner's audit, fed synthetic sandbox logs: a release that did exactly what its
 * story says passes; each kind of broken promise (a side effect made twice, a step skipped, an
 * approval lost) is reported as what it is.
 */
import { type AuditedRelease, auditRelease, type SandboxView } from '../../bench/support/chaos-audit';
import { CHAOS_SCENARIOS, type ChaosScenario, EXPECTATIONS } from '../../bench/support/chaos-scenarios';
import type { ReleaseOutcome } from '../../src/domain/release';
import type { SandboxCall, SandboxCalls } from '../../src/sandbox';
import { RELEASE_EVENT_TYPE } from '../../activities/slack-lookup';

const SERVICE = 'svc-000';
const RELEASE_ID = `release-${SERVICE}-${'a'.repeat(40)}`;
const OTHER_ID = `release-svc-001-${'b'.repeat(40)}`;
const DECISION = { approve: 'approved', reject: 'rejected' } as const;
const MESSAGE_TS = '1700000000.000100';

interface Synthetic {
  release: AuditedRelease;
  outcome: ReleaseOutcome;
  view: SandboxView;
}

/** The sandbox as a release of `scenario` that did exactly what its story says leaves it. */
function cleanRelease(scenario: ChaosScenario): Synthetic {
  const want = EXPECTATIONS[scenario];
  let seq = 0;
  const calls: SandboxCalls = { ecs: [], slack: [], github: [], health: [], prometheus: [], sentry: [], webhook: [] };
  const call = (system: keyof SandboxCalls, operation: string, request: unknown, status = 200) =>
    calls[system].push({ seq: ++seq, at: new Date(1_700_000_000_000 + seq).toISOString(), operation, request, status });
  const oldTd = { staging: `${SERVICE}-staging:1`, production: `${SERVICE}-production:1` };
  const newTd = { staging: `${SERVICE}-staging:2`, production: `${SERVICE}-production:2` };
  const initialTaskDefinitions = new Map([
    [`staging/${SERVICE}`, oldTd.staging],
    [`production/${SERVICE}`, oldTd.production],
    [`production/${SERVICE}-canary`, oldTd.production],
  ]);

  for (const env of want.registers) call('ecs', 'RegisterTaskDefinition', { family: `${SERVICE}-${env}` });
  for (const key of want.mutations) {
    const [, role, td, count] = /^(S|P|C) td=(new|old|-) count=(.+)$/.exec(key)!;
    const env = role === 'S' ? 'staging' : 'production';
    call('ecs', 'UpdateService', {
      cluster: env,
      service: role === 'C' ? `${SERVICE}-canary` : SERVICE,
      ...(td === 'new' ? { taskDefinition: newTd[env] } : td === 'old' ? { taskDefinition: oldTd[env] } : {}),
      ...(count === '-' ? {} : { desiredCount: Number(count) }),
    });
  }

  const githubDeployments: SandboxView['githubDeployments'] = [
    // Another release's record in another repo: never this release's business.
    { id: 1, repo: 'acme/svc-001', environment: 'staging', payload: { releaseId: OTHER_ID } },
  ];
  want.deployments.forEach((env, i) => {
    const id = 10 + i;
    call('github', `POST /repos/acme/${SERVICE}/deployments`, { ref: 'a'.repeat(40), environment: env, payload: { releaseId: RELEASE_ID } }, 201);
    githubDeployments.push({ id, repo: `acme/${SERVICE}`, environment: env, payload: { releaseId: RELEASE_ID } });
    for (const state of want.deploymentStatuses[env] ?? []) {
      call('github', `POST /repos/acme/${SERVICE}/deployments/${id}/statuses`, { state, description: `${state} for ${env}` }, 201);
    }
  });
  call('github', 'POST /repos/acme/svc-001/deployments/1/statuses', { state: 'success', description: 'not ours' }, 201);

  const metadata = { event_type: RELEASE_EVENT_TYPE, event_payload: { release_id: RELEASE_ID } };
  const slackMessages: SandboxView['slackMessages'] = [];
  if (want.slackPosts > 0) {
    call('slack', 'chat.postMessage', { channel: '#deploys', text: `checkout ${RELEASE_ID}`, metadata });
    slackMessages.push({ channel: 'C0DEPLOYS', ts: MESSAGE_TS, text: `checkout ${RELEASE_ID}`, metadata });
    call('slack', 'chat.update', { channel: 'C0DEPLOYS', ts: MESSAGE_TS, text: 'Approved', metadata });
    for (let i = 0; i < want.threadReplies; i++) {
      // The reply never names the release id: it is found by its thread.
      call('slack', 'chat.postMessage', { channel: 'C0DEPLOYS', thread_ts: MESSAGE_TS, text: '<@U01BENCH> your release was rolled back' });
    }
  }
  // Another release's message and its reply in another thread.
  call('slack', 'chat.postMessage', { channel: '#deploys', text: OTHER_ID, metadata: { ...metadata, event_payload: { release_id: OTHER_ID } } });
  call('slack', 'chat.postMessage', { channel: 'C0DEPLOYS', thread_ts: '1700000000.000999', text: 'rolled back' });

  const finalServices = [
    { cluster: 'staging', service: SERVICE, taskDefinition: want.endsOnNew.staging ? newTd.staging : oldTd.staging, desiredCount: 2 },
    { cluster: 'production', service: SERVICE, taskDefinition: want.endsOnNew.production ? newTd.production : oldTd.production, desiredCount: 9 },
    { cluster: 'production', service: `${SERVICE}-canary`, taskDefinition: newTd.production, desiredCount: 0 },
  ];
  const outcome = {
    releaseId: RELEASE_ID,
    result: want.result,
    status: { approval: { decision: want.decision ? DECISION[want.decision] : undefined } },
  } as unknown as ReleaseOutcome;
  return {
    release: { id: RELEASE_ID, service: SERVICE, scenario, answered: want.decision },
    outcome,
    view: { calls, initialTaskDefinitions, finalServices, githubDeployments, slackMessages },
  };
}

const audit = (s: Synthetic) => auditRelease(s.release, s.outcome, s.view);

/** Inserts a copy of the first call matching `match` right after the call matching `after` (default: right after itself). */
function repeatCall(calls: SandboxCall[], match: (c: SandboxCall) => boolean, after: (c: SandboxCall) => boolean = match): void {
  const original = calls.find(match)!;
  expect(original).toBeDefined();
  calls.splice(calls.findIndex(after) + 1, 0, { ...original, seq: original.seq + 1000 });
}

const isUpdate = (key: { service: string; desiredCount?: number; taskDefinition?: boolean }) => (c: SandboxCall) => {
  const r = c.request as { service?: string; desiredCount?: number; taskDefinition?: string };
  return c.operation === 'UpdateService' && r.service === key.service && r.desiredCount === key.desiredCount && (key.taskDefinition === undefined || (r.taskDefinition !== undefined) === key.taskDefinition);
};

describe('auditRelease', () => {
  it.each(CHAOS_SCENARIOS)('passes a %s release that did exactly what its story says', (scenario) => {
    expect(audit(cleanRelease(scenario))).toEqual({ problems: [], duplicates: 0, skipped: 0, lostApproval: false });
  });

  it('reports an UpdateService made again later (not adjacent) as a duplicate', () => {
    const s = cleanRelease('good');
    // The first canary step's update (1 task, new task definition) is made again after the second step.
    repeatCall(s.view.calls.ecs, isUpdate({ service: `${SERVICE}-canary`, desiredCount: 1, taskDefinition: true }), isUpdate({ service: `${SERVICE}-canary`, desiredCount: 4 }));
    const result = audit(s);
    expect(result.duplicates).toBe(1);
    expect(result.skipped).toBe(0);
    expect(result.problems).toEqual(['duplicate: ECS UpdateService [C td=new count=1] made 2 times (expected 1)']);
  });

  it('reports an UpdateService retried in a row as a duplicate', () => {
    const s = cleanRelease('bad-canary');
    // Staging's forward update (its first UpdateService) is made twice in a row.
    repeatCall(s.view.calls.ecs, isUpdate({ service: SERVICE, desiredCount: undefined, taskDefinition: true }));
    expect(audit(s)).toEqual({ duplicates: 1, skipped: 0, lostApproval: false, problems: ['duplicate: ECS UpdateService [S td=new count=-] made 2 times (expected 1)'] });
  });

  it('reports a skipped canary step as skipped, not as a duplicate', () => {
    const s = cleanRelease('good');
    s.view.calls.ecs = s.view.calls.ecs.filter((c) => !isUpdate({ service: `${SERVICE}-canary`, desiredCount: 4 })(c));
    const result = audit(s);
    expect(result).toMatchObject({ duplicates: 0, skipped: 1 });
    expect(result.problems).toEqual(['skipped: ECS UpdateService [C td=- count=4] made 0 time(s) (expected 1)']);
  });

  it('reports a second Slack approval post as a duplicate', () => {
    const s = cleanRelease('reject');
    repeatCall(s.view.calls.slack, (c) => c.operation === 'chat.postMessage' && JSON.stringify(c.request).includes(RELEASE_ID));
    const result = audit(s);
    expect(result).toMatchObject({ duplicates: 1, skipped: 0, lostApproval: false });
    expect(result.problems).toEqual(['duplicate: Slack approval request (chat.postMessage) made 2 times (expected 1)']);
  });

  it('counts thread replies by the release message thread, and reports a second rollback reply', () => {
    const s = cleanRelease('bad-canary');
    repeatCall(s.view.calls.slack, (c) => (c.request as { thread_ts?: string }).thread_ts === MESSAGE_TS);
    expect(audit(s).problems).toEqual(['duplicate: Slack thread reply made 2 times (expected 1)']);
  });

  it('reports a missing rollback reply as skipped', () => {
    const s = cleanRelease('bad-canary');
    s.view.calls.slack = s.view.calls.slack.filter((c) => (c.request as { thread_ts?: string }).thread_ts !== MESSAGE_TS);
    expect(audit(s)).toMatchObject({ skipped: 1, problems: ['skipped: Slack thread reply made 0 time(s) (expected 1)'] });
  });

  it('reports a skipped GitHub deployment record', () => {
    const s = cleanRelease('good');
    s.view.calls.github = s.view.calls.github.filter((c) => !/\/deployments(\/11\/statuses)?$/.test(c.operation) || (c.request as { environment?: string }).environment === 'staging');
    s.view.githubDeployments = s.view.githubDeployments.filter((d) => d.environment !== 'production');
    const result = audit(s);
    expect(result.duplicates).toBe(0);
    expect(result.skipped).toBe(1);
    expect(result.problems).toEqual(['skipped: GitHub production deployment made 0 time(s) (expected 1)']);
  });

  it('reports the same deployment status written twice as a duplicate, and a missing one as skipped', () => {
    const twice = cleanRelease('good');
    repeatCall(twice.view.calls.github, (c) => c.operation.endsWith('/deployments/10/statuses') && (c.request as { state: string }).state === 'in_progress');
    expect(audit(twice)).toMatchObject({
      duplicates: 1,
      skipped: 0,
      problems: ['duplicate: GitHub staging deployment 10 status "in_progress: in_progress for staging" made 2 times (expected 1)'],
    });

    const missing = cleanRelease('reject');
    missing.view.calls.github = missing.view.calls.github.filter((c) => (c.request as { state?: string }).state !== 'failure');
    expect(audit(missing)).toMatchObject({ duplicates: 0, skipped: 1, problems: ['skipped: GitHub staging deployment 10 status failure made 0 time(s) (expected 1)'] });
  });

  it('reports a lost approval: the approver was told it was recorded, the release ended without it', () => {
    const s = cleanRelease('good');
    s.outcome = { ...s.outcome, result: 'rejected', status: { ...s.outcome.status, approval: { decision: undefined } } } as unknown as ReleaseOutcome;
    const result = audit(s);
    expect(result.lostApproval).toBe(true);
    expect(result.problems).toEqual(
      expect.arrayContaining(['approval: answered approve but the release recorded no decision', 'outcome: ended rejected (), expected released']),
    );
  });

  it('reports a release that never finished', () => {
    const s = cleanRelease('smoke-fail');
    expect(auditRelease(s.release, undefined, s.view).problems).toContain('outcome: did not finish');
  });
});
