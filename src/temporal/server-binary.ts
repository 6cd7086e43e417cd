/**
 * The Temporal server itself (not the dev server): `temporal-server` and `temporal-sql-tool`,
 * built once per machine from the `go.temporal.io/server` module (no replace directive, so
 * `go install` works) into the per-user cache, with the module's PostgreSQL schema files copied
 * beside them (the SQL tool applies them; a `go clean -modcache` must not take them away).
 */
import { execFile } from 'node:child_process';
import { cp, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { buildWithLock, findGo, isExecutableFile, runwayCacheDir } from './go-build';

export const TEMPORAL_SERVER_VERSION = '1.29.1';
const GO_MODULE = 'go.temporal.io/server';

export interface TemporalServerBinaries {
  server: string;
  sqlTool: string;
  /** `schema/postgresql/v12` of the module: `temporal/versioned` and `visibility/versioned`. */
  postgresSchemaDir: string;
}

export function temporalServerCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return runwayCacheDir(`temporal-server-${TEMPORAL_SERVER_VERSION}`, env);
}

export async function resolveTemporalServer(opts: { env?: NodeJS.ProcessEnv; log?: (line: string) => void } = {}): Promise<TemporalServerBinaries> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? (() => {});
  const cacheDir = temporalServerCacheDir(env);
  const binaries: TemporalServerBinaries = {
    server: path.join(cacheDir, 'temporal-server'),
    sqlTool: path.join(cacheDir, 'temporal-sql-tool'),
    postgresSchemaDir: path.join(cacheDir, 'schema', 'postgresql', 'v12'),
  };
  const schemaThere = async () => !!(await stat(path.join(binaries.postgresSchemaDir, 'temporal', 'versioned')).catch(() => undefined));
  if ((await isExecutableFile(binaries.server)) && (await isExecutableFile(binaries.sqlTool)) && (await schemaThere())) return binaries;

  const go = await findGo(env);
  if (!go) {
    throw new Error(
      `The Temporal server ${TEMPORAL_SERVER_VERSION} is not in ${cacheDir}, and Go (≥ 1.25) is not on PATH to build it. ` +
        'Install Go (https://go.dev/doc/install), or run the containerised stack instead: docker compose up.',
    );
  }
  const module = `${GO_MODULE}@v${TEMPORAL_SERVER_VERSION}`;
  await buildWithLock(
    go,
    {
      what: 'the Temporal server',
      title: `the Temporal server v${TEMPORAL_SERVER_VERSION} (temporal-server and temporal-sql-tool)`,
      cacheDir,
      installArgs: [`${GO_MODULE}/cmd/server@v${TEMPORAL_SERVER_VERSION}`, `${GO_MODULE}/cmd/tools/sql@v${TEMPORAL_SERVER_VERSION}`],
      binaries: [
        { built: 'server', target: 'temporal-server' },
        { built: 'sql', target: 'temporal-sql-tool' },
      ],
      failureHint: `Check \`go env GOPROXY GOSUMDB\` and network access to the Go module proxy (the module needs Go ≥ 1.25).`,
    },
    env,
    log,
  );
  // The schema files ship in the module's source, which `go install` has just downloaded.
  if (!(await schemaThere())) {
    log(`Copying the PostgreSQL schema files of ${module} into ${cacheDir}`);
    const { stdout } = await promisify(execFile)(go, ['mod', 'download', '-json', module], { env });
    const dir = (JSON.parse(stdout) as { Dir: string }).Dir;
    await cp(path.join(dir, 'schema', 'postgresql', 'v12'), binaries.postgresSchemaDir, { recursive: true });
  }
  return binaries;
}
