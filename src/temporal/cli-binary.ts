/**
 * Finds the `temporal` CLI (dev server + Web UI in one binary), building it from its Go module
 * when the machine has none. The SDK's own download from temporal.download is never used: that
 * host is unreachable on locked-down CI, and a pinned Go build is reproducible.
 *
 * Order: TEMPORAL_CLI → `temporal` on PATH → the per-user cache → `go install` into the cache.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { buildWithLock, findGo, findOnPath, isExecutableFile, runwayCacheDir } from './go-build';

export const TEMPORAL_CLI_VERSION = '1.5.1';
const GO_MODULE = 'github.com/temporalio/cli/cmd/temporal';
const BINARY_NAME = process.platform === 'win32' ? 'temporal.exe' : 'temporal';

export interface ResolveTemporalCliOptions {
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
  /** Build with Go when nothing is found. @default true */
  build?: boolean;
}

export class TemporalCliNotFoundError extends Error {
  override name = 'TemporalCliNotFoundError';
  constructor(searched: string, goMissing: boolean) {
    super(
      [
        `The Temporal CLI (temporal ${TEMPORAL_CLI_VERSION}) was not found (${searched})` +
          (goMissing ? ', and Go is not on PATH to build it.' : '.'),
        'Install it in one of these ways:',
        '  - macOS/Linux with Homebrew: brew install temporal',
        '  - download a release archive from https://github.com/temporalio/cli/releases and put `temporal` on PATH',
        `  - with Go ≥ 1.25: go install ${GO_MODULE}@v${TEMPORAL_CLI_VERSION}`,
        '  - or run Temporal in Docker instead: docker compose up (docker-compose.yml in this repository)',
        '  - or point TEMPORAL_CLI at an existing binary: export TEMPORAL_CLI=/path/to/temporal',
      ].join('\n'),
    );
  }
}

/** `${XDG_CACHE_HOME:-~/.cache}/runway/temporal-<version>`: outside the repo, shared by every clone. */
export function temporalCliCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return runwayCacheDir(`temporal-${TEMPORAL_CLI_VERSION}`, env);
}

export async function resolveTemporalCli(opts: ResolveTemporalCliOptions = {}): Promise<string> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? (() => {});

  if (env.TEMPORAL_CLI) return checkExplicitBinary(path.resolve(env.TEMPORAL_CLI));

  const onPath = await findOnPath(BINARY_NAME, env);
  if (onPath) return onPath;

  const cacheDir = temporalCliCacheDir(env);
  const cached = path.join(cacheDir, BINARY_NAME);
  if (await isExecutableFile(cached)) return cached;

  const go = await findGo(env);
  const searched = `TEMPORAL_CLI unset, no \`temporal\` on PATH, nothing in ${cacheDir}`;
  if (opts.build === false || !go) throw new TemporalCliNotFoundError(searched, !go);
  await buildWithLock(
    go,
    {
      what: 'the Temporal CLI',
      title: `the Temporal CLI v${TEMPORAL_CLI_VERSION}`,
      cacheDir,
      installArgs: ['-ldflags', `-X github.com/temporalio/cli/temporalcli.Version=${TEMPORAL_CLI_VERSION}`, `${GO_MODULE}@v${TEMPORAL_CLI_VERSION}`],
      binaries: [{ built: BINARY_NAME, target: BINARY_NAME }],
      failureHint: 'Check `go env GOPROXY GOSUMDB` and network access to the Go module proxy, or install the CLI another way and set TEMPORAL_CLI.',
    },
    env,
    log,
  );
  return cached;
}

/** TEMPORAL_CLI is an explicit choice: a wrong value is an error, never a silent fallback. */
async function checkExplicitBinary(file: string): Promise<string> {
  const info = await stat(file).catch(() => undefined);
  if (!info) throw new Error(`TEMPORAL_CLI is set to ${file}, but that file does not exist.`);
  if (!info.isFile()) throw new Error(`TEMPORAL_CLI is set to ${file}, but that is not a file.`);
  if (!(await isExecutableFile(file))) throw new Error(`TEMPORAL_CLI is set to ${file}, but that file is not executable (chmod +x it).`);
  return file;
}
