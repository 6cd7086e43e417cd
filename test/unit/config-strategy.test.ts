import { parseConfig } from '../../src/config/load';
import { releasePlan } from '../../src/config/plan';
import { nativeDeploymentPlan, unpausedDeploymentPlan } from '../../src/domain/ecs-native-plan';
import { configProblems, MINIMAL_CONFIG_YAML } from '../support/minimal-config';

const LB = `{ targetGroupArn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/api-blue/1", alternateTargetGroupArn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/api-green/2", productionListenerRule: "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/lb/3/4/5", testListenerRule: "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/lb/3/4/6", roleArn: "arn:aws:iam::123456789012:role/ecs-lb", containerPort: 8080 }`;

/** The minimal service with its production line replaced, and extra lines after smoke. */
function withProduction(production: string, extra = ''): string {
  return MINIMAL_CONFIG_YAML.replace('production: { cluster: p, service: api, canaryService: api-canary }', `production: ${production}`).replace(
    'smoke: { url: "http://localhost/health" }',
    `smoke: { url: "http://localhost/health" }${extra ? `\n    ${extra}` : ''}`,
  );
}

const native = (strategy: string, more = '') => `{ cluster: p, service: api, strategy: ${strategy}, loadBalancer: ${LB}${more} }`;

describe('production strategies in the config', () => {
  it('keeps two-service-canary the default, with the plan shaped as before strategies existed', () => {
    const plan = releasePlan(parseConfig(MINIMAL_CONFIG_YAML, 'x'), 'api');
    expect(plan.production).toEqual({ cluster: 'p', service: 'api', canaryService: 'api-canary' });
    expect(plan.canary.steps).toEqual([10, 30, 60, 100]);
  });

  it('resolves each ECS strategy with its default steps, the container as the load balancer container, and blue-green bake as its watch', () => {
    const canary = releasePlan(parseConfig(withProduction(native('ecs-canary')), 'x'), 'api');
    expect(canary.production).toMatchObject({ strategy: 'ecs-canary', loadBalancer: { containerName: 'app', containerPort: 8080 } });
    expect(canary.production.canaryService).toBeUndefined();
    expect(canary.canary.steps).toEqual([10, 100]);
    expect(releasePlan(parseConfig(withProduction(native('ecs-linear')), 'x'), 'api').canary.steps).toEqual([25, 50, 75, 100]);
    const blueGreen = releasePlan(parseConfig(withProduction(native('ecs-blue-green', ', testUrl: "http://localhost/test"'), 'canary: { bake: 30s }'), 'x'), 'api');
    expect(blueGreen.canary.steps).toEqual([100]);
    expect(blueGreen.verify).toEqual({ durationMs: 30_000 });
    expect(blueGreen.production.testUrl).toBe('http://localhost/test');
  });

  it('names what each strategy needs and refuses what it cannot use', () => {
    expect(configProblems(withProduction('{ cluster: p, service: api }'))).toContain(
      'services.api.production.canaryService: required by the two-service-canary strategy (the ECS service that carries the canary); or choose an ecs-* strategy',
    );
    expect(configProblems(withProduction('{ cluster: p, service: api, strategy: ecs-canary }'))).toContain(
      'services.api.production.loadBalancer: required by ecs-canary: targetGroupArn, alternateTargetGroupArn, productionListenerRule, roleArn and containerPort',
    );
    expect(configProblems(withProduction(native('ecs-linear', ', canaryService: api-canary')))).toContain(
      'services.api.production.canaryService: ecs-linear deploys the one production service; a canary service is only for two-service-canary',
    );
    expect(configProblems(withProduction(native('ecs-blue-green')))).toContain(
      'services.api.production.testUrl: required by ecs-blue-green: the URL the test listener answers on, where the smoke checks run against the new revision',
    );
    expect(configProblems(withProduction(`{ cluster: p, service: api, canaryService: c, loadBalancer: ${LB} }`))).toEqual([
      "services.api.production.loadBalancer: only ecs-canary, ecs-linear and ecs-blue-green use it (the two-service canary shares the stable service's target group)",
    ]);
    expect(configProblems(withProduction('{ cluster: p, service: api, strategy: ecs-rolling }'))).toEqual([
      expect.stringMatching(/^services\.api\.production\.strategy: .*two-service-canary.*ecs-canary.*ecs-linear.*ecs-blue-green/),
    ]);
  });

  it('refuses steps and load balancers ECS would refuse', () => {
    expect(configProblems(withProduction(native('ecs-canary'), 'canary: { steps: [10, 50, 100] }'))).toContain(
      'services.api.canary.steps: ecs-canary shifts once to the canary percent, then to 100: give one step below 100, e.g. [10, 100]',
    );
    expect(configProblems(withProduction(native('ecs-linear'), 'canary: { steps: [20, 50, 100] }'))).toContain(
      'services.api.canary.steps: ecs-linear moves the same share at every step: with a first step of 20% the steps are [20, 40, 60, 80, 100]',
    );
    expect(configProblems(withProduction(native('ecs-linear'), 'canary: { steps: [2, 4, 100] }'))).toContain("services.api.canary.steps.0: ECS's linear steps are at least 3% (got 2)");
    expect(configProblems(withProduction(native('ecs-canary'), 'canary: { steps: [2.55, 100] }'))).toContain('services.api.canary.steps.0: ECS shifts traffic in tenths of a percent (2.55 is not)');
    expect(configProblems(withProduction(native('ecs-blue-green', ', testUrl: "http://t/"'), 'canary: { steps: [50, 100] }'))).toContain(
      'services.api.canary.steps: ecs-blue-green moves all production traffic at once: leave steps out (its bake is the post-release watch)',
    );
    const sameGroups = LB.replace('targetgroup/api-green/2', 'targetgroup/api-blue/1');
    expect(configProblems(withProduction(`{ cluster: p, service: api, strategy: ecs-canary, loadBalancer: ${sameGroups} }`))).toContain(
      'services.api.production.loadBalancer.alternateTargetGroupArn: must differ from targetGroupArn (ECS moves traffic between the two)',
    );
    expect(configProblems(withProduction(`{ cluster: p, service: api, strategy: ecs-canary, loadBalancer: ${LB.replace('arn:aws:iam::123456789012:role/ecs-lb', 'ecs-lb')} }`))).toContain(
      'services.api.production.loadBalancer.roleArn: must be an IAM role ARN (arn:aws:iam::<account>:role/…)',
    );
  });

  it('queries by revision under ECS strategies, and refuses own queries that cannot tell the versions apart', () => {
    expect(releasePlan(parseConfig(withProduction(native('ecs-canary')), 'x'), 'api').canary.analysis.queries.errorRate).toContain('task_revision="{{revision}}"');
    expect(releasePlan(parseConfig(MINIMAL_CONFIG_YAML, 'x'), 'api').canary.analysis.queries.errorRate).toContain('track="{{track}}"');
    const own = 'canary: { analysis: { queries: { requests: "sum(x{track=\\"{{track}}\\"})", errorRate: "e", p99Ms: "p" } } }';
    expect(configProblems(withProduction(native('ecs-canary'), own))).toEqual([
      'services.api.canary.analysis.queries: ecs-canary runs both versions in one service: every query must select by {{revision}} (the task definition as family:revision) to tell them apart',
    ]);
  });

  it('moves the approval after the test-listener smoke test only for blue-green, and not with a migration', () => {
    const bg = native('ecs-blue-green', ', testUrl: "http://localhost/test", approveAfterTestTraffic: true');
    const plan = releasePlan(parseConfig(withProduction(bg), 'x'), 'api');
    expect(plan.production.approveAfterTestTraffic).toBe(true);
    // The pause before the production shift holds the approval: its timeout covers the approval's 24 h (+10 min).
    expect(nativeDeploymentPlan(plan).pauses[1]).toEqual({ stages: ['PRE_PRODUCTION_TRAFFIC_SHIFT'], timeoutMinutes: 24 * 60 + 10 });
    expect(releasePlan(parseConfig(withProduction(native('ecs-blue-green', ', testUrl: "http://t/"')), 'x'), 'api').production.approveAfterTestTraffic).toBeUndefined();
    expect(configProblems(withProduction(native('ecs-canary', ', approveAfterTestTraffic: true')))).toEqual([
      'services.api.production.approveAfterTestTraffic: only ecs-blue-green has test traffic to approve after (the other strategies are approved after the staging smoke test)',
    ]);
    expect(configProblems(withProduction(bg, 'migration: { command: [migrate] }'))).toEqual([
      'services.api.production.approveAfterTestTraffic: cannot be combined with a migration: the migration runs after approval and before the new revision starts, and here the new revision starts before approval',
    ]);
  });

  it('accepts a canary percent on ECS\'s tenths grid', () => {
    const plan = releasePlan(parseConfig(withProduction(native('ecs-canary'), 'canary: { steps: [2.5, 100] }'), 'x'), 'api');
    expect(nativeDeploymentPlan(plan)).toMatchObject({ strategy: 'CANARY', canaryPercent: 2.5 });
  });
});

describe('the ECS deployment Runway asks for', () => {
  const planOf = (strategy: string, more = '', extra = '') => releasePlan(parseConfig(withProduction(native(strategy, more), extra), 'x'), 'api');

  it('pauses canary and linear before every production shift and after the last, with timeouts covering the analysis, a human decision and a restart', () => {
    const plan = planOf('ecs-linear', '', 'canary: { steps: [25, 50, 75, 100], bake: 5m, analysis: { decisionTimeout: 30m } }');
    const ecs = nativeDeploymentPlan(plan);
    expect(ecs).toMatchObject({ strategy: 'LINEAR', stepPercent: 25 });
    expect(ecs.canaryPercent).toBeUndefined();
    // 3 bakes of 5 min + 30 min decision + 10 min grace = 55 min; the watch hook: 0 + 30 + 10.
    expect(ecs.pauses).toEqual([
      { stages: ['PRE_PRODUCTION_TRAFFIC_SHIFT'], timeoutMinutes: 55 },
      { stages: ['POST_PRODUCTION_TRAFFIC_SHIFT'], timeoutMinutes: 40 },
    ]);
    expect(unpausedDeploymentPlan(plan).pauses).toEqual([]);
  });

  it('pauses blue-green after test traffic moved, for the smoke test through the test listener', () => {
    const plan = planOf('ecs-blue-green', ', testUrl: "http://localhost/test"', 'verify: { duration: 20m }');
    const ecs = nativeDeploymentPlan(plan);
    expect(ecs.strategy).toBe('BLUE_GREEN');
    expect(ecs.pauses.map((p) => p.stages[0])).toEqual(['POST_TEST_TRAFFIC_SHIFT', 'PRE_PRODUCTION_TRAFFIC_SHIFT', 'POST_PRODUCTION_TRAFFIC_SHIFT']);
    // The watch's hook: 20 min watch + 30 min default decision timeout + 10 min grace.
    expect(ecs.pauses[2]!.timeoutMinutes).toBe(60);
  });

  it('is refused for the two-service canary', () => {
    expect(() => nativeDeploymentPlan(releasePlan(parseConfig(MINIMAL_CONFIG_YAML, 'x'), 'api'))).toThrow('api does not use an ECS deployment strategy');
  });
});
