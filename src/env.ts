/**
 * Runway's environment, parsed once in main() and passed down. Standard names wherever a
 * standard exists (Temporal's, AWS's own credential chain, Slack's, GitHub's).
 */
import { z } from 'zod';

const optional = z
  .string()
  .optional()
  .transform((v) => (v === '' ? undefined : v));

export const envSchema = z.object({
  TEMPORAL_ADDRESS: z.string().default('localhost:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_API_KEY: optional,
  TEMPORAL_TLS_CLIENT_CERT_PATH: optional,
  TEMPORAL_TLS_CLIENT_KEY_PATH: optional,
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: optional,
  RUNWAY_TASK_QUEUE: z.string().min(1).default('runway'),
  RUNWAY_CONFIG: z.string().default('./runway.config.yaml'),
  RUNWAY_APPROVALS_PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  RUNWAY_SANDBOX_PORT: z.coerce.number().int().min(0).max(65535).default(4010),
  SLACK_BOT_TOKEN: optional,
  SLACK_SIGNING_SECRET: optional,
  SLACK_API_URL: optional,
  GITHUB_TOKEN: optional,
  GITHUB_API_URL: optional,
  PROMETHEUS_URL: optional,
});

export type RunwayEnv = z.output<typeof envSchema>;

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
