/**
 * The config file (runway.config.yaml), validated with zod. Every error names the path of the
 * bad field. Defaults are the ones a first service wants; everything is per service.
 */
import { z } from 'zod';
import { SERVICE_NAME_PATTERN } from '../domain/release-id';
import { durationSchema } from './duration';

const name = z.string().min(1, 'must not be empty');
const url = z.url({ message: 'must be a URL' });

const ecsServiceSchema = z.strictObject({
  cluster: name,
  service: name,
  /** Public URL of this environment, shown on GitHub deployment records. */
  url: url.optional(),
});

const smokeSchema = z.strictObject({
  url,
  attempts: z.number().int().min(1).max(100).default(3),
  interval: durationSchema.default(1000),
  timeout: durationSchema.default(60_000),
});

const canarySchema = z
  .strictObject({
    steps: z.array(z.number().int().min(1).max(100)).min(1).default([10, 30, 60, 100]),
    bake: durationSchema.default(60_000),
  })
  .superRefine((canary, ctx) => {
    canary.steps.forEach((weight, i) => {
      if (i > 0 && weight <= canary.steps[i - 1]!) {
        ctx.addIssue({ code: 'custom', path: ['steps', i], message: `steps must be strictly increasing (${canary.steps[i - 1]} then ${weight})` });
      }
    });
    if (canary.steps[canary.steps.length - 1] !== 100) {
      ctx.addIssue({ code: 'custom', path: ['steps'], message: 'the last step must be 100 (promotion)' });
    }
  });

const approvalSchema = z.strictObject({
  channel: name,
  approvers: z.array(name).min(1, 'at least one approver is required'),
  timeout: durationSchema.default(24 * 3600_000),
  selfApproval: z.boolean().default(false),
});

const serviceSchema = z.strictObject({
  repo: z.string().regex(/^[\w.-]+\/[\w.-]+$/, 'must be owner/name'),
  image: name,
  container: name,
  staging: ecsServiceSchema,
  production: ecsServiceSchema.extend({ canaryService: name }),
  smoke: smokeSchema,
  canary: canarySchema.default({ steps: [10, 30, 60, 100], bake: 60_000 }),
  approval: approvalSchema,
  deployTimeout: durationSchema.default(15 * 60_000),
});

export const configSchema = z.strictObject({
  /** Base URL of the Temporal Web UI used in links (Slack, GitHub). */
  webUiUrl: url.optional(),
  services: z.record(z.string().regex(SERVICE_NAME_PATTERN, 'service names are lower-case letters, digits and dashes'), serviceSchema).refine(
    (services) => Object.keys(services).length > 0,
    'at least one service is required',
  ),
});

export type RunwayConfig = z.output<typeof configSchema>;
export type ServiceConfig = z.output<typeof serviceSchema>;
