import { readFile } from 'node:fs/promises';
import { parseDocument, visit } from 'yaml';
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

/**
 * How many times the aliases of a config may be expanded, per alias written in it (the yaml
 * library's `maxAliasCount`, which counts each alias's uses times the aliases nested in what it
 * points to). The library's fixed default of 100 refuses an ordinary file of 150 services that
 * share defaults through `<<: *defaults`. The config is the operator's own file, so the budget
 * grows with what it writes: any number of plain uses of an anchor passes, and only nesting
 * aliases of aliases, which multiplies them (a "billion laughs"), can exhaust it.
 */
export const ALIAS_EXPANSIONS_PER_ALIAS = 10;
/** The budget of a file with only a few aliases: the library's own default. */
const MIN_ALIAS_EXPANSIONS = 100;

/** Top-level keys of this form are ignored: a place for anchors such as `x-defaults: &defaults`, as in Compose files. */
const EXTENSION_KEY = /^x-/;

/** The YAML document as plain data: merge keys (`<<`) on, aliases bounded by the document's own size. */
function readYaml(text: string, file: string): unknown {
  const doc = parseDocument(text, { merge: true });
  if (doc.errors.length > 0) throw new ConfigError(file, [`not valid YAML: ${doc.errors[0]!.message}`]);
  let aliases = 0;
  visit(doc, {
    Alias: () => {
      aliases++;
    },
  });
  const budget = Math.max(MIN_ALIAS_EXPANSIONS, aliases * ALIAS_EXPANSIONS_PER_ALIAS);
  try {
    return doc.toJS({ maxAliasCount: budget });
  } catch (err) {
    const message = (err as Error).message;
    if (/excessive alias count/i.test(message)) {
      throw new ConfigError(file, [
        `not valid YAML: its ${aliases} alias(es) expand to more than ${budget} copies (at most ${ALIAS_EXPANSIONS_PER_ALIAS} per alias written) — ` +
          'aliases of anchors that themselves hold aliases multiply (an "alias bomb"); reuse an anchor (*name, <<: *name) as often as you like, but do not nest aliases that deep',
      ]);
    }
    throw new ConfigError(file, [`not valid YAML: ${message}`]);
  }
}

export function parseConfig(text: string, file: string): RunwayConfig {
  const raw = readYaml(text, file);
  const withoutExtensions =
    raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? Object.fromEntries(Object.entries(raw).filter(([key]) => !EXTENSION_KEY.test(key))) : raw;
  const result = configSchema.safeParse(withoutExtensions ?? {});
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
