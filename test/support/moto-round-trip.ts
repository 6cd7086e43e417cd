/**
 * Runway's ECS activities against moto's ECS server (an implementation Runway's authors did not
 * write): the task-definition copy must round-trip unchanged, a retry must find the revision it
 * registered, service updates must be read back, and Runway's DescribeServices reading must
 * accept moto's answers. moto's deployments never progress (UpdateService changes the service's
 * task definition but starts no deployment), so it judges the wire only, never a verdict.
 * Used by `npm run check:moto` (scripts/check-moto.ts) and test/sandbox/ecs-moto.contract.test.ts.
 */
import { isDeepStrictEqual } from 'node:util';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
} from '@aws-sdk/client-ecs';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createEcsActivities } from '../../activities/ecs';
import { quietLogger } from './activity-env';

const CLUSTER = 'staging';
const SERVICE = 'checkout';
/** Tasks moto says are running in every service it creates (MOTO_ECS_SERVICE_RUNNING). */
export const MOTO_RUNNING_TASKS = 2;
const REPO = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/checkout';
const NEW_IMAGE = `${REPO}@sha256:${'ab12'.repeat(16)}`;

/** What an operator registered: the task definition Runway finds on the service and copies. */
export const SOURCE_TASK_DEFINITION: RegisterTaskDefinitionCommandInput = {
  family: 'checkout-staging',
  taskRoleArn: 'arn:aws:iam::123456789012:role/checkout-task',
  executionRoleArn: 'arn:aws:iam::123456789012:role/checkout-execution',
  networkMode: 'awsvpc',
  requiresCompatibilities: ['FARGATE'],
  cpu: '512',
  memory: '1024',
  runtimePlatform: { cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' },
  ephemeralStorage: { sizeInGiB: 30 },
  volumes: [{ name: 'scratch' }],
  containerDefinitions: [
    {
      name: 'app',
      image: `${REPO}:v1`,
      essential: true,
      cpu: 448,
      memory: 896,
      memoryReservation: 512,
      command: ['node', 'server.js', '--port', '8080'],
      workingDirectory: '/srv',
      user: '1000',
      portMappings: [{ containerPort: 8080, hostPort: 8080, protocol: 'tcp', name: 'http', appProtocol: 'http' }],
      environment: [
        { name: 'NODE_ENV', value: 'production' },
        { name: 'FEATURE_FLAGS', value: 'a,b' },
        { name: 'EMPTY_ON_PURPOSE', value: 'x' },
      ],
      secrets: [
        { name: 'DATABASE_URL', valueFrom: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:checkout/db-AbCdEf' },
        { name: 'API_KEY', valueFrom: 'arn:aws:ssm:eu-west-1:123456789012:parameter/checkout/api-key' },
      ],
      mountPoints: [{ sourceVolume: 'scratch', containerPath: '/tmp/scratch', readOnly: false }],
      ulimits: [{ name: 'nofile', softLimit: 65536, hardLimit: 65536 }],
      healthCheck: { command: ['CMD-SHELL', 'curl -fs http://localhost:8080/health || exit 1'], interval: 10, timeout: 5, retries: 3, startPeriod: 30 },
      logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/ecs/checkout', 'awslogs-region': 'eu-west-1', 'awslogs-stream-prefix': 'app' } },
      dependsOn: [{ containerName: 'otel', condition: 'START' }],
      dockerLabels: { team: 'payments' },
      readonlyRootFilesystem: true,
      stopTimeout: 20,
    },
    {
      name: 'otel',
      image: 'public.ecr.aws/aws-observability/aws-otel-collector:v0.40.0',
      essential: false,
      cpu: 64,
      memory: 128,
      environment: [{ name: 'AOT_CONFIG_CONTENT', value: 'receivers: {}' }],
    },
  ],
  tags: [
    { key: 'team', value: 'payments' },
    { key: 'cost-centre', value: 'cc-42' },
  ],
};

export interface FieldComparison {
  field: string;
  same: boolean;
  registered?: unknown;
  described?: unknown;
}

export interface MotoRoundTripReport {
  sourceArn: string;
  /** Top-level fields of what Runway registered, each compared with moto's DescribeTaskDefinition of the new revision. */
  fields: FieldComparison[];
  /** Fields moto's description has beyond what Runway registered (server-set ones excluded). */
  addedByMoto: string[];
  /** The new revision against the source, apart from the swapped image and server-set fields: should be nothing. */
  differencesFromSource: string[];
  /**
   * What moto's description of the operator's own task definition lost or changed of what was
   * registered (defaults moto fills in are not losses). Empty, or the copy's round trip would
   * prove nothing about the fields moto dropped.
   */
  sourceLostByMoto: string[];
  firstPrepare: { taskDefinitionArn: string; registered: boolean };
  retryPrepare: { taskDefinitionArn: string; registered: boolean };
  registerCalls: number;
  describeBefore: { taskDefinition: string; desiredCount: number; runningCount: number };
  /** Waiting for the task definition moto's one deployment runs: accepted as complete. */
  waitForCurrent: { runningCount: number } | { failure: string };
  update: { changed: boolean; previous: { taskDefinition: string; desiredCount: number; runningCount: number } };
  describeAfter: { taskDefinition: string; desiredCount: number; runningCount: number };
  /** What moto shows of the update's deploymentConfiguration. */
  deploymentConfigurationAfter: unknown;
  updateRetry: { changed: boolean };
  scale: { changed: boolean; desiredCountAfter: number };
  /** Waiting for the new task definition: moto never deploys it, so Runway's verdict is a failure; its message shows what Runway read. */
  waitForNew: { type: string; message: string } | { unexpected: unknown };
}

/** Server-set fields of a task definition (DescribeTaskDefinition only). */
const SERVER_FIELDS = new Set(['taskDefinitionArn', 'revision', 'status', 'requiresAttributes', 'compatibilities', 'registeredAt', 'registeredBy', 'deregisteredAt', 'deleteRequestedAt']);

/** JSON as it travels (Dates as ISO strings, undefined dropped), so values compare as the wire sees them. */
function wire(value: unknown): unknown {
  return value === undefined ? undefined : (JSON.parse(JSON.stringify(value)) as unknown);
}

function differences(a: Record<string, unknown>, b: Record<string, unknown>, path: string, out: string[]): void {
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const [x, y] = [a[key], b[key]];
    const here = path ? `${path}.${key}` : key;
    if (isDeepStrictEqual(x, y)) continue;
    if (x && y && typeof x === 'object' && typeof y === 'object') differences(x as Record<string, unknown>, y as Record<string, unknown>, here, out);
    else out.push(`${here}: ${JSON.stringify(x)} → ${JSON.stringify(y)}`);
  }
}

/** Runs one activity as Temporal would (heartbeats, context), typed as the activity returns. */
function run<A extends unknown[], R>(activity: (...args: A) => Promise<R>, ...args: A): Promise<R> {
  return new MockActivityEnvironment(undefined, { logger: quietLogger }).run(activity, ...args) as Promise<R>;
}

/**
 * Runs the round trip against a moto server at `url` started with MOTO_ECS_SERVICE_RUNNING =
 * MOTO_RUNNING_TASKS. Creates its own cluster and service, so it wants a fresh moto.
 */
export async function runMotoRoundTrip(url: string): Promise<MotoRoundTripReport> {
  const ecs = new ECSClient({ endpoint: url, region: 'eu-west-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, maxAttempts: 1 });
  const registerInputs: RegisterTaskDefinitionCommandInput[] = [];
  ecs.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'RegisterTaskDefinitionCommand') registerInputs.push(structuredClone(args.input as RegisterTaskDefinitionCommandInput));
      return next(args);
    },
    { step: 'initialize', name: 'recordRegisterTaskDefinition' },
  );
  try {
    await ecs.send(new CreateClusterCommand({ clusterName: CLUSTER }));
    const source = (await ecs.send(new RegisterTaskDefinitionCommand(SOURCE_TASK_DEFINITION))).taskDefinition!;
    await ecs.send(new CreateServiceCommand({ cluster: CLUSTER, serviceName: SERVICE, taskDefinition: source.taskDefinitionArn, desiredCount: MOTO_RUNNING_TASKS, launchType: 'FARGATE' }));
    registerInputs.length = 0; // the seed above is the operator's, not Runway's

    const activities = createEcsActivities({ ecs, options: { pollIntervalMs: 50 } });
    const ref = { cluster: CLUSTER, service: SERVICE };
    const prepareInput = { source: ref, container: 'app', image: NEW_IMAGE };
    const describeBefore = await run(activities.describeService, ref);
    const waitForCurrent = await run(activities.waitForDeployment, { ...ref, taskDefinition: source.taskDefinitionArn!, timeoutMs: 2_000 }).catch((err: unknown) => ({ failure: String((err as Error).message) }));

    const firstPrepare = await run(activities.prepareTaskDefinition, prepareInput);
    const retryPrepare = await run(activities.prepareTaskDefinition, prepareInput);

    const registered = registerInputs[0] ?? {};
    const described = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: firstPrepare.taskDefinitionArn, include: ['TAGS'] }));
    const echo = wire(described.taskDefinition) as Record<string, unknown>;
    const sent = wire(registered) as Record<string, unknown>;
    const fields: FieldComparison[] = Object.keys(sent).map((field) => {
      const got = field === 'tags' ? wire(described.tags) : echo[field];
      const same = isDeepStrictEqual(sent[field], got);
      return same ? { field, same } : { field, same, registered: sent[field], described: got };
    });
    const addedByMoto = Object.keys(echo).filter((k) => !SERVER_FIELDS.has(k) && !(k in sent));

    const sourceEcho = wire((await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: source.taskDefinitionArn, include: ['TAGS'] }))).taskDefinition) as Record<string, unknown>;
    const strip = (td: Record<string, unknown>) => Object.fromEntries(Object.entries(td).filter(([k]) => !SERVER_FIELDS.has(k)));
    const differencesFromSource: string[] = [];
    differences(strip(sourceEcho), strip(echo), '', differencesFromSource);
    const sourceChanges: string[] = [];
    differences(wire({ ...SOURCE_TASK_DEFINITION, tags: undefined }) as Record<string, unknown>, strip(sourceEcho), '', sourceChanges);
    const sourceLostByMoto = sourceChanges.filter((line) => !/: undefined → /.test(line));

    const update = await run(activities.updateService, { ...ref, taskDefinition: firstPrepare.taskDefinitionArn });
    const describeAfter = await run(activities.describeService, ref);
    const raw = (await ecs.send(new DescribeServicesCommand({ cluster: CLUSTER, services: [SERVICE] }))).services?.[0];
    const updateRetry = await run(activities.updateService, { ...ref, taskDefinition: firstPrepare.taskDefinitionArn });
    const scaled = await run(activities.updateService, { ...ref, desiredCount: MOTO_RUNNING_TASKS + 1 });
    const afterScale = await run(activities.describeService, ref);

    let waitForNew: MotoRoundTripReport['waitForNew'];
    try {
      waitForNew = { unexpected: await run(activities.waitForDeployment, { ...ref, taskDefinition: firstPrepare.taskDefinitionArn, timeoutMs: 2_000 }) };
    } catch (err) {
      waitForNew = err instanceof ApplicationFailure ? { type: err.type ?? '(none)', message: err.message } : { unexpected: String(err) };
    }

    return {
      sourceArn: source.taskDefinitionArn!,
      fields,
      addedByMoto,
      differencesFromSource,
      sourceLostByMoto,
      firstPrepare,
      retryPrepare,
      registerCalls: registerInputs.length,
      describeBefore,
      waitForCurrent,
      update,
      describeAfter,
      deploymentConfigurationAfter: wire(raw?.deploymentConfiguration),
      updateRetry: { changed: updateRetry.changed },
      scale: { changed: scaled.changed, desiredCountAfter: afterScale.desiredCount },
      waitForNew,
    };
  } finally {
    ecs.destroy();
  }
}

/** The report as lines for a terminal (and the README). */
export function formatMotoReport(report: MotoRoundTripReport): string[] {
  const same = report.fields.filter((f) => f.same).map((f) => f.field);
  const changed = report.fields.filter((f) => !f.same);
  return [
    `task definition copy: prepareTaskDefinition registered ${report.firstPrepare.taskDefinitionArn} (registered: ${report.firstPrepare.registered})`,
    `  round trip (RegisterTaskDefinition input vs DescribeTaskDefinition): ${same.length}/${report.fields.length} fields unchanged: ${same.join(', ')}`,
    ...changed.map((f) => `  CHANGED ${f.field}: registered ${JSON.stringify(f.registered)}, described ${JSON.stringify(f.described)}`),
    `  fields moto added beyond what Runway registered: ${report.addedByMoto.join(', ') || 'none'}`,
    `  new revision vs source revision: ${report.differencesFromSource.join('; ') || 'no difference'}`,
    `  operator's fields moto lost on the source revision: ${report.sourceLostByMoto.join('; ') || 'none'}`,
    `  retry: prepareTaskDefinition found ${report.retryPrepare.taskDefinitionArn} (registered: ${report.retryPrepare.registered}); RegisterTaskDefinition calls: ${report.registerCalls}`,
    `describeService before: ${JSON.stringify(report.describeBefore)}`,
    `waitForDeployment of the running revision: ${JSON.stringify(report.waitForCurrent)}`,
    `updateService to the new revision: changed ${report.update.changed}, previous ${JSON.stringify(report.update.previous)}`,
    `describeService after: ${JSON.stringify(report.describeAfter)}; deploymentConfiguration ${JSON.stringify(report.deploymentConfigurationAfter)}`,
    `updateService again (a retry): changed ${report.updateRetry.changed}; scaling to ${report.scale.desiredCountAfter}: changed ${report.scale.changed}`,
    `waitForDeployment of the new revision: ${'type' in report.waitForNew ? `${report.waitForNew.type}: ${report.waitForNew.message}` : `unexpected: ${JSON.stringify(report.waitForNew.unexpected)}`}`,
  ];
}

/**
 * What the round trip must show, as a list of what it did not: empty when Runway's copy and
 * updates survive moto unchanged and its reading of moto's answers reached the expected result.
 */
export function motoRoundTripProblems(report: MotoRoundTripReport): string[] {
  const problems: string[] = [];
  const expect = (ok: boolean, problem: string) => {
    if (!ok) problems.push(problem);
  };
  for (const f of report.fields.filter((x) => !x.same)) problems.push(`${f.field} did not round-trip: registered ${JSON.stringify(f.registered)}, described ${JSON.stringify(f.described)}`);
  expect(report.fields.length > 0, 'Runway registered nothing');
  expect(report.sourceLostByMoto.length === 0, `moto lost fields of the source task definition: ${report.sourceLostByMoto.join('; ')}`);
  expect(
    report.differencesFromSource.length === 1 && report.differencesFromSource[0]!.startsWith('containerDefinitions.0.image: '),
    `the new revision should differ from the source only in the app image, differs in: ${report.differencesFromSource.join('; ')}`,
  );
  expect(report.firstPrepare.registered, 'the first prepareTaskDefinition registered nothing');
  expect(
    !report.retryPrepare.registered && report.retryPrepare.taskDefinitionArn === report.firstPrepare.taskDefinitionArn && report.registerCalls === 1,
    `a retried prepareTaskDefinition should reuse ${report.firstPrepare.taskDefinitionArn}; got ${JSON.stringify(report.retryPrepare)} after ${report.registerCalls} registrations`,
  );
  expect(
    isDeepStrictEqual(report.describeBefore, { taskDefinition: report.sourceArn, desiredCount: MOTO_RUNNING_TASKS, runningCount: MOTO_RUNNING_TASKS }),
    `describeService before the update read ${JSON.stringify(report.describeBefore)}`,
  );
  expect(isDeepStrictEqual(report.waitForCurrent, { runningCount: MOTO_RUNNING_TASKS }), `waiting for the running revision gave ${JSON.stringify(report.waitForCurrent)}`);
  expect(report.update.changed && report.update.previous.taskDefinition === report.sourceArn, `updateService gave ${JSON.stringify(report.update)}`);
  expect(report.describeAfter.taskDefinition === report.firstPrepare.taskDefinitionArn, `after the update describeService read ${JSON.stringify(report.describeAfter)}`);
  expect(
    isDeepStrictEqual(report.deploymentConfigurationAfter, { deploymentCircuitBreaker: { enable: true, rollback: true }, maximumPercent: 200, minimumHealthyPercent: 100 }),
    `moto keeps deploymentConfiguration ${JSON.stringify(report.deploymentConfigurationAfter)}`,
  );
  expect(!report.updateRetry.changed, 'a retried updateService changed the service again');
  expect(report.scale.changed && report.scale.desiredCountAfter === MOTO_RUNNING_TASKS + 1, `scaling gave ${JSON.stringify(report.scale)}`);
  const notDeploying = `ECS service staging/checkout is not deploying ${report.firstPrepare.taskDefinitionArn} (PRIMARY runs ${report.sourceArn}; rolled back or replaced)`;
  expect(
    'type' in report.waitForNew && report.waitForNew.type === 'DeploymentFailed' && report.waitForNew.message === notDeploying,
    `waiting for the new revision (which moto never deploys) should end "${notDeploying}", gave ${JSON.stringify(report.waitForNew)}`,
  );
  return problems;
}
