/** Config for Slack approvals: user groups, required approvals, reminder, and the plan they become. */
import { parseConfig } from '../../src/config/load';
import { releasePlan } from '../../src/config/plan';
import { MINIMAL_CONFIG_YAML } from '../support/minimal-config';

const withApproval = (approval: string, people = '') =>
  MINIMAL_CONFIG_YAML.replace('approval: { channel: "#d", approvers: [alice] }', `approval: ${approval}`) + people;

describe('approval config', () => {
  it('carries groups, required approvals, the reminder and the requester\'s Slack id into the plan', () => {
    const config = parseConfig(
      withApproval('{ channel: "#d", approvers: [alice, bob], groups: [S0DEPLOYERS], required: 2, reminder: 2h }', 'people:\n  carol: { slack: U01CAROL }\n'),
      'runway.config.yaml',
    );
    expect(releasePlan(config, 'api', 'carol').approval).toEqual({
      channel: '#d',
      approvers: ['alice', 'bob'],
      timeoutMs: 24 * 3600_000,
      allowSelfApproval: false,
      groups: ['S0DEPLOYERS'],
      requiredApprovals: 2,
      reminderMs: 2 * 3600_000,
      requesterSlackId: 'U01CAROL',
    });
  });

  it('leaves the plan as it always was when none of them is used', () => {
    const config = parseConfig(MINIMAL_CONFIG_YAML, 'runway.config.yaml');
    expect(releasePlan(config, 'api', 'nobody-known').approval).toEqual({ channel: '#d', approvers: ['alice'], timeoutMs: 24 * 3600_000, allowSelfApproval: false });
  });

  it('accepts a group instead of a list of approvers', () => {
    const config = parseConfig(withApproval('{ channel: "#d", groups: [S0DEPLOYERS] }'), 'runway.config.yaml');
    expect(releasePlan(config, 'api').approval).toMatchObject({ approvers: [], groups: ['S0DEPLOYERS'] });
  });

  it.each([
    ['{ channel: "#d" }', /services\.api\.approval\.approvers: at least one approver is required/],
    ['{ channel: "#d", approvers: [alice], groups: [deployers] }', /services\.api\.approval\.groups\.0: must be a Slack user group id/],
    ['{ channel: "#d", approvers: [alice], required: 2 }', /services\.api\.approval\.required: 2 approvals required but only 1 approver/],
    ['{ channel: "#d", approvers: [alice], reminder: 2d, timeout: 1d }', /services\.api\.approval\.reminder: the reminder must come before the approval timeout/],
  ])('refuses %s naming the field', (approval, message) => {
    expect(() => parseConfig(withApproval(approval), 'runway.config.yaml')).toThrow(message);
  });
});
