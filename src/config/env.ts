/**
 * Runway's environment, parsed once in main() and passed down. Standard names wherever a
 * standard exists (Temporal's, AWS's own credential chain, Slack's, GitHub's).
 */
import { existsSync } from 'node:fs';
import ms from 'ms';
import { z } from 'zod';
import { parseDecisionHmacKeys } from './decision-keys';
import { parsePayloadKeys } from './payload-keys';
import { parseGitHubWriteBudget } from '../domain/github-write-budget';
import { SLACK_CALL_HEARTBEAT_TIMEOUT_MS } from '../domain/slack-budget';

const optional = z
  .string()
  .optional()
  .transform((v) => (v === '' ? undefined : v));

/**
 * How often deployment (and migration) waits poll ECS. Each poll heartbeats, and those waits
 * have a 5 s heartbeat timeout, so the interval must stay well below it.
 */
export const DEPLOY_POLL_INTERVAL = { defaultMs: 2000, minMs: 10, maxMs: 4000 } as const;

const deployPollInterval = z
  .string()
  .optional()
  .transform((value, ctx) => {
    if (value === undefined || value.trim() === '') return DEPLOY_POLL_INTERVAL.defaultMs;
    const parsed = ms(value.trim() as ms.StringValue) as number | undefined;
    if (typeof parsed !== 'number' || !Number.isFinite(parsed)) {
      ctx.addIssue({ code: 'custom', message: `"${value}" is not a duration (examples: 2s, 200ms)` });
      return z.NEVER;
    }
    if (parsed < DEPLOY_POLL_INTERVAL.minMs || parsed > DEPLOY_POLL_INTERVAL.maxMs) {
      ctx.addIssue({
        code: 'custom',
        message: `"${value}" is out of range: from ${DEPLOY_POLL_INTERVAL.minMs}ms to ${DEPLOY_POLL_INTERVAL.maxMs / 1000}s (each poll heartbeats; deployment waits time out after 5 s without one)`,
      });
      return z.NEVER;
    }
    return parsed;
  });

/** A duration variable ("15s", "500ms") within [minMs, maxMs]; becomes milliseconds. */
function durationVar(defaultMs: number, minMs: number, maxMs: number) {
  return z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value.trim() === '') return defaultMs;
      const parsed = ms(value.trim() as ms.StringValue) as number | undefined;
      if (typeof parsed !== 'number' || !Number.isFinite(parsed)) {
        ctx.addIssue({ code: 'custom', message: `"${value}" is not a duration (examples: 15s, 500ms)` });
        return z.NEVER;
      }
      if (parsed < minMs || parsed > maxMs) {
        ctx.addIssue({ code: 'custom', message: `"${value}" is out of range: from ${ms(minMs)} to ${ms(maxMs)}` });
        return z.NEVER;
      }
      return parsed;
    });
}

/**
 * Temporal Worker Versioning (README "Upgrading Runway"). Deployment names become part of the
 * server's version string `<name>.<build>`, so they may not contain "." or ":"; a build id may
 * not be the server's reserved "__unversioned__"; both are at most 255 characters.
 */
export const WORKER_VERSION_LIMITS = { maxLength: 255, reservedBuildId: '__unversioned__' } as const;

/** Why a deployment name cannot be used, or undefined when it can. */
export function deploymentNameProblem(name: string): string | undefined {
  const bad = /[.:]/.exec(name)?.[0];
  if (bad) return `"${name}" contains "${bad}", which Temporal's worker deployment names cannot contain`;
  if (name.length > WORKER_VERSION_LIMITS.maxLength) return `"${name.slice(0, 20)}…" is ${name.length} characters long (at most ${WORKER_VERSION_LIMITS.maxLength})`;
  return undefined;
}

/** Why a build id cannot be used, or undefined when it can. */
export function buildIdProblem(buildId: string): string | undefined {
  if (buildId === WORKER_VERSION_LIMITS.reservedBuildId) return `"${buildId}" is reserved by Temporal for unversioned workers`;
  if (buildId.length > WORKER_VERSION_LIMITS.maxLength) return `"${buildId.slice(0, 20)}…" is ${buildId.length} characters long (at most ${WORKER_VERSION_LIMITS.maxLength})`;
  return undefined;
}

/** An optional name checked by `problem`; surrounding whitespace is dropped, empty means unset. */
const checkedName = (problem: (value: string) => string | undefined) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      const trimmed = value?.trim();
      if (!trimmed) return undefined;
      const why = problem(trimmed);
      if (why) {
        ctx.addIssue({ code: 'custom', message: why });
        return z.NEVER;
      }
      return trimmed;
    });

/** `on` (the default) or `off`; true/false, 1/0, yes/no are read the same way. */
const onOff = z
  .string()
  .optional()
  .transform((value, ctx): 'on' | 'off' => {
    const v = value?.trim().toLowerCase();
    if (!v || ['on', 'true', '1', 'yes'].includes(v)) return 'on';
    if (['off', 'false', '0', 'no'].includes(v)) return 'off';
    ctx.addIssue({ code: 'custom', message: `"${value}" is neither on nor off` });
    return z.NEVER;
  });

/** How much a Runway process writes to stderr, quietest first (RUNWAY_LOG_LEVEL). */
export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** One of `choices`, in any case and trimmed; unset → `fallback`; anything else is "not a <noun>". */
function choiceVar<const T extends readonly string[]>(choices: T, fallback: T[number], noun: string) {
  return z
    .string()
    .optional()
    .transform((value, ctx): T[number] => {
      const v = value?.trim().toLowerCase();
      if (!v) return fallback;
      if ((choices as readonly string[]).includes(v)) return v as T[number];
      ctx.addIssue({ code: 'custom', message: `"${value}" is not a ${noun} (${choices.join(', ')})` });
      return z.NEVER;
    });
}

/** RUNWAY_GITHUB_WRITE_BUDGET: the GitHub writer's pace (src/domain/github-write-budget.ts). */
const gitHubWriteBudget = z
  .string()
  .optional()
  .transform((value, ctx) => {
    const budget = parseGitHubWriteBudget(value ?? '', (text) => {
      const parsed = ms(text as ms.StringValue) as number | undefined;
      return typeof parsed === 'number' ? parsed : undefined;
    });
    if (typeof budget === 'string') {
      ctx.addIssue({ code: 'custom', message: budget });
      return z.NEVER;
    }
    return budget;
  });

/** `error`, `warn` (the default), `info` or `debug`, in any case. */
const logLevel = choiceVar(LOG_LEVELS, 'warn', 'log level');

/** Where the embedded default's canary analysis reads metrics (RUNWAY_SANDBOX_METRICS). */
export const SANDBOX_METRICS_SOURCES = ['auto', 'prometheus', 'emulator'] as const;
export type SandboxMetricsSource = (typeof SANDBOX_METRICS_SOURCES)[number];
const sandboxMetricsSource = choiceVar(SANDBOX_METRICS_SOURCES, 'auto', 'metrics source');

/** Whether a line of `level` is written when the process runs at `threshold`. */
export function logs(threshold: LogLevel, level: LogLevel): boolean {
  return LOG_LEVELS.indexOf(level) <= LOG_LEVELS.indexOf(threshold);
}

/** A line sink that writes what `threshold` lets through; a line without a level counts as a warning (what a process always said). */
export type LevelledLog = (line: string, level?: LogLevel) => void;

export function levelledLog(threshold: LogLevel, write: (line: string) => void): LevelledLog {
  return (line, level = 'warn') => {
    if (logs(threshold, level)) write(line);
  };
}

/** Slack's token kinds by prefix: which one a variable holds decides whether it can work at all. */
const SLACK_TOKEN_KINDS: [prefix: string, kind: string][] = [
  ['xapp-', 'an app-level token'],
  ['xoxb-', 'a bot token'],
  ['xoxp-', 'a user token'],
];

function slackTokenKind(token: string): string {
  return SLACK_TOKEN_KINDS.find(([prefix]) => token.startsWith(prefix))?.[1] ?? 'not a Slack token';
}

/**
 * Socket Mode's app-level token (Basic Information → App-Level Tokens, scope connections:write).
 * A bot or user token here would only fail later, at apps.connections.open; say so at start. The
 * message names the kind, never the token.
 */
const slackAppToken = optional.superRefine((token, ctx) => {
  if (token === undefined || token.startsWith('xapp-')) return;
  ctx.addIssue({
    code: 'custom',
    message: `is ${slackTokenKind(token)}; Socket Mode needs the app's app-level token (xapp-…, with connections:write: Basic Information → App-Level Tokens)`,
  });
});

/** The bot token posts and reads messages; an app-level token cannot (it only opens Socket Mode connections). */
const slackBotToken = optional.superRefine((token, ctx) => {
  if (token === undefined || !token.startsWith('xapp-')) return;
  ctx.addIssue({ code: 'custom', message: 'is an app-level token (xapp-…); it belongs in SLACK_APP_TOKEN, and SLACK_BOT_TOKEN takes the Bot User OAuth Token (xoxb-…)' });
});

/** A GitHub App's id (digits) or its client ID (Iv…), as the App's settings page shows them. */
const gitHubAppId = optional.superRefine((id, ctx) => {
  if (id === undefined || /^\d{1,12}$/.test(id) || /^Iv[0-9A-Za-z.]{4,40}$/.test(id)) return;
  ctx.addIssue({ code: 'custom', message: 'expected the GitHub App\'s numeric App ID (or its client ID, Iv…)' });
});

/** The installation of the App on the organisation (the number at the end of its settings URL). */
const gitHubInstallationId = optional.transform((id, ctx) => {
  if (id === undefined) return undefined;
  if (!/^\d{1,15}$/.test(id.trim()) || Number(id) === 0) {
    ctx.addIssue({ code: 'custom', message: 'expected the numeric installation id (Settings → GitHub Apps → Configure: the number at the end of the URL)' });
    return z.NEVER;
  }
  return Number(id);
});

/**
 * The Temporal frontend, `host:port` (a bare host means port 7233). Unset means a local server;
 * set but empty (an unfilled .env entry) or with a scheme is refused at start, naming the variable.
 */
const temporalAddress = z
  .string()
  .optional()
  .transform((value, ctx) => {
    if (value === undefined) return 'localhost:7233';
    const address = value.trim();
    const port = /:(\d+)$/.exec(address)?.[1];
    const problem =
      address === ''
        ? 'is empty; set it to the Temporal frontend\'s host:port (e.g. temporal:7233)'
        : /^[a-z][a-z0-9+.-]*:\/\//i.test(address)
          ? `"${address}" has a scheme; expected host:port (e.g. temporal:7233)`
          : !/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)(:\d+)?$/.test(address) || (port !== undefined && (Number(port) < 1 || Number(port) > 65535))
            ? `"${address}" is not host:port (e.g. temporal:7233)`
            : undefined;
    if (problem) {
      ctx.addIssue({ code: 'custom', message: problem });
      return z.NEVER;
    }
    return address;
  });

/** Default RUNWAY_WORKER_ACTIVITY_SLOTS: room for the long waits of 2,000 releases in flight (two each) with headroom. */
export const WORKER_ACTIVITY_SLOTS = 5_000;
/**
 * Default RUNWAY_WORKER_CACHED_WORKFLOWS. A cached run (a release, or a lane) holds a few hundred KiB
 * of V8 heap for as long as it waits (hours, for an approval); evicted, it costs one replay at its
 * next task. 500 bounds that part of the heap near 200 MiB whatever the releases in flight
 * (README "Running many releases").
 */
export const WORKER_CACHED_WORKFLOWS = 500;
/**
 * Default RUNWAY_WORKER_WORKFLOW_POLLS: polls of the task queue itself, beside the 8 of the
 * worker's sticky queue; the SDK's default gives it 2 of 10. Tasks land there for a new run, a run
 * not cached and a sticky task not picked up within its 3 s; during the ramp to 2,000 releases
 * they waited 75–79 s on average against under a second on the sticky queue. The SDK holds these
 * polls to one while its sticky queue has a backlog, so the setting counts when that backlog is
 * gone. README "Running many releases".
 */
export const WORKER_WORKFLOW_POLLS = 8;
/** An open poll holds one of the worker's 40 workflow-task slots: at most 24, leaving 8 to run tasks. */
export const WORKER_WORKFLOW_POLLS_MAX = 24;

/** The three variables of GitHub App authentication; all or none. */
export const GITHUB_APP_VARIABLES = ['GITHUB_APP_ID', 'GITHUB_APP_PRIVATE_KEY_PATH', 'GITHUB_APP_INSTALLATION_ID'] as const;

const envFields = z.object({
  TEMPORAL_ADDRESS: temporalAddress,
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_API_KEY: optional,
  TEMPORAL_TLS_CLIENT_CERT_PATH: optional,
  TEMPORAL_TLS_CLIENT_KEY_PATH: optional,
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: optional,
  RUNWAY_TASK_QUEUE: z.string().min(1).default('runway'),
  RUNWAY_CONFIG: z.string().default('./runway.config.yaml'),
  RUNWAY_APPROVALS_PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  RUNWAY_SANDBOX_PORT: z.coerce.number().int().min(0).max(65535).default(4010),
  /** `runway dev` / `npm run demo`: canary analysis asks a real Prometheus scraping the sample service (`prometheus`), the sandbox's query emulator (`emulator`), or the first when a prometheus binary is on PATH (`auto`). */
  RUNWAY_SANDBOX_METRICS: sandboxMetricsSource,
  /** `runway worker`'s health (/healthz) and Temporal SDK metrics (/metrics, Prometheus) port; 0 = any free port. */
  RUNWAY_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  /** The address that port listens on: every interface by default (Prometheus scrapes it from elsewhere); 127.0.0.1 keeps it local. */
  RUNWAY_METRICS_HOST: z.string().trim().min(1).default('0.0.0.0'),
  /** How often deployment waits poll ECS, as a duration ("2s", "200ms"); becomes milliseconds. */
  RUNWAY_DEPLOY_POLL_INTERVAL: deployPollInterval,
  /** How often the delivery ledger looks for ended releases (when this worker is the one that starts it); milliseconds. */
  RUNWAY_DELIVERY_POLL_INTERVAL: durationVar(15_000, 100, 3_600_000),
  /** How long after a release closes the ledger waits for the visibility store to list it before counting; milliseconds. */
  RUNWAY_DELIVERY_SETTLE: durationVar(10_000, 0, 600_000),
  /**
   * The heartbeat timeout of a release's Slack calls (its messenger's): how long a call lost with
   * its worker waits before another worker takes it up, against how often a call waiting its turn
   * behind Slack's limits heartbeats (0.8 × this), each heartbeat a write for the Temporal server.
   */
  RUNWAY_SLACK_CALL_HEARTBEAT_TIMEOUT: durationVar(SLACK_CALL_HEARTBEAT_TIMEOUT_MS, 10_000, 600_000),
  /**
   * Activities one worker process runs at once. Runway's long waits each hold one for their whole
   * wait (a bake's analysis, a CI checks wait, a lane watching a holder others wait behind), up to
   * one or two per release in flight, so the SDK's default of 100 would stall at about 100 releases
   * in flight; the activities are I/O-bound, so an idle slot costs nothing. README "Running many releases".
   */
  RUNWAY_WORKER_ACTIVITY_SLOTS: z.coerce.number().int().min(10).max(100_000).default(WORKER_ACTIVITY_SLOTS),
  /** Workflow runs one worker keeps in memory between tasks (the SDK's sticky cache); a run not kept is replayed from its history at its next task. */
  RUNWAY_WORKER_CACHED_WORKFLOWS: z.coerce.number().int().min(2).max(100_000).default(WORKER_CACHED_WORKFLOWS),
  /**
   * Workflow-task polls one worker keeps open on the task queue itself, beside the 8 on its own
   * sticky queue (at most WORKER_WORKFLOW_POLLS_MAX).
   */
  RUNWAY_WORKER_WORKFLOW_POLLS: z.coerce.number().int().min(1).max(WORKER_WORKFLOW_POLLS_MAX).default(WORKER_WORKFLOW_POLLS),
  /**
   * A workflow bundle built by `npm run build` (dist/workflow-bundle.js; the image sets it). Unset:
   * the worker bundles the workflows at start, which costs seconds and about 150 MiB of RSS it keeps.
   */
  RUNWAY_WORKFLOW_BUNDLE: optional.refine((file) => file === undefined || existsSync(file), {
    message: 'no such file (a bundle from `npm run build` is dist/workflow-bundle.js; unset it to bundle the workflows at start)',
  }),
  /** What every process writes to stderr: the Temporal SDK's log and Runway's own lines (error, warn, info, debug). */
  RUNWAY_LOG_LEVEL: logLevel,
  /** Worker Versioning for `runway worker` / `runway dev`: `off` runs unversioned workers (servers before Temporal 1.28). */
  RUNWAY_WORKER_VERSIONING: onOff,
  /** The worker's build id; unset → Runway's package.json version. */
  RUNWAY_BUILD_ID: checkedName(buildIdProblem),
  /** The worker deployment's name; unset → the task queue's name. */
  RUNWAY_DEPLOYMENT_NAME: checkedName(deploymentNameProblem),
  SLACK_BOT_TOKEN: slackBotToken,
  SLACK_SIGNING_SECRET: optional,
  SLACK_API_URL: optional,
  /** Socket Mode for `runway approvals`: the app-level token (xapp-…); set, interactions arrive over Slack's WebSocket instead of HTTP. */
  SLACK_APP_TOKEN: slackAppToken,
  GITHUB_TOKEN: optional,
  /** How fast the installation's GitHub writer sends deployment records, for all workers together: `github` (1 s apart, 80/min, 500/h), `off`, or `1s,80/min,500/h`. */
  RUNWAY_GITHUB_WRITE_BUDGET: gitHubWriteBudget,
  GITHUB_API_URL: optional,
  /** GitHub App authentication instead of GITHUB_TOKEN: the App's id, its private key file (PEM) and its installation. */
  GITHUB_APP_ID: gitHubAppId,
  GITHUB_APP_PRIVATE_KEY_PATH: optional,
  GITHUB_APP_INSTALLATION_ID: gitHubInstallationId,
  PROMETHEUS_URL: optional,
  /** Sentry release markers (sentry-cli's own names): a token with project:releases, and the server (default https://sentry.io). */
  SENTRY_AUTH_TOKEN: optional,
  SENTRY_URL: optional,
  /** Signs every webhook delivery (HMAC-SHA256, the Runway-Signature header); without it no webhook is sent. */
  RUNWAY_WEBHOOK_SECRET: optional,
  /** Keys of the approvals server's decision proofs, `kid=base64[,kid=base64]` (the first signs; all verify). Set, decisions must be proven. */
  RUNWAY_DECISION_HMAC_KEYS: optional,
  /** Keys of encrypted payloads, `kid=base64[,kid=base64]` of 32 bytes each (the first encrypts; all decrypt). Unset (and no key file): payloads in clear. */
  RUNWAY_PAYLOAD_KEYS: optional,
  /** A file of payload keys, one `kid=base64` per line, when RUNWAY_PAYLOAD_KEYS is unset. */
  RUNWAY_PAYLOAD_KEY_FILE: optional,
  /** `runway codec-server`: the bearer token every call must carry (unset: none asked). */
  RUNWAY_CODEC_TOKEN: optional,
});

export const envSchema = envFields.superRefine((env, ctx) => {
  const keys = parseDecisionHmacKeys(env.RUNWAY_DECISION_HMAC_KEYS);
  if ('problem' in keys) ctx.addIssue({ code: 'custom', path: ['RUNWAY_DECISION_HMAC_KEYS'], message: keys.problem });
  const payloadKeys = parsePayloadKeys(env.RUNWAY_PAYLOAD_KEYS);
  if ('problem' in payloadKeys) ctx.addIssue({ code: 'custom', path: ['RUNWAY_PAYLOAD_KEYS'], message: payloadKeys.problem });
  const set = GITHUB_APP_VARIABLES.filter((name) => env[name] !== undefined);
  if (set.length === 0) return;
  for (const name of GITHUB_APP_VARIABLES.filter((n) => !set.includes(n))) {
    ctx.addIssue({ code: 'custom', path: [name], message: `required with ${set.join(' and ')} (GitHub App authentication needs the App's id, its private key file and its installation id)` });
  }
  if (env.GITHUB_TOKEN !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['GITHUB_TOKEN'], message: `set together with ${set.join(', ')}: use either a token or the GitHub App, not both` });
  }
});

export type RunwayEnv = z.output<typeof envSchema>;

/** GitHub App authentication, when the environment configures it (parseEnv has checked all three are there). */
export function gitHubAppFromEnv(env: Pick<RunwayEnv, 'GITHUB_APP_ID' | 'GITHUB_APP_PRIVATE_KEY_PATH' | 'GITHUB_APP_INSTALLATION_ID'>):
  | { appId: string; privateKeyPath: string; installationId: number }
  | undefined {
  const { GITHUB_APP_ID: appId, GITHUB_APP_PRIVATE_KEY_PATH: privateKeyPath, GITHUB_APP_INSTALLATION_ID: installationId } = env;
  if (appId === undefined || privateKeyPath === undefined || installationId === undefined) return undefined;
  return { appId, privateKeyPath, installationId };
}

export class EnvError extends Error {
  override name = 'EnvError';
}

export function parseEnv(env: NodeJS.ProcessEnv = process.env): RunwayEnv {
  const result = envSchema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new EnvError(`invalid environment: ${problems}`);
  }
  return result.data;
}
