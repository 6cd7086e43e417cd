/**
 * A config for many services shares its defaults through one anchor (`<<: *defaults`). The yaml
 * library's default alias limit (100) refused such a file beyond 100 services; the loader's limit
 * grows with the aliases the file writes, and still refuses an alias bomb with a clear message.
 */
import { ALIAS_EXPANSIONS_PER_ALIAS, parseConfig } from '../../src/config/load';
import { releasePlan } from '../../src/config/plan';
import { configProblems } from '../support/minimal-config';

const DEFAULTS = `x-defaults: &defaults
  container: app
  canary: { steps: [25, 100], bake: 30s }
  approval: { channel: "#deploys", approvers: [alice, bob], timeout: 4h }
  build: { mode: checks, requiredChecks: [build] }
`;

function manyServices(count: number): string {
  const services = Array.from({ length: count }, (_, i) => {
    const name = `svc-${String(i).padStart(4, '0')}`;
    return `  ${name}:
    <<: *defaults
    repo: acme/${name}
    image: registry.example.com/${name}
    staging: { cluster: staging, service: ${name} }
    production: { cluster: prod, service: ${name}, canaryService: ${name}-canary }
    smoke: { url: "https://${name}.staging.example.com/health" }`;
  });
  return `${DEFAULTS}services:\n${services.join('\n')}\n`;
}

const problems = (yaml: string) => configProblems(yaml, 'runway.config.yaml');

it('accepts 2,000 services sharing one anchor of defaults through merge keys', () => {
  const config = parseConfig(manyServices(2000), 'runway.config.yaml');
  expect(Object.keys(config.services)).toHaveLength(2000);
  const plan = releasePlan(config, 'svc-1999');
  expect(plan).toMatchObject({
    repo: 'acme/svc-1999',
    container: 'app',
    canary: { steps: [25, 100], bakeMs: 30_000 },
    approval: { channel: '#deploys', approvers: ['alice', 'bob'], timeoutMs: 4 * 3600_000 },
    build: { mode: 'checks', requiredChecks: ['build'] },
  });
});

it('lets a service override what it merges, key by key', () => {
  const yaml = manyServices(2).replace('  svc-0001:\n    <<: *defaults\n', '  svc-0001:\n    <<: *defaults\n    container: web\n');
  const config = parseConfig(yaml, 'x');
  expect(config.services['svc-0001']!.container).toBe('web');
  expect(config.services['svc-0000']!.container).toBe('app');
});

it('refuses an alias bomb, saying what it is', () => {
  // Nine lists of nine aliases each of the list before: 9^9 strings from 72 aliases.
  const levels = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'];
  const bomb = levels
    .map((name, i) => `  ${name}: &${name} [${Array.from({ length: 9 }, () => (i === 0 ? '"lol"' : `*${levels[i - 1]}`)).join(', ')}]`)
    .join('\n');
  // Beside an ordinary one-service file (one more alias: its <<: *defaults).
  const found = problems(`x-bomb:\n${bomb}\n${manyServices(1)}`);
  expect(found).toEqual([
    `not valid YAML: its 73 alias(es) expand to more than ${Math.max(100, 73 * ALIAS_EXPANSIONS_PER_ALIAS)} copies (at most ${ALIAS_EXPANSIONS_PER_ALIAS} per alias written) — ` +
      'aliases of anchors that themselves hold aliases multiply (an "alias bomb"); reuse an anchor (*name, <<: *name) as often as you like, but do not nest aliases that deep',
  ]);
});

it('ignores top-level x- keys only; any other unknown key is still refused', () => {
  expect(problems(manyServices(1).replace('x-defaults:', 'defaults:'))).toEqual([expect.stringMatching(/Unrecognized key.*"defaults"/)]);
  expect(problems('services: {}\n<<: [\n')).toEqual([expect.stringMatching(/^not valid YAML: /)]);
});
