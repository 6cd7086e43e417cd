/**
 * Release markers and webhooks in the release workflow, on a real dev server: Sentry's release
 * as staging begins, a deploy per environment once it runs the new version, finalized when
 * released; a webhook per event at its point, with a body that says what happened; a Sentry or
 * a receiver that fails never fails the release; a release configuring neither calls neither;
 * and with the real activities (Sentry client, signed deliveries, the sandbox as both) the token
 * and the secret appear nowhere in the release's history.
 */
import type { SentryDeployInput, SentryReleaseInput } from '../../activities/sentry';
import { createSentryActivities } from '../../activities/sentry';
import type { WebhookDeliveryInput } from '../../activities/webhook';
import { createWebhookActivities } from '../../activities/webhook';
import { approveUpdate } from '../../src/domain/release-api';
import { type Sandbox, type SentryReleaseRecord, startSandbox, type WebhookDelivery } from '../../src/sandbox';
import { createSentryClient } from '../../src/sdk-clients/sentry';
import { createFakeActivities } from '../support/fake-activities';
import { samplePlan } from '../support/sample-plan';
import { useTestClient } from '../support/temporal';
import { approveAndFinish, releaseInput, startReleaseWorkflow, untilStage, withWorker } from '../support/workflow-runner';
import { releaseOutcome } from '../../src/release-client/outcome';

const temporal = useTestClient();
type Fake = ReturnType<typeof createFakeActivities>;
const inputsOf = <T>(fake: Fake, name: string) => fake.calls.filter((c) => c.name === name).map((c) => c.input as T);
const indexOf = (fake: Fake, name: string, where: (input: never) => boolean = () => true) => fake.calls.findIndex((c) => c.name === name && where(c.input as never));

const SENTRY = { org: 'acme', project: 'checkout', repository: 'acme/checkout', versionPrefix: 'checkout@' };
const HOOKS = ['http://127.0.0.1:9/hooks/a', 'http://127.0.0.1:9/hooks/b'];
const withMarkers = (webhooks = HOOKS) => samplePlan({ sentry: SENTRY, webhooks, webUiUrl: 'http://ui.local' });

describe('release markers and webhooks', () => {
  it('marks each point of a release that goes all the way', async () => {
    const fake = createFakeActivities();
    const outcome = await approveAndFinish(temporal.client, fake.activities, withMarkers());
    expect(outcome.result).toBe('released');
    const version = outcome.status.version;

    // Sentry: the release as staging begins, with its commit; deploys once each environment runs it.
    const [created] = inputsOf<SentryReleaseInput>(fake, 'createSentryRelease');
    expect(inputsOf(fake, 'createSentryRelease')).toHaveLength(1);
    expect(created).toEqual({ ...SENTRY, versionPrefix: undefined, version: `checkout@${version}`, commit: version, url: expect.stringContaining('http://ui.local/namespaces/') });
    const deploys = inputsOf<SentryDeployInput>(fake, 'recordSentryDeploy');
    expect(deploys.map((d) => d.environment)).toEqual(['staging', 'production']);
    expect(new Set(deploys.map((d) => d.name)).size).toBe(1);
    for (const d of deploys) expect(d.dateStarted <= d.dateFinished).toBe(true);
    const stagingWait = indexOf(fake, 'waitForDeployment', (i: { cluster: string }) => i.cluster === 'staging');
    expect(indexOf(fake, 'recordSentryDeploy', (i: SentryDeployInput) => i.environment === 'staging')).toBeGreaterThan(stagingWait);
    // Production runs it once the promotion's deployment wait, the last of production's, is over. (Not
    // after GitHub's success record: records are handed to the writer in the background, so the
    // marker and the record go out in either order.)
    const productionWaits = fake.calls.flatMap((c, i) => (c.name === 'waitForDeployment' && (c.input as { cluster: string }).cluster === 'production' ? [i] : []));
    expect(productionWaits.length).toBeGreaterThan(0);
    expect(indexOf(fake, 'recordSentryDeploy', (i: SentryDeployInput) => i.environment === 'production')).toBeGreaterThan(productionWaits.at(-1)!);
    // Finalized, dated when production took the new version.
    expect(inputsOf(fake, 'finalizeSentryRelease')).toEqual([{ org: 'acme', version: `checkout@${version}`, dateReleased: deploys[1]!.dateFinished, release: created }]);
    // Each later call carries the release to make sure of (it may not have been created yet, or not at all).
    for (const d of deploys) expect(d.release).toEqual(created);

    // Webhooks: each event once to each receiver, with the same body (deliveries run in the
    // background, so two close together may start in either order).
    const deliveries = inputsOf<WebhookDeliveryInput>(fake, 'deliverWebhook');
    const events = ['release.started', 'release.approved', 'release.in-production', 'release.released'];
    for (const url of HOOKS) expect(deliveries.filter((d) => d.url === url).map((d) => d.payload.event).sort()).toEqual([...events].sort());
    const byEvent = Object.fromEntries(deliveries.filter((d) => d.url === HOOKS[0]).map((d) => [d.payload.event, d.payload]));
    expect(new Set(deliveries.map((d) => d.payload.id)).size).toBe(events.length);
    expect(byEvent['release.started']).toMatchObject({ stage: 'building', release: { id: outcome.releaseId, service: 'checkout', version, requestedBy: 'carol' } });
    expect(byEvent['release.started']!.result).toBeUndefined();
    expect(byEvent['release.approved']).toMatchObject({ approvedBy: ['alice'] });
    expect(indexOf(fake, 'deliverWebhook', (i: WebhookDeliveryInput) => i.payload.event === 'release.approved')).toBeGreaterThan(indexOf(fake, 'runSmokeTest'));
    expect(byEvent['release.in-production']).toMatchObject({ stage: 'promoting', analysis: { canary: { step: 4, weight: 100, last: { verdict: 'pass' } } } });
    expect(byEvent['release.released']).toMatchObject({ stage: 'released', result: 'released' });
    expect(byEvent['release.released']!.id).toBe(`${byEvent['release.released']!.release.runId}:release.released`);
  });

  it('announces a rollback with its reason, and leaves the Sentry release unfinalized', async () => {
    const fake = createFakeActivities({ smokeFails: true });
    await withWorker(fake.activities, async (taskQueue) => {
      const handle = await startReleaseWorkflow(temporal.client, taskQueue, releaseInput(withMarkers([HOOKS[0]!])));
      const outcome = await releaseOutcome(handle);
      expect(outcome.result).toBe('rolled-back');
      const payloads = inputsOf<WebhookDeliveryInput>(fake, 'deliverWebhook').map((d) => d.payload);
      expect(payloads.map((p) => p.event)).toEqual(['release.started', 'release.rolled-back']);
      expect(payloads[1]).toMatchObject({ stage: 'rolled-back', result: 'rolled-back', reason: expect.stringContaining('smoke check 1/2') });
      expect(inputsOf<SentryDeployInput>(fake, 'recordSentryDeploy').map((d) => d.environment)).toEqual(['staging']);
      expect(inputsOf(fake, 'finalizeSentryRelease')).toEqual([]);
    });
  });

  it('never fails or holds up a release when Sentry and every receiver fail', async () => {
    const fake = createFakeActivities({ markersFail: true });
    const outcome = await approveAndFinish(temporal.client, fake.activities, withMarkers());
    expect(outcome.result).toBe('released');
    const messages = outcome.status.history.map((e) => e.message);
    expect(messages).toContain('creating the Sentry release failed (release continues): Sentry answered 503');
    expect(messages).toContain('delivering release.started to webhook 1 of 2 failed (release continues): the receiver answered 500');
    expect(messages.filter((m) => m.startsWith('delivering ') && m.includes('failed (release continues)'))).toHaveLength(8);
    // Each later Sentry call makes sure of the release itself (Sentry may be back by then): tried, and recorded as failed.
    expect(messages).toContain('recording the Sentry staging deploy failed (release continues): Sentry answered 503');
    expect(messages).toContain('recording the Sentry production deploy failed (release continues): Sentry answered 503');
    expect(messages).toContain('finalizing the Sentry release failed (release continues): Sentry answered 503');
  });

  it('records the staging deploy when staging runs the new version, not when the Sentry release’s creation completes', async () => {
    // Sentry creates the release slowly: until the staging deploy is asked for, or 5 s at most.
    let deployAsked: () => void = () => undefined;
    const asked = new Promise<void>((resolve) => (deployAsked = resolve));
    const fake = createFakeActivities();
    const activities = {
      ...fake.activities,
      createSentryRelease: async (input: SentryReleaseInput) => {
        await Promise.race([asked, new Promise((resolve) => setTimeout(resolve, 5000))]);
        return fake.activities.createSentryRelease(input);
      },
      recordSentryDeploy: async (input: SentryDeployInput) => {
        deployAsked();
        return fake.activities.recordSentryDeploy(input);
      },
    };
    const events = await withWorker(activities, async (taskQueue) => {
      const handle = await startReleaseWorkflow(temporal.client, taskQueue, releaseInput(withMarkers([])));
      await untilStage(handle, 'awaiting-approval');
      await handle.executeUpdate(approveUpdate, { args: [{ by: 'alice' }] });
      expect((await releaseOutcome(handle)).result).toBe('released');
      return (await handle.fetchHistory()).events ?? [];
    });
    const nameOf = new Map(events.flatMap((e) => (e.activityTaskScheduledEventAttributes ? [[String(e.eventId), e.activityTaskScheduledEventAttributes.activityType?.name]] : [])));
    const scheduledAt = (name: string) => events.findIndex((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === name);
    const completedAt = (name: string) => events.findIndex((e) => e.activityTaskCompletedEventAttributes && nameOf.get(String(e.activityTaskCompletedEventAttributes.scheduledEventId)) === name);
    // A command in reaction to a background completion can be ordered differently by a worker
    // rebuilding the release for a query than by a replay: the deploy comes from the main flow.
    expect(scheduledAt('recordSentryDeploy')).toBeGreaterThan(0);
    expect(scheduledAt('recordSentryDeploy')).toBeLessThan(completedAt('createSentryRelease'));
    const [stagingDeploy] = inputsOf<SentryDeployInput>(fake, 'recordSentryDeploy');
    expect(stagingDeploy).toMatchObject({ environment: 'staging', release: { org: 'acme', project: 'checkout', version: expect.stringMatching(/^checkout@/) } });
  });

  it('calls neither Sentry nor any webhook when the service configures none', async () => {
    const fake = createFakeActivities();
    const outcome = await approveAndFinish(temporal.client, fake.activities, samplePlan());
    expect(outcome.result).toBe('released');
    expect(fake.names().filter((n) => /Sentry|Webhook/.test(n))).toEqual([]);
  });
});

/** The history as JSON (payloads base64, as the CLI prints them) followed by every payload decoded, so a secret in any of them shows. */
function historyText(history: unknown): string {
  const json = JSON.stringify(history);
  const decoded = [...json.matchAll(/"data":"([A-Za-z0-9+/=]+)"/g)].map((m) => Buffer.from(m[1]!, 'base64').toString('utf8'));
  return [json, ...decoded].join('\n');
}

describe('with the real marker activities, against the sandbox', () => {
  const TOKEN = 'sntrys_never-in-a-history-5e1f';
  const SECRET = 'whsec-never-in-a-history-9c2d';
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, services: [], webhookSecret: SECRET });
  });
  afterAll(async () => sandbox.close());

  it('records the release in Sentry and delivers signed events, and the token and the secret are nowhere in the history', async () => {
    const fake = createFakeActivities();
    const activities = {
      ...fake.activities,
      ...createSentryActivities({ sentry: createSentryClient({ SENTRY_AUTH_TOKEN: TOKEN, SENTRY_URL: `${sandbox.url}/sentry` }) }),
      ...createWebhookActivities({ secret: SECRET }),
    };
    const plan = samplePlan({ sentry: SENTRY, webhooks: [`${sandbox.url}/webhooks/ops`] });
    const { releaseId, history } = await withWorker(activities, async (taskQueue) => {
      const handle = await startReleaseWorkflow(temporal.client, taskQueue, releaseInput(plan));
      await untilStage(handle, 'awaiting-approval');
      await handle.executeUpdate(approveUpdate, { args: [{ by: 'alice' }] });
      const outcome = await releaseOutcome(handle);
      expect(outcome.result).toBe('released');
      return { releaseId: outcome.releaseId, history: historyText(await handle.fetchHistory()) };
    });

    const state = sandbox.state() as { sentry: { releases: SentryReleaseRecord[] }; webhooks: { deliveries: WebhookDelivery[] } };
    const version = releaseId.replace('release-checkout-', '');
    const sentryRelease = state.sentry.releases.find((r) => r.version === `checkout@${version}`);
    expect(sentryRelease).toMatchObject({ projects: ['checkout'], deploys: [{ environment: 'staging' }, { environment: 'production' }] });
    expect(sentryRelease!.dateReleased).toBe(sentryRelease!.deploys[1]!.dateFinished);
    const received = state.webhooks.deliveries.filter((d) => (d.body as { release: { id: string } }).release.id === releaseId);
    expect(Object.fromEntries(received.map((d) => [d.event, d.accepted]))).toEqual({
      'release.started': 1,
      'release.approved': 1,
      'release.in-production': 1,
      'release.released': 1,
    });
    expect(sandbox.calls().webhook.every((c) => (c.request as { signature: string }).signature === 'valid')).toBe(true);

    // Payloads decoded: the bodies the workflow handed the activities are readable here.
    expect(history).toContain('"event":"release.approved"');
    expect(history).toContain('deliverWebhook');
    expect(history).toContain('createSentryRelease');
    expect(history).not.toContain(TOKEN);
    expect(history).not.toContain(SECRET);
  });
});
