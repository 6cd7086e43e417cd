import { type RecordedCall, summariseCalls } from '../../src/stack/call-summary';

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
