/**
 * The ECS emulator driven by a hand-set clock. It settles lazily from timestamps, so tests
 * can assert exact states instead of racing time. Also the wire shapes those tests read.
 */
import { EcsEmulator } from '../../src/sandbox/ecs/emulator';
import { ScenarioStore } from '../../src/sandbox/scenario';
import { modelChecked } from './ecs-model';
import { STAGING } from './sandbox-clients';

export interface WireDeployment {
  id: string;
  status: string;
  taskDefinition: string;
  desiredCount: number;
  runningCount: number;
  failedTasks: number;
  rolloutState: string;
}
export interface WireService {
  runningCount: number;
  desiredCount: number;
  taskDefinition: string;
  deployments: WireDeployment[];
  events: { message: string; createdAt: number }[];
}
export interface WireTask {
  taskArn: string;
  taskDefinitionArn: string;
  lastStatus: string;
  desiredStatus: string;
  stopCode?: string;
  stoppedReason?: string;
  group: string;
  startedAt?: number;
  stoppedAt?: number;
  containers: { exitCode?: number }[];
}

/** A staging service "checkout" with `desiredCount` tasks, and helpers to read and drive it. */
export function clockedEmulator(options: { delayMs?: number; desiredCount: number }) {
  let nowMs = 1_700_000_000_000;
  const scenario = new ScenarioStore(options.delayMs ?? 1000);
  // Every operation the tests call is held to the official ECS API model as it runs.
  const ecs = modelChecked(new EcsEmulator({ scenario, now: () => nowMs }));
  ecs.seed([{ ...STAGING, desiredCount: options.desiredCount }]);
  const service = () => (ecs.describeServices({ cluster: 'staging', services: ['checkout'] }).services as WireService[])[0]!;
  const register = (image: string) =>
    (ecs.registerTaskDefinition({ family: 'checkout-staging', containerDefinitions: [{ name: 'app', image }] }).taskDefinition as { taskDefinitionArn: string })
      .taskDefinitionArn;
  const tasks = (desiredStatus: 'RUNNING' | 'STOPPED'): WireTask[] => {
    const { taskArns } = ecs.listTasks({ cluster: 'staging', serviceName: 'checkout', desiredStatus }) as { taskArns: string[] };
    if (taskArns.length === 0) return [];
    return (ecs.describeTasks({ cluster: 'staging', tasks: taskArns }) as { tasks: WireTask[] }).tasks;
  };
  return { ecs, scenario, service, register, tasks, advance: (ms: number) => (nowMs += ms), now: () => nowMs };
}
