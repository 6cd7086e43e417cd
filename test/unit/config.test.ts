import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseConfig } from '../../src/config/load';
import { releasePlan, UnknownServiceError } from '../../src/config/plan';
import { configProblems, MINIMAL_CONFIG_YAML } from '../support/minimal-config';
import { MAX_CANARY_STEPS } from '../../src/config/schema';

const repoConfig = readFileSync(path.join(__dirname, '../../runway.config.yaml'), 'utf8');

const problems = (yaml: string) => configProblems(yaml);

const minimal = MINIMAL_CONFIG_YAML;

describe('config', () => {
  it('accepts the repository sample and resolves a plan with durations in ms', () => {
    const plan = releasePlan(parseConfig(repoConfig, 'runway.config.yaml'), 'checkout');
    expect(plan.canary.steps).toEqual([10, 30, 60, 100]);
    expect(plan.canary.bakeMs).toBe(2000);
    expect(plan.smoke.intervalMs).toBe(500);
    expect(plan.approval.timeoutMs).toBe(24 * 3600_000);
    expect(plan.webUiUrl).toBe('http://localhost:8233');
  });

  it('fills defaults for a minimal service', () => {
    const plan = releasePlan(parseConfig(minimal, 'x'), 'api');
    expect(plan.canary).toMatchObject({ steps: [10, 30, 60, 100], bakeMs: 60_000 });
    expect(plan.canary.analysis).toMatchObject({
      intervalMs: 10_000,
      failureLimit: 2,
      inconclusiveLimit: 3,
      thresholds: { maxErrorRate: 0.01, maxErrorRateIncrease: 0.01, maxP99Increase: 0.25, maxCrashedTasks: 0, minRequests: 50 },
    });
    expect(plan.canary.analysis!.queries.errorRate).toContain('track="{{track}}"');
    expect(plan.approval.allowSelfApproval).toBe(false);
    expect(plan.smoke).toEqual({ url: 'http://localhost/health', successes: 3, intervalMs: 1000, timeoutMs: 60_000, requestTimeoutMs: 10_000 });
  });

  it('names the path of each bad field', () => {
    const bad = minimal
      .replace('approvers: [alice]', 'approvers: []')
      .replace('smoke: { url: "http://localhost/health" }', 'smoke: { url: "http://localhost/health", interval: soon }\n    canary: { steps: [10, 5, 90] }');
    const found = problems(bad);
    expect(found).toEqual(
      expect.arrayContaining([
        'services.api.approval.approvers: at least one approver is required',
        expect.stringMatching(/^services\.api\.smoke\.interval: "soon" is not a duration/),
        expect.stringMatching(/^services\.api\.canary\.steps\.1: steps must be strictly increasing/),
        'services.api.canary.steps: the last step must be 100 (promotion)',
      ]),
    );
  });

  it('refuses more canary steps than a release history is sized for, naming the limit', () => {
    const steps = (n: number) => Array.from({ length: n }, (_, i) => ((i + 1) * 100) / n).join(', ');
    const withSteps = (n: number) => minimal.replace('smoke: { url: "http://localhost/health" }', `smoke: { url: "http://localhost/health" }\n    canary: { steps: [${steps(n)}] }`);
    expect(() => parseConfig(withSteps(MAX_CANARY_STEPS), 'runway.config.yaml')).not.toThrow();
    expect(problems(withSteps(MAX_CANARY_STEPS + 1))).toEqual([expect.stringMatching(new RegExp(`^services\\.api\\.canary\\.steps: at most ${MAX_CANARY_STEPS} steps`))]);
  });

  it('validates the canary analysis: bake at least one interval, thresholds in range', () => {
    const bad = minimal.replace(
      'smoke: { url: "http://localhost/health" }',
      'smoke: { url: "http://localhost/health" }\n    canary: { bake: 5s, analysis: { interval: 10s, failureLimit: 0, thresholds: { maxErrorRate: 1.5 } } }',
    );
    expect(problems(bad)).toEqual(
      expect.arrayContaining([
        'services.api.canary.bake: bake (5000 ms) must be at least the analysis interval (10000 ms), or nothing is measured',
        expect.stringMatching(/^services\.api\.canary\.analysis\.failureLimit: /),
        expect.stringMatching(/^services\.api\.canary\.analysis\.thresholds\.maxErrorRate: /),
      ]),
    );
  });

  it('rejects unknown fields and broken YAML', () => {
    expect(problems(minimal.replace('container: app', 'container: app\n    colour: blue'))).toEqual([expect.stringMatching(/services\.api.*colour/)]);
    expect(problems('services: [')[0]).toMatch(/not valid YAML/);
  });

  it('names the unknown service and the known ones', () => {
    expect(() => releasePlan(parseConfig(minimal, 'x'), 'nope')).toThrow(UnknownServiceError);
    expect(() => releasePlan(parseConfig(minimal, 'x'), 'nope')).toThrow('unknown service "nope" (configured: api)');
  });

  it('refuses an analysis interval under a second, a canary without a step below 100, and unknown query placeholders', () => {
    const bad = minimal.replace(
      'smoke: { url: "http://localhost/health" }',
      'smoke: { url: "http://localhost/health" }\n    canary: { steps: [100], bake: 5s, analysis: { interval: 0s, queries: { requests: "sum(x{svc=\\"{{servce}}\\"})", errorRate: "e", p99Ms: "p" } } }',
    );
    expect(problems(bad)).toEqual(
      expect.arrayContaining([
        'services.api.canary.analysis.interval: the analysis interval must be at least 1s',
        'services.api.canary.steps: at least one step below 100 is needed (100 alone would skip the canary)',
        'services.api.canary.analysis.queries.requests: unknown placeholder {{servce}} (known: {{service}}, {{environment}}, {{track}}, {{revision}}, {{interval}})',
      ]),
    );
  });

  it('accepts a bake of 0 (no bake, no analysis) with the default interval', () => {
    const plan = releasePlan(parseConfig(minimal.replace('smoke: { url: "http://localhost/health" }', 'smoke: { url: "http://localhost/health" }\n    canary: { bake: 0s }'), 'x'), 'api');
    expect(plan.canary.bakeMs).toBe(0);
  });
});
