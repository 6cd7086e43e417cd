/** `verify:` of a service: the post-release watch's window, in the plan a release carries; off when absent. */
import { parseConfig } from '../../src/config/load';
import { releasePlan } from '../../src/config/plan';
import { configProblems, MINIMAL_CONFIG_YAML } from '../support/minimal-config';

const withVerify = (verify: string) => MINIMAL_CONFIG_YAML.replace('    smoke: {', `    verify: ${verify}\n    smoke: {`);

it('puts the watch in the plan, and leaves it out when there is none', () => {
  expect(releasePlan(parseConfig(withVerify('{ duration: 10m }'), 'x'), 'api').verify).toEqual({ durationMs: 600_000 });
  expect(releasePlan(parseConfig(MINIMAL_CONFIG_YAML, 'x'), 'api')).not.toHaveProperty('verify');
});

it('refuses a watch shorter than one analysis interval, an empty one, and unknown keys, naming the field', () => {
  expect(configProblems(withVerify('{ duration: 5s }'))).toEqual([expect.stringMatching(/^services\.api\.verify\.duration: the watch \(5000 ms\) must be at least one analysis interval \(10000 ms\)/)]);
  expect(configProblems(withVerify('{ duration: 0s }'))).toEqual([expect.stringMatching(/^services\.api\.verify\.duration: the watch needs a duration/)]);
  expect(configProblems(withVerify('{ duration: 10m, window: 5m }'))).toEqual([expect.stringMatching(/^services\.api\.verify: .*window/)]);
});
