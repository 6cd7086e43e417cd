/** `smoke:` in the config: the retrying semantics' keys, their plan, and the old `attempts` key refused with what replaced it. */
import { parseConfig } from '../../src/config/load';
import { releasePlan } from '../../src/config/plan';
import { SMOKE_ATTEMPTS_REPLACED } from '../../src/config/smoke-schema';
import { configProblems, MINIMAL_CONFIG_YAML } from '../support/minimal-config';

const MINIMAL_SMOKE = 'smoke: { url: "http://localhost/health" }';
const withSmoke = (smoke: string) => MINIMAL_CONFIG_YAML.replace(MINIMAL_SMOKE, smoke);

const problems = (yaml: string) => configProblems(yaml);

it('resolves every smoke key into the plan', () => {
  const yaml = withSmoke(`smoke:
      url: http://localhost/health
      successes: 5
      interval: 2s
      timeout: 3m
      requestTimeout: 4s
      expect: { status: [200, 204], body: '"ok"', bodyMatches: '"version":"[0-9a-f]+"' }`);
  expect(releasePlan(parseConfig(yaml, 'x'), 'api').smoke).toEqual({
    url: 'http://localhost/health',
    successes: 5,
    intervalMs: 2000,
    timeoutMs: 180_000,
    requestTimeoutMs: 4000,
    expectStatus: [200, 204],
    expectBody: '"ok"',
    expectBodyMatches: '"version":"[0-9a-f]+"',
  });
});

it('takes a single expected status, and a request timeout from a short warm-up timeout', () => {
  const plan = releasePlan(parseConfig(withSmoke('smoke: { url: "http://localhost/health", timeout: 5s, expect: { status: 204 } }'), 'x'), 'api');
  expect(plan.smoke).toEqual({ url: 'http://localhost/health', successes: 3, intervalMs: 1000, timeoutMs: 5000, requestTimeoutMs: 5000, expectStatus: [204] });
  const instant = releasePlan(parseConfig(withSmoke('smoke: { url: "http://localhost/health", timeout: 0 }'), 'x'), 'api');
  expect(instant.smoke).toMatchObject({ timeoutMs: 0, requestTimeoutMs: 1000 });
});

it('refuses the old attempts key, saying what replaced it', () => {
  expect(problems(withSmoke('smoke: { url: "http://localhost/health", attempts: 3 }'))).toEqual([`services.api.smoke.attempts: ${SMOKE_ATTEMPTS_REPLACED}`]);
  expect(SMOKE_ATTEMPTS_REPLACED).toMatch(/rename `attempts: N` to `successes: N`/);
});

it('names the path of a bad status, an empty body, a bad regular expression and a zero request timeout', () => {
  const found = problems(withSmoke('smoke: { url: "http://localhost/health", requestTimeout: 0, expect: { status: [200, 700], body: "", bodyMatches: "([a-z]" } }'));
  expect(found).toEqual(
    expect.arrayContaining([
      'services.api.smoke.requestTimeout: must be more than 0',
      'services.api.smoke.expect.status.1: an HTTP status is 100-599',
      'services.api.smoke.expect.body: must not be empty',
      expect.stringMatching(/^services\.api\.smoke\.expect\.bodyMatches: not a regular expression: /),
    ]),
  );
  expect(problems(withSmoke('smoke: { url: "http://localhost/health", expect: { state: up } }'))).toEqual([expect.stringMatching(/^services\.api\.smoke\.expect: Unrecognized key/)]);
});
