import { callsSince, type RecordedCall, type RecordedCalls, summariseCalls } from '../../src/stack/call-summary';

const call = (seq: number, operation: string, request: unknown): RecordedCall => ({ seq, at: '2026-01-01T00:00:00Z', operation, request, status: 200 });

describe('summariseCalls', () => {
  it('tells the release message from replies in its thread, and quotes the replies', () => {
    const lines = summariseCalls({
      ecs: [],
      github: [],
      slack: [
        call(1, 'chat.postMessage', { channel: '#deploys', text: 'checkout abc waiting for approval' }),
        call(2, 'response_url', { text: 'approved' }),
        call(3, 'chat.update', { channel: 'C1', ts: '1.1' }),
        call(4, 'chat.postMessage', { channel: 'C1', thread_ts: '1.1', text: '<@U0CAROL> your release of checkout abc was rolled back: smoke' }),
      ],
    });
    expect(lines).toContain('Slack   1 message(s) posted, 1 update(s), 1 thread reply(ies), 1 answer(s) to a button click');
    expect(lines).toContain('    thread reply: <@U0CAROL> your release of checkout abc was rolled back: smoke');
  });
});

describe('a story of several workflows, a phase at a time', () => {
  const release: RecordedCalls = {
    ecs: [call(1, 'UpdateService', { cluster: 'production', service: 'checkout', taskDefinition: 'arn:aws:ecs:us-east-1:0:task-definition/checkout-production:3' })],
    slack: [call(2, 'chat.postMessage', { channel: '#deploys' })],
    github: [call(3, 'POST /repos/acme/checkout/actions/workflows/build.yml/dispatches', {})],
    prometheus: [call(4, 'GET /api/v1/query', {})],
  };
  const afterRollback: RecordedCalls = {
    ecs: [...release.ecs, call(5, 'DescribeServices', {}), call(6, 'UpdateService', { cluster: 'production', service: 'checkout', taskDefinition: 'arn:aws:ecs:us-east-1:0:task-definition/checkout-production:2' })],
    slack: [...release.slack, call(7, 'response_url', { text: 'You started rollback-…' }), call(8, 'chat.postMessage', { channel: '#deploys' })],
    github: [...release.github, call(9, 'POST /repos/acme/checkout/deployments', { environment: 'production' }), call(10, 'POST /repos/acme/checkout/deployments/2/statuses', { state: 'success', environment: 'production', description: 'aaaa running again' })],
    prometheus: release.prometheus,
  };

  it('summarises only what the rollback did, without the builds and queries it never made', () => {
    expect(summariseCalls(callsSince(afterRollback, release))).toEqual([
      'ECS     1 change(s), 1 read(s)',
      '  UpdateService production/checkout: taskDefinition checkout-production:2',
      'Slack   1 message(s) posted, 0 update(s), 0 thread reply(ies), 1 answer(s) to a button click',
      'GitHub  1 deployment(s) created, 1 status(es)',
      '  deployment to production',
      '  status success (production): aaaa running again',
    ]);
  });

  it('keeps the release\'s build and analysis lines', () => {
    expect(summariseCalls(release)).toEqual(expect.arrayContaining(['GitHub  1 build(s) dispatched, 0 deployment(s) created, 0 status(es)', 'Metrics 1 Prometheus query(ies) for analysis (canary, post-release watch)']));
  });
});
