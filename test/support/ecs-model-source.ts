/**
 * Where the official ECS API model comes from: botocore's `botocore/data/ecs/2014-11-13/service-2.json`
 * (the service model AWS publishes with its SDKs), pinned to one botocore release and checked by
 * hash. It is kept in `${XDG_CACHE_HOME:-~/.cache}/runway/botocore-<version>/` and, when absent,
 * fetched with `pip download botocore==<version> --no-deps` and reduced to that one file.
 *
 * Why botocore's JSON rather than the schema compiled into @aws-sdk/client-ecs: the JS client's
 * schema tuples (`TaskDefinition$ = [3, n0, _TD, 0, [names], [member schemas]]`) carry member
 * names and types only — enum members are plain strings (`0`) and required members are not
 * marked, because the client does not validate. botocore's model keeps shapes, `required`,
 * `enum`, `min`/`max`, unions and each operation's error shapes: everything a check needs.
 */
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { findPythonWithPip, PythonToolMissingError, runTool, runwayCacheDir } from './python-tools';

export const BOTOCORE_VERSION = '1.44.8';
/** sha256 of service-2.json as botocore 1.44.8 ships it (gunzipped): a changed file is refused, not used. */
export const ECS_MODEL_SHA256 = '54c4423a2ebfe72f789682e6ac6a985f1115abc775c096fc1e638b0049ae5f48';
const MODEL_IN_WHEEL = 'botocore/data/ecs/2014-11-13/service-2.json';

export function ecsModelPath(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(runwayCacheDir(`botocore-${BOTOCORE_VERSION}`, env), 'ecs', '2014-11-13', 'service-2.json');
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * The model file's path, fetching it into the cache first when it is not there. Concurrent
 * callers (two jest workers) may both fetch; each writes a private file and renames it into
 * place, so nobody reads half a file.
 */
export function ensureEcsModel(opts: { env?: NodeJS.ProcessEnv; log?: (line: string) => void } = {}): string {
  const target = ecsModelPath(opts.env);
  if (existsSync(target)) return target;
  const python = findPythonWithPip();
  if (!python) {
    throw new PythonToolMissingError(
      [
        `The official ECS API model (botocore ${BOTOCORE_VERSION}'s ${MODEL_IN_WHEEL}) is not in ${target},`,
        'and no Python 3 with pip is on PATH to fetch it from PyPI. Either:',
        '  - install Python 3 and pip (e.g. apt-get install python3-pip), then run .ci/run or `node --import tsx scripts/ensure-ecs-tools.ts`, or',
        `  - on a machine with pip: pip download botocore==${BOTOCORE_VERSION} --no-deps, unzip the wheel and put`,
        `    ${MODEL_IN_WHEEL} (gunzipped from service-2.json.gz) at ${target}.`,
      ].join('\n'),
    );
  }
  const work = mkdtempSync(path.join(os.tmpdir(), 'runway-botocore-'));
  try {
    opts.log?.(`Fetching botocore ${BOTOCORE_VERSION} from PyPI for its ECS model (into ${path.dirname(target)})…`);
    runTool(python, ['-m', 'pip', 'download', `botocore==${BOTOCORE_VERSION}`, '--no-deps', '--only-binary', ':all:', '--dest', work, '--quiet'], `pip download botocore==${BOTOCORE_VERSION}`);
    const extracted = path.join(work, 'service-2.json');
    // A wheel is a zip; Python (which pip guarantees) reads it, Node has no unzip of its own.
    const script = [
      'import glob, gzip, sys, zipfile',
      `wheel = glob.glob(sys.argv[1] + '/botocore-*.whl')[0]`,
      'z = zipfile.ZipFile(wheel)',
      `names = set(z.namelist())`,
      `data = gzip.decompress(z.read('${MODEL_IN_WHEEL}.gz')) if '${MODEL_IN_WHEEL}.gz' in names else z.read('${MODEL_IN_WHEEL}')`,
      'open(sys.argv[2], "wb").write(data)',
    ].join('\n');
    runTool(python, ['-c', script, work, extracted], `extracting ${MODEL_IN_WHEEL} from the botocore wheel`);
    let bytes = readFileSync(extracted);
    if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes);
    const actual = sha256(bytes);
    if (actual !== ECS_MODEL_SHA256) {
      throw new Error(`botocore ${BOTOCORE_VERSION}'s ECS model has sha256 ${actual}, expected ${ECS_MODEL_SHA256}: refusing to use it.`);
    }
    mkdirSync(path.dirname(target), { recursive: true });
    const partial = `${target}.${process.pid}.partial`;
    writeFileSync(partial, bytes);
    renameSync(partial, target);
    return target;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The parsed model, hash-checked (also when it came from the cache). */
export function readEcsModelFile(file: string): unknown {
  const bytes = readFileSync(file);
  const actual = sha256(bytes);
  if (actual !== ECS_MODEL_SHA256) {
    throw new Error(`${file} has sha256 ${actual}, not botocore ${BOTOCORE_VERSION}'s ECS model (${ECS_MODEL_SHA256}); delete it to fetch it again.`);
  }
  return JSON.parse(bytes.toString('utf8')) as unknown;
}
