/** `markers.sentry` and `notify.webhooks` (per service and global) in the plan a release carries; absent when not configured. */
import { parseConfig } from '../../src/config/load';
import { releasePlan } from '../../src/config/plan';
import { configProblems, MINIMAL_CONFIG_YAML } from '../support/minimal-config';

const withService = (lines: string) => MINIMAL_CONFIG_YAML.replace('    smoke: {', `${lines}\n    smoke: {`);
const withGlobal = (yaml: string, lines: string) => `${lines}\n${yaml}`;

it('leaves both out of the plan when the service configures neither', () => {
  const plan = releasePlan(parseConfig(MINIMAL_CONFIG_YAML, 'x'), 'api');
  expect(plan).not.toHaveProperty('sentry');
  expect(plan).not.toHaveProperty('webhooks');
});

it('puts Sentry in the plan, the repository defaulting to the service repo', () => {
  const plan = releasePlan(parseConfig(withService('    markers: { sentry: { org: acme, project: api-backend } }'), 'x'), 'api');
  expect(plan.sentry).toEqual({ org: 'acme', project: 'api-backend', repository: 'acme/api', versionPrefix: '' });
  const prefixed = releasePlan(parseConfig(withService('    markers: { sentry: { org: acme, project: api, repository: gh/acme-api, versionPrefix: "api@" } }'), 'x'), 'api');
  expect(prefixed.sentry).toEqual({ org: 'acme', project: 'api', repository: 'gh/acme-api', versionPrefix: 'api@' });
});

it("adds the service's webhooks to the global ones, each once", () => {
  const yaml = withGlobal(
    withService('    notify: { webhooks: ["https://ops.example.com/a", "https://hooks.example.com/all"] }'),
    'notify: { webhooks: ["https://hooks.example.com/all"] }',
  );
  expect(releasePlan(parseConfig(yaml, 'x'), 'api').webhooks).toEqual(['https://hooks.example.com/all', 'https://ops.example.com/a']);
  expect(releasePlan(parseConfig(withGlobal(MINIMAL_CONFIG_YAML, 'notify: { webhooks: ["http://127.0.0.1:4010/webhooks/x"] }'), 'x'), 'api').webhooks).toEqual([
    'http://127.0.0.1:4010/webhooks/x',
  ]);
});

it('refuses bad values and unknown keys, naming the field', () => {
  expect(configProblems(withService('    notify: { webhooks: ["ftp://example.com/x"] }'))).toEqual([expect.stringMatching(/^services\.api\.notify\.webhooks\.0: must be an http\(s\) URL/)]);
  expect(configProblems(withService('    markers: { sentry: { org: acme } }'))).toEqual([expect.stringMatching(/^services\.api\.markers\.sentry\.project: /)]);
  expect(configProblems(withService('    markers: { sentry: { org: acme, project: api, versionPrefix: "api/" } }'))).toEqual([
    expect.stringMatching(/^services\.api\.markers\.sentry\.versionPrefix: must not contain slashes/),
  ]);
  expect(configProblems(withService('    markers: { datadog: {} }'))).toEqual([expect.stringMatching(/^services\.api\.markers: .*datadog/)]);
  expect(configProblems(withGlobal(MINIMAL_CONFIG_YAML, 'notify: { slack: "#x" }'))).toEqual([expect.stringMatching(/^notify: .*slack/)]);
});
