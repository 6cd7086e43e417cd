/**
 * Encrypted payloads end to end (issue 19): a `runway worker` process and the `runway` CLI with
 * the same RUNWAY_PAYLOAD_KEYS run a release to production — started with `--wait`, approved
 * with `runway approve` — while a CLI without the keys is told, naming the variables, that it
 * cannot read the release (exit 2).
 */
import { randomBytes } from 'node:crypto';
import { releaseId } from '../../src/domain/release-id';
import { runRunway, spawnRunway } from '../support/runway-process';
import { randomSha } from '../support/sandbox-stack';
import { untilRelease, useCrashRig, WorkerFleet } from '../support/worker-fleet';
import { Client } from '@temporalio/client';
import { AesGcmPayloadCodec } from '../../src/temporal/payload-codec';

jest.setTimeout(180_000);

const rig = useCrashRig({ bake: '1s' });
const key = randomBytes(32);

it('runs a release with encrypted payloads through the worker and the CLI; a CLI without the key is told why it cannot read it', async () => {
  const env = { ...rig.stack.env, RUNWAY_PAYLOAD_KEYS: `e2e=${key.toString('base64')}` };
  const fleet = new WorkerFleet(env);
  try {
    await fleet.start();
    const version = randomSha();
    const id = releaseId('checkout', version);
    const started = spawnRunway(['start', '--service', 'checkout', '--version', version, '--wait'], env);
    // The test's own client reads the release with the same key.
    const client = new Client({ connection: rig.client.connection, namespace: rig.client.options.namespace, dataConverter: { payloadCodecs: [new AesGcmPayloadCodec([{ kid: 'e2e', key }])] } });
    await untilRelease(client, id, (s) => s.stage === 'awaiting-approval');

    const keyless = await runRunway(['status', id], rig.stack.env);
    expect(keyless.code).toBe(2);
    expect(keyless.stderr).toContain("the release's payloads are encrypted and this process has no payload keys: set RUNWAY_PAYLOAD_KEYS or RUNWAY_PAYLOAD_KEY_FILE");

    expect(await runRunway(['approve', id, '--as', 'alice'], env)).toMatchObject({ code: 0 });
    const done = await started.exited;
    expect(done.code).toBe(0);
    const history = JSON.stringify(await rig.client.workflow.getHandle(id).fetchHistory());
    expect(history).not.toContain('dkr.ecr');
    expect(history).toContain(Buffer.from('binary/encrypted').toString('base64'));
  } finally {
    await fleet.killAll();
  }
});
