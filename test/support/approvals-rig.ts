/**
 * Everything an approvals test needs, real except the deploy side: the run's Temporal dev
 * server, a worker with fake ECS/GitHub activities but the real Slack activities talking to the
 * sandbox (so the release message and its buttons really exist), the sandbox as Slack, and the
 * approvals server on a free port. The server gets its own Temporal client, whose getHandle is
 * spied on: a request that must not reach a workflow must not even look one up.
 */
import { WebClient } from '@slack/web-api';
import { Context } from '@temporalio/activity';
import { Client, type WorkflowHandle, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { createSlackActivities } from '../../activities/slack';
import type { DecisionProofKeys } from '../../activities/decision-proof';
import type { DecisionHmacKey } from '../../src/release-client/decision-signing';
import { type ApprovalsServer, startApprovalsServer, UserGroupMembership } from '../../src/approvals';
import type { ReleaseInput, ReleasePlan, ReleaseStatus } from '../../src/domain/release';
import { releaseId } from '../../src/domain/release-id';
import { approveUpdate, type ApproveRequest, serviceSearchAttribute, stageSearchAttribute, statusQuery, versionSearchAttribute } from '../../src/domain/release-api';
import { type ClickRequest, type Sandbox, signedInteraction, type SlackMessage, startSandbox } from '../../src/sandbox';
import { CANARY_RESUME_ACTION_ID } from '../../src/shared/slack-button-value';
import { testClient, testNativeConnection, uniqueId, workflowBundle } from './temporal';
import { bakeLikeTheRealWindow, createFakeActivities } from './fake-activities';
import { samplePlan } from './sample-plan';
import { until } from './poll';

export const SIGNING_SECRET = 'sandbox-signing-secret-0f3a9c';
export const BOT_TOKEN = 'xoxb-approvals-test-token-77d1';
/** Socket Mode's app-level token (the rig over `transport: 'socket'`). */
export const APP_TOKEN = 'xapp-1-A0SANDBOX-approvals-test-4c2e';

/** How Slack delivers clicks to the approvals server: signed HTTP requests, or Socket Mode envelopes. */
export type Transport = 'http' | 'socket';
/** Run a suite once per transport: `describe.each(TRANSPORTS)('… (%s)', (transport) => …)`. */
export const TRANSPORTS: Transport[] = ['http', 'socket'];
export const ALICE = 'U_ALICE';
export const BOB = 'U_BOB';
export const MALLORY = 'U_MALLORY';
/** Not in any approvers list; a member of DEPLOYERS. */
export const DAVE = 'U_DAVE';
/** Requests every rig release; also a member of DEPLOYERS. */
export const CAROL = 'U_CAROL';
export const DEPLOYERS = 'S0DEPLOYERS';

export interface ApprovalsRig {
  transport: Transport;
  /**
   * Where the sandbox clicks: spread it into clickButton (`{ ...rig.via, user, action, releaseId }`):
   * the server's events URL over HTTP, `via: 'socket'` over Socket Mode.
   */
  via: Pick<ClickRequest, 'url' | 'via'>;
  /**
   * Delivers any payload the way the transport does (HTTP: form-encoded and correctly signed now;
   * Socket Mode: as an interactive envelope) and says how the server took it: 200, or the status
   * and reason of its refusal (over Socket Mode read from the server's log, as there is no answer).
   */
  deliver: (payload: unknown) => Promise<{ status: number; error?: string }>;
  client: Client;
  /** The rig's worker's task queue; rollbacks started from the Roll back button run there too. */
  taskQueue: string;
  sandbox: Sandbox;
  server: ApprovalsServer;
  /** Every line the approvals server logged. */
  logs: string[];
  /** Calls to getHandle made by the approvals server's client (= attempts to reach a workflow). */
  serverHandleLookups: () => number;
  /**
   * Starts a release whose approvers are ALICE and BOB (plus `approval` overrides) and waits until
   * it awaits approval. `version` repeats a release id (a re-run); `taskQueue` runs it on a queue
   * the test serves itself with startWorker.
   */
  startAwaitingRelease: (approval?: Partial<ReleasePlan['approval']>, options?: StartOptions) => Promise<ReleaseHandle>;
  /**
   * Starts a release like startAwaitingRelease, approves it with `approve` (default: ALICE, from
   * the CLI), and waits until its canary is held for a human (the first bake window's analysis is
   * inconclusive; later windows pass) and its Slack message shows the Resume button.
   */
  startHeldRelease: (approval?: Partial<ReleasePlan['approval']>, approve?: ApproveRequest) => Promise<ReleaseHandle>;
  /** The release's Slack message as it is now (its latest update). */
  messageOf: (releaseId: string) => SlackMessage | undefined;
  /**
   * A worker like the rig's own on another task queue, so a test can take it away. `sticky: false`
   * keeps no workflow cached, so after it stops the next task goes straight to the normal queue
   * (not to its sticky queue until that times out).
   */
  startWorker: (taskQueue: string, options?: { sticky?: boolean }) => Promise<{ stop: () => Promise<void> }>;
  stop: () => Promise<void>;
}

/** A started release; its run id (firstExecutionRunId) tells re-runs of one release id apart. */
export type ReleaseHandle = WorkflowHandleWithFirstExecutionRunId;

export interface StartOptions {
  waitForMessage?: boolean;
  /**
   * The service (default checkout). Runway's production records are per service across the dev
   * server, so a test that rolls back uses a service of its own; the server's Roll back button
   * gets the plan the rig's latest release of the service ran with.
   */
  service?: string;
  version?: string;
  taskQueue?: string;
  /** The release's first canary bake window asks a human (analysis inconclusive). */
  holdCanary?: boolean;
}

export interface ApprovalsRigOptions {
  transport?: Transport;
  /** The worker verifies decisions with these keys, and the approvals server signs with `signing` (none: decisions trusted as named). */
  decisionKeys?: DecisionProofKeys & { signing?: DecisionHmacKey };
}

export async function startApprovalsRig(options: ApprovalsRigOptions = {}): Promise<ApprovalsRig> {
  const transport = options.transport ?? 'http';
  const { client, connection, close: closeClient } = await testClient();
  // A short ack timeout, so a lost ack is followed by Slack's redelivery within the test.
  const sandbox = await startSandbox({ port: 0, services: [], signingSecret: SIGNING_SECRET, socketAckTimeoutMs: 500 });
  const slack = new WebClient(BOT_TOKEN, { slackApiUrl: `${sandbox.url}/slack/api/`, retryConfig: { retries: 0 } });

  const serverClient = new Client({ connection, namespace: 'default' });
  const lookups = jest.spyOn(serverClient.workflow, 'getHandle');
  const logs: string[] = [];
  // DEPLOYERS is the only group the server asks Slack about; releases opt in with approval.groups.
  sandbox.setScenario({ slack: { usergroups: { [DEPLOYERS]: [DAVE, CAROL] } } });
  const groupMembership = new UserGroupMembership(slack, [DEPLOYERS]);
  const taskQueue = uniqueId('approvals');
  // The Roll back button's rollbacks: on the rig's queue, with the plan of the service's latest rig release.
  const plans = new Map<string, ReleasePlan>();
  const planFor = (service: string) => {
    const plan = plans.get(service);
    if (!plan) throw new Error(`unknown service "${service}"`);
    return plan;
  };
  const server = await startApprovalsServer({
    port: 0,
    ...(transport === 'socket' ? { socketMode: { appToken: APP_TOKEN, slackApiUrl: `${sandbox.url}/slack/api/` } } : { signingSecret: SIGNING_SECRET }),
    client: serverClient,
    slack,
    groupMembership,
    rollbacks: { taskQueue, planFor },
    ...(options.decisionKeys?.signing ? { decisionKey: options.decisionKeys.signing } : {}),
    log: (line) => logs.push(line),
  });

  // Releases whose next bake window is inconclusive and holds the canary; every other window passes.
  const holding = new Set<string>();
  const fake = createFakeActivities({
    // Suites here keep several releases of checkout waiting for decisions side by side.
    laneFree: true,
    ...(options.decisionKeys ? { decisionKeys: options.decisionKeys } : {}),
    analysis: (_call, input) => {
      const id = Context.current().info.workflowExecution?.workflowId ?? '';
      if (!holding.delete(id)) return bakeLikeTheRealWindow(input.bakeMs);
      return { results: [], decision: { action: 'ask-human', reason: '3 inconclusive measurement(s) in a row: no canary traffic data' } };
    },
  });
  const startWorker = async (queue: string, options: { sticky?: boolean } = {}) => {
    const w = await Worker.create({
      connection: await testNativeConnection(),
      taskQueue: queue,
      workflowBundle: workflowBundle(),
      ...(options.sticky === false ? { maxCachedWorkflows: 0 } : {}),
      activities: { ...fake.activities, ...createSlackActivities({ slack }) },
    });
    const run = w.run();
    return {
      stop: async () => {
        w.shutdown();
        await run;
      },
    };
  };
  const worker = await startWorker(taskQueue);
  const started: ReleaseHandle[] = [];

  const startAwaitingRelease = async (approval: Partial<ReleasePlan['approval']> = {}, options: StartOptions = {}): Promise<ReleaseHandle> => {
    const version = options.version ?? uniqueId('').replace(/[^0-9a-f]/g, '').padEnd(12, 'a').slice(0, 12);
    const plan = samplePlan({ approval: { ...samplePlan().approval, approvers: [ALICE, BOB], timeoutMs: 10 * 60_000, ...approval } });
    const service = options.service ?? 'checkout';
    const input: ReleaseInput = { service, version, image: `registry.local/checkout:${version}`, requestedBy: CAROL, reason: 'test', plan };
    plans.set(service, plan);
    if (options.holdCanary) holding.add(releaseId(input.service, input.version));
    const handle = await client.workflow.start('release', {
      workflowId: releaseId(input.service, input.version),
      taskQueue: options.taskQueue ?? taskQueue,
      args: [input],
      typedSearchAttributes: [
        { key: serviceSearchAttribute, value: service },
        { key: versionSearchAttribute, value: version },
        { key: stageSearchAttribute, value: 'queued' },
      ],
    });
    started.push(handle);
    await untilStage(handle, 'awaiting-approval');
    if (options.waitForMessage === false) return handle;
    // The message with the buttons is posted on entering the stage; wait until the sandbox has it.
    await until(() => JSON.stringify(sandbox.state()).includes(handle.workflowId), 'release message with buttons');
    return handle;
  };

  const messageOf = (id: string) =>
    (sandbox.state() as { slack: { messages: SlackMessage[] } }).slack.messages.find((m) => JSON.stringify(m.posted.blocks ?? []).includes(id));

  const startHeldRelease = async (approval: Partial<ReleasePlan['approval']> = {}, approve: ApproveRequest = { by: ALICE }): Promise<ReleaseHandle> => {
    const handle = await startAwaitingRelease(approval, { holdCanary: true });
    await handle.executeUpdate(approveUpdate, { args: [approve] });
    await until(async () => (await handle.query(statusQuery)).canary.awaitingDecision !== undefined, 'a held canary');
    await until(() => JSON.stringify(messageOf(handle.workflowId)?.blocks ?? []).includes(CANARY_RESUME_ACTION_ID), 'the Resume button on the message');
    return handle;
  };

  const deliver = async (payload: unknown): Promise<{ status: number; error?: string }> => {
    if (transport === 'http') {
      const req = signedInteraction(SIGNING_SECRET, payload, Date.now() / 1000);
      const res = await fetch(server.eventsUrl, { method: 'POST', headers: req.headers, body: req.body });
      const body = (await res.json().catch(() => ({}))) as { error?: string };
      return { status: res.status, ...(body.error === undefined ? {} : { error: body.error }) };
    }
    const envelope = await sandbox.sendSocketEnvelope(payload);
    if (!envelope.ackedAt) throw new Error(`envelope ${envelope.envelopeId} was never acknowledged`);
    const refusal = logs.map((l) => new RegExp(`^approvals: refused Socket Mode envelope ${envelope.envelopeId} → (\\d+): (.*)$`).exec(l)).find(Boolean);
    return refusal ? { status: Number(refusal[1]), error: refusal[2] } : { status: 200 };
  };

  return {
    transport,
    via: transport === 'socket' ? { via: 'socket' } : { url: server.eventsUrl },
    deliver,
    client,
    taskQueue,
    sandbox,
    server,
    logs,
    serverHandleLookups: () => lookups.mock.calls.length,
    startAwaitingRelease,
    startHeldRelease,
    messageOf,
    startWorker,
    stop: async () => {
      await server.close();
      // Releases a test left waiting would otherwise sit on the shared dev server until they time out.
      await Promise.all(started.map((h) => h.terminate('test finished').catch(() => undefined)));
      await worker.stop();
      await sandbox.close();
      await closeClient();
    },
  };
}

export { until } from './poll';

export async function untilStage(handle: WorkflowHandle, stage: string): Promise<ReleaseStatus> {
  let status: ReleaseStatus | undefined;
  await until(async () => (status = await handle.query(statusQuery)).stage === stage, `stage ${stage}`);
  return status!;
}

/** The ephemeral replies the approvals server sent to a click's response_url. */
export function repliesTo(sandbox: Sandbox, responseUrl: string): { response_type?: string; replace_original?: boolean; text?: string }[] {
  const id = responseUrl.split('/').pop();
  return sandbox.slackResponses().filter((r) => r.id === id).map((r) => r.body as { text?: string });
}

/** Clicks `action` as `user` on the release's message, waits for the server, and returns the first reply the clicker got. */
export async function clickReply(rig: ApprovalsRig, user: string, action: NonNullable<ClickRequest['action']>, releaseId: string): Promise<string | undefined> {
  const result = await rig.sandbox.clickButton({ ...rig.via, user, action, releaseId });
  if (result.status !== 200) throw new Error(`the click was answered ${result.status}`);
  await rig.server.settled();
  return repliesTo(rig.sandbox, result.responseUrl)[0]?.text;
}
