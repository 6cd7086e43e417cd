/**
 * Records the event histories of representative releases into test/histories/, which every
 * `npm test` replays against the current workflow code (test/replay). Run it again when a
 * workflow change is deliberately incompatible and guarded by patched(): keep the old files
 * (they prove in-flight releases still replay) and add new ones.
 *
 *   npm run record-histories                        # every story
 *   npm run record-histories -- aborted-by-operator # only the named ones (keeps the others as they are)
 *
 * Uses a throwaway dev server, the sandbox and a real worker, like `runway dev`.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
// The AWS SDK's yearly Node-support notice is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
import { execFileSync } from 'node:child_process';
import { controlRelease, decideRelease, followRelease, startRelease } from '../src/client/releases';
import { parseConfig } from '../src/config/load';
import { releasePlan } from '../src/config/plan';
import { ReleaseStage } from '../src/domain/release';
import { parseEnv } from '../src/env';
import { startSandbox } from '../src/sandbox';
import { sandboxClientEnv, sandboxMetricsTargets, sandboxSeed } from '../src/stack/sandbox-seed';
import { resolveTemporalCli } from '../src/temporal/cli-binary';
import { connectClient, connectWorker } from '../src/temporal/connection';
import { RUNWAY_SEARCH_ATTRIBUTES, startDevServer } from '../src/temporal/dev-server';
import { installQuietRuntime } from '../src/temporal/runtime';
import { createReleaseWorker } from '../workers/release-worker';

interface Story {
  name: string;
  image: 'healthy' | 'unhealthy' | 'crash';
  decision?: 'approve' | 'reject';
  /** An operator aborts once the canary reaches its first step. */
  abortAtCanary?: boolean;
  /** How the version's canary metrics behave (sandbox Prometheus). */
  canary?: 'errors' | 'latency';
}

const STORIES: Story[] = [
  { name: 'released', image: 'healthy', decision: 'approve' },
  { name: 'rolled-back-smoke', image: 'unhealthy' },
  { name: 'rolled-back-bad-image', image: 'crash' },
  { name: 'rejected', image: 'healthy', decision: 'reject' },
  { name: 'aborted-by-operator', image: 'healthy', decision: 'approve', abortAtCanary: true },
  // Recorded on the release-v2 workflow (dispatched build, canary analysis, ...); the ones above
  // stay as recorded before it and prove that releases already in flight still replay.
  { name: 'v2-released', image: 'healthy', decision: 'approve' },
  { name: 'v2-rolled-back-canary', image: 'healthy', decision: 'approve', canary: 'errors' },
  { name: 'v2-rolled-back-smoke', image: 'unhealthy' },
  { name: 'v2-rejected', image: 'healthy', decision: 'reject' },
  { name: 'v2-aborted-by-operator', image: 'healthy', decision: 'approve', abortAtCanary: true },
];

async function main(): Promise<void> {
  installQuietRuntime();
  const outDir = path.join(__dirname, '../test/histories');
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
  const { client, close } = await connectClient(env);
  const base = releasePlan(parseConfig(sample.replaceAll('http://127.0.0.1:4010', sandbox.url), 'x'), 'checkout');
  // Bakes long enough for the abort story to act mid-canary, short enough to record quickly.
  const plan = { ...base, canary: { ...base.canary, bakeMs: 1500 } };
  try {
    await worker.runUntil(async () => {
      const only = process.argv.slice(2);
      const unknown = only.filter((name) => !STORIES.some((s) => s.name === name));
      if (unknown.length > 0) throw new Error(`unknown stories: ${unknown.join(', ')} (known: ${STORIES.map((s) => s.name).join(', ')})`);
      for (const [i, story] of STORIES.entries()) {
        if (only.length > 0 && !only.includes(story.name)) continue;
        const version = `${'0123456789abcdef'[i]}`.repeat(40);
        const image = `${plan.imageRepository}:${version}`;
        sandbox.setScenario({ images: { [image]: story.image }, ...(story.canary ? { canary: { [image]: { behaviour: story.canary } } } : {}) });
        const { releaseId } = await startRelease(client, 'record', { service: 'checkout', version, image, requestedBy: 'recorder', reason: story.name, plan });
        const final = await followRelease(client, releaseId, {
          pollMs: 200,
          onStatus: async (s) => {
            if (s.stage === ReleaseStage.awaitingApproval && !s.approval.decision && story.decision) {
              await decideRelease(client, releaseId, story.decision, story.decision === 'approve' ? 'alice' : 'bob', 'recorded');
            }
            if (story.abortAtCanary && s.stage === ReleaseStage.canary && s.canary.step >= 1 && !s.controls?.length) {
              await controlRelease(client, releaseId, 'abort', 'bob', 'recorded');
            }
          },
        });
        // The CLI's JSON is what Worker.runReplayHistory takes as-is.
        const json = execFileSync(binary, ['workflow', 'show', '--address', temporal.address, '--workflow-id', releaseId, '--output', 'json'], { encoding: 'utf8' });
        writeFileSync(path.join(outDir, `${story.name}.json`), json);
        console.log(`${story.name}: ${final.result}, ${(JSON.parse(json) as { events: unknown[] }).events.length} events`);
      }
    });
  } finally {
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
