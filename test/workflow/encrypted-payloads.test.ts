/**
 * Encrypted payloads on a real dev server (issue 19): a release runs with a worker and a client
 * that share the payload keys; what Temporal stores is ciphertext (the history read without the
 * key shows no input, image or result), the client with the key reads the outcome, the history
 * replays with the key and fails — naming the encoding — without it, and `runway codec-server`
 * lets the real `temporal` CLI show the history decoded (`--codec-endpoint`), refusing a caller
 * without the bearer token.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { approveUpdate } from '../../src/domain/release-api';
import { resolveTemporalCli } from '../../src/temporal/cli-binary';
import { startCodecServer } from '../../src/temporal/codec-server';
import { AesGcmPayloadCodec, ENCRYPTED_ENCODING } from '../../src/temporal/payload-codec';
import { createReleaseSlackHandOver } from '../../activities/release-slack-hand-over';
import { releaseSlackWorkflowId } from '../../src/slack/release-slack-api';
import { createFakeActivities } from '../support/fake-activities';
import { testNativeConnection, testTemporalAddress, uniqueId, useTestClient, workflowBundle } from '../support/temporal';
import { releaseInput, startReleaseWorkflow, untilStage } from '../support/workflow-runner';
import { releaseOutcome } from '../../src/release-client/outcome';

const run = promisify(execFile);
const temporal = useTestClient();
const codec = new AesGcmPayloadCodec([{ kid: 'test-key', key: randomBytes(32) }]);
const dataConverter = { payloadCodecs: [codec] };

describe('encrypted payloads', () => {
  it('stores ciphertext, reads it with the key, replays with it and not without, and decodes through the codec server', async () => {
    const taskQueue = uniqueId('enc');
    const client = new Client({ connection: temporal.client.connection, namespace: temporal.client.options.namespace, dataConverter });
    // The Slack messenger is started and handed items through the worker's own client, which has the keys (as `runway worker`'s does).
    const activities = { ...createFakeActivities({ laneFree: true }).activities, ...createReleaseSlackHandOver({ temporal: client }) };
    const worker = await Worker.create({ connection: await testNativeConnection(), taskQueue, workflowBundle: workflowBundle(), activities, dataConverter });
    const input = releaseInput();
    const { handle, outcome } = await worker.runUntil(async () => {
      const h = await startReleaseWorkflow(client, taskQueue, input);
      await untilStage(h, 'awaiting-approval');
      await h.executeUpdate(approveUpdate, { args: [{ by: 'alice', comment: 'encrypted lgtm' }] });
      return { handle: h, outcome: (await releaseOutcome(h)) };
    });
    expect(outcome).toMatchObject({ result: 'released', status: { image: input.image, approval: { comment: 'encrypted lgtm' } } });

    // Read without the key (the plain test client): every payload is sealed.
    const raw = await temporal.client.workflow.getHandle(handle.workflowId).fetchHistory();
    const started = raw.events![0].workflowExecutionStartedEventAttributes!;
    expect(Buffer.from(started.input!.payloads![0].metadata!.encoding!).toString()).toBe(ENCRYPTED_ENCODING);
    // Neither in clear nor base64 (how JSON shows bytes). The workflow id, which holds the version, and search attributes stay readable: Temporal indexes them.
    const rawText = JSON.stringify(raw);
    const found = (needle: string) => rawText.includes(needle) || rawText.includes(Buffer.from(needle).toString('base64').slice(0, 16));
    expect(['registry.local/checkout', 'encrypted lgtm', 'carol', 'alice'].filter(found)).toEqual([]);
    // The release's Slack messenger keeps the messages it was handed ("Approved by alice") sealed too.
    const messengerRaw = JSON.stringify(await temporal.client.workflow.getHandle(releaseSlackWorkflowId(handle.workflowId, (await handle.describe()).runId)).fetchHistory());
    expect(messengerRaw).toContain('releaseSlackHandOver');
    expect(['alice', 'carol', 'Approved by'].filter((needle) => messengerRaw.includes(needle) || messengerRaw.includes(Buffer.from(needle).toString('base64').slice(0, 8)))).toEqual([]);

    await expect(Worker.runReplayHistory({ workflowBundle: workflowBundle(), dataConverter }, raw, handle.workflowId)).resolves.toBeUndefined();
    await expect(Worker.runReplayHistory({ workflowBundle: workflowBundle() }, raw, handle.workflowId)).rejects.toThrow(/binary\/encrypted/);

    // The real temporal CLI through the codec server: decoded with it, sealed without.
    const server = await startCodecServer({ codec, host: '127.0.0.1', port: 0, origins: ['http://localhost:8233'], bearerToken: 'test-token' });
    try {
      const cli = await resolveTemporalCli({ log: () => undefined });
      const show = (...extra: string[]) =>
        run(cli, ['workflow', 'show', '--address', testTemporalAddress(), '--namespace', 'default', '--workflow-id', handle.workflowId, '--output', 'json', ...extra], { maxBuffer: 64 * 1024 * 1024 }).then((r) => r.stdout);
      /** The release's input as the CLI shows it: its encoding, and the value when it is JSON. */
      const inputShown = (json: string) => {
        const payload = (JSON.parse(json) as { events: { workflowExecutionStartedEventAttributes?: { input: { payloads: { metadata: { encoding: string }; data: string }[] } } }[] }).events[0]
          .workflowExecutionStartedEventAttributes!.input.payloads[0];
        const encoding = Buffer.from(payload.metadata.encoding, 'base64').toString();
        return { encoding, value: encoding === 'json/plain' ? (JSON.parse(Buffer.from(payload.data, 'base64').toString()) as { image?: string }) : undefined };
      };
      expect(inputShown(await show())).toEqual({ encoding: ENCRYPTED_ENCODING, value: undefined });
      const decoded = inputShown(await show('--codec-endpoint', `${server.url}/{namespace}`, '--codec-auth', 'Bearer test-token'));
      expect(decoded).toMatchObject({ encoding: 'json/plain', value: { image: input.image, requestedBy: 'carol' } });
      // Without the bearer token the server refuses, and the CLI shows nothing decoded.
      const refused = await fetch(`${server.url}/decode`, { method: 'POST', body: JSON.stringify({ payloads: [] }) });
      expect(refused.status).toBe(401);
      // CORS answers the Web UI's origin only.
      const preflight = await fetch(`${server.url}/decode`, { method: 'OPTIONS', headers: { origin: 'http://localhost:8233', 'access-control-request-method': 'POST' } });
      expect(preflight.headers.get('access-control-allow-origin')).toBe('http://localhost:8233');
      const stranger = await fetch(`${server.url}/decode`, { method: 'OPTIONS', headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' } });
      expect(stranger.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await server.close();
    }
  });
});
