/**
 * `node --import tsx scripts/ensure-ecs-tools.ts` (run by .ci/run): puts the ECS checks' tools
 * from PyPI into the per-user cache before the tests need them — botocore's ECS service model
 * (test/support/ecs-model-source.ts) and moto's ECS server (test/support/moto-server.ts). Prints
 * where they are; fails, saying what to install, when Python 3 with pip is missing.
 */
import { BOTOCORE_VERSION, ensureEcsModel } from '../test/support/ecs-model-source';
import { ensureMoto, MOTO_VERSION } from '../test/support/moto-server';

try {
  const log = (line: string) => process.stderr.write(`${line}\n`);
  process.stdout.write(`ECS API model (botocore ${BOTOCORE_VERSION}): ${ensureEcsModel({ log })}\n`);
  process.stdout.write(`moto ${MOTO_VERSION}: ${ensureMoto({ log })}\n`);
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
