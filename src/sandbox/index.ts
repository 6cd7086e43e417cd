/**
 * The sandbox: local HTTP emulators of ECS, Slack, GitHub, a Prometheus query API and the services' health endpoints,
 * reached by the real SDK clients through endpoint configuration only, plus a control API.
 * Nothing is printed here; the caller prints the endpoints.
 */
import type { AddressInfo } from 'node:net';
import { CallLog, type EmulatedSystem, type SandboxCall, type SandboxCalls } from './call-log';
import { sandboxState } from './control';
import { EcsEmulator, type SandboxServiceSeed } from './ecs/emulator';
import type { GitHubAppRegistration, GitHubAuthRecord, IssuedInstallationToken } from './github/app-auth';
import { GitHubEmulator } from './github/emulator';
import { type MetricsTarget, PrometheusEmulator } from './prometheus/emulator';
import { type Scenario, type ScenarioPatch, scenarioPatchSchema, ScenarioStore } from './scenario';
import { createSandboxServer } from './server';
import { type ClickRequest, type ClickResult, SlackClicker } from './slack/click';
import { SlackEmulator, type SlackInteractionResponse } from './slack/emulator';
import { type SocketEnvelopeRecord, SocketModeHub } from './slack/socket-mode';
import { SentryEmulator } from './sentry/emulator';
import { SANDBOX_WEBHOOK_SECRET, WebhookReceivers } from './webhook-receiver';

export type { CallExchange, SandboxCall, SandboxCalls, EmulatedSystem } from './call-log';
export type { SandboxServiceSeed } from './ecs/emulator';
export type { GitHubDeployment, GitHubDeploymentStatus } from './github/emulator';
export type { GitHubAppRegistration, GitHubAuthRecord, IssuedInstallationToken } from './github/app-auth';
export type { MetricsTarget } from './prometheus/emulator';
export type { CheckConclusion, ImageBehaviour, Scenario, ScenarioPatch } from './scenario';
export type { SlackInteractionResponse, SlackMessage } from './slack/emulator';
export type { ClickRequest, ClickResult } from './slack/click';
export type { SocketEnvelopeRecord } from './slack/socket-mode';
export { ClickError } from './slack/click';
export { blockActionsPayload, messageButtons, signedInteraction } from './slack/interaction-payload';
export { slackSignatureHeaders } from './slack/signing';
export type { SentryDeployRecord, SentryReleaseRecord } from './sentry/emulator';
export type { WebhookDelivery } from './webhook-receiver';
export { SANDBOX_WEBHOOK_SECRET } from './webhook-receiver';

export interface SandboxOptions {
  /** Port on 127.0.0.1. @default 0 (an ephemeral port; read it from `Sandbox.port`) */
  port?: number;
  /** ECS services that exist at start, each running its image with a completed deployment. */
  services: SandboxServiceSeed[];
  /** How long a new ECS deployment takes to become stable (or to fail). @default 1500 */
  deploymentDelayMs?: number;
  /**
   * The Slack app's signing secret, shared with the approvals server (SLACK_SIGNING_SECRET):
   * simulated clicks are signed with it. Without one, clicks are refused.
   */
  signingSecret?: string;
  /**
   * The secret webhook deliveries are signed with (the worker's RUNWAY_WEBHOOK_SECRET): the
   * receivers at `/webhooks/<name>` refuse a delivery whose signature does not hold.
   * @default SANDBOX_WEBHOOK_SECRET
   */
  webhookSecret?: string;
  /** GitHub Apps whose JWTs the GitHub emulator takes for installation tokens (also `registerGitHubApp`). */
  githubApps?: GitHubAppRegistration[];
  /** Socket Mode: how long Slack waits for an envelope's ack before delivering it again. @default 3000 */
  socketAckTimeoutMs?: number;
  /** Which ECS service serves each track of each Runway service, for the Prometheus emulator. @default [] */
  metricsTargets?: MetricsTarget[];
  /**
   * Keep each call's HTTP exchange (method, raw path, query, answer body) in the call log, for
   * tests that check the emulators' answers against the vendors' descriptions. @default false
   */
  recordExchanges?: boolean;
  /** Told of every call as the sandbox answers it, e.g. to print it (`runway sandbox` with RUNWAY_LOG_LEVEL=debug). */
  onCall?: (system: EmulatedSystem, call: SandboxCall) => void;
}

export interface Sandbox {
  /**
   * `http://127.0.0.1:PORT`: the ECS endpoint; Slack is at `${url}/slack/api/`, GitHub at `${url}/github`, Prometheus at
   * `${url}/prometheus`, Sentry at `${url}/sentry`, webhook receivers at `${url}/webhooks/<name>`.
   */
  url: string;
  port: number;
  /** Every call received so far, per system, in order (same as `GET /_sandbox/calls`). */
  calls(): SandboxCalls;
  scenario(): Scenario;
  /** Merges into the scenario (same as `PUT /_sandbox/scenario`); throws on an invalid patch. */
  setScenario(patch: ScenarioPatch): Scenario;
  /** Clusters, services, deployments, task definitions, Slack messages, GitHub deployments, Sentry releases, webhook deliveries. */
  state(): Record<string, unknown>;
  /**
   * Clicks Approve / Reject as Slack user `user` (same as `POST /_sandbox/slack/click`): sends the
   * signed block_actions interaction to `url` and answers the app's HTTP status and body. Throws
   * ClickError when there is no such button or no signing secret.
   */
  clickButton(request: ClickRequest): Promise<ClickResult>;
  /** What apps posted to clicks' response_urls, oldest first (same as `GET /_sandbox/slack/responses`). */
  slackResponses(): SlackInteractionResponse[];
  /**
   * Socket Mode: sends any payload as an interactive envelope to the connected app (tests of
   * forged payloads) and resolves with its record once acked or given up on.
   */
  sendSocketEnvelope(payload: unknown, options?: { loseAcks?: number }): Promise<SocketEnvelopeRecord>;
  /** Registers a GitHub App (its public key and installation) with the GitHub emulator. */
  registerGitHubApp(app: GitHubAppRegistration): void;
  /** Installation tokens issued, and how each GitHub API call was authenticated (tokens themselves are never kept in the log). */
  gitHubAuth(): { installationTokens: IssuedInstallationToken[]; apiCalls: GitHubAuthRecord[] };
  /** Socket Mode: open connections and every envelope with its deliveries and ack (same as `GET /_sandbox/slack/socket`). */
  socketMode(): { connections: number; envelopes: SocketEnvelopeRecord[] };
  close(): Promise<void>;
}

export async function startSandbox(opts: SandboxOptions): Promise<Sandbox> {
  const now = () => Date.now();
  const scenario = new ScenarioStore(opts.deploymentDelayMs ?? 1500);
  const calls = new CallLog(now, { recordExchanges: opts.recordExchanges, onCall: opts.onCall });
  const ecs = new EcsEmulator({ scenario, now });
  ecs.seed(opts.services);
  let url = '';
  const socket = new SocketModeHub({ now, wsBase: () => url.replace(/^http:/, 'ws:'), ackTimeoutMs: opts.socketAckTimeoutMs });
  const slack = new SlackEmulator(now, scenario, socket);
  const github = new GitHubEmulator({ scenario, now });
  for (const app of opts.githubApps ?? []) github.apps.register(app);
  const prometheus = new PrometheusEmulator({ ecs, scenario, targets: opts.metricsTargets ?? [], now });
  const clicker = new SlackClicker({ slack, socket, signingSecret: opts.signingSecret, baseUrl: () => url, now });
  const sentry = new SentryEmulator(now, scenario);
  const webhooks = new WebhookReceivers({ now, secret: opts.webhookSecret ?? SANDBOX_WEBHOOK_SECRET, takeFault: (receiver) => scenario.takeWebhookFault(receiver) });
  const server = createSandboxServer({ calls, scenario, ecs, slack, socket, github, prometheus, clicker, sentry, webhooks });
  socket.attach(server);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  url = `http://127.0.0.1:${port}`;

  return {
    url,
    port,
    calls: () => calls.snapshot(),
    scenario: () => scenario.get(),
    setScenario: (patch) => scenario.merge(scenarioPatchSchema.parse(patch)),
    state: () => sandboxState({ ecs, slack, github, sentry, webhooks }),
    clickButton: (request) => clicker.click(request),
    slackResponses: () => slack.state().responses,
    sendSocketEnvelope: (payload, options) => socket.deliver(payload, options),
    registerGitHubApp: (app) => github.apps.register(app),
    gitHubAuth: () => github.apps.state(),
    socketMode: () => ({ connections: socket.connections, envelopes: socket.envelopes() }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        socket.close();
        server.close((err) => (err ? reject(err) : resolve()));
        // Keep-alive connections from SDK clients would otherwise hold close() open.
        server.closeAllConnections();
      }),
  };
}
