/**
 * The sandbox: local HTTP emulators of ECS, Slack, GitHub and the services' health endpoints,
 * reached by the real SDK clients through endpoint configuration only, plus a control API.
 * Nothing is printed here; the caller prints the endpoints.
 */
import type { AddressInfo } from 'node:net';
import { CallLog, type SandboxCalls } from './call-log';
import { sandboxState } from './control';
import { EcsEmulator, type SandboxServiceSeed } from './ecs-emulator';
import { GitHubEmulator } from './github-emulator';
import { type Scenario, type ScenarioPatch, scenarioPatchSchema, ScenarioStore } from './scenario';
import { createSandboxServer } from './server';
import { SlackEmulator } from './slack-emulator';

export type { SandboxCall, SandboxCalls, EmulatedSystem } from './call-log';
export type { SandboxServiceSeed } from './ecs-emulator';
export type { CheckConclusion, ImageBehaviour, Scenario, ScenarioPatch } from './scenario';
export type { SlackMessage } from './slack-emulator';

export interface SandboxOptions {
  /** Port on 127.0.0.1. @default 0 (an ephemeral port; read it from `Sandbox.port`) */
  port?: number;
  /** ECS services that exist at start, each running its image with a completed deployment. */
  services: SandboxServiceSeed[];
  /** How long a new ECS deployment takes to become stable (or to fail). @default 1500 */
  deploymentDelayMs?: number;
  /** Unused for now; later signs simulated Slack button clicks. */
  signingSecret?: string;
}

export interface Sandbox {
  /** `http://127.0.0.1:PORT`: the ECS endpoint; Slack is at `${url}/slack/api/`, GitHub at `${url}/github`. */
  url: string;
  port: number;
  /** Every call received so far, per system, in order (same as `GET /_sandbox/calls`). */
  calls(): SandboxCalls;
  scenario(): Scenario;
  /** Merges into the scenario (same as `PUT /_sandbox/scenario`); throws on an invalid patch. */
  setScenario(patch: ScenarioPatch): Scenario;
  /** Clusters, services, deployments, task definitions, Slack messages, GitHub deployments. */
  state(): Record<string, unknown>;
  close(): Promise<void>;
}

export async function startSandbox(opts: SandboxOptions): Promise<Sandbox> {
  const now = () => Date.now();
  const scenario = new ScenarioStore(opts.deploymentDelayMs ?? 1500);
  const calls = new CallLog(now);
  const ecs = new EcsEmulator({ scenario, now });
  ecs.seed(opts.services);
  const slack = new SlackEmulator(now);
  const github = new GitHubEmulator({ scenario, now });
  const server = createSandboxServer({ calls, scenario, ecs, slack, github });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    calls: () => calls.snapshot(),
    scenario: () => scenario.get(),
    setScenario: (patch) => scenario.merge(scenarioPatchSchema.parse(patch)),
    state: () => sandboxState({ ecs, slack, github }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // Keep-alive connections from SDK clients would otherwise hold close() open.
        server.closeAllConnections();
      }),
  };
}
