/**
 * GitHub App authentication through the production client against the sandbox's GitHub: the
 * client signs a JWT with the App's key (an RSA pair made here), the emulator checks it against the
 * App's registered public key and issues an installation token, and every API call then carries
 * that token. After the hour the emulator refuses the old token (401) and the client has already
 * made a new one. The key never shows in an error. Exchanges are checked against GitHub's OpenAPI
 * description (checkGitHubCallsAfterEach), the token endpoint too.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Octokit } from '@octokit/rest';
import { gitHubFailure } from '../../activities/github-errors';
import { EnvError } from '../../src/config/env';
import { createGitHubClient, readGitHubAppKey } from '../../src/sdk-clients/github';
import { type Sandbox, startSandbox } from '../../src/sandbox';
import { checkGitHubCallsAfterEach } from '../support/github-openapi';

const APP_ID = '424242';
const INSTALLATION_ID = 7_000_001;
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const dir = mkdtempSync(join(tmpdir(), 'runway-github-app-'));

/** A GitHub App's key pair as GitHub hands it out: PKCS#1 PEM ("BEGIN RSA PRIVATE KEY"). */
function appKeyPair(name: string): { privateKeyPem: string; publicKeyPem: string; path: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateKeyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const path = join(dir, `${name}.pem`);
  writeFileSync(path, privateKeyPem, { mode: 0o600 });
  return { privateKeyPem, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), path };
}

const key = appKeyPair('app');
/** The body of the PEM, without its armour: what must never leak, in part or whole. */
const keyBody = key.privateKeyPem.split('\n').filter((l) => l && !l.startsWith('-----')).join('');

let sandbox: Sandbox;
beforeEach(async () => {
  sandbox = await startSandbox({ port: 0, services: [], recordExchanges: true });
  sandbox.registerGitHubApp({ appId: APP_ID, publicKeyPem: key.publicKeyPem, installationId: INSTALLATION_ID });
});
afterEach(async () => {
  jest.useRealTimers();
  await sandbox.close();
});
checkGitHubCallsAfterEach(() => sandbox);

function appClient(privateKeyPath = key.path) {
  return createGitHubClient(
    { GITHUB_TOKEN: undefined, GITHUB_API_URL: `${sandbox.url}/github`, GITHUB_APP_ID: APP_ID, GITHUB_APP_PRIVATE_KEY_PATH: privateKeyPath, GITHUB_APP_INSTALLATION_ID: INSTALLATION_ID },
    { retries: 0, log: quiet },
  );
}

const TOKEN_CALL = `POST /app/installations/${INSTALLATION_ID}/access_tokens`;
const listChecks = (github: ReturnType<typeof appClient>) => github.rest.checks.listForRef({ owner: 'acme', repo: 'checkout', ref: 'c'.repeat(40) });

describe('GitHub App authentication', () => {
  it('exchanges a signed JWT for an installation token and sends every call with it', async () => {
    const github = appClient();
    await listChecks(github);
    await github.rest.repos.listDeployments({ owner: 'acme', repo: 'checkout' });
    const auth = sandbox.gitHubAuth();
    expect(auth.installationTokens).toEqual([expect.objectContaining({ number: 1, installationId: INSTALLATION_ID })]);
    expect(auth.apiCalls.map((c) => [c.auth, c.tokenNumber])).toEqual([
      ['installation-token', 1],
      ['installation-token', 1],
    ]);
    expect(sandbox.calls().github.filter((c) => c.operation === TOKEN_CALL).map((c) => c.status)).toEqual([201]);
    // Neither the key nor the JWT is recorded anywhere the sandbox keeps.
    expect(JSON.stringify(sandbox.calls())).not.toContain(keyBody.slice(0, 64));
    expect(JSON.stringify(sandbox.gitHubAuth())).not.toContain('ghs_');
  });

  it('is refused for a JWT signed with another key, and the error holds no part of the key', async () => {
    const other = appKeyPair('other');
    const github = appClient(other.path);
    const err = (await listChecks(github).catch((e: unknown) => e)) as Error & { status?: number };
    expect(err.status).toBe(401);
    expect(sandbox.calls().github.map((c) => [c.operation, c.status])).toEqual([[TOKEN_CALL, 401]]);
    // The activity's failure names the App, not GITHUB_TOKEN, which this worker does not have.
    const failure = gitHubFailure(err, { action: 'reading CI checks', repo: 'acme/checkout', permission: 'checks: read' });
    expect(failure.message).toBe(
      `reading CI checks in acme/checkout: GitHub App ${APP_ID} (installation ${INSTALLATION_ID}) was refused (bad or expired credentials); GitHub said 401: A JSON web token could not be decoded - https://docs.github.com/rest`,
    );
    expect(failure.nonRetryable).toBe(true);
    const otherBody = other.privateKeyPem.split('\n')[1]!;
    const text = JSON.stringify({ ...err, message: err.message, stack: err.stack });
    expect(text).not.toContain(otherBody);
    expect(text).not.toContain('PRIVATE KEY');
  });

  it('stops at start on an unreadable or invalid key file, naming the variable and never the key', () => {
    expect(() => readGitHubAppKey(join(dir, 'missing.pem'))).toThrow(new EnvError(`GITHUB_APP_PRIVATE_KEY_PATH: cannot read ${join(dir, 'missing.pem')} (ENOENT): expected the GitHub App's private key file (.pem)`));
    // A key cut short: PEM armour, but no key.
    const broken = join(dir, 'broken.pem');
    const lines = key.privateKeyPem.trim().split('\n');
    writeFileSync(broken, [...lines.slice(0, 10), lines.at(-1)].join('\n'));
    const refused = (() => {
      try {
        readGitHubAppKey(broken);
      } catch (err) {
        return err as Error;
      }
      return undefined;
    })();
    expect(refused).toBeInstanceOf(EnvError);
    expect(refused!.message).toBe(`GITHUB_APP_PRIVATE_KEY_PATH: ${broken} is not a PEM private key (expected the .pem file GitHub generated for the App)`);
    const { publicKeyPem } = key;
    const notPrivate = join(dir, 'public.pem');
    writeFileSync(notPrivate, publicKeyPem);
    expect(() => readGitHubAppKey(notPrivate)).toThrow(/^GITHUB_APP_PRIVATE_KEY_PATH: .*public\.pem is not a PEM private key/);
    const ec = join(dir, 'ec.pem');
    writeFileSync(ec, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
    expect(() => readGitHubAppKey(ec)).toThrow(/^GITHUB_APP_PRIVATE_KEY_PATH: .*ec\.pem holds ec key; a GitHub App's key is RSA$/);
    expect(() => appClient(join(dir, 'missing.pem'))).toThrow(EnvError);
  });

  it('makes a new installation token when the hour is up; the emulator refuses the old one', async () => {
    const github = appClient();
    await listChecks(github);
    const { token: first } = (await (github as Octokit).auth({ type: 'installation' })) as { token: string };
    expect(first).toMatch(/^ghs_/);
    // Only the clock moves: GitHub's tokens last an hour, the library keeps one for 59 minutes.
    // (Last in this file: the throttling plugin's process-wide pacing remembers the moved clock.)
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'clearImmediate', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'queueMicrotask', 'hrtime', 'performance'] });
    jest.setSystemTime(Date.now() + 61 * 60_000);
    const stale = await fetch(`${sandbox.url}/github/repos/acme/checkout/deployments`, { headers: { authorization: `token ${first}` } });
    expect([stale.status, ((await stale.json()) as { message: string }).message]).toEqual([401, 'Bad credentials']);

    await listChecks(github);
    const auth = sandbox.gitHubAuth();
    expect(auth.installationTokens.map((t) => t.number)).toEqual([1, 2]);
    expect(auth.apiCalls.map((c) => [c.auth, c.tokenNumber])).toEqual([
      ['installation-token', 1],
      ['expired-installation-token', 1],
      ['installation-token', 2],
    ]);
  });
});
