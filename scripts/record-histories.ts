/**
 * Records the event histories of representative releases into test/histories/, which every
 * `npm test` replays against the current workflow code (test/replay). Add a story for each new
 * behaviour of the release workflow. A change that old histories no longer replay either ships
 * as a new worker build (Worker Versioning: releases in flight stay on the build they started
 * on) or, when it must reach releases already in flight, is guarded with patched(); keep the old
 * files either way and record new ones beside them (README, "Upgrading Runway").
 *
 *   npm run record-histories                        # every story
 *   npm run record-histories -- aborted-by-operator # only the named ones (keeps the others as they are)
 *   npm run record-histories -- --out /tmp/h released # somewhere else (e.g. to try the script)
 *
 * Uses a throwaway dev server, the sandbox and a real worker, like `runway dev`. Each history is
 * taken only after the workflow has completed (its result awaited, not just a terminal stage
 * seen: the final Slack update and thread reply come after the stage changes), and the script
 * refuses to write one whose last event is not WorkflowExecutionCompleted or whose result is not
 * the story's.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
// The AWS SDK's yearly Node-support notice is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
import { execFileSync } from 'node:child_process';
import { controlRelease, decideRelease, followRelease, startRelease } from '../src/release-client/releases';
import { resolveRollback, rollbackToSign, startRollback } from '../src/release-client/rollback';
import { approveBreakGlass, endFreeze, startFreeze } from '../src/release-client/freeze';
import { parseConfig } from '../src/config/load';
import { releasePlan } from '../src/config/plan';
import { type ReleasePlan, type ReleaseResult, ReleaseStage } from '../src/domain/release';
import { parseEnv } from '../src/config/env';
import { startSandbox } from '../src/sandbox';
import { sandboxClientEnv, sandboxMetricsTargets, sandboxSeed } from '../src/stack/sandbox-seed';
import { withSandboxStrategy } from '../src/stack/sandbox-strategy';
import { resolveTemporalCli } from '../src/temporal/cli-binary';
import { connectClient, connectWorker } from '../src/temporal/connection';
import { RUNWAY_SEARCH_ATTRIBUTES, startDevServer } from '../src/temporal/dev-server';
import { installQuietRuntime } from '../src/temporal/runtime';
import { clientsFromEnv, createReleaseWorker } from '../workers/release-worker';
import { randomBytes } from 'node:crypto';
import type { NativeConnection } from '@temporalio/worker';
import type { RunwayEnv } from '../src/config/env';
import { ReleaseRefusedError } from '../src/release-client/errors';
import { sshSignedDecision } from '../src/release-client/decision-signing';
import { releaseOutcome } from '../src/release-client/outcome';

interface Story {
  name: string;
  /** How the workflow must end for the history to be written. */
  result: ReleaseResult;
  image: 'healthy' | 'unhealthy' | 'crash';
  decision?: 'approve' | 'reject';
  /** An operator aborts once the canary reaches its first step. */
  abortAtCanary?: boolean;
  /** How the version's canary metrics behave (sandbox Prometheus). */
  canary?: 'errors' | 'latency' | 'no-data';
  /** A human resumes every canary hold (analysis inconclusive). */
  resumeHolds?: boolean;
  /** A post-release watch of this long (ms) after promotion. */
  watchMs?: number;
  /** The version starts answering errors once the release is in its post-release watch. */
  failsAfterRelease?: boolean;
  /** Sentry release markers and a webhook (the sandbox's) configured. */
  markers?: boolean;
  /** The story is a rollback (`runway rollback`) after two releases of the service reached production. */
  rollsBack?: boolean;
  /** Production moves by one of ECS's own strategies (the sample service switched to it). */
  strategy?: 'ecs-canary' | 'ecs-linear' | 'ecs-blue-green';
  /** A configured freeze window in force from the start for this long (ms): the release waits frozen at its gate, then goes on. */
  freezeMs?: number;
  /** An ad hoc freeze holds the release (started with --break-glass) until alice and bob approve breaking the glass. */
  breakGlass?: boolean;
  /**
   * On a worker that requires proven decisions (README, "Threat model"): an unsigned approval is
   * refused first, then alice's SSH-signed one (a fresh ssh-keygen key) is accepted. With
   * `rollsBack`, the releases run on the trusting worker and only the rollback, signed by alice,
   * on the proving one.
   */
  proven?: boolean;
  /**
   * Payloads encrypted (README, "Encrypted payloads") with the test key in
   * test/histories/encrypted/payload.keys, on a worker and client of their own; the history goes
   * to test/histories/encrypted/, which replays with that key and fails without it.
   */
  encrypted?: boolean;
}

const STORIES: Story[] = [
  { name: 'released', result: 'released', image: 'healthy', decision: 'approve' },
  { name: 'rolled-back-canary', result: 'rolled-back', image: 'healthy', decision: 'approve', canary: 'errors' },
  { name: 'held-then-resumed', result: 'released', image: 'healthy', decision: 'approve', canary: 'no-data', resumeHolds: true },
  { name: 'rolled-back-smoke', result: 'rolled-back', image: 'unhealthy' },
  { name: 'rolled-back-bad-image', result: 'rolled-back', image: 'crash' },
  { name: 'rejected', result: 'rejected', image: 'healthy', decision: 'reject' },
  { name: 'aborted-by-operator', result: 'rolled-back', image: 'healthy', decision: 'approve', abortAtCanary: true },
  { name: 'released-after-watch', result: 'released', image: 'healthy', decision: 'approve', watchMs: 3000 },
  { name: 'rolled-back-by-watch', result: 'rolled-back', image: 'healthy', decision: 'approve', watchMs: 30_000, failsAfterRelease: true },
  { name: 'released-with-markers', result: 'released', image: 'healthy', decision: 'approve', markers: true },
  { name: 'rollback-of-release', result: 'released', image: 'healthy', decision: 'approve', rollsBack: true },
  { name: 'released-ecs-canary', result: 'released', image: 'healthy', decision: 'approve', strategy: 'ecs-canary' },
  { name: 'released-ecs-linear', result: 'released', image: 'healthy', decision: 'approve', strategy: 'ecs-linear' },
  { name: 'released-blue-green', result: 'released', image: 'healthy', decision: 'approve', strategy: 'ecs-blue-green' },
  { name: 'rolled-back-ecs-canary', result: 'rolled-back', image: 'healthy', decision: 'approve', canary: 'errors', strategy: 'ecs-canary' },
  { name: 'frozen-then-released', result: 'released', image: 'healthy', decision: 'approve', freezeMs: 15_000 },
  { name: 'break-glass-released', result: 'released', image: 'healthy', decision: 'approve', breakGlass: true },
  { name: 'released-with-proven-decisions', result: 'released', image: 'healthy', decision: 'approve', proven: true },
  // Recorded with release lanes: each asks its service's lane for its turn first (patched 'release-lanes' / 'rollback-lanes').
  { name: 'released-through-lane', result: 'released', image: 'healthy', decision: 'approve' },
  { name: 'rollback-through-lane', result: 'released', image: 'healthy', decision: 'approve', rollsBack: true },
  // Break-glass approvals through the decision verifier (patched 'proven-break-glass'; trusted on this worker).
  { name: 'break-glass-verified', result: 'released', image: 'healthy', decision: 'approve', breakGlass: true },
  // A rollback whose start alice proved with her SSH key, on the worker that requires proofs (patched 'proven-rollback').
  { name: 'rollback-proven', result: 'released', image: 'healthy', decision: 'approve', rollsBack: true, proven: true },
  { name: 'released-encrypted', result: 'released', image: 'healthy', decision: 'approve', encrypted: true },
  // Not released: the workflow fails carrying its outcome (patched 'not-released-fails').
  { name: 'rolled-back-as-failed', result: 'rolled-back', image: 'healthy', decision: 'approve', canary: 'errors' },
  { name: 'rejected-as-failed', result: 'rejected', image: 'healthy', decision: 'reject' },
  // Deployment records handed to the installation's GitHub writer (patched 'github-writer').
  { name: 'released-through-github-writer', result: 'released', image: 'healthy', decision: 'approve' },
  { name: 'rolled-back-through-github-writer', result: 'rolled-back', image: 'healthy', decision: 'approve', canary: 'errors' },
  { name: 'rollback-through-github-writer', result: 'released', image: 'healthy', decision: 'approve', rollsBack: true },
  // Telling the service's lane, as the last step, that the run is leaving (patched 'release-says-leaving').
  { name: 'released-saying-leaving', result: 'released', image: 'healthy', decision: 'approve' },
  { name: 'rolled-back-saying-leaving', result: 'rolled-back', image: 'healthy', decision: 'approve', canary: 'errors' },
  { name: 'rollback-saying-leaving', result: 'released', image: 'healthy', decision: 'approve', rollsBack: true },
  // Sentry deploys and the finalizing scheduled by the main flow, each making sure of the release (patched 'sentry-markers-stand-alone'), Slack through the run's messenger.
  { name: 'released-with-stand-alone-markers', result: 'released', image: 'healthy', decision: 'approve', markers: true },
  // Since 2026-12-05 an approval's verifyDecision is scheduled with priority key 1 (the history keeps the older one, without).
  { name: 'released-with-prioritised-verification', result: 'released', image: 'healthy', decision: 'approve', proven: true },
];

const ENCRYPTED_QUEUE = 'record-encrypted';
const ENCRYPTED_KEYS = path.join(__dirname, '../test/histories/encrypted/payload.keys');

/** A worker that requires proofs: alice's fresh SSH key (ssh-keygen) and an HMAC key, on its own task queue. */
async function provenWorker(env: RunwayEnv, connection: NativeConnection, temp: string) {
  const keyPath = path.join(temp, 'alice-ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'alice@record', '-f', keyPath]);
  const alice = readFileSync(`${keyPath}.pub`, 'utf8').trim();
  const decisionKeys = { hmacKeys: { k1: randomBytes(32) }, sshKeysOf: (p: string) => (p === 'alice' ? [alice] : []), required: true };
  const { client, close } = await connectClient(env);
  const worker = await createReleaseWorker({ connection, namespace: 'default', taskQueue: PROVEN_QUEUE, clients: { ...clientsFromEnv(env), temporal: client, decisionKeys } });
  return { worker, keyPath, close };
}
const PROVEN_QUEUE = 'record-proven';

/** How `temporal workflow show --output json` names the event that closes a completed workflow. */
const COMPLETED = 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED';
const FAILED = 'EVENT_TYPE_WORKFLOW_EXECUTION_FAILED';

async function main(): Promise<void> {
  installQuietRuntime();
  const args = process.argv.slice(2);
  const outFlag = args.indexOf('--out');
  if (outFlag >= 0 && !args[outFlag + 1]) throw new Error('--out needs a directory');
  const outDir = outFlag >= 0 ? path.resolve(args[outFlag + 1]) : path.join(__dirname, '../test/histories');
  const only = outFlag >= 0 ? args.filter((_, i) => i !== outFlag && i !== outFlag + 1) : args;
  mkdirSync(outDir, { recursive: true });
  const temp = mkdtempSync(path.join(os.tmpdir(), 'runway-record-'));
  const sample = readFileSync(path.join(__dirname, '../runway.config.yaml'), 'utf8');
  const config = parseConfig(sample, 'runway.config.yaml');
  const binary = await resolveTemporalCli({ log: console.error });
  const temporal = await startDevServer({ binary, port: 0, headless: true, dbFile: path.join(temp, 'db'), searchAttributes: RUNWAY_SEARCH_ATTRIBUTES });
  const sandbox = await startSandbox({ port: 0, services: sandboxSeed(config), metricsTargets: sandboxMetricsTargets(config), deploymentDelayMs: 200 });
  Object.assign(process.env, sandboxClientEnv(sandbox.url), { TEMPORAL_ADDRESS: temporal.address, RUNWAY_TASK_QUEUE: 'record' });
  const env = parseEnv(process.env);
  const connection = await connectWorker(env);
  const worker = await createReleaseWorker({ connection, namespace: 'default', taskQueue: 'record', env });
  const proven = await provenWorker(env, connection, temp);
  const provenRun = proven.worker.run();
  const { client: plainClient, close } = await connectClient(env);
  // The encrypted story's worker and client: the same environment with the test payload key.
  const encryptedEnv = parseEnv({ ...process.env, RUNWAY_PAYLOAD_KEY_FILE: ENCRYPTED_KEYS });
  const encryptedWorker = await createReleaseWorker({ connection, namespace: 'default', taskQueue: ENCRYPTED_QUEUE, env: encryptedEnv });
  const encryptedRun = encryptedWorker.run();
  const encrypted = await connectClient(encryptedEnv);
  const sandboxConfig = parseConfig(sample.replaceAll('http://127.0.0.1:4010', sandbox.url), 'x');
  // Bakes long enough for the abort story to act mid-canary, short enough to record quickly.
  const shortBakes = (base: ReleasePlan): ReleasePlan => ({ ...base, canary: { ...base.canary, bakeMs: 1500 } });
  const plan = shortBakes(releasePlan(sandboxConfig, 'checkout'));
  const planFor = (story: Story): ReleasePlan => (story.strategy ? shortBakes(releasePlan(withSandboxStrategy(sandboxConfig, 'checkout', story.strategy, sandbox.url), 'checkout')) : plan);
  /** Follows a release to its end, approving it when it asks. */
  const approveAndFinish = async (id: string) => {
    await followRelease(plainClient, id, {
      pollMs: 200,
      onStatus: async (s) => {
        if (s.stage === ReleaseStage.awaitingApproval && !s.approval.decision) await decideRelease(plainClient, id, 'approve', 'alice', 'recorded');
      },
    });
  };
  try {
    await worker.runUntil(async () => {
      const unknown = only.filter((name) => !STORIES.some((s) => s.name === name));
      if (unknown.length > 0) throw new Error(`unknown stories: ${unknown.join(', ')} (known: ${STORIES.map((s) => s.name).join(', ')})`);
      for (const [i, story] of STORIES.entries()) {
        if (only.length > 0 && !only.includes(story.name)) continue;
        const client = story.encrypted ? encrypted.client : plainClient;
        const version = i.toString(16).padStart(2, '0').repeat(20);
        const image = `${plan.imageRepository}:${version}`;
        sandbox.setScenario({ images: { [image]: story.image }, ...(story.canary ? { canary: { [image]: { behaviour: story.canary } } } : {}) });
        const watchedPlan = story.watchMs ? { ...planFor(story), verify: { durationMs: story.watchMs } } : planFor(story);
        const markers = { sentry: { org: 'acme', project: 'checkout', repository: 'acme/checkout', versionPrefix: 'checkout@' }, webhooks: [`${sandbox.url}/webhooks/recorder`] };
        const markedPlan = story.markers ? { ...watchedPlan, ...markers } : watchedPlan;
        const nowMs = Date.now();
        const freeze = { intervals: [{ startMs: nowMs - 1000, endMs: nowMs + (story.freezeMs ?? 0), reason: 'recorded freeze', scope: 'global' as const }], resolvedFromMs: nowMs, resolvedUntilMs: nowMs + 3600_000, breakGlassRequired: 2 };
        const storyPlan = story.freezeMs ? { ...markedPlan, freeze } : markedPlan;
        if (story.breakGlass) await startFreeze(client, 'record', { reason: 'recorded incident', by: 'recorder' });
        let { releaseId } = await startRelease(client, story.encrypted ? ENCRYPTED_QUEUE : story.proven && !story.rollsBack ? PROVEN_QUEUE : 'record', {
          service: 'checkout',
          version,
          image,
          requestedBy: 'recorder',
          reason: story.name,
          plan: storyPlan,
          ...(story.breakGlass ? { breakGlass: { reason: 'recorded break-glass' } } : {}),
        });
        if (story.rollsBack) {
          // A second release over the first, then the rollback back to the first: the rollback is the story.
          await approveAndFinish(releaseId);
          const next = `${(i + 100).toString(16)}`.padStart(2, '0').repeat(20).slice(0, 40);
          sandbox.setScenario({ images: { [`${plan.imageRepository}:${next}`]: 'healthy' } });
          const second = await startRelease(client, 'record', { service: 'checkout', version: next, image: `${plan.imageRepository}:${next}`, requestedBy: 'recorder', reason: story.name, plan });
          await approveAndFinish(second.releaseId);
          // The visibility store lists a finished release a moment after it ends.
          let rollback = await resolveRollback(client, { service: 'checkout', reason: 'recorded', requestedBy: 'recorder', plan }).catch(() => undefined);
          for (let tries = 0; rollback?.from.workflowId !== second.releaseId && tries < 50; tries++) {
            await new Promise((r) => setTimeout(r, 200));
            rollback = await resolveRollback(client, { service: 'checkout', reason: 'recorded', requestedBy: 'recorder', plan }).catch(() => undefined);
          }
          if (!rollback) throw new Error(`${story.name}: the two releases never showed in Runway's records`);
          if (story.proven) {
            const asAlice = { ...rollback, requestedBy: 'alice' };
            const decision = await sshSignedDecision(rollbackToSign('default', asAlice), proven.keyPath);
            releaseId = (await startRollback(client, PROVEN_QUEUE, { ...asAlice, decision })).rollbackId;
          } else {
            releaseId = (await startRollback(client, 'record', rollback)).rollbackId;
          }
        }
        await followRelease(client, releaseId, {
          pollMs: 200,
          onStatus: async (s) => {
            if (s.stage === ReleaseStage.awaitingApproval && !s.approval.decision && story.proven) {
              const refused = await decideRelease(client, releaseId, 'approve', 'alice', 'recorded').then(() => false, (err: unknown) => err instanceof ReleaseRefusedError);
              if (!refused) throw new Error(`${story.name}: an unsigned approval was not refused`);
              const sign = (runId: string) => sshSignedDecision({ namespace: 'default', releaseId, runId, action: 'approve', by: 'alice', note: 'recorded' }, proven.keyPath);
              await decideRelease(client, releaseId, 'approve', 'alice', 'recorded', sign);
            } else if (s.stage === ReleaseStage.awaitingApproval && !s.approval.decision && story.decision) {
              await decideRelease(client, releaseId, story.decision, story.decision === 'approve' ? 'alice' : 'bob', 'recorded');
            }
            if (story.abortAtCanary && s.stage === ReleaseStage.canary && s.canary.step >= 1 && !s.controls?.length) {
              await controlRelease(client, releaseId, 'abort', 'bob', 'recorded');
            }
            if (story.failsAfterRelease && s.stage === ReleaseStage.verifying) {
              sandbox.setScenario({ images: { [image]: story.image }, canary: { [image]: { behaviour: 'errors' } } });
            }
            if (story.breakGlass && s.stage === ReleaseStage.frozen && !s.freeze?.breakGlass?.approvals.length) {
              await approveBreakGlass(client, releaseId, { by: 'alice', comment: 'recorded' });
              await approveBreakGlass(client, releaseId, { by: 'bob' });
            }
            if (story.resumeHolds && s.canary.awaitingDecision) {
              await controlRelease(client, releaseId, 'resume', 'bob', 'recorded: quiet hour');
            }
          },
        });
        // A terminal stage is not the end of the history: the workflow still settles Slack and
        // GitHub after it. Only the completed workflow's history is the whole story.
        const final = await releaseOutcome(client.workflow.getHandle(releaseId));
        if (story.breakGlass) await endFreeze(client, 'record', { by: 'recorder' });
        if (final.result !== story.result) {
          throw new Error(`${story.name}: the release ended ${final.result} (${final.reason ?? 'no reason'}), the story needs ${story.result}; nothing written`);
        }
        // The CLI's JSON is what Worker.runReplayHistory takes as-is.
        const json = execFileSync(binary, ['workflow', 'show', '--address', temporal.address, '--workflow-id', releaseId, '--output', 'json'], { encoding: 'utf8' });
        const events = (JSON.parse(json) as { events: { eventType?: string }[] }).events;
        const last = events[events.length - 1]?.eventType;
        // A release that did not reach production fails its workflow, carrying its outcome.
        const expected = story.result === 'released' ? COMPLETED : FAILED;
        if (last !== expected) throw new Error(`${story.name}: the history ends with ${last ?? 'no event'}, not ${expected}; nothing written`);
        const storyDir = story.encrypted ? path.join(outDir, 'encrypted') : outDir;
        mkdirSync(storyDir, { recursive: true });
        writeFileSync(path.join(storyDir, `${story.name}.json`), json);
        console.log(`${story.name}: ${final.result}, ${events.length} events`);
      }
    });
  } finally {
    encryptedWorker.shutdown();
    await encryptedRun.catch(() => undefined);
    await encrypted.close();
    proven.worker.shutdown();
    await provenRun.catch(() => undefined);
    await proven.close();
    await close();
    await connection.close();
    await sandbox.close();
    await temporal.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
