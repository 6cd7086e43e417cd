/**
 * `runway approvals`: the Slack approvals server as a process. Secrets come from the
 * environment only (never flags, which show up in `ps`), and are never printed.
 */
import { WebClient } from '@slack/web-api';
import type { Command } from 'commander';
import { decisionKeysFrom } from '../../config/decision-keys';
import { groupMembershipFor, rollbacksFromConfig, SocketModeStartError, startApprovalsServer } from '../../approvals';
import { slackIdentityResolver } from '../../config/people';
import { levelledLog, type RunwayEnv } from '../../config/env';
import { cliConfig, cliEnv, withClient } from '../context';
import { invalidInput } from '../errors';
import { runAction } from '../run-action';

interface ApprovalsOptions {
  host: string;
  port?: string;
  config?: string;
}

/** Resolves when the process gets Ctrl-C or SIGTERM. */
function untilStopped(): Promise<string> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
}

function parsePort(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw invalidInput(`--port: expected 0-65535, got "${value}"`);
  return port;
}

/** Only for chat.postEphemeral when a click has no usable response_url; optional. */
function ephemeralClient(env: RunwayEnv): WebClient | undefined {
  if (!env.SLACK_BOT_TOKEN) return undefined;
  return new WebClient(env.SLACK_BOT_TOKEN, {
    slackApiUrl: env.SLACK_API_URL,
    // A reply is worth a couple of quick tries, not minutes of backoff.
    retryConfig: { retries: 2, factor: 2, minTimeout: 500, maxTimeout: 2000 },
    rejectRateLimitedCalls: true,
  });
}

const say = (line: string) => process.stdout.write(`${line}\n`);

export function configureApprovalsCommand(program: Command): void {
  program
    .command('approvals')
    .description('run the Slack approvals server (SLACK_SIGNING_SECRET, or SLACK_APP_TOKEN for Socket Mode; RUNWAY_APPROVALS_PORT, default 3000)')
    .option('--host <address>', 'address to listen on (0.0.0.0: every interface, e.g. in a container)', '127.0.0.1')
    .option('--port <n>', 'port (default: $RUNWAY_APPROVALS_PORT or 3000; 0 = any free port)')
    .option('--config <path>', 'config file, for mapping Slack users to people and the plans of rollbacks (default: $RUNWAY_CONFIG or ./runway.config.yaml)')
    .action(
      runAction(async (opts: ApprovalsOptions) => {
        const env = cliEnv();
        // Socket Mode (SLACK_APP_TOKEN) needs no signing secret: the WebSocket is authenticated by the token.
        const socketMode = env.SLACK_APP_TOKEN ? { appToken: env.SLACK_APP_TOKEN, slackApiUrl: env.SLACK_API_URL } : undefined;
        if (!socketMode && !env.SLACK_SIGNING_SECRET) {
          throw invalidInput('SLACK_SIGNING_SECRET: required (the Slack app\'s signing secret, used to verify every click), unless SLACK_APP_TOKEN turns on Socket Mode');
        }
        const port = parsePort(opts.port, env.RUNWAY_APPROVALS_PORT);
        const config = await cliConfig(env, opts);
        const log = levelledLog(env.RUNWAY_LOG_LEVEL, (line) => process.stderr.write(`${line}\n`));
        const decisionKey = decisionKeysFrom(env, config).signing;
        await withClient(env, async (client) => {
          const server = await startApprovalsServer({
            ...(socketMode ? { socketMode } : { signingSecret: env.SLACK_SIGNING_SECRET! }),
            identityForSlackUser: slackIdentityResolver(config),
            groupMembership: groupMembershipFor(config, env, log),
            // The Roll back button of a released release starts its rollback on the workers' queue.
            rollbacks: rollbacksFromConfig(config, env.RUNWAY_TASK_QUEUE),
            // Every decision forwarded is signed with the first RUNWAY_DECISION_HMAC_KEYS key (the worker verifies it).
            ...(decisionKey ? { decisionKey } : {}),
            port,
            host: opts.host,
            client,
            slack: ephemeralClient(env),
            log,
          }).catch((err: unknown) => {
            // Slack refused SLACK_APP_TOKEN: a bad variable, reported as one (exit 2, no stack).
            if (err instanceof SocketModeStartError) throw invalidInput(err.message);
            throw err;
          });
          say(`runway approvals: listening on ${server.url}`);
          if (server.transport === 'socket') say('  Slack              Socket Mode (connected; interactions arrive over the WebSocket)');
          else say(`  Slack request URL  ${server.eventsUrl}`);
          say(`  health             ${server.url}/healthz`);
          say(`  decisions          ${decisionKey ? `signed with key ${decisionKey.kid} (RUNWAY_DECISION_HMAC_KEYS)` : 'unsigned (no RUNWAY_DECISION_HMAC_KEYS: only a worker with no keys accepts them)'}`);
          say(`  Temporal           ${env.TEMPORAL_ADDRESS} (namespace ${env.TEMPORAL_NAMESPACE}, rollbacks on task queue ${env.RUNWAY_TASK_QUEUE})`);
          const signal = await untilStopped();
          say(`${signal}: stopping (finishing clicks already acknowledged)…`);
          await server.close();
        });
      }),
    );
}
