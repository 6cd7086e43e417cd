import { parseConfig } from '../../src/config/load';
import { slackIdentityResolver } from '../../src/config/people';
import { ConfigError } from '../../src/config/load';
import { MINIMAL_CONFIG_YAML } from '../support/minimal-config';

const base = MINIMAL_CONFIG_YAML;

describe('people and their Slack ids', () => {
  it('maps a Slack user to the person approvers lists name, and leaves strangers as their id', () => {
    const config = parseConfig(`people:\n  alice: { slack: U01ALICE }\n${base}`, 'x');
    const identity = slackIdentityResolver(config);
    expect(identity('U01ALICE')).toBe('alice');
    expect(identity('U0STRANGER')).toBe('U0STRANGER');
  });

  it('rejects something that is not a Slack user id, naming the field', () => {
    expect(() => parseConfig(`people:\n  alice: { slack: "@alice" }\n${base}`, 'x')).toThrow(ConfigError);
    expect(() => parseConfig(`people:\n  alice: { slack: "@alice" }\n${base}`, 'x')).toThrow(/people\.alice\.slack: must be a Slack user id/);
  });
});
