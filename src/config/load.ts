import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { configSchema, type RunwayConfig } from './schema';

/** Thrown when the config file is missing, not YAML, or does not match the schema. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`invalid config ${file}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.map(String).join('.');
  return path ? `${path}: ${issue.message}` : issue.message;
}

export function parseConfig(text: string, file: string): RunwayConfig {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new ConfigError(file, [`not valid YAML: ${(err as Error).message}`]);
  }
  const result = configSchema.safeParse(raw ?? {});
  if (!result.success) throw new ConfigError(file, result.error.issues.map(describeIssue));
  return result.data;
}

export async function loadConfig(file: string): Promise<RunwayConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(file, [code === 'ENOENT' ? 'file not found (set RUNWAY_CONFIG or pass --config)' : (err as Error).message]);
  }
  return parseConfig(text, file);
}
