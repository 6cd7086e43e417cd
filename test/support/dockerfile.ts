/**
 * Reads the top-level Dockerfile and .dockerignore, and lays out a stage's filesystem without a
 * container engine: what test/e2e/distribution.test.ts needs to check the image as written.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import path from 'node:path';

export interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

export interface Stage {
  /** FROM's image, ARGs substituted. */
  image: string;
  name?: string;
  instructions: Instruction[];
}

export function parseDockerfile(text: string): { args: Record<string, string>; stages: Stage[] } {
  const logical: Instruction[] = [];
  let pending = '';
  let startLine = 0;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!pending && (line === '' || line.startsWith('#'))) return;
    if (pending && line.startsWith('#')) return;
    if (!pending) startLine = i + 1;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      return;
    }
    const full = (pending + line).trim();
    pending = '';
    const keyword = full.split(/\s+/)[0]!;
    logical.push({ keyword: keyword.toUpperCase(), args: full.slice(keyword.length).trim(), line: startLine });
  });
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const instruction of logical) {
    if (instruction.keyword === 'ARG' && stages.length === 0) {
      const [name, value] = instruction.args.split('=');
      args[name!] = value ?? '';
    } else if (instruction.keyword === 'FROM') {
      const [image, as, name] = instruction.args.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a, b) => args[a ?? b] ?? '').split(/\s+/);
      stages.push({ image: image!, ...(as?.toUpperCase() === 'AS' && name ? { name } : {}), instructions: [] });
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return { args, stages };
}

export interface Copy {
  from?: string;
  sources: string[];
  dest: string;
  line: number;
}

export function copiesOf(stage: Stage): Copy[] {
  return stage.instructions
    .filter((i) => i.keyword === 'COPY')
    .map((i) => {
      const words = i.args.split(/\s+/);
      const flags = words.filter((w) => w.startsWith('--'));
      const paths = words.filter((w) => !w.startsWith('--'));
      const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length);
      return { ...(from ? { from } : {}), sources: paths.slice(0, -1), dest: paths.at(-1)!, line: i.line };
    });
}

/** The stage's WORKDIR at each instruction (the last one before it). */
export function workdirAt(stage: Stage, line: number): string {
  return stage.instructions.filter((i) => i.keyword === 'WORKDIR' && i.line < line).at(-1)?.args ?? '/';
}

/** .dockerignore: whether a context path goes into the build context (last matching pattern wins). */
export function inContext(dockerignore: string, relativePath: string): boolean {
  const patterns = dockerignore
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  let included = true;
  for (const pattern of patterns) {
    const negated = pattern.startsWith('!');
    const body = (negated ? pattern.slice(1) : pattern).replace(/\/$/, '');
    if (matches(body, relativePath)) included = negated;
  }
  return included;
}

function matches(pattern: string, file: string): boolean {
  if (pattern === '**') return true;
  // A pattern names a file or a folder (and so everything under it).
  const escaped = pattern
    .split('**')
    .map((part) => part.replace(/[.+^$()|[\]{}]/g, '\\$&').replace(/\*/g, '[^/]*'))
    .join('.*');
  const regex = new RegExp(`^${escaped}(/.*)?$`);
  return regex.test(file);
}

/**
 * Carries out a stage's COPY instructions into `rootDir` (the stage's `/`), sources from the
 * build context or from other stages' folders (`stageRoots`: stage name → where its `/` is).
 */
export function layOutCopies(stage: Stage, rootDir: string, context: string, stageRoots: Record<string, string>): void {
  for (const copy of copiesOf(stage)) {
    const workdir = workdirAt(stage, copy.line);
    const dest = path.join(rootDir, path.posix.resolve(workdir, copy.dest));
    for (const source of copy.sources) {
      const from = copy.from ? path.join(stageRoots[copy.from]!, source) : path.join(context, source);
      if (!existsSync(from)) throw new Error(`Dockerfile line ${copy.line}: ${copy.from ? `stage ${copy.from}'s ` : ''}${source} does not exist (${from})`);
      // As Docker does: a folder's contents go to the destination; a file goes into a destination ending in "/".
      const target = !statSync(from).isDirectory() && copy.dest.endsWith('/') ? path.join(dest, path.basename(source)) : dest;
      mkdirSync(path.dirname(target), { recursive: true });
      rmSync(target, { recursive: true, force: true });
      cpSync(from, target, { recursive: true, verbatimSymlinks: true });
    }
  }
}

/** A stage's `ENV KEY=value …` settings (the form without quotes). */
export function envOf(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const i of stage.instructions.filter((x) => x.keyword === 'ENV')) {
    for (const pair of i.args.split(/\s+/)) {
      const at = pair.indexOf('=');
      if (at > 0) env[pair.slice(0, at)] = pair.slice(at + 1);
    }
  }
  return env;
}

/** `RUN ln -s TARGET LINK` lines of a stage, carried out inside `rootDir`. */
export function layOutSymlinks(stage: Stage, rootDir: string): string[] {
  const links: string[] = [];
  for (const run of stage.instructions.filter((i) => i.keyword === 'RUN')) {
    for (const m of run.args.matchAll(/ln -s\s+(\S+)\s+(\S+)/g)) {
      const link = path.join(rootDir, m[2]!);
      mkdirSync(path.dirname(link), { recursive: true });
      rmSync(link, { force: true });
      symlinkSync(path.join(rootDir, m[1]!), link);
      links.push(m[2]!);
    }
  }
  return links;
}

export function readRepoFile(root: string, file: string): string {
  return readFileSync(path.join(root, file), 'utf8');
}
