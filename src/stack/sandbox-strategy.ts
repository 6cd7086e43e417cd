/**
 * A service of the config switched to one of ECS's own strategies against the sandbox: what the
 * demo's `blue-green`, `ecs-canary`, `ecs-linear` and `ecs-canary-bad` stories and the benches
 * use. The load balancer's ARNs are the sandbox's own (its ECS takes any well-formed ARN; there is
 * no load balancer behind them) and the test listener is the sandbox's test-listener route.
 */
import type { RunwayConfig, ServiceConfig } from '../config/schema';
import type { ProductionStrategyName } from '../domain/release';

const SANDBOX_ACCOUNT = '000000000000';

/** Target groups and listener rules of `service` in the sandbox's (pretend) account. */
export function sandboxLoadBalancer(service: string): NonNullable<ServiceConfig['production']['loadBalancer']> {
  const elb = `arn:aws:elasticloadbalancing:us-east-1:${SANDBOX_ACCOUNT}`;
  return {
    targetGroupArn: `${elb}:targetgroup/${service}-blue/0123456789abcdef`,
    alternateTargetGroupArn: `${elb}:targetgroup/${service}-green/fedcba9876543210`,
    productionListenerRule: `${elb}:listener-rule/app/${service}/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee`,
    testListenerRule: `${elb}:listener-rule/app/${service}/50dc6c495c0c9188/3b7b2cf4a1a0c3e6/1e9a8b7c6d5e4f30`,
    roleArn: `arn:aws:iam::${SANDBOX_ACCOUNT}:role/ecsInfrastructureRoleForLoadBalancers`,
    containerPort: 8080,
  };
}

/** The sandbox's test-listener route for a production service: it answers as the revision with the test traffic. */
export function sandboxTestUrl(sandboxUrl: string, cluster: string, service: string): string {
  return `${sandboxUrl}/services/${encodeURIComponent(cluster)}/${encodeURIComponent(service)}/test-listener/health`;
}

/** `config` with `service` released by `strategy` on its one production service (steps: the strategy's defaults). */
export function withSandboxStrategy(
  config: RunwayConfig,
  service: string,
  strategy: Exclude<ProductionStrategyName, 'two-service-canary'>,
  sandboxUrl: string,
  options: { approveAfterTestTraffic?: boolean } = {},
): RunwayConfig {
  const svc = config.services[service];
  if (!svc) throw new Error(`the config has no service "${service}"`);
  const { canaryService: _canary, ...production } = svc.production;
  const switched: ServiceConfig = {
    ...svc,
    production: {
      ...production,
      strategy,
      loadBalancer: sandboxLoadBalancer(svc.production.service),
      ...(strategy === 'ecs-blue-green' ? { testUrl: sandboxTestUrl(sandboxUrl, svc.production.cluster, svc.production.service) } : {}),
      approveAfterTestTraffic: options.approveAfterTestTraffic ?? false,
    },
    canary: { ...svc.canary, steps: undefined },
  };
  return { ...config, services: { ...config.services, [service]: switched } };
}
