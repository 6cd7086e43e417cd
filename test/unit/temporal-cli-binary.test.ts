/**
 * Resolution order of the Temporal CLI, with fake executables in temp dirs and env objects
 * passed in (process.env is never touched). The Go build is exercised with a fake `go` script.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveTemporalCli, TemporalCliNotFoundError, temporalCliCacheDir, TEMPORAL_CLI_VERSION } from '../../src/temporal/cli-binary';

let root: string;
beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'runway-cli-test-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function dir(name: string): string {
  const d = path.join(root, name);
  mkdirSync(d, { recursive: true });
  return d;
}

function script(file: string, body: string, mode = 0o755): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `#!/bin/sh\nPATH=/usr/bin:/bin\n${body}\n`);
  chmodSync(file, mode);
  return file;
}

/** PATH holds only our own temp dir: no real `temporal` or `go` can be found by accident. */
function env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { PATH: dir('bin'), HOME: dir('home'), XDG_CACHE_HOME: dir('cache'), ...extra };
}

/** A `go` that "builds" by writing a fake temporal into $GOBIN, counting its runs. */
function fakeGo(opts: { sleep?: number; fail?: boolean } = {}): { count: () => number; args: () => string } {
  const runs = path.join(root, 'go-runs');
  const args = path.join(root, 'go-args');
  script(
    path.join(dir('bin'), 'go'),
    [
      `echo run >> '${runs}'`,
      `echo "$@" > '${args}'`,
      'echo "go: downloading github.com/temporalio/cli v1.5.1" >&2',
      'echo "github.com/temporalio/cli/temporalcli" >&2',
      opts.fail ? 'echo "go: github.com/temporalio/cli/cmd/temporal@v1.5.1: proxy unreachable" >&2; exit 1' : '',
      `sleep ${opts.sleep ?? 0}`,
      'printf "#!/bin/sh\\necho fake\\n" > "$GOBIN/temporal"',
      'chmod +x "$GOBIN/temporal"',
    ].join('\n'),
  );
  return {
    count: () => (existsSync(runs) ? readFileSync(runs, 'utf8').trim().split('\n').length : 0),
    args: () => readFileSync(args, 'utf8'),
  };
}

describe('temporalCliCacheDir', () => {
  it('lives under XDG_CACHE_HOME, else ~/.cache', () => {
    expect(temporalCliCacheDir({ XDG_CACHE_HOME: '/x/cache', HOME: '/home/u' })).toBe(`/x/cache/runway/temporal-${TEMPORAL_CLI_VERSION}`);
    expect(temporalCliCacheDir({ HOME: '/home/u' })).toBe(`/home/u/.cache/runway/temporal-${TEMPORAL_CLI_VERSION}`);
  });
});

describe('resolveTemporalCli', () => {
  it('prefers an executable TEMPORAL_CLI over PATH and the cache', async () => {
    const explicit = script(path.join(root, 'custom', 'temporal'), 'echo custom');
    script(path.join(dir('bin'), 'temporal'), 'echo path');
    const e = env({ TEMPORAL_CLI: explicit });
    script(path.join(temporalCliCacheDir(e), 'temporal'), 'echo cached');
    await expect(resolveTemporalCli({ env: e })).resolves.toBe(explicit);
  });

  it('names TEMPORAL_CLI and the path when it does not exist', async () => {
    const missing = path.join(root, 'nope', 'temporal');
    await expect(resolveTemporalCli({ env: env({ TEMPORAL_CLI: missing }) })).rejects.toThrow(`TEMPORAL_CLI is set to ${missing}, but that file does not exist`);
  });

  it('names TEMPORAL_CLI when the file is not executable', async () => {
    const file = script(path.join(root, 'plain', 'temporal'), 'echo', 0o644);
    await expect(resolveTemporalCli({ env: env({ TEMPORAL_CLI: file }) })).rejects.toThrow(/TEMPORAL_CLI .* not executable/);
  });

  it('finds `temporal` on PATH, skipping directories without it', async () => {
    const onPath = script(path.join(dir('bin2'), 'temporal'), 'echo path');
    await expect(resolveTemporalCli({ env: env({ PATH: [dir('empty'), dir('bin2')].join(path.delimiter) }) })).resolves.toBe(onPath);
  });

  it('finds the binary in the cache dir', async () => {
    const e = env();
    const cached = script(path.join(temporalCliCacheDir(e), 'temporal'), 'echo cached');
    expect(cached.startsWith(e.XDG_CACHE_HOME!)).toBe(true);
    await expect(resolveTemporalCli({ env: e })).resolves.toBe(cached);
  });

  it('fails with install instructions when there is neither a binary nor Go', async () => {
    const error = await resolveTemporalCli({ env: env() }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(TemporalCliNotFoundError);
    const message = (error as Error).message;
    expect(message).toContain('Go is not on PATH');
    expect(message).toContain('brew install temporal');
    expect(message).toContain('https://github.com/temporalio/cli/releases');
    expect(message).toContain(`go install github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_VERSION}`);
    expect(message).toContain('docker compose');
    expect(message).toContain('TEMPORAL_CLI');
    expect(message).not.toContain('temporal.download');
  });

  it('does not build when build is false', async () => {
    const go = fakeGo();
    await expect(resolveTemporalCli({ env: env(), build: false })).rejects.toBeInstanceOf(TemporalCliNotFoundError);
    expect(go.count()).toBe(0);
  });

  it('builds with Go into the cache dir, logging what it does', async () => {
    const go = fakeGo();
    const e = env();
    const lines: string[] = [];
    const binary = await resolveTemporalCli({ env: e, log: (l) => lines.push(l) });
    expect(binary).toBe(path.join(temporalCliCacheDir(e), 'temporal'));
    expect(spawnSync(binary).stdout.toString()).toBe('fake\n');
    expect(go.args()).toContain(`-X github.com/temporalio/cli/temporalcli.Version=${TEMPORAL_CLI_VERSION}`);
    expect(go.args()).toContain(`github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_VERSION}`);
    expect(lines[0]).toContain(`Building the Temporal CLI v${TEMPORAL_CLI_VERSION} from its Go module into ${temporalCliCacheDir(e)}`);
    expect(lines).toContain('  go: downloading github.com/temporalio/cli v1.5.1');
    expect(lines.some((l) => l.startsWith('  github.com/temporalio'))).toBe(false); // package lines are counted, not echoed
    // The lock and the private GOBIN are gone; a second call uses the cache without building.
    await resolveTemporalCli({ env: e });
    expect(go.count()).toBe(1);
    expect(spawnSync('ls', ['-A', temporalCliCacheDir(e)]).stdout.toString().trim()).toBe('temporal');
  });

  it('builds once when two processes resolve at the same time', async () => {
    const go = fakeGo({ sleep: 1 });
    const e = env();
    const [a, b] = await Promise.all([resolveTemporalCli({ env: e }), resolveTemporalCli({ env: e })]);
    expect(a).toBe(b);
    expect(go.count()).toBe(1);
  });

  it('takes over a lock left by a dead builder', async () => {
    const go = fakeGo();
    const e = env();
    const lock = path.join(temporalCliCacheDir(e), '.build.lock');
    mkdirSync(lock, { recursive: true });
    const deadPid = spawnSync('true').pid;
    writeFileSync(path.join(lock, 'owner'), JSON.stringify({ pid: deadPid, host: os.hostname() }));
    await expect(resolveTemporalCli({ env: e })).resolves.toBe(path.join(temporalCliCacheDir(e), 'temporal'));
    expect(go.count()).toBe(1);
  });

  it('reports a failed build with the last lines of Go output', async () => {
    fakeGo({ fail: true });
    const e = env();
    await expect(resolveTemporalCli({ env: e })).rejects.toThrow(/failed \(1\)[\s\S]*proxy unreachable[\s\S]*TEMPORAL_CLI/);
    expect(existsSync(path.join(temporalCliCacheDir(e), 'temporal'))).toBe(false);
    expect(existsSync(path.join(temporalCliCacheDir(e), '.build.lock'))).toBe(false);
  });
});
