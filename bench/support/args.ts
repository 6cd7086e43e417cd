/** Tiny `--name value` parser for benches: numbers validated, unknown flags refused by name. */

export class BenchArgsError extends Error {
  override name = 'BenchArgsError';
}

export type FlagSpec = Record<string, { default: number; min?: number; max?: number; help: string }>;
export type Flags<S extends FlagSpec> = { [K in keyof S]: number };

/** `listOptions`: how the list flags the bench took out of `args` before read, for the refusal of an unknown one. */
export function parseFlags<S extends FlagSpec>(args: string[], spec: S, listOptions: string[] = []): Flags<S> {
  const out = Object.fromEntries(Object.entries(spec).map(([k, v]) => [k, v.default])) as Record<string, number>;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const name = arg.startsWith('--') ? arg.slice(2) : undefined;
    if (!name || !(name in spec)) throw new BenchArgsError(`unknown argument "${arg}"; options: ${[...listOptions, usage(spec)].join(', ')}`);
    const raw = args[++i];
    const value = Number(raw);
    const { min = 0, max = Number.MAX_SAFE_INTEGER } = spec[name];
    if (raw === undefined || !Number.isInteger(value) || value < min || value > max) {
      throw new BenchArgsError(`--${name}: expected an integer from ${min} to ${max}, got "${raw ?? ''}"`);
    }
    out[name] = value;
  }
  return out as Flags<S>;
}

export function usage(spec: FlagSpec): string {
  return Object.entries(spec)
    .map(([k, v]) => `--${k} N (${v.help}; default ${v.default})`)
    .join(', ');
}

/**
 * Takes `--name 10,25,50` (a comma-separated list of integers) out of `args`: the values (or
 * `spec.default` when absent) and the arguments left for parseFlags.
 */
export function takeListFlag(args: string[], name: string, spec: { default: number[]; min?: number; max?: number }): { values: number[]; rest: string[] } {
  const at = args.indexOf(`--${name}`);
  if (at < 0) return { values: spec.default, rest: args };
  const raw = args[at + 1];
  const { min = 0, max = Number.MAX_SAFE_INTEGER } = spec;
  const values = (raw ?? '').split(',').map((v) => Number(v.trim()));
  if (raw === undefined || raw === '' || values.some((v) => !Number.isInteger(v) || v < min || v > max)) {
    throw new BenchArgsError(`--${name}: expected integers from ${min} to ${max}, comma-separated (e.g. 10,25,50), got "${raw ?? ''}"`);
  }
  return { values, rest: [...args.slice(0, at), ...args.slice(at + 2)] };
}

/**
 * Takes `--name a,b` (names out of `choices`, each at most once) out of `args`: the names in the
 * order given (or `defaults` when absent) and the arguments left for parseFlags. A name not in
 * `choices` is refused by name.
 */
export function takeChoiceListFlag<T extends string>(args: string[], name: string, choices: readonly T[], defaults: readonly T[]): { values: T[]; rest: string[] } {
  const at = args.indexOf(`--${name}`);
  if (at < 0) return { values: [...defaults], rest: args };
  const raw = args[at + 1];
  const expected = `one or more of ${choices.join(', ')}, comma-separated`;
  if (raw === undefined || raw.trim() === '' || raw.startsWith('--')) throw new BenchArgsError(`--${name}: expected ${expected}, got "${raw ?? ''}"`);
  const values: T[] = [];
  for (const value of raw.split(',').map((v) => v.trim())) {
    if (!(choices as readonly string[]).includes(value)) throw new BenchArgsError(`--${name}: unknown "${value}"; expected ${expected}`);
    if ((values as string[]).includes(value)) throw new BenchArgsError(`--${name}: "${value}" is named twice`);
    values.push(value as T);
  }
  return { values, rest: [...args.slice(0, at), ...args.slice(at + 2)] };
}

/** Takes `--name a,b` (comma-separated file paths) out of `args`: the paths (none when absent) and the arguments left. */
export function takePathListFlag(args: string[], name: string): { values: string[]; rest: string[] } {
  const at = args.indexOf(`--${name}`);
  if (at < 0) return { values: [], rest: args };
  const raw = args[at + 1];
  const values = (raw ?? '').split(',').map((v) => v.trim()).filter((v) => v !== '');
  if (raw === undefined || raw.startsWith('--') || values.length === 0) throw new BenchArgsError(`--${name}: expected one or more file paths, comma-separated, got "${raw ?? ''}"`);
  return { values, rest: [...args.slice(0, at), ...args.slice(at + 2)] };
}
