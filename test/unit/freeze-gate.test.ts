/** The production gate's verdict (src/domain/freeze-gate.ts) and who may break the glass (src/domain/break-glass.ts). */
import { formatStatus } from '../../src/cli/format';
import { parseConfig } from '../../src/config/load';
import { releasePlan } from '../../src/config/plan';
import { breakGlassRefusal, type BreakGlassAttempt } from '../../src/domain/break-glass';
import { ReleaseState } from '../../src/domain/release-state';
import { MINIMAL_CONFIG_YAML } from '../support/minimal-config';
import { samplePlan } from '../support/sample-plan';
import type { FreezeSchedule } from '../../src/domain/freeze';
import type { AdHocFreeze } from '../../src/domain/freeze-api';
import { adHocFreezesOf } from '../../src/domain/freeze-api';
import { gateTime, gateVerdict } from '../../src/domain/freeze-gate';

const T = (iso: string) => Date.parse(iso);
const schedule: FreezeSchedule = {
  intervals: [{ startMs: T('2026-12-20T00:00:00Z'), endMs: T('2026-12-24T09:00:00Z'), reason: 'year-end freeze', scope: 'global' }],
  resolvedFromMs: T('2026-12-01T00:00:00Z'),
  resolvedUntilMs: T('2027-03-01T00:00:00Z'),
};
const adHoc: AdHocFreeze = { reason: 'incident 4711', by: 'dave', startedAt: '2026-12-02T10:00:00.000Z' };

describe('gateVerdict', () => {
  it('names a configured window with its end, and when to look again', () => {
    expect(gateVerdict(schedule, [], T('2026-12-22T12:00:00Z'))).toEqual({
      frozen: true,
      reasons: ['year-end freeze'],
      untilMs: T('2026-12-24T09:00:00Z'),
      adHoc: false,
      nextChangeMs: T('2026-12-24T09:00:00Z'),
      text: 'frozen until 2026-12-24T09:00Z: year-end freeze',
    });
  });

  it('is open outside the window, knowing when it next starts', () => {
    expect(gateVerdict(schedule, [], T('2026-12-02T12:00:00Z'))).toMatchObject({ frozen: false, nextChangeMs: T('2026-12-20T00:00:00Z'), text: 'no freeze in force' });
    expect(gateVerdict(undefined, [], T('2026-12-02T12:00:00Z'))).toMatchObject({ frozen: false });
  });

  it('an ad hoc freeze has no known end; with a window as well, both are named', () => {
    expect(gateVerdict(undefined, [adHoc], T('2026-12-02T12:00:00Z')).text).toBe('frozen until the freeze is ended (runway freeze end): incident 4711 (ad hoc, dave, every service)');
    const both = gateVerdict(schedule, [{ ...adHoc, service: 'checkout' }], T('2026-12-22T12:00:00Z'));
    expect(both).toMatchObject({ frozen: true, adHoc: true });
    expect(both.untilMs).toBeUndefined();
    expect(both.text).toBe('frozen until the freeze is ended (runway freeze end) and the window ends at 2026-12-24T09:00Z: year-end freeze; incident 4711 (ad hoc, dave, checkout)');
  });

  it('past the schedule\'s horizon only ad hoc freezes count (no throw)', () => {
    expect(gateVerdict(schedule, [], T('2027-04-01T00:00:00Z'))).toMatchObject({ frozen: false });
    expect(gateVerdict(schedule, [], T('2027-04-01T00:00:00Z')).nextChangeMs).toBeUndefined();
  });

  it('writes seconds only when there are some', () => {
    expect(gateTime(T('2026-12-24T09:00:00Z'))).toBe('2026-12-24T09:00Z');
    expect(gateTime(T('2026-12-24T09:00:05.250Z'))).toBe('2026-12-24T09:00:05Z');
  });
});

describe('adHocFreezesOf', () => {
  it('the organisation\'s freeze and the service\'s own, not another service\'s', () => {
    const own = { ...adHoc, service: 'checkout' };
    const other = { ...adHoc, service: 'payments' };
    expect(adHocFreezesOf([adHoc, own, other], 'checkout')).toEqual([adHoc, own]);
  });
});

describe('breakGlassRefusal', () => {
  const policy = { approvers: ['alice', 'bob', 'carol'], allowSelfApproval: false, groups: ['S0SRE'] };
  const attempt = (over: Partial<BreakGlassAttempt>): BreakGlassAttempt => ({ by: 'alice', requestedBy: 'carol', breakGlass: true, frozen: true, approvedBy: [], required: 2, ...over });

  it('counts an allowed approver of a frozen break-glass release', () => {
    expect(breakGlassRefusal(policy, attempt({}))).toBeUndefined();
    expect(breakGlassRefusal(policy, attempt({ by: 'zoe', groups: ['S0SRE'], slackUserId: 'U9' }))).toBe(
      "the requester's Slack id is unknown, so approval by group membership cannot rule out self-approval (map carol to their Slack user id under `people` in the config)",
    );
  });

  it('refuses, naming why', () => {
    expect(breakGlassRefusal(policy, attempt({ by: ' ' }))).toBe('an approver identity is required');
    expect(breakGlassRefusal(policy, attempt({ breakGlass: false }))).toBe('this release was not started with --break-glass');
    expect(breakGlassRefusal(policy, attempt({ frozen: false }))).toBe('the release is not held by a freeze at its production gate');
    expect(breakGlassRefusal(policy, attempt({ by: 'mallory' }))).toBe('mallory is not an allowed approver (allowed: alice, bob, carol; members of S0SRE)');
    expect(breakGlassRefusal(policy, attempt({ by: 'carol' }))).toBe('carol requested this release and self-approval is not allowed');
    expect(breakGlassRefusal(policy, attempt({ approvedBy: ['alice'] }))).toBe('alice has already approved breaking the freeze; 1 more approval(s) from someone else are needed');
  });
});

describe('runway status of a frozen release', () => {
  const input = { service: 'checkout', version: 'a'.repeat(40), image: 'img', requestedBy: 'carol', reason: 'fix', plan: samplePlan(), breakGlass: { reason: 'CVE' } };

  it('shows the freeze, its end and the break-glass approvals; once passed, that it was frozen', () => {
    const state = new ReleaseState(input, new Date('2026-12-22T12:00:00Z'));
    state.holdAtGate('frozen until 2026-12-24T09:00Z: year-end freeze', ['year-end freeze'], T('2026-12-24T09:00:00Z'), { reason: 'CVE', required: 2 });
    state.enter('frozen', 'frozen until 2026-12-24T09:00Z: year-end freeze', new Date('2026-12-22T12:00:00Z'));
    expect(state.addBreakGlassApproval('alice', 'tiny fix', undefined, new Date('2026-12-22T12:01:00Z'))).toBe(1);
    const text = formatStatus(state.snapshot());
    expect(text).toContain('stage     frozen');
    expect(text).toContain('frozen    frozen until 2026-12-24T09:00Z: year-end freeze');
    expect(text).toContain('glass     break-glass (CVE): 1/2 approval(s), by alice — runway break-glass approve <id> --as <approver>');
    expect(state.snapshot().history.map((e) => e.message)).toContain('break-glass approved by alice: tiny fix; 1 more needed');
    state.passGate('passed', new Date('2026-12-22T12:02:00Z'));
    expect(formatStatus(state.snapshot())).toContain('was       frozen until 2026-12-24T09:00Z: year-end freeze (passed the gate)');
  });
});

describe('the release plan', () => {
  it('carries the configured windows only when the config has freeze:', () => {
    const now = T('2026-12-02T00:00:00Z');
    expect(releasePlan(parseConfig(MINIMAL_CONFIG_YAML, 'a.yaml'), 'api', 'ci', now).freeze).toBeUndefined();
    const frozen = releasePlan(
      parseConfig(`${MINIMAL_CONFIG_YAML}freeze:\n  windows:\n    - { from: "2026-12-20T00:00:00Z", to: "2026-12-24T09:00:00Z", reason: year-end freeze }\n  breakGlass: { required: 3 }\n`, 'b.yaml'),
      'api',
      'ci',
      now,
    );
    expect(frozen.freeze).toMatchObject({ breakGlassRequired: 3, intervals: [{ startMs: T('2026-12-20T00:00:00Z'), endMs: T('2026-12-24T09:00:00Z'), reason: 'year-end freeze' }] });
  });
});
