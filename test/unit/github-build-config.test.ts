/** `build:` and `releaseBranch` of a service: defaults, both modes, and errors naming the field. */
import { parseConfig } from '../../src/config/load';
import { releasePlan } from '../../src/config/plan';
import { MINIMAL_CONFIG_YAML } from '../support/minimal-config';

const withService = (extra: string) => `${MINIMAL_CONFIG_YAML.trimEnd()}\n${extra}\n`;
const plan = (extra = '') => releasePlan(parseConfig(withService(extra), 'x.yaml'), 'api');

/** Parsing that should fail; ConfigError messages hold one `  - path: problem` line per problem. */
const refusal = (extra: string) => () => parseConfig(withService(extra), 'x.yaml');

describe('build config', () => {
  it('defaults to verifying CI checks (10 minutes for pending ones) on main', () => {
    expect(plan()).toMatchObject({ build: { mode: 'checks', requiredChecks: [], pendingDeadlineMs: 600_000 }, releaseBranch: 'main' });
  });

  it('resolves checks mode with required checks and a deadline', () => {
    const resolved = plan('    build: { mode: checks, requiredChecks: [build, test], pendingDeadline: 90s }');
    expect(resolved.build).toEqual({ mode: 'checks', requiredChecks: ['build', 'test'], pendingDeadlineMs: 90_000 });
  });

  it('resolves dispatch mode; the build runs from the release branch unless a ref is given', () => {
    const fromBranch = plan('    releaseBranch: release\n    build: { mode: dispatch, workflow: build.yml, timeout: 20m }');
    expect(fromBranch.build).toEqual({ mode: 'dispatch', workflow: 'build.yml', ref: 'release', imageOutput: undefined, timeoutMs: 1_200_000 });
    expect(fromBranch.releaseBranch).toBe('release');
    const withRef = plan('    build: { mode: dispatch, workflow: ci.yaml, ref: builds, imageOutput: "{{image}}-{{runNumber}}" }');
    expect(withRef.build).toMatchObject({ ref: 'builds', imageOutput: '{{image}}-{{runNumber}}', timeoutMs: 1_800_000 });
  });

  it('with requireGreenCi: false, judges only the required checks in checks mode, and needs some', () => {
    const resolved = plan('    requireGreenCi: false\n    build: { mode: checks, requiredChecks: [build] }');
    expect(resolved.build).toEqual({ mode: 'checks', requiredChecks: ['build'], pendingDeadlineMs: 600_000, onlyRequiredChecks: true });
    expect(resolved).not.toHaveProperty('requireGreenCi');
    expect(plan('    requireGreenCi: true\n    build: { mode: checks, requiredChecks: [build] }').build).not.toHaveProperty('onlyRequiredChecks');
    expect(refusal('    requireGreenCi: false')).toThrow(/\n {2}- services\.api\.requireGreenCi: false with build\.mode checks judges only build\.requiredChecks, and none are listed/);
    // Dispatch mode: no CI-green rule before the build, as before.
    expect(plan('    requireGreenCi: false\n    build: { mode: dispatch, workflow: build.yml }')).not.toHaveProperty('requireGreenCi');
  });

  it('names the bad field', () => {
    expect(refusal('    build: { mode: dispatch, workflow: "build" }')).toThrow(/\n {2}- services\.api\.build\.workflow: must be a workflow file name/);
    expect(refusal('    build: { mode: nightly }')).toThrow(/\n {2}- services\.api\.build\.mode/);
    expect(refusal('    build: { mode: checks, workflow: build.yml }')).toThrow(/\n {2}- services\.api\.build.*workflow/);
  });
});
