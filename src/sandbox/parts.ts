import type { CallLog } from './call-log';
import type { EcsEmulator } from './ecs/emulator';
import type { GitHubEmulator } from './github/emulator';
import type { PrometheusEmulator } from './prometheus/emulator';
import type { ScenarioStore } from './scenario';
import type { SentryEmulator } from './sentry/emulator';
import type { WebhookReceivers } from './webhook-receiver';
import type { SlackClicker } from './slack/click';
import type { SlackEmulator } from './slack/emulator';
import type { SocketModeHub } from './slack/socket-mode';

/** Everything one sandbox holds: the emulators, the scenario, the call log and the clicker. */
export interface SandboxParts {
  calls: CallLog;
  scenario: ScenarioStore;
  ecs: EcsEmulator;
  slack: SlackEmulator;
  /** Slack's Socket Mode: connections and envelopes. */
  socket: SocketModeHub;
  github: GitHubEmulator;
  prometheus: PrometheusEmulator;
  clicker: SlackClicker;
  sentry: SentryEmulator;
  webhooks: WebhookReceivers;
}
