/**
 * The release message as Slack receives it: the approval request with everything an approver
 * needs to decide, the live updates after approval / canary / rollback, the run id in its
 * buttons, and untrusted text escaped so it can neither ping a channel nor disguise a link.
 */
import type { KnownBlock } from '@slack/web-api';
import { parseButtonClick } from '../../src/approvals/interaction';
import { messageButtons } from '../../src/sandbox/slack/interaction-payload';
import { buttonValue, parseButtonValue } from '../../src/shared/slack-button-value';
import {
  APPROVE_ACTION_ID,
  CANARY_ABORT_ACTION_ID,
  CANARY_PROMOTE_ACTION_ID,
  CANARY_RESUME_ACTION_ID,
  REJECT_ACTION_ID,
  RELEASE_ROLLBACK_ACTION_ID,
  type ReleaseMessage,
  releaseMessageBlocks,
  releaseMessageText,
} from '../../src/slack/release-message';
import { ReleaseState } from '../../src/domain/release-state';
import { releaseMessageOf } from '../../workflows/reporting/release-message';
import { samplePlan } from '../support/sample-plan';

const SHA = 'abcdef1234567890abcdef1234567890abcdef12';
const RELEASE = `release-checkout-${SHA}`;
const RUN = '0193c0de-7f2a-7c11-9d3e-5b1a2c3d4e5f';

const approvalRequest = (over: Partial<ReleaseMessage> = {}): ReleaseMessage => ({
  releaseId: RELEASE,
  runId: RUN,
  service: 'checkout',
  version: SHA,
  repo: 'acme/checkout',
  requestedBy: 'carol',
  reason: 'fix the basket total',
  headline: 'Waiting for approval',
  lines: ['smoke test passed: 3 check(s) answered 200, 200, 200'],
  runUrl: `http://localhost:8233/namespaces/default/workflows/${RELEASE}/${RUN}`,
  withButtons: true,
  staging: '2 task(s) running checkout-staging:7',
  smoke: '3 check(s) answered 200, 200, 200',
  ...over,
});

/** Every mrkdwn (and, unless `mrkdwnOnly`, plain_text) string in the blocks, in order. */
function texts(blocks: KnownBlock[], mrkdwnOnly = false): string[] {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if ((o.type === 'mrkdwn' || (!mrkdwnOnly && o.type === 'plain_text')) && typeof o.text === 'string') out.push(o.text);
      Object.values(o).forEach(walk);
    }
  };
  walk(blocks);
  return out;
}

const fieldsOf = (blocks: KnownBlock[]) =>
  blocks.flatMap((b) => (b.type === 'section' && b.fields ? b.fields.map((f) => f.text) : []));

describe('the approval request', () => {
  const blocks = releaseMessageBlocks(approvalRequest());

  it('shows the commit link, requester, reason, staging and smoke results and the Web UI link', () => {
    expect(blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'checkout: Waiting for approval' } });
    expect(fieldsOf(blocks)).toEqual([
      `*Version*\n<https://github.com/acme/checkout/commit/${SHA}|abcdef123456>`,
      '*Requested by*\ncarol',
      '*Reason*\nfix the basket total',
      `*Run*\n<http://localhost:8233/namespaces/default/workflows/${RELEASE}/${RUN}|${RELEASE}>`,
      '*Staging*\n2 task(s) running checkout-staging:7',
      '*Smoke test*\n3 check(s) answered 200, 200, 200',
    ]);
  });

  it('has Approve and Reject buttons for this run, and Reject asks for confirmation', () => {
    const actions = blocks.find((b) => b.type === 'actions');
    expect(actions).toEqual({
      type: 'actions',
      block_id: 'runway_decision',
      elements: [
        { type: 'button', action_id: APPROVE_ACTION_ID, style: 'primary', text: { type: 'plain_text', text: 'Approve' }, value: `${RELEASE}/${RUN}` },
        {
          type: 'button',
          action_id: REJECT_ACTION_ID,
          style: 'danger',
          text: { type: 'plain_text', text: 'Reject' },
          value: `${RELEASE}/${RUN}`,
          confirm: {
            title: { type: 'plain_text', text: 'Reject this release?' },
            text: { type: 'plain_text', text: 'Staging will be rolled back.' },
            confirm: { type: 'plain_text', text: 'Reject' },
            deny: { type: 'plain_text', text: 'Cancel' },
          },
        },
      ],
    });
  });

  it('has no buttons once the release no longer awaits approval', () => {
    expect(releaseMessageBlocks(approvalRequest({ withButtons: false })).some((b) => b.type === 'actions')).toBe(false);
  });

  it('keeps the old button value (release id alone) for a message without a run id', () => {
    const legacy = releaseMessageBlocks(approvalRequest({ runId: undefined }));
    expect(messageButtons({ blocks: legacy }).map((b) => b.value)).toEqual([RELEASE, RELEASE]);
  });
});

describe('button values', () => {
  it('round-trip release and run, and read the old format as a release id alone', () => {
    expect(parseButtonValue(buttonValue({ releaseId: RELEASE, runId: RUN }))).toEqual({ releaseId: RELEASE, runId: RUN });
    expect(parseButtonValue(RELEASE)).toEqual({ releaseId: RELEASE });
  });

  it('a click carries the run id to the approvals server, or none for an old message', () => {
    const click = (value: string) =>
      parseButtonClick(
        'application/x-www-form-urlencoded',
        new URLSearchParams({ payload: JSON.stringify({ type: 'block_actions', user: { id: 'U1' }, actions: [{ action_id: APPROVE_ACTION_ID, value }] }) }).toString(),
      );
    expect(click(`${RELEASE}/${RUN}`)).toMatchObject({ action: 'approve', releaseId: RELEASE, runId: RUN });
    const legacy = click(RELEASE);
    expect(legacy.releaseId).toBe(RELEASE);
    expect(legacy).not.toHaveProperty('runId');
  });
});

describe('a canary held for a human decision', () => {
  const heldMessage = approvalRequest({ headline: 'Canary held at 10%: analysis is inconclusive, a human must decide', withButtons: false, withCanaryButtons: true });
  const blocks = releaseMessageBlocks(heldMessage);

  it('has Resume, Promote and Roll back buttons for this run; Promote and Roll back ask for confirmation', () => {
    expect(blocks.filter((b) => b.type === 'actions')).toEqual([
      {
        type: 'actions',
        block_id: 'runway_canary_hold',
        elements: [
          { type: 'button', action_id: CANARY_RESUME_ACTION_ID, style: 'primary', text: { type: 'plain_text', text: 'Resume' }, value: `${RELEASE}/${RUN}` },
          {
            type: 'button',
            action_id: CANARY_PROMOTE_ACTION_ID,
            text: { type: 'plain_text', text: 'Promote' },
            value: `${RELEASE}/${RUN}`,
            confirm: {
              title: { type: 'plain_text', text: 'Promote to all of production?' },
              text: { type: 'plain_text', text: 'The remaining canary steps are skipped.' },
              confirm: { type: 'plain_text', text: 'Promote' },
              deny: { type: 'plain_text', text: 'Cancel' },
            },
          },
          {
            type: 'button',
            action_id: CANARY_ABORT_ACTION_ID,
            style: 'danger',
            text: { type: 'plain_text', text: 'Roll back' },
            value: `${RELEASE}/${RUN}`,
            confirm: {
              title: { type: 'plain_text', text: 'Roll back this release?' },
              text: { type: 'plain_text', text: 'Canary traffic goes to 0 at once; production and staging are restored.' },
              confirm: { type: 'plain_text', text: 'Roll back' },
              deny: { type: 'plain_text', text: 'Cancel' },
            },
          },
        ],
      },
    ]);
  });

  it('a click on each becomes the control it stands for, at the approvals server', () => {
    const clicked = messageButtons({ blocks }).map((b) =>
      parseButtonClick(
        'application/x-www-form-urlencoded',
        new URLSearchParams({ payload: JSON.stringify({ type: 'block_actions', user: { id: 'U1' }, actions: [{ action_id: b.actionId, value: b.value }] }) }).toString(),
      ),
    );
    expect(clicked.map((c) => [c.action, c.releaseId, c.runId])).toEqual([
      ['resume', RELEASE, RUN],
      ['promote', RELEASE, RUN],
      ['abort', RELEASE, RUN],
    ]);
  });

  describe('rendered from the release status', () => {
    const input = { service: 'checkout', version: SHA, image: 'img', requestedBy: 'carol', reason: 'r', plan: samplePlan() };
    const canaryState = () => {
      const state = new ReleaseState(input, new Date(0));
      state.enter('canary', 'starting the production canary', new Date(1));
      state.setCanary(1, 10, 10, new Date(2));
      return state;
    };
    const actionIds = (state: ReleaseState) =>
      messageButtons({ blocks: releaseMessageBlocks({ ...releaseMessageOf(state.snapshot(), input, 'headline', false), repo: 'acme/checkout' }) }).map((b) => b.actionId);

    it('shows the buttons only while analysis holds the canary, not for an operator pause', () => {
      const state = canaryState();
      expect(actionIds(state)).toEqual([]);
      state.control('pause', 'alice', undefined, new Date(3));
      expect(actionIds(state)).toEqual([]);
      state.control('resume', 'alice', undefined, new Date(4));
      state.askHuman('3 inconclusive measurement(s) in a row', new Date(5));
      expect(actionIds(state)).toEqual([CANARY_RESUME_ACTION_ID, CANARY_PROMOTE_ACTION_ID, CANARY_ABORT_ACTION_ID]);
    });

    it.each(['resume', 'promote', 'abort'])('drops them once the hold ends by %s', (action) => {
      const state = canaryState();
      state.askHuman('3 inconclusive measurement(s) in a row', new Date(3));
      state.control(action, 'bob', undefined, new Date(4));
      expect(actionIds(state)).toEqual([]);
    });

    it('drops them once the release ends without a decision (the decision timeout rolls it back)', () => {
      const state = canaryState();
      state.askHuman('3 inconclusive measurement(s) in a row', new Date(3));
      state.enter('rolling-back', 'no decision', new Date(4));
      expect(actionIds(state)).toEqual([]);
    });
  });
});

describe('live updates', () => {
  it('after approval: who approved, and no buttons', () => {
    const blocks = releaseMessageBlocks(approvalRequest({ headline: 'Approved by alice, bob', withButtons: false, approvedBy: 'alice, bob' }));
    expect(texts(blocks)).toContain('checkout: Approved by alice, bob');
    expect(fieldsOf(blocks)).toContain('*Approved by*\nalice, bob');
    expect(blocks.some((b) => b.type === 'actions')).toBe(false);
  });

  it('during the canary: one row per step with its numbers, n/a for missing data', () => {
    const blocks = releaseMessageBlocks(
      approvalRequest({
        headline: 'Canary at 30%',
        withButtons: false,
        approvedBy: 'alice',
        canary: [
          { step: 1, weight: 10, verdict: 'pass', errorRate: 0.002, canaryP99Ms: 180.4, stableP99Ms: 175, requests: 1200 },
          { step: 2, weight: 30, actualWeight: 33, verdict: 'baking' },
        ],
      }),
    );
    const canary = texts(blocks).find((t) => t.startsWith('*Canary*'));
    expect(canary).toBe(
      [
        '*Canary*',
        ':white_check_mark: step 1: 10 % — pass — errors 0.20 % · p99 180 ms vs stable 175 ms · 1200 req',
        ':hourglass_flowing_sand: step 2: 30 % (33 % of tasks) — baking — errors n/a · p99 n/a vs stable n/a · n/a req',
      ].join('\n'),
    );
  });

  it('after a rollback: the reason in the headline and the signal that stopped the canary', () => {
    const msg = approvalRequest({
      headline: 'Rolled back: canary analysis failed at 30%: error-rate',
      withButtons: false,
      approvedBy: 'alice',
      canary: [{ step: 1, weight: 10, verdict: 'fail', errorRate: 0.041, canaryP99Ms: 900, stableP99Ms: 170, requests: 800 }],
      failure: { signal: 'error-rate', detail: 'canary 4.1 % > 1 %' },
    });
    const all = texts(releaseMessageBlocks(msg));
    expect(all).toContain('checkout: Rolled back: canary analysis failed at 30%: error-rate');
    expect(all.find((t) => t.startsWith('*Canary*'))).toContain(':rotating_light: stopped by *error-rate*: canary 4.1 % &gt; 1 %');
    expect(releaseMessageText(msg)).toBe('checkout abcdef123456: Rolled back: canary analysis failed at 30%: error-rate');
  });
});

describe('untrusted text', () => {
  const hostile = approvalRequest({
    reason: 'urgent <!channel> see <https://evil.example|Approve> & more',
    requestedBy: '<@U0BOSS>',
    headline: 'Rejected: <!here> nope',
    lines: ['approved by alice: <!everyone> lgtm', 'refused <https://evil.example|click here>'],
    approvedBy: 'alice <!subteam^S0ALL>',
    failure: { signal: '<!channel>', detail: 'a > b & c < d' },
    smoke: '<https://evil.example|green>',
  });
  const blocks = releaseMessageBlocks(hostile);
  // Slack parses mrkdwn and the notification text; plain_text (the header) shows mentions and links as typed.
  const rendered = [...texts(blocks, true), releaseMessageText(hostile)].join('\n');

  it('never reaches Slack as a mention or a link', () => {
    for (const control of ['<!channel>', '<!here>', '<!everyone>', '<!subteam^', '<@U0BOSS>', '<https://evil.example']) {
      expect(rendered).not.toContain(control);
    }
  });

  it('is escaped with Slack\'s entities, so it still reads as typed', () => {
    expect(fieldsOf(blocks)).toEqual(
      expect.arrayContaining([
        '*Reason*\nurgent &lt;!channel&gt; see &lt;https://evil.example|Approve&gt; &amp; more',
        '*Requested by*\n&lt;@U0BOSS&gt;',
        '*Approved by*\nalice &lt;!subteam^S0ALL&gt;',
        '*Smoke test*\n&lt;https://evil.example|green&gt;',
      ]),
    );
    expect(rendered).toContain('• approved by alice: &lt;!everyone&gt; lgtm');
    expect(rendered).toContain('stopped by *&lt;!channel&gt;*: a &gt; b &amp; c &lt; d');
    expect(releaseMessageText(hostile)).toBe('checkout abcdef123456: Rejected: &lt;!here&gt; nope');
  });

  it('leaves Runway\'s own links working', () => {
    expect(rendered).toContain(`<https://github.com/acme/checkout/commit/${SHA}|abcdef123456>`);
  });
});

describe('a released release', () => {
  const input = { service: 'checkout', version: SHA, image: 'img', requestedBy: 'carol', reason: 'r', plan: samplePlan() };
  const promoted = (id?: string) => {
    const state = new ReleaseState(input, new Date(0), id);
    state.enter('promoting', 'promoting', new Date(1));
    return state;
  };
  const buttonsOf = (state: ReleaseState) =>
    messageButtons({ blocks: releaseMessageBlocks({ ...releaseMessageOf(state.snapshot(), input, 'headline', false), runId: RUN, repo: 'acme/checkout' }) });

  it('has a Roll back button for this run once released (the final update), which asks for confirmation', () => {
    const state = promoted();
    expect(buttonsOf(state)).toEqual([]);
    state.finish('released', undefined, new Date(2));
    const blocks = releaseMessageBlocks({ ...releaseMessageOf(state.snapshot(), input, 'Released to production', false), runId: RUN, repo: 'acme/checkout' });
    expect(blocks.filter((b) => b.type === 'actions')).toEqual([
      {
        type: 'actions',
        block_id: 'runway_released',
        elements: [
          {
            type: 'button',
            action_id: RELEASE_ROLLBACK_ACTION_ID,
            style: 'danger',
            text: { type: 'plain_text', text: 'Roll back' },
            value: `${RELEASE}/${RUN}`,
            confirm: {
              title: { type: 'plain_text', text: 'Roll back this release?' },
              text: { type: 'plain_text', text: `Production goes back to the version that ran before ${SHA.slice(0, 12)}.` },
              confirm: { type: 'plain_text', text: 'Roll back' },
              deny: { type: 'plain_text', text: 'Cancel' },
            },
          },
        ],
      },
    ]);
  });

  it('a click on it asks the approvals server for a rollback of that release', () => {
    const state = promoted();
    state.finish('released', undefined, new Date(2));
    const [button] = buttonsOf(state);
    const click = parseButtonClick(
      'application/x-www-form-urlencoded',
      new URLSearchParams({ payload: JSON.stringify({ type: 'block_actions', user: { id: 'U1' }, actions: [{ action_id: button!.actionId, value: button!.value }] }) }).toString(),
    );
    expect([click.action, click.releaseId, click.runId]).toEqual(['rollback', RELEASE, RUN]);
  });

  it('has none when the release ended otherwise, nor on a rollback\'s own message', () => {
    const rolledBack = promoted();
    rolledBack.finish('rolled-back', 'post-release watch failed', new Date(2));
    expect(buttonsOf(rolledBack)).toEqual([]);
    // A rollback reports through the same message code; its workflow id is not the release id of its input.
    const rollback = promoted(`rollback-release-checkout-${'b'.repeat(40)}`);
    rollback.finish('released', undefined, new Date(2));
    expect(buttonsOf(rollback)).toEqual([]);
  });
});
