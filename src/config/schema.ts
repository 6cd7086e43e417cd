/**
 * The config file (runway.config.yaml), validated with zod. Every error names the path of the
 * bad field. Defaults are the ones a first service wants; everything is per service.
 */
import { z } from 'zod';
import { SERVICE_NAME_PATTERN } from '../domain/release-id';
import { buildSchema, DEFAULT_BUILD } from './build-schema';
import { durationSchema } from './duration';
import { QUERY_PLACEHOLDERS } from './revision-queries';
import { ecsServiceSchema } from './ecs-service-schema';
import { freezeSchema } from './freeze-schema';
import { checkProductionStrategy, productionSchema } from './production-schema';
import { smokeSchema } from './smoke-schema';

const name = z.string().min(1, 'must not be empty');
const url = z.url({ message: 'must be a URL' });


const fraction = z.number().min(0).max(1);

/** PromQL templates; `{{service}}`, `{{environment}}`, `{{track}}` (canary|stable), `{{revision}}` (family:revision), `{{interval}}`. */
export const DEFAULT_QUERIES = {
  requests: 'sum(increase(http_requests_total{service="{{service}}",environment="{{environment}}",track="{{track}}"}[{{interval}}]))',
  errorRate:
    'sum(increase(http_requests_total{service="{{service}}",environment="{{environment}}",track="{{track}}",code=~"5.."}[{{interval}}])) / sum(increase(http_requests_total{service="{{service}}",environment="{{environment}}",track="{{track}}"}[{{interval}}]))',
  p99Ms:
    '1000 * histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{service="{{service}}",environment="{{environment}}",track="{{track}}"}[{{interval}}])))',
};

/** The placeholders a query template may use; anything else is a typo that would query nothing. */
const queryTemplate = name.superRefine((template, ctx) => {
  for (const [, placeholder] of template.matchAll(/{{\s*([^}]*?)\s*}}/g)) {
    if (!QUERY_PLACEHOLDERS.includes(placeholder!)) {
      ctx.addIssue({ code: 'custom', message: `unknown placeholder {{${placeholder}}} (known: ${QUERY_PLACEHOLDERS.map((p) => `{{${p}}}`).join(', ')})` });
    }
  }
});

const analysisSchema = z.strictObject({
  /** How often the canary is measured during a bake; at least a second (Prometheus scrapes are rarely finer). */
  interval: durationSchema.default(10_000).refine((ms) => ms >= 1000, 'the analysis interval must be at least 1s'),
  /** Failed measurements over the whole canary that roll it back. */
  failureLimit: z.number().int().min(1).default(2),
  /** Inconclusive measurements in a row that pause the release and ask a human. */
  inconclusiveLimit: z.number().int().min(1).default(3),
  /** How long a paused canary waits for a human before rolling back. */
  decisionTimeout: durationSchema.default(30 * 60_000),
  thresholds: z
    .strictObject({
      maxErrorRate: fraction.default(0.01),
      maxErrorRateIncrease: fraction.default(0.01),
      maxP99Increase: z.number().min(0).max(10).default(0.25),
      maxCrashedTasks: z.number().int().min(0).default(0),
      minRequests: z.number().int().min(0).default(50),
    })
    .default({ maxErrorRate: 0.01, maxErrorRateIncrease: 0.01, maxP99Increase: 0.25, maxCrashedTasks: 0, minRequests: 50 }),
  queries: z
    .strictObject({ requests: queryTemplate, errorRate: queryTemplate, p99Ms: queryTemplate })
    .default(DEFAULT_QUERIES),
});

const ANALYSIS_DEFAULTS = analysisSchema.parse({});

/**
 * The most canary steps a service may have. Each step adds a fixed number of history events
 * (about 20), so this keeps the longest release far below Temporal's 10,240-event warning without
 * continue-as-new (test/workflow/history-bound.test.ts; README, "How big a release's history gets").
 */
export const MAX_CANARY_STEPS = 50;

const canarySchema = z
  .strictObject({
    /** Production traffic in percent after each step, the last 100; default per strategy (production-strategy.ts). */
    steps: z
      .array(z.number().min(0.1).max(100))
      .min(1)
      .max(MAX_CANARY_STEPS, { message: `at most ${MAX_CANARY_STEPS} steps (each adds history events; README, "How big a release's history gets")` })
      .optional(),
    bake: durationSchema.default(60_000),
    analysis: analysisSchema.default(ANALYSIS_DEFAULTS),
  })
  .superRefine((canary, ctx) => {
    // A bake of 0 skips baking and analysis altogether (sandboxes, benchmarks).
    if (canary.bake > 0 && canary.bake < canary.analysis.interval) {
      ctx.addIssue({
        code: 'custom',
        path: ['bake'],
        message: `bake (${canary.bake} ms) must be at least the analysis interval (${canary.analysis.interval} ms), or nothing is measured`,
      });
    }
    const steps = canary.steps ?? [];
    steps.forEach((weight, i) => {
      if (i > 0 && weight <= steps[i - 1]!) {
        ctx.addIssue({ code: 'custom', path: ['steps', i], message: `steps must be strictly increasing (${steps[i - 1]} then ${weight})` });
      }
    });
    if (canary.steps && steps[steps.length - 1] !== 100) {
      ctx.addIssue({ code: 'custom', path: ['steps'], message: 'the last step must be 100 (promotion)' });
    }
  });

/** How CLI decisions are accepted once proofs are required (README, "Threat model"). */
const cliDecisionsSchema = z.enum(['signed', 'off']);

/** An SSH public key as authorized_keys writes it (type, base64, optional comment); the verifier decides which types it accepts. */
const sshPublicKey = z
  .string()
  .trim()
  .regex(/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-\S+|ssh-dss)\s+[A-Za-z0-9+/]+={0,3}(\s+.*)?$/, 'must be an SSH public key line such as "ssh-ed25519 AAAA… alice@laptop"');

const approvalSchema = z
  .strictObject({
    channel: name,
    approvers: z.array(name).default([]),
    /** Slack user groups (S…) whose members may approve too; resolved per click with usergroups.users.list. */
    groups: z.array(z.string().regex(/^S[A-Z0-9]+$/, 'must be a Slack user group id such as S0DEPLOYERS')).optional(),
    /** Distinct approvers needed before the canary starts. */
    required: z.number().int().min(1).max(10).default(1),
    /** When to remind the channel (in the message's thread) that the release is still waiting. */
    reminder: durationSchema.optional(),
    timeout: durationSchema.default(24 * 3600_000),
    selfApproval: z.boolean().default(false),
    /** CLI decisions for this service: `signed` (an SSH signature by the person, people.<name>.sshKeys) or `off` (Slack only). @default the top-level approval.cli */
    cli: cliDecisionsSchema.optional(),
  })
  .superRefine((approval, ctx) => {
    if (approval.approvers.length === 0 && !approval.groups?.length) {
      ctx.addIssue({ code: 'custom', path: ['approvers'], message: 'at least one approver is required' });
    } else if (!approval.groups?.length && approval.required > approval.approvers.length) {
      ctx.addIssue({ code: 'custom', path: ['required'], message: `${approval.required} approvals required but only ${approval.approvers.length} approver(s) listed` });
    }
    if (approval.reminder !== undefined && approval.reminder >= approval.timeout) {
      ctx.addIssue({ code: 'custom', path: ['reminder'], message: 'the reminder must come before the approval timeout' });
    }
  });

/** Sentry's organization and project slugs (as in its URLs); `repository` as Sentry names the GitHub repository (default: the service's `repo`). */
const sentryMarkerSchema = z.strictObject({
  org: z.string().regex(/^[\w.-]+$/, 'must be a Sentry organization slug'),
  project: z.string().regex(/^[\w.-]+$/, 'must be a Sentry project slug'),
  repository: z.string().min(1).optional(),
  /** Put before the commit SHA in Sentry's release version (as the service's Sentry SDK reports it), e.g. `checkout@`. */
  versionPrefix: z.string().regex(/^[^/\\\s]*$/, 'must not contain slashes or whitespace (Sentry refuses them in versions)').default(''),
});

/** Where the release's events are posted, each signed with RUNWAY_WEBHOOK_SECRET (README "Release markers and webhooks"). */
const notifySchema = z.strictObject({
  webhooks: z.array(z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' })).max(10).default([]),
});

const serviceSchema = z.strictObject({
  repo: z.string().regex(/^[\w.-]+\/[\w.-]+$/, 'must be owner/name'),
  image: name,
  container: name,
  staging: ecsServiceSchema,
  production: productionSchema,
  smoke: smokeSchema,
  canary: canarySchema.default({ bake: 60_000, analysis: ANALYSIS_DEFAULTS }),
  approval: approvalSchema,
  deployTimeout: durationSchema.default(15 * 60_000),
  /** How the commit's image is built or verified (see build-schema.ts). */
  build: buildSchema.default(DEFAULT_BUILD),
  /** Pre-release check: the commit must be on this branch. */
  releaseBranch: z.string().min(1).default('main'),
  /**
   * Pre-release check: every check run on the commit must be green. With `build.mode: checks`
   * that is the build gate itself; with `dispatch` it is verified before the build is dispatched.
   * `false`: with `checks`, only `build.requiredChecks` must be green (other check runs are not
   * looked at); with `dispatch`, no check before the dispatch.
   */
  requireGreenCi: z.boolean().default(true),
  /**
   * A one-off database migration run as an ECS task (RunTask) on the production cluster with the
   * new task definition, after approval and before the canary. Never undone automatically.
   */
  /** Rolling back a finished release (`runway rollback`, the Slack button): `approval: required` asks the approvers first. */
  rollback: z.strictObject({ approval: z.enum(['none', 'required']).default('none') }).default({ approval: 'none' }),
  /**
   * The service's release lane (README "Release lanes"): every release and rollback of the service
   * is admitted through it, one deploying at a time. `queue`: in the order they came; `supersede`:
   * a newer commit replaces a release waiting or not yet past approval.
   */
  lane: z.strictObject({ mode: z.enum(['queue', 'supersede']).default('queue') }).default({ mode: 'queue' }),
  /**
   * The post-release watch: after promotion, production keeps being analysed at full traffic for
   * `duration` (with `canary.analysis`'s interval, queries and thresholds) against the previous
   * version's baseline, and rolled back if it fails. Off when absent.
   */
  verify: z
    .strictObject({
      duration: durationSchema.refine((ms) => ms > 0, 'the watch needs a duration (leave verify out to have none)'),
    })
    .optional(),
  migration: z
    .strictObject({
      command: z.array(z.string().min(1)).min(1, 'the migration command needs at least one word'),
      /** Container whose command is replaced; defaults to the service's `container`. */
      container: name.optional(),
    })
    .optional(),
  /** Release markers: a Sentry release with a deploy per environment (token from SENTRY_AUTH_TOKEN). */
  markers: z.strictObject({ sentry: sentryMarkerSchema.optional() }).optional(),
  /** Webhooks for this service, besides the top-level `notify.webhooks`. */
  notify: notifySchema.optional(),
  /** Freeze windows of this service, besides the top-level `freeze.windows` (freeze-schema.ts). */
  freeze: freezeSchema.optional(),
}).superRefine((svc, ctx) => {
  checkProductionStrategy(svc, ctx);
  const queries = Object.values(svc.canary.analysis.queries);
  if (svc.production.strategy !== 'two-service-canary' && !usesDefaultQueries(svc) && !queries.every((q) => /{{\s*revision\s*}}/.test(q))) {
    ctx.addIssue({
      code: 'custom',
      path: ['canary', 'analysis', 'queries'],
      message: `${svc.production.strategy} runs both versions in one service: every query must select by {{revision}} (the task definition as family:revision) to tell them apart`,
    });
  }
  if (svc.verify && svc.verify.duration > 0 && svc.verify.duration < svc.canary.analysis.interval) {
    ctx.addIssue({
      code: 'custom',
      path: ['verify', 'duration'],
      message: `the watch (${svc.verify.duration} ms) must be at least one analysis interval (${svc.canary.analysis.interval} ms), or nothing is measured`,
    });
  }
  if (!svc.requireGreenCi && svc.build.mode === 'checks' && svc.build.requiredChecks.length === 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['requireGreenCi'],
      message: 'false with build.mode checks judges only build.requiredChecks, and none are listed: name the checks that show the image was built (or leave requireGreenCi on)',
    });
  }
});

/** A person Runway knows by name (approvers, requesters), with their identities elsewhere. */
const personSchema = z.strictObject({
  /** Slack user id (U…): a click by this user acts as this person. */
  slack: z.string().regex(/^[UW][A-Z0-9_]+$/, 'must be a Slack user id such as U01ABCDE').optional(),
  /** SSH public keys (authorized_keys lines) this person's CLI decisions are signed with (`runway approve --sign-with`). */
  sshKeys: z.array(sshPublicKey).optional(),
});

export const configSchema = z.strictObject({
  /** Base URL of the Temporal Web UI used in links (Slack, GitHub). */
  webUiUrl: url.optional(),
  /** People by the name used in approvers lists and `--as`, e.g. `alice: { slack: U01ALICE }`. */
  people: z.record(z.string().min(1), personSchema).default({}),
  /** Webhooks every service's releases are posted to. */
  notify: notifySchema.optional(),
  /** Decisions of every service: `cli: signed` (default) accepts SSH-signed CLI decisions, `off` only Slack's. A service's approval.cli wins. */
  approval: z.strictObject({ cli: cliDecisionsSchema.default('signed') }).optional(),
  /** Freeze windows of every service, and the break-glass policy (freeze-schema.ts). */
  freeze: freezeSchema.optional(),
  services: z.record(z.string().regex(SERVICE_NAME_PATTERN, 'service names are lower-case letters, digits and dashes'), serviceSchema).refine(
    (services) => Object.keys(services).length > 0,
    'at least one service is required',
  ),
});

export type RunwayConfig = z.output<typeof configSchema>;
export type ServiceConfig = z.output<typeof serviceSchema>;

/** True when the service's analysis uses Runway's default queries (by track; by revision under ECS's own strategies). */
export function usesDefaultQueries(svc: ServiceConfig): boolean {
  const q = svc.canary.analysis.queries;
  return q.requests === DEFAULT_QUERIES.requests && q.errorRate === DEFAULT_QUERIES.errorRate && q.p99Ms === DEFAULT_QUERIES.p99Ms;
}
