/**
 * `runway approvals` in Socket Mode, as an operator runs it: SLACK_APP_TOKEN and no signing
 * secret; it opens the WebSocket at the sandbox's Slack, says so, is healthy while connected,
 * takes (and acks) envelopes, and refuses a token of the wrong kind before starting anything
 * (exit 2, one line naming the variable and the kind, never the token).
 */
import path from 'node:path';
import { type Sandbox, startSandbox } from '../../src/sandbox';
import { type RunwayProcess, runRunway, spawnRunway } from '../support/runway-process';
import { testTemporalAddress } from '../support/temporal';

const CONFIG = path.join(__dirname, '../../runway.config.yaml');
const APP_TOKEN = 'xapp-1-A0SANDBOX-e2e-socket-9d3b';
const LISTENING = /listening on (http:\/\/127\.0\.0\.1:\d+)/;

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, services: [] });
});
afterAll(async () => sandbox.close());

const env = (token: string) => ({
  RUNWAY_CONFIG: CONFIG,
  TEMPORAL_ADDRESS: testTemporalAddress(),
  SLACK_APP_TOKEN: token,
  SLACK_SIGNING_SECRET: '',
  SLACK_API_URL: `${sandbox.url}/slack/api/`,
});

async function stop(p: RunwayProcess): Promise<{ code: number | null; output: string }> {
  const closed = new Promise<number | null>((resolve) => p.child.once('close', (code) => resolve(code)));
  p.child.kill('SIGTERM');
  const code = await closed;
  return { code, output: p.output() };
}

describe('runway approvals with SLACK_APP_TOKEN', () => {
  it('connects over Socket Mode without a signing secret, is healthy while connected, and takes envelopes', async () => {
    const approvals = spawnRunway(['approvals', '--port', '0'], env(APP_TOKEN));
    await approvals.waitFor(/Socket Mode \(connected/);
    const url = LISTENING.exec(approvals.output())![1]!;
    expect(approvals.output()).not.toMatch(/Slack request URL/);
    const health = await fetch(`${url}/healthz`);
    expect([health.status, await health.json()]).toEqual([200, { ok: true, socketMode: 'connected' }]);
    expect(sandbox.socketMode().connections).toBe(1);

    const envelope = await sandbox.sendSocketEnvelope({ type: 'view_submission' });
    expect(envelope.ackedAt).toEqual(expect.any(String));
    await approvals.waitFor(new RegExp(`approvals: refused Socket Mode envelope ${envelope.envelopeId} → 400: unsupported payload: type`));

    const { code, output } = await stop(approvals);
    expect(code).toBe(0);
    expect(output).not.toContain(APP_TOKEN);
    expect(sandbox.socketMode().connections).toBe(0);
  });

  it('refuses a token of the wrong kind at start: exit 2, naming the variable and the kind', async () => {
    const botToken = 'xoxb-1-not-an-app-token-77aa';
    const result = await runRunway(['approvals', '--port', '0'], env(botToken));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^runway: .*SLACK_APP_TOKEN.*a bot token/);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr + result.stdout).not.toContain(botToken);
  });
});
