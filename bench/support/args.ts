/** Tiny `--name value` parser for benches: numbers validated, unknown flags refused by name. */

export class BenchArgsError extends Error {
  override name = 'BenchArgsError';
}

export type FlagSpec = Record<string, { default: number; min?: number; max?: number; help: string }>;
export type Flags<S extends FlagSpec> = { [K in keyof S]: number };

export function parseFlags<S extends FlagSpec>(args: string[], spec: S): Flags<S> {
  const out = Object.fromEntries(Object.entries(spec).map(([k, v]) => [k, v.default])) as Record<string, number>;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const name = arg.startsWith('--') ? arg.slice(2) : undefined;
    if (!name || !(name in spec)) throw new BenchArgsError(`unknown argument "${arg}"; options: ${usage(spec)}`);
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
