/**
 * Issue 15, parts 1 and 4, without a container engine: the image as the Dockerfile writes it and
 * the package as `npm pack` makes it.
 * - The Dockerfile: every file it copies exists in the build context (and .dockerignore lets it
 *   in) or is made by the stage it comes from; its final stage is laid out on disk here by
 *   carrying out its COPY and `ln -s` lines (production dependencies installed as its deps stage
 *   installs them, cached under ~/.cache/runway by the lock file's hash), and `runway` on PATH in
 *   that layout prints its help, and runs a worker that answers /healthz 200 and /metrics with the
 *   Temporal SDK's metrics, with no TypeScript tooling in it.
 * - The package: `npm pack` (which builds dist/) holds only what runs; installed into an empty
 *   project, `npx runway --help` works and `npx runway start` starts a release that the image's
 *   worker takes through the sandbox to production.
 * Slow (a compile and two installs); the registry must be reachable unless npm's cache holds
 * every dependency.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { statusQuery } from '../../src/domain/release-api';
import { releaseId } from '../../src/domain/release-id';
import { copiesOf, envOf, inContext, layOutCopies, layOutSymlinks, parseDockerfile, readRepoFile, type Stage, workdirAt } from '../support/dockerfile';
import type { RunwayProcess, RunwayResult } from '../support/runway-process';
import { randomSha, type SandboxStack, startSandboxStack } from '../support/sandbox-stack';
import { useTestClient } from '../support/temporal';

const root = path.join(__dirname, '../..');
const dockerfile = parseDockerfile(readRepoFile(root, 'Dockerfile'));
const dockerignore = readRepoFile(root, '.dockerignore');
const stageNamed = (name: string) => dockerfile.stages.find((s) => s.name === name)!;
const finalStage = dockerfile.stages.at(-1)!;
const instructions = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword);
const runs = (stage: Stage) => instructions(stage, 'RUN').map((i) => i.args);
const pkg = JSON.parse(readRepoFile(root, 'package.json')) as { name: string; bin: Record<string, string>; files: string[]; dependencies: Record<string, string>; devDependencies: Record<string, string> };
const buildConfig = JSON.parse(readRepoFile(root, 'tsconfig.build.json').replace(/^\s*\/\/.*$/gm, '')) as { extends: string; include: string[]; compilerOptions: { outDir: string } };

const tmp = mkdtempSync(path.join(os.tmpdir(), 'runway-distribution-'));
const imageRoot = path.join(tmp, 'image');
const project = path.join(tmp, 'project');
/** PATH with this Node on it: the image's node is on its PATH, and the bin's shebang is `env node`. */
const PATH = `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}`;
let tarball: { filename: string; files: { path: string }[]; size: number; unpackedSize: number };

function sh(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, PATH }, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
}

/** The deps stage's folder (its `/`), its `npm ci --omit=dev` done once per lock file. */
function depsStageRoot(): string {
  const deps = stageNamed('deps');
  const key = createHash('sha256')
    .update(readRepoFile(root, 'package.json'))
    .update(readRepoFile(root, 'package-lock.json'))
    .update(JSON.stringify(deps.instructions.map((i) => [i.keyword, i.args])))
    .digest('hex')
    .slice(0, 16);
  const cached = path.join(os.homedir(), '.cache', 'runway', 'image-deps', key);
  if (existsSync(path.join(cached, 'complete'))) return cached;
  const building = `${cached}.${process.pid}`;
  rmSync(building, { recursive: true, force: true });
  layOutCopies(deps, building, root, {});
  // Its RUN lines as the stage runs them, npm preferring this machine's cache.
  for (const step of instructions(deps, 'RUN')) {
    sh('sh', ['-c', step.args.replace(/^npm ci /, 'npm ci --prefer-offline ')], path.join(building, workdirAt(deps, step.line)));
  }
  writeFileSync(path.join(building, 'complete'), '');
  rmSync(cached, { recursive: true, force: true });
  renameSync(building, cached);
  // Installs for earlier locks are not needed again.
  for (const other of readdirSync(path.dirname(cached))) {
    if (other !== path.basename(cached) && !other.includes('.')) rmSync(path.join(path.dirname(cached), other), { recursive: true, force: true });
  }
  return cached;
}

function run(command: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<RunwayResult> {
  return spawnIn(command, args, cwd, env).exited;
}

function spawnIn(command: string, args: string[], cwd: string, env: Record<string, string>): RunwayProcess {
  const child = spawn(command, args, { cwd, env: { ...process.env, ...env, PATH }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<RunwayResult>((resolve) => child.on('exit', (code) => resolve({ code, stdout: out, stderr: err })));
  const waitFor = async (pattern: RegExp, timeoutMs = 120_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(out + err)) {
      if (child.exitCode !== null) throw new Error(`exited before ${pattern}:\n${out}${err}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}:\n${out}${err}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  return { child, output: () => out + err, exited, waitFor };
}

const temporal = useTestClient();

async function untilStage(id: string, stage: string): Promise<void> {
  for (let i = 0; i < 1800; i++) {
    const current = await temporal.client.workflow
      .getHandle(id)
      .query(statusQuery)
      .then((status) => status.stage)
      .catch(() => undefined);
    if (current === stage) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${id} never reached ${stage}`);
}

const imageRunway = () => path.join(imageRoot, 'usr/local/bin/runway');
/** The image's ENV (NODE_ENV=production, …), then what a test sets; any free port on loopback, since tests run side by side. */
/** The image's ENV, with its paths (RUNWAY_WORKFLOW_BUNDLE) inside the laid-out image. */
const imageEnv = (env: Record<string, string> = {}) => {
  const image = envOf(finalStage);
  return { ...image, RUNWAY_WORKFLOW_BUNDLE: path.join(imageRoot, image.RUNWAY_WORKFLOW_BUNDLE ?? '/nowhere'), RUNWAY_METRICS_PORT: '0', RUNWAY_METRICS_HOST: '127.0.0.1', ...env };
};
const imageWorkdir = () => path.join(imageRoot, workdirAt(finalStage, Number.MAX_SAFE_INTEGER));

describe('the Dockerfile as written', () => {
  it('builds on Node 24 slim and runs runway as the node user, with a healthcheck', () => {
    expect(dockerfile.stages.map((s) => s.image)).toEqual(dockerfile.stages.map(() => 'node:24-bookworm-slim'));
    const last = (keyword: string) => instructions(finalStage, keyword).at(-1)?.args;
    expect(last('WORKDIR')).toBe('/app');
    expect(last('USER')).toBe('node');
    expect(JSON.parse(last('ENTRYPOINT')!)).toEqual(['runway']);
    expect(last('HEALTHCHECK')).toMatch(/CMD \["runway", "healthcheck"/);
    // The final stage installs nothing: its node_modules is the deps stage's production install.
    expect(runs(finalStage).join('\n')).not.toMatch(/npm (ci|install)/);
    expect(runs(stageNamed('deps'))[0]).toMatch(/^npm ci --omit=dev /);
  });

  it('copies only files the build context has and lets in, or that the stage they come from makes', () => {
    for (const stage of dockerfile.stages) {
      for (const copy of copiesOf(stage)) {
        for (const source of copy.sources) {
          if (copy.from) continue;
          expect({ source, exists: existsSync(path.join(root, source)), inContext: inContext(dockerignore, source) }).toEqual({ source, exists: true, inContext: true });
        }
      }
    }
    // What the build stage compiles: tsconfig.build.json's includes and the config it extends, copied in before `npm run build`.
    const build = stageNamed('build');
    const copiedToBuild = copiesOf(build).flatMap((c) => c.sources);
    expect(copiedToBuild).toEqual(expect.arrayContaining([...buildConfig.include, 'tsconfig.build.json', path.basename(buildConfig.extends), 'package.json', 'package-lock.json']));
    expect(runs(build)).toEqual(['npm ci --no-audit --no-fund', 'npm run build']);
    // What the final stage takes from the others is what they make: the build's outDir, the deps stage's node_modules.
    const fromStages = copiesOf(finalStage).filter((c) => c.from);
    expect(fromStages.map((c) => [c.from, c.sources])).toEqual(
      expect.arrayContaining([
        ['build', [path.posix.join(workdirAt(build, Number.MAX_SAFE_INTEGER), buildConfig.compilerOptions.outDir)]],
        ['deps', [path.posix.join(workdirAt(stageNamed('deps'), Number.MAX_SAFE_INTEGER), 'node_modules')]],
      ]),
    );
    // The bin the ENTRYPOINT runs, and the package.json it reads its version from.
    expect(copiesOf(finalStage).flatMap((c) => (c.from ? [] : c.sources))).toEqual(expect.arrayContaining(['package.json', path.dirname(pkg.bin.runway!)]));
  });
});

describe('the image layout and the installed package', () => {
  let stack: SandboxStack;
  let worker: RunwayProcess | undefined;

  beforeAll(async () => {
    // npm pack runs prepack (`npm run build`): dist/ is what the build stage makes, too.
    const packed = JSON.parse(sh('npm', ['pack', '--json', '--pack-destination', tmp], root)) as (typeof tarball)[];
    tarball = packed[0]!;
    // The build stage's /src is this checkout after `npm run build`.
    const buildRoot = path.join(tmp, 'stage-build');
    mkdirSync(buildRoot);
    symlinkSync(root, path.join(buildRoot, workdirAt(stageNamed('build'), Number.MAX_SAFE_INTEGER).slice(1)));
    layOutCopies(finalStage, imageRoot, root, { build: buildRoot, deps: depsStageRoot() });
    expect(layOutSymlinks(finalStage, imageRoot)).toContain('/usr/local/bin/runway');
    // An empty project installs the tarball, as a service's repository would.
    mkdirSync(project);
    writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'a-service', version: '1.0.0', private: true }));
    sh('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', path.join(tmp, tarball.filename)], project);
    stack = await startSandboxStack();
  }, 15 * 60_000);

  afterAll(async () => {
    worker?.child.kill('SIGTERM');
    await worker?.exited;
    await stack?.sandbox.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('packs only what runs: the bin and the compiled JavaScript, no sources or tests', () => {
    const files = tarball.files.map((f) => f.path);
    expect(files).toEqual(expect.arrayContaining(['package.json', pkg.bin.runway, 'dist/src/cli/main.js', 'dist/workers/release-worker.js', 'dist/workflows/index.js', 'dist/workflow-bundle.js']));
    expect(files.filter((f) => !/^(bin|dist)\//.test(f) && !['package.json', 'README.md', 'LICENSE'].includes(f))).toEqual([]);
    expect(files.filter((f) => f.endsWith('.ts') || f.startsWith('test/'))).toEqual([]);
  });

  it('lays out an image whose runway, on PATH, runs compiled JavaScript with production dependencies only', async () => {
    expect(existsSync(path.join(imageWorkdir(), 'src'))).toBe(false);
    for (const devOnly of ['typescript', 'tsx', 'jest', 'ts-jest']) {
      expect({ devOnly, installed: existsSync(path.join(imageWorkdir(), 'node_modules', devOnly)) }).toEqual({ devOnly, installed: false });
    }
    // The Temporal SDK's native library for this machine only (the worker test below loads it).
    const machine = { x64: 'x86_64', arm64: 'aarch64' }[os.arch() as 'x64' | 'arm64'] ?? os.arch();
    expect(readdirSync(path.join(imageWorkdir(), 'node_modules/@temporalio/core-bridge/releases'))).toEqual([`${machine}-unknown-linux-gnu`]);
    expect(envOf(finalStage)).toMatchObject({ NODE_ENV: 'production', RUNWAY_METRICS_PORT: '9464', RUNWAY_WORKFLOW_BUNDLE: '/app/dist/workflow-bundle.js' });
    // The workflow bundle `npm run build` made, which the image's worker loads rather than bundling at start.
    expect(existsSync(imageEnv().RUNWAY_WORKFLOW_BUNDLE)).toBe(true);
    const help = await run(imageRunway(), ['--help'], imageWorkdir(), imageEnv());
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: runway /);
    expect(help.stdout).toMatch(/healthcheck \[options\] \[process\]/);
  });

  it('runs the image\'s worker: /healthz 200 once it polls, /metrics with the SDK\'s temporal_ metrics, healthcheck exit 0', async () => {
    worker = spawnIn(imageRunway(), ['worker'], imageWorkdir(), imageEnv(stack.env));
    await worker.waitFor(/polling task queue/);
    expect(worker.output()).toContain(`workflows from ${imageEnv().RUNWAY_WORKFLOW_BUNDLE} (RUNWAY_WORKFLOW_BUNDLE)`);
    const [, url, port] = /health (http:\/\/127\.0\.0\.1:(\d+))\/healthz/.exec(worker.output())!;
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${url}/metrics`)).text()).toMatch(/^temporal_\w+\{.*task_queue="/m);
    const check = await run(imageRunway(), ['healthcheck'], imageWorkdir(), imageEnv({ RUNWAY_METRICS_PORT: port! }));
    expect(check).toMatchObject({ code: 0, stdout: expect.stringContaining('worker healthy') });
  }, 300_000);

  it('installs into an empty project: npx runway --help, and npx runway start releases through the image\'s worker', async () => {
    const npx = (args: string[]) => run('npx', ['runway', ...args], project, stack.env);
    // The package's CLI is not the image: no image ENV here.
    const help = await npx(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: runway /);
    expect(existsSync(path.join(project, 'node_modules', pkg.name, 'dist/src/cli/main.js'))).toBe(true);
    expect(existsSync(path.join(project, 'node_modules', 'tsx'))).toBe(false);

    expect(worker).toBeDefined();
    const version = randomSha();
    const id = releaseId('checkout', version);
    const start = await npx(['start', '--service', 'checkout', '--version', version, '--requested-by', 'ci']);
    expect(start).toMatchObject({ code: 0, stdout: `${id}\n` });
    const watch = run('npx', ['runway', 'watch', id], project, stack.env);
    await untilStage(id, 'awaiting-approval');
    const approved = await npx(['approve', id, '--as', 'alice']);
    expect(approved).toMatchObject({ code: 0, stdout: `${id}: approved by alice\n` });
    const watched = await watch;
    expect(watched.code).toBe(0);
    expect(watched.stderr + watched.stdout).toMatch(/released/);
  }, 300_000);
});
