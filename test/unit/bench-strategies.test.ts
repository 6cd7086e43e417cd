/**
 * What rollback-reaction needs from bench support to run every production strategy: bench
 * services configured per strategy (and seeded in the sandbox accordingly), `--strategies`
 * validated by name, and the rollback call of a service deployment told from others.
 */
import { BenchArgsError, takeChoiceListFlag } from '../../bench/support/args';
import { benchConfig } from '../../bench/support/bench-config';
import { rollbackCall } from '../../bench/support/sandbox-traffic';
import { sandboxSeed } from '../../src/stack/sandbox-seed';

const SANDBOX = 'http://127.0.0.1:4999';
const CHOICES = ['two-service-canary', 'ecs-canary', 'ecs-linear', 'ecs-blue-green'] as const;

describe('benchConfig per service strategy', () => {
  const services = ['b-tsc', 'b-ecan', 'b-elin', 'b-ebg'];
  const { config } = benchConfig(SANDBOX, services, {
    bake: '100s',
    analysisInterval: '5s',
    verify: '1m',
    perService: { 'b-ecan': { strategy: 'ecs-canary' }, 'b-elin': { strategy: 'ecs-linear' }, 'b-ebg': { strategy: 'ecs-blue-green', verify: '150s' } },
  });

  it('keeps the two-service canary as it was: canary service, steps 10/30/60/100, the bench-wide watch', () => {
    const svc = config.services['b-tsc']!;
    expect(svc.production.strategy).toBe('two-service-canary');
    expect(svc.production.canaryService).toBe('b-tsc-canary');
    expect(svc.canary.steps).toEqual([10, 30, 60, 100]);
    expect(svc.verify?.duration).toBe(60_000);
  });

  it("gives ECS's own strategies the sandbox's load balancer, no canary service and their default steps", () => {
    for (const name of ['b-ecan', 'b-elin', 'b-ebg']) {
      const { production } = config.services[name]!;
      expect(production.canaryService).toBeUndefined();
      expect(production.loadBalancer?.targetGroupArn).toContain(`targetgroup/${name}-blue/`);
    }
    expect(config.services['b-ecan']!.production.strategy).toBe('ecs-canary');
    expect(config.services['b-elin']!.production.strategy).toBe('ecs-linear');
    expect(config.services['b-ebg']!.production.testUrl).toBe(`${SANDBOX}/services/production/b-ebg/test-listener/health`);
    expect(config.services['b-ebg']!.verify?.duration).toBe(150_000);
  });

  it('seeds a canary service in the sandbox only for the two-service canary', () => {
    const production = sandboxSeed(config).filter((s) => s.cluster === 'production').map((s) => s.service);
    expect(production.sort()).toEqual(['b-ebg', 'b-ecan', 'b-elin', 'b-tsc', 'b-tsc-canary']);
  });
});

describe('takeChoiceListFlag', () => {
  it('defaults to all, keeps the order given, and leaves the other arguments', () => {
    expect(takeChoiceListFlag(['--runs', '3'], 'strategies', CHOICES, CHOICES)).toEqual({ values: [...CHOICES], rest: ['--runs', '3'] });
    expect(takeChoiceListFlag(['--strategies', 'ecs-blue-green,ecs-canary', '--runs', '3'], 'strategies', CHOICES, CHOICES)).toEqual({
      values: ['ecs-blue-green', 'ecs-canary'],
      rest: ['--runs', '3'],
    });
  });

  it('refuses an unknown name by name, a name twice, and a missing list', () => {
    expect(() => takeChoiceListFlag(['--strategies', 'ecs-canary,blue-green'], 'strategies', CHOICES, CHOICES)).toThrow(
      new BenchArgsError('--strategies: unknown "blue-green"; expected one or more of two-service-canary, ecs-canary, ecs-linear, ecs-blue-green, comma-separated'),
    );
    expect(() => takeChoiceListFlag(['--strategies', 'ecs-linear,ecs-linear'], 'strategies', CHOICES, CHOICES)).toThrow('"ecs-linear" is named twice');
    expect(() => takeChoiceListFlag(['--strategies', '--runs', '2'], 'strategies', CHOICES, CHOICES)).toThrow('expected one or more of');
    expect(() => takeChoiceListFlag(['--strategies'], 'strategies', CHOICES, CHOICES)).toThrow('got ""');
  });
});

describe('rollbackCall', () => {
  const arn = (service: string) => `arn:aws:ecs:us-east-1:000000000000:service-deployment/production/${service}/abc123`;
  const at = (ms: number) => new Date(1_700_000_000_000 + ms).toISOString();

  it("finds the service's StopServiceDeployment or ContinueServiceDeployment ROLLBACK since the moment, not a CONTINUE or another service's", () => {
    const calls = [
      { at: at(0), operation: 'StopServiceDeployment', status: 200, request: { serviceDeploymentArn: arn('svc'), stopType: 'ROLLBACK' } },
      { at: at(10), operation: 'ContinueServiceDeployment', status: 200, request: { serviceDeploymentArn: arn('svc'), action: 'CONTINUE' } },
      { at: at(20), operation: 'StopServiceDeployment', status: 200, request: { serviceDeploymentArn: arn('svc-1'), stopType: 'ROLLBACK' } },
      { at: at(30), operation: 'StopServiceDeployment', status: 409, request: { serviceDeploymentArn: arn('svc'), stopType: 'ROLLBACK' } },
      { at: at(40), operation: 'ContinueServiceDeployment', status: 200, request: { serviceDeploymentArn: arn('svc'), action: 'ROLLBACK' } },
    ];
    expect(rollbackCall(calls, 'production', 'svc', 1_700_000_000_000)).toBe(calls[0]);
    expect(rollbackCall(calls, 'production', 'svc', 1_700_000_000_001)).toBe(calls[4]);
    expect(rollbackCall(calls, 'production', 'svc', 1_700_000_000_041)).toBeUndefined();
  });
});
