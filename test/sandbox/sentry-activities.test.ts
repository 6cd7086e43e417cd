/**
 * The Sentry marker activities through the production client (src/sdk-clients/sentry.ts) against
 * the sandbox's Sentry emulator: the requests Sentry's API takes, one release and one deploy per
 * environment however often a call is retried (also when Sentry took a call and its answer was
 * lost), a finalize that is harmless to repeat, and the retry decision on each failure.
 */
import { ApplicationFailure } from '@temporalio/common';
import { createSentryActivities } from '../../activities/sentry';
import { type Sandbox, type SentryReleaseRecord, startSandbox } from '../../src/sandbox';
import { createSentryClient } from '../../src/sdk-clients/sentry';
import { failureOf } from '../support/activity-env';

const TOKEN = 'sntrys_activities-test-token';
const SHA = 'a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2';
let sandbox: Sandbox;
let acts: ReturnType<typeof createSentryActivities>;

beforeEach(async () => {
  sandbox = await startSandbox({ port: 0, services: [] });
  acts = createSentryActivities({ sentry: createSentryClient({ SENTRY_AUTH_TOKEN: TOKEN, SENTRY_URL: `${sandbox.url}/sentry/` }) });
});
afterEach(async () => sandbox.close());

const releases = () => (sandbox.state() as { sentry: { releases: SentryReleaseRecord[] } }).sentry.releases;
const calls = (operation: string) => sandbox.calls().sentry.filter((c) => c.operation.startsWith(operation));
const release = { org: 'acme', project: 'checkout', version: `checkout@${SHA}`, repository: 'acme/checkout', commit: SHA, url: 'http://ui/run' };

describe('createSentryRelease', () => {
  it('creates the release for the project with the commit as a ref, as Sentry takes it', async () => {
    await expect(acts.createSentryRelease(release)).resolves.toEqual({ version: release.version, commits: 'refs' });
    const [call] = calls('POST /api/0/organizations/acme/releases/');
    expect(call!.request).toEqual({ version: release.version, projects: ['checkout'], ref: SHA, url: 'http://ui/run', refs: [{ repository: 'acme/checkout', commit: SHA }] });
    expect(call!.status).toBe(201);
    expect(releases()).toEqual([expect.objectContaining({ org: 'acme', version: release.version, projects: ['checkout'], dateReleased: null, commits: [{ id: SHA, repository: 'acme/checkout' }] })]);
  });

  it('is not created twice when retried, also after Sentry took the call and the answer was lost', async () => {
    sandbox.setScenario({ sentry: { failNext: [{ operation: 'createRelease', status: 'lost_response' }] } });
    const lost = await failureOf(acts.createSentryRelease(release));
    expect(lost.nonRetryable).toBe(false);
    expect(releases()).toHaveLength(1);
    await acts.createSentryRelease(release);
    await acts.createSentryRelease(release);
    expect(releases()).toHaveLength(1);
    expect(calls('POST').map((c) => c.status)).toEqual([504, 208, 208]);
  });

  it('sends the commit as commit data when Sentry has no integration for the repository', async () => {
    sandbox.setScenario({ sentry: { repositories: ['acme/other'] } });
    await expect(acts.createSentryRelease(release)).resolves.toEqual({ version: release.version, commits: 'commit data' });
    expect(calls('POST').map((c) => [c.status, (c.request as { refs?: unknown; commits?: unknown }).refs ? 'refs' : 'commits'])).toEqual([
      [400, 'refs'],
      [208, 'commits'],
    ]);
    expect(releases()).toEqual([expect.objectContaining({ commits: [{ id: SHA, repository: 'acme/checkout' }], refs: [] })]);
  });
});

describe('recordSentryDeploy', () => {
  const deploy = { org: 'acme', version: release.version, environment: 'staging', name: 'runway run-1', dateStarted: '2026-01-01T00:00:00.000Z', dateFinished: '2026-01-01T00:01:00.000Z' };

  it('records the environment deploy with its dates, once however often it is retried', async () => {
    await acts.createSentryRelease(release);
    sandbox.setScenario({ sentry: { failNext: [{ operation: 'createDeploy', status: 'lost_response' }] } });
    expect((await failureOf(acts.recordSentryDeploy(deploy))).nonRetryable).toBe(false);
    const retried = await acts.recordSentryDeploy(deploy);
    expect(retried.created).toBe(false);
    await acts.recordSentryDeploy({ ...deploy, environment: 'production' });
    expect(releases()[0]!.deploys).toEqual([
      { id: expect.any(String), environment: 'staging', name: 'runway run-1', url: null, dateStarted: deploy.dateStarted, dateFinished: deploy.dateFinished },
      expect.objectContaining({ environment: 'production', name: 'runway run-1' }),
    ]);
    expect(calls('POST /api/0/organizations/acme/releases/checkout%40')[0]!.request).toEqual({
      environment: 'staging',
      name: 'runway run-1',
      dateStarted: deploy.dateStarted,
      dateFinished: deploy.dateFinished,
    });
  });

  it('fails without retrying when the release does not exist', async () => {
    const failure = await failureOf(acts.recordSentryDeploy(deploy));
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain('Sentry answered 404');
  });

  it('carrying the release, creates it first when Sentry does not have it, and leaves an existing one as it is', async () => {
    // The release's creation at staging's start had not happened (or failed): the deploy makes sure of it.
    await acts.recordSentryDeploy({ ...deploy, release });
    expect(releases()).toEqual([expect.objectContaining({ version: release.version, commits: [{ id: SHA, repository: 'acme/checkout' }], deploys: [expect.objectContaining({ environment: 'staging' })] })]);
    // It exists now: the next one only looks (no second POST of the release, whose commits Sentry would set again).
    await acts.recordSentryDeploy({ ...deploy, environment: 'production', release });
    expect(sandbox.calls().sentry.filter((c) => c.operation === 'POST /api/0/organizations/acme/releases/')).toHaveLength(1);
    expect(calls('GET /api/0/organizations/acme/releases/checkout%40').map((c) => c.status)).toEqual(expect.arrayContaining([404, 200]));
    expect(releases()[0]!.deploys.map((d) => d.environment)).toEqual(['staging', 'production']);
  });
});

describe('finalizeSentryRelease', () => {
  it('sets the release date once; a retry or a later finalize keeps it', async () => {
    await acts.createSentryRelease(release);
    const dateReleased = '2026-01-01T00:05:00.000Z';
    await expect(acts.finalizeSentryRelease({ org: 'acme', version: release.version, dateReleased })).resolves.toEqual({ finalized: true, dateReleased });
    expect(calls('PUT')[0]!.request).toEqual({ dateReleased });
    await expect(acts.finalizeSentryRelease({ org: 'acme', version: release.version, dateReleased: '2026-01-02T00:00:00.000Z' })).resolves.toEqual({ finalized: false, dateReleased });
    expect(calls('PUT')).toHaveLength(1);
    expect(releases()[0]!.dateReleased).toBe(dateReleased);
  });

  it('carrying the release, finalizes one Sentry never got (it was down at every earlier call)', async () => {
    const dateReleased = '2026-01-01T00:05:00.000Z';
    await expect(acts.finalizeSentryRelease({ org: 'acme', version: release.version, dateReleased, release })).resolves.toEqual({ finalized: true, dateReleased });
    expect(releases()).toEqual([expect.objectContaining({ version: release.version, dateReleased })]);
  });
});

describe('failures', () => {
  it('retries an outage and a rate limit (after the wait Sentry asks for), never a refused token', async () => {
    sandbox.setScenario({ sentry: { failNext: [{ operation: 'createRelease', status: 503 }, { operation: 'createRelease', status: 429, retryAfter: 7 }] } });
    const down = await failureOf(acts.createSentryRelease(release));
    expect([down.nonRetryable, down.type]).toEqual([false, 'SentryUnavailable']);
    const limited = await failureOf(acts.createSentryRelease(release));
    expect([limited.nonRetryable, limited.type, limited.nextRetryDelay]).toEqual([false, 'SentryRateLimited', 7000]);

    const noToken = createSentryActivities({ sentry: createSentryClient({ SENTRY_URL: `${sandbox.url}/sentry` }) });
    const notConfigured = await failureOf(noToken.createSentryRelease(release));
    expect([notConfigured.nonRetryable, notConfigured.message]).toEqual([true, 'Sentry is not configured on the worker (set SENTRY_AUTH_TOKEN)']);
  });

  it('says what to fix when Sentry refuses the request, and never shows the token', async () => {
    const failure = await failureOf(acts.createSentryRelease({ ...release, version: 'bad/version' }));
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toMatch(/Sentry answered 400: version: Release with name bad\/version is not allowed/);
    expect(JSON.stringify(sandbox.calls().sentry)).not.toContain(TOKEN);
  });
});
