/**
 * A release through a `runway worker` that authenticates to GitHub as a GitHub App
 * (GITHUB_APP_ID / GITHUB_APP_PRIVATE_KEY_PATH / GITHUB_APP_INSTALLATION_ID, no GITHUB_TOKEN):
 * the sandbox's GitHub issues installation tokens for the App's JWT and every GitHub call the
 * release makes carries one. The private key is nowhere in the release's history or the worker's
 * output (at debug level). A worker whose key file is unreadable or not a key stops at once with
 * exit 2 and one line naming GITHUB_APP_PRIVATE_KEY_PATH.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { releaseId } from '../../src/domain/release-id';
import { untilStage } from '../support/approvals-rig';
import { runRunway } from '../support/runway-process';
import { randomSha } from '../support/sandbox-stack';
import { useSandboxWorker } from '../support/sandbox-worker';
import { testClient } from '../support/temporal';
import { releaseOutcome } from '../../src/release-client/outcome';

const APP_ID = '31337';
const INSTALLATION_ID = 90_210;
const dir = mkdtempSync(join(tmpdir(), 'runway-e2e-github-app-'));
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const privateKeyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
const keyPath = join(dir, 'runway-app.private-key.pem');
writeFileSync(keyPath, privateKeyPem, { mode: 0o600 });
/** Every line of the key's body: none may appear anywhere, in whole or in part. */
const keyLines = privateKeyPem.split('\n').filter((l) => l && !l.startsWith('-----'));

let client: Client;
let closeClient: () => Promise<void>;
/** The worker runs with the App's credentials in place of GITHUB_TOKEN, the key logged at debug level if at all. */
const current = useSandboxWorker({}, (stack) => {
  stack.sandbox.registerGitHubApp({ appId: APP_ID, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), installationId: INSTALLATION_ID });
  Object.assign(stack.env, {
    GITHUB_TOKEN: '',
    GITHUB_APP_ID: APP_ID,
    GITHUB_APP_PRIVATE_KEY_PATH: keyPath,
    GITHUB_APP_INSTALLATION_ID: String(INSTALLATION_ID),
    RUNWAY_LOG_LEVEL: 'debug',
  });
});

beforeAll(async () => {
  ({ client, close: closeClient } = await testClient());
});
afterAll(async () => closeClient());

describe('GitHub App authentication end to end', () => {
  it('releases with installation tokens only, and the key is in no history or log', async () => {
    const { stack, worker } = current;
    const version = randomSha();
    const id = releaseId('checkout', version);
    const start = await runRunway(['start', '--service', 'checkout', '--version', version, '--requested-by', 'ci'], stack.env);
    expect(start.code).toBe(0);
    const handle = client.workflow.getHandle(id);
    await untilStage(handle, 'awaiting-approval');
    expect((await runRunway(['approve', id, '--as', 'alice'], stack.env)).code).toBe(0);
    expect((await releaseOutcome(handle)).result).toBe('released');

    const auth = stack.sandbox.gitHubAuth();
    expect(auth.installationTokens.length).toBeGreaterThanOrEqual(1);
    expect(auth.installationTokens.every((t) => t.installationId === INSTALLATION_ID)).toBe(true);
    // The release's GitHub work (its build gate and both deployment records) all went with an installation token.
    const operations = auth.apiCalls.map((c) => c.operation);
    expect(operations.filter((o) => /^POST \/repos\/acme\/checkout\/deployments$/.test(o))).toHaveLength(2);
    expect(operations.some((o) => /\/check-runs$/.test(o))).toBe(true);
    expect(new Set(auth.apiCalls.map((c) => c.auth))).toEqual(new Set(['installation-token']));
    const tokenCalls = stack.sandbox.calls().github.filter((c) => c.operation === `POST /app/installations/${INSTALLATION_ID}/access_tokens`);
    expect(tokenCalls.map((c) => c.status)).toEqual(auth.installationTokens.map(() => 201));

    const history = JSON.stringify(await handle.fetchHistory());
    const decoded = Buffer.from(history).toString('utf8') + JSON.stringify(history.match(/"data":"([A-Za-z0-9+/=]+)"/g)?.map((d) => Buffer.from(d.slice(8, -1), 'base64').toString('utf8')));
    // Sanity: the decoded history holds the activities' payloads (the deployment records' repo).
    expect(decoded).toContain('acme/checkout');
    const everything = [decoded, worker!.output(), start.stdout, start.stderr, JSON.stringify(stack.sandbox.calls())].join('\n');
    expect(everything).not.toContain('PRIVATE KEY');
    for (const line of keyLines) expect(everything).not.toContain(line.slice(0, 32));
    expect(everything).not.toMatch(/ghs_[A-Za-z0-9]{36}/);
  });

  it('stops a worker whose key file is unreadable or not a key: exit 2, one line naming the variable', async () => {
    const missing = join(dir, 'nope.pem');
    const notAKey = join(dir, 'not-a-key.pem');
    writeFileSync(notAKey, '-----BEGIN RSA PRIVATE KEY-----\nbm90IGEga2V5\n-----END RSA PRIVATE KEY-----\n');
    for (const [path, message] of [
      [missing, `GITHUB_APP_PRIVATE_KEY_PATH: cannot read ${missing} (ENOENT): expected the GitHub App's private key file (.pem)`],
      [notAKey, `GITHUB_APP_PRIVATE_KEY_PATH: ${notAKey} is not a PEM private key (expected the .pem file GitHub generated for the App)`],
    ] as const) {
      const run = await runRunway(['worker'], { ...current.stack.env, GITHUB_APP_PRIVATE_KEY_PATH: path });
      expect(run.code).toBe(2);
      expect(run.stderr).toBe(`runway: ${message}\n`);
    }
  });
});
