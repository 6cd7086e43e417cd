import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Command } from 'commander';
import { followRelease, startRelease } from '../../release-client/releases';
import { approveBreakGlass, endFreeze, startFreeze } from '../../release-client/freeze';
import { startRollback } from '../../release-client/rollback';
import { readLane } from '../../release-client/lane';
import { describeLane, standingOf } from '../../domain/lane';
import { laneWorkflowId } from '../../domain/lane-api';
import { statusQuery } from '../../domain/release-api';
import { loadConfig } from '../../config/load';
import { releasePlan } from '../../config/plan';
import { defaultImage } from '../../domain/release-id';
import { type ProductionStrategyName, type ReleasePlan, ReleaseStage, type ReleaseStatus } from '../../domain/release';
import { rollbackId } from '../../domain/rollback';
import { ClickError } from '../../sandbox';
import { callsSince, summariseCalls, type RecordedCalls } from '../../stack/call-summary';
import { type EmbeddedStack, startEmbeddedStack } from '../../stack/embedded-stack';
import type { RunwayProcesses } from '../../stack/release-worker-factory';
import { serviceServing } from '../../stack/sandbox-production';
import { withSandboxStrategy } from '../../stack/sandbox-strategy';
import { withClient } from '../context';
import { invalidInput } from '../errors';
import { ExitCode, exitCodeForResult } from '../exit-codes';
import { formatEvent } from '../format';
import { runAction } from '../run-action';
import { untilGitHubRecordsWritten } from '../../release-client/github-records';

/** The post-release watch of `bad-after-release` (the sample config has none). */
const DEMO_WATCH_MS = 20_000;

/** The stories the demo can tell: what the sandbox does with the version, and how a human decides. */
const SCENARIOS = {
  happy: { image: 'healthy', decision: 'approve', story: 'a good release goes all the way to production' },
  'smoke-fail': { image: 'unhealthy', decision: 'approve', story: 'staging answers 503 to the smoke test; staging is rolled back' },
  reject: { image: 'healthy', decision: 'reject', story: 'the approver rejects; staging is rolled back' },
  'bad-image': { image: 'crash', decision: 'approve', story: 'the new image crashes on start; ECS fails the deployment; staging is rolled back' },
  'bad-canary': {
    image: 'healthy',
    decision: 'approve',
    canary: 'errors',
    story: 'the canary answers 15% errors; analysis fails it at the first step; canary traffic goes to 0 and everything is rolled back',
  },
  'ci-job': {
    image: 'healthy',
    decision: 'approve',
    fromCiJob: true,
    story:
      'started as .github/workflows/release.yml does: `runway start --queue --wait` in a GitHub Actions job whose own check run is in progress on the commit; ' +
      'the CI-green rule leaves that run out, judges the commit\'s other checks, and the release goes to production',
  },
  'bad-after-release': {
    image: 'healthy',
    decision: 'approve',
    failsAfterRelease: true,
    story:
      `the release is promoted, then, during its post-release watch (${DEMO_WATCH_MS / 1000} s for this run), its version starts answering 15% errors in production; ` +
      'the watch rolls production back to the previous version by itself',
  },
  'blue-green': {
    image: 'healthy',
    decision: 'approve',
    strategy: 'ecs-blue-green',
    approveAfterTestTraffic: true,
    story:
      "ECS's own BLUE_GREEN deployment: the new revision starts beside production and is smoke-tested through the test listener; then the approver is asked, " +
      'production traffic moves to it at once, and it bakes while ECS keeps the previous revision ready; then ECS retires the old one',
  },
  'ecs-canary': {
    image: 'healthy',
    decision: 'approve',
    strategy: 'ecs-canary',
    story: "ECS's own CANARY deployment: ECS sends exactly 10% of production to the new revision, Runway's analysis judges it at a PAUSE hook, then all traffic moves",
  },
  'ecs-linear': {
    image: 'healthy',
    decision: 'approve',
    strategy: 'ecs-linear',
    story: "ECS's own LINEAR deployment: 25%, 50%, 75%, then 100% of production, Runway's analysis judging each step at a PAUSE hook",
  },
  'ecs-canary-bad': {
    image: 'healthy',
    decision: 'approve',
    strategy: 'ecs-canary',
    canary: 'errors',
    story: "ECS's own CANARY deployment of a version answering 15% errors: analysis fails it at 10%, and ECS's rollback puts all traffic back on the previous revision",
  },
  rollback: {
    image: 'healthy',
    decision: 'approve',
    rollsBack: true,
    story: "two versions are released to production one after the other; then Roll back is clicked on the second one's Slack message and production runs the first again",
  },
  freeze: {
    image: 'healthy',
    decision: 'approve',
    freezes: true,
    story:
      'a release reaches production; then an ad hoc freeze is started (runway freeze start); a rollback of that release passes the freeze; ' +
      'a --break-glass release waits frozen at its production gate after its approval, one break-glass approval is not enough, the second lets it through; the freeze is ended',
  },
  lane: {
    image: 'healthy',
    decision: 'approve',
    lanes: true,
    story:
      "three commits of checkout are started at once: its lane (queue) runs them one at a time, in the order it admitted them; then, with the lane set to supersede, " +
      'a newer commit rolls back the release still waiting for approval, and the next one replaces it while it waits',
  },
} as const satisfies Record<
  string,
  {
    image: string;
    decision: 'approve' | 'reject';
    story: string;
    canary?: 'errors' | 'latency';
    fromCiJob?: true;
    failsAfterRelease?: true;
    rollsBack?: true;
    freezes?: true;
    lanes?: true;
    strategy?: Exclude<ProductionStrategyName, 'two-service-canary'>;
    approveAfterTestTraffic?: true;
  }
>;
type ScenarioName = keyof typeof SCENARIOS;
type Scenario = (typeof SCENARIOS)[ScenarioName];

const DEMO_SERVICE = 'checkout';
const say = (line = '') => process.stdout.write(`${line}\n`);

export function configureDemoCommand(program: Command, processes: RunwayProcesses): void {
  program
    .command('demo')
    .description('run one whole release on the embedded default and exit with its outcome')
    .option('--scenario <name>', `story to run: ${Object.keys(SCENARIOS).join(', ')}`, 'happy')
    .action(
      runAction(async (opts: { scenario: string }) => {
        if (!(opts.scenario in SCENARIOS)) {
          throw invalidInput(`--scenario: "${opts.scenario}" is not a scenario (${Object.keys(SCENARIOS).join(', ')})`);
        }
        const scenario = SCENARIOS[opts.scenario as ScenarioName];
        say(`Runway demo — scenario "${opts.scenario}": ${scenario.story}`);
        say('Starting the embedded stack (Temporal dev server, sandbox, worker)…');
        const stack = await startEmbeddedStack({ processes, log: (l) => process.stderr.write(`  ${l}\n`) });
        say(`${stack.metricsSource.replace(/^./, (c) => c.toUpperCase())}.`);
        try {
          const loaded = await loadConfig(stack.env.RUNWAY_CONFIG);
          // An ECS strategy is this scenario's story: the sample service uses it for this run; the config file stays as it is.
          const config = 'strategy' in scenario ? withSandboxStrategy(loaded, DEMO_SERVICE, scenario.strategy, stack.sandbox.url, { approveAfterTestTraffic: 'approveAfterTestTraffic' in scenario }) : loaded;
          const configured = releasePlan(config, DEMO_SERVICE, 'demo-ci');
          // The watch is this scenario's story: its plan gets one; the config stays as it is.
          const plan = 'failsAfterRelease' in scenario ? { ...configured, verify: { durationMs: DEMO_WATCH_MS } } : configured;
          return await withClient(stack.env, async (client) => {
            if ('rollsBack' in scenario) return await rollbackStory(stack, client, plan);
            if ('freezes' in scenario) return await freezeStory(stack, client, plan);
            if ('lanes' in scenario) return await laneStory(stack, client, plan);
            const before = await recordedCalls(stack, client);
            const countedBefore = await stack.deliveryCounted();
            const { final, link, job } = await demoRelease(stack, client, plan, opts.scenario, scenario);
            say();
            say(`Outcome: ${final.result}${final.outcomeReason ? ` — ${final.outcomeReason}` : ''}`);
            say();
            say('What the release did to each system (recorded by the sandbox):');
            for (const line of summariseCalls(callsSince(await recordedCalls(stack, client), before))) say(`  ${line}`);
            say();
            await printDeliveryMetrics(stack, countedBefore);
            say(`The history stays in .runway/temporal.db: run \`npm run runway -- dev\` and open ${link}`);
            // The CI job's verdict is the exit code of its `runway start --wait`.
            if (job) return job.exitCode();
            return exitCodeForResult(final.result);
          });
        } finally {
          await stack.stop();
        }
      }),
    );
}

/** How long the demo waits for the delivery ledger to count the release (it looks every second). */
const LEDGER_WAIT_MS = 20_000;

/**
 * Once the delivery ledger has counted the release: the runway_* series a worker's /metrics now
 * serves (those with a count; README, "Delivery metrics"). Every release of .runway/temporal.db
 * since the ledger began is in them.
 */
async function printDeliveryMetrics(stack: EmbeddedStack, countedBefore: number | undefined): Promise<void> {
  const deadline = Date.now() + LEDGER_WAIT_MS;
  let counted = await stack.deliveryCounted();
  while ((counted === undefined || counted <= (countedBefore ?? 0)) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    counted = await stack.deliveryCounted();
  }
  if (counted === undefined || counted <= (countedBefore ?? 0)) {
    say(`Delivery metrics: the ledger had not counted this release after ${LEDGER_WAIT_MS / 1000} s (see \`runway dev\` and its /metrics).`);
    say();
    return;
  }
  const shown = (await stack.deliveryMetrics())
    .split('\n')
    .filter((l) => /^runway_(releases_total|rollbacks_total|canary_verdicts_total|release_duration_seconds_count|change_lead_time_seconds_sum|approval_wait_seconds_sum)\{/.test(l) && !/ 0$/.test(l));
  say(`Delivery metrics (what a worker's /metrics serves; ${counted} release(s) counted in .runway/temporal.db so far):`);
  for (const line of shown) say(`  ${line}`);
  say();
}

interface DemoRelease {
  releaseId: string;
  final: ReleaseStatus;
  /** The release in the Web UI. */
  link: string;
  /** When the CI job started it: its `runway start --wait`'s exit code. */
  job?: { exitCode: () => Promise<number> };
}

/**
 * One release of the scenario's story, followed to its end with its events printed: a person
 * clicks Approve (or Reject) in Slack when it waits for approval; in `bad-after-release` the
 * version starts failing in production once the post-release watch has begun.
 */
async function demoRelease(
  stack: EmbeddedStack,
  client: Client,
  plan: ReleasePlan,
  name: string,
  scenario: Scenario,
  extra: { breakGlass?: { reason: string }; onStatus?: (status: ReleaseStatus) => Promise<void>; started?: { releaseId: string; version: string } } = {},
): Promise<DemoRelease> {
  const version = extra.started?.version ?? randomBytes(20).toString('hex');
  const image = defaultImage(plan.imageRepository, version);
  const canary = 'canary' in scenario ? { canary: { [image]: { behaviour: scenario.canary } } } : {};
  // A release started already (the lane story's) has its image in the sandbox's scenario.
  if (!extra.started) await setScenario(stack.sandbox.url, { images: { [image]: scenario.image }, ...canary });
  const job = 'fromCiJob' in scenario ? await startFromCiJob(stack, plan.repo, version) : undefined;
  const { releaseId } = extra.started
    ? extra.started
    : job
    ? { releaseId: job.releaseId }
    : await startRelease(client, stack.env.RUNWAY_TASK_QUEUE, {
        service: DEMO_SERVICE,
        version,
        image,
        requestedBy: 'demo-ci',
        reason: `demo: ${name}`,
        plan,
        ...(extra.breakGlass ? { breakGlass: extra.breakGlass } : {}),
      });
  const link = `${stack.temporal.uiUrl ?? 'http://localhost:8233'}/namespaces/${stack.env.TEMPORAL_NAMESPACE}/workflows/${releaseId}`;
  say(`Release ${releaseId}`);
  say(`Web UI  ${link}`);
  say();
  let decided = false;
  let failing = false;
  const final = await followRelease(client, releaseId, {
    pollMs: 300,
    onEvent: (event) => say(`  ${formatEvent(event)}`),
    onStatus: async (status: ReleaseStatus) => {
      await extra.onStatus?.(status);
      if ('failsAfterRelease' in scenario && !failing && status.stage === ReleaseStage.verifying) {
        // The sandbox's metrics for this image turn bad on whichever track runs it: now all of production.
        failing = true;
        await setScenario(stack.sandbox.url, { canary: { [image]: { behaviour: 'errors' } } });
        say(`  ${' '.repeat(8)}  sandbox           ${version.slice(0, 12)} starts answering 15% errors in production`);
      }
      if (decided || status.stage !== ReleaseStage.awaitingApproval) return;
      // A person clicks the button in Slack: the sandbox sends the signed interaction.
      decided = await clickInSlack(stack, releaseId, scenario.decision);
    },
  });
  await untilClosed(client, releaseId);
  return { releaseId, final, link, ...(job ? { job } : {}) };
}

/**
 * A release reports its final stage a workflow task before its workflow closes. `start --wait`
 * may return then (the worker carries on), but the demo's worker stops when the demo ends: wait
 * (up to 30 s) until the workflow has closed, so no run is left open for the next worker to end.
 */
async function untilClosed(client: Client, workflowId: string): Promise<void> {
  const closed = client.workflow.getHandle(workflowId).result().then(
    () => true,
    () => true, // closed another way (cancelled, failed): closed all the same
  );
  const later = new Promise<false>((resolve) => setTimeout(() => resolve(false), 30_000).unref());
  if (!(await Promise.race([closed, later]))) say(`  (${workflowId} has not closed within 30 s; the next worker will end it)`);
}

/**
 * `rollback`: two releases reach production, then Roll back is clicked on the second one's Slack
 * message; the approvals server starts the rollback, which the demo follows to its end. Exits 0
 * only when production runs the first release's task definition again (read from the sandbox's ECS).
 */
async function rollbackStory(stack: EmbeddedStack, client: Client, plan: ReleasePlan): Promise<number> {
  const phases: { title: string; calls: RecordedCalls }[] = [];
  const released: DemoRelease[] = [];
  for (const which of ['first', 'second']) {
    say(`The ${which} release:`);
    const before = await recordedCalls(stack, client);
    const release = await demoRelease(stack, client, plan, `rollback (${which} release)`, SCENARIOS.rollback);
    phases.push({ title: `The ${which} release (${release.releaseId})`, calls: callsSince(await recordedCalls(stack, client), before) });
    say(`Outcome: ${release.final.result}${release.final.outcomeReason ? ` — ${release.final.outcomeReason}` : ''}`);
    say();
    if (release.final.result !== 'released') return exitCodeForResult(release.final.result);
    released.push(release);
  }
  const [first, second] = released as [DemoRelease, DemoRelease];
  // Runway's records are the visibility store's, which lags a moment behind a release's end; a person is slower.
  await untilRecordedReleased(client, second.releaseId);

  const before = await recordedCalls(stack, client);
  const click = await stack.sandbox.clickButton({ url: stack.approvals.eventsUrl, user: CLICKERS.approve, action: 'rollback', releaseId: second.releaseId });
  say(`${CLICKERS.approve} clicks Roll back on the Slack message of ${second.releaseId} (signed request → ${click.status})`);
  await stack.approvals.settled();
  const responseId = click.responseUrl.split('/').pop();
  const reply = stack.sandbox.slackResponses().find((r) => r.id === responseId)?.body as { text?: string } | undefined;
  say(`  Runway answers ${CLICKERS.approve} (only they see it): ${reply?.text ?? '(no answer)'}`);
  const id = rollbackId(second.releaseId);
  if (!reply?.text?.startsWith(`You started ${id}`)) return ExitCode.failed;
  say();
  say(`Rollback ${id}`);
  const final = await followRelease(client, id, { pollMs: 300, onEvent: (event) => say(`  ${formatEvent(event)}`) });
  await untilClosed(client, id);
  phases.push({ title: `The rollback (${id})`, calls: callsSince(await recordedCalls(stack, client), before) });
  say();
  say(`Outcome: ${final.result}${final.outcomeReason ? ` — ${final.outcomeReason}` : ''}`);

  const { cluster, service } = plan.production;
  const production = serviceServing(stack.sandbox.state(), cluster, service);
  const expected = first.final.deployed?.production;
  const runsFirst = production !== undefined && production.taskDefinition === expected;
  say(
    production
      ? `Production (${cluster}/${service}, the sandbox's ECS) runs ${production.revision}: ${production.image ?? 'image unknown'}, ${production.runningCount}/${production.desiredCount} task(s) running`
      : `Production (${cluster}/${service}) has no PRIMARY deployment in the sandbox's ECS`,
  );
  say(runsFirst ? `— the task definition the first release ran (${first.releaseId}).` : `— expected the first release's ${expected ?? '(not recorded)'}.`);
  say();
  say('What each workflow did to each system (recorded by the sandbox):');
  for (const phase of phases) {
    say(`  ${phase.title}`);
    for (const line of summariseCalls(phase.calls)) say(`    ${line}`);
  }
  say();
  say(`The histories stay in .runway/temporal.db: run \`npm run runway -- dev\` and open ${first.link}, ${second.link} and the rollback beside them`);
  if (final.result !== 'released') return exitCodeForResult(final.result);
  return runsFirst ? ExitCode.ok : ExitCode.failed;
}

/** Waits (up to 30 s) until the visibility store lists the release as finished and released: what Runway's records read. */
async function untilRecordedReleased(client: Client, releaseId: string): Promise<void> {
  const query = `WorkflowId = '${releaseId}' AND RunwayStage = 'released' AND ExecutionStatus = 'Completed'`;
  for (let i = 0; i < 150 && (await client.workflow.count(query)).count === 0; i++) await new Promise((r) => setTimeout(r, 200));
}

/**
 * `freeze`: a release reaches production; an ad hoc freeze starts; a rollback of that release
 * runs through it (rollbacks are never frozen); a --break-glass release waits frozen at its
 * production gate after its approval until two approvers (freeze.breakGlass.required, 2 by
 * default) approve breaking the glass; the freeze is ended. Exits 0 only when each of these
 * happened as told.
 */
async function freezeStory(stack: EmbeddedStack, client: Client, plan: ReleasePlan): Promise<number> {
  const taskQueue = stack.env.RUNWAY_TASK_QUEUE;
  const { cluster, service } = plan.production;
  const seed = serviceServing(stack.sandbox.state(), cluster, service);
  if (!seed) throw new Error(`the sandbox has no production deployment of ${cluster}/${service}`);
  say('1. A release reaches production:');
  const first = await demoRelease(stack, client, plan, 'freeze (first release)', SCENARIOS.freeze);
  say(`Outcome: ${first.final.result}`);
  if (first.final.result !== 'released') return exitCodeForResult(first.final.result);
  say();

  const freeze = await startFreeze(client, taskQueue, { reason: 'demo: incident 4711, hands off production', by: 'ops-oncall' });
  say(`2. $ runway freeze start --reason "${freeze.reason}" --as ${freeze.by}`);
  say(`   every service frozen by ${freeze.by} since ${freeze.startedAt}`);
  say();

  say(`3. A rollback of ${first.releaseId} during the freeze (rollbacks are never frozen):`);
  const rollback = await startRollback(client, taskQueue, {
    service: DEMO_SERVICE,
    from: { workflowId: first.releaseId, version: first.final.version, ...(first.final.deployed?.production ? { taskDefinition: first.final.deployed.production } : {}) },
    to: { workflowId: 'what ran before the demo', version: '0'.repeat(40), image: seed.image ?? 'unknown', taskDefinition: seed.taskDefinition },
    requestedBy: 'alice',
    reason: 'demo: the release misbehaves',
    plan,
  });
  const rolledBack = await followRelease(client, rollback.rollbackId, { pollMs: 300, onEvent: (event) => say(`  ${formatEvent(event)}`) });
  await untilClosed(client, rollback.rollbackId);
  const afterRollback = serviceServing(stack.sandbox.state(), cluster, service);
  const rollbackPassed = rolledBack.result === 'released' && afterRollback?.taskDefinition === seed.taskDefinition && !rolledBack.history.some((e) => e.stage === ReleaseStage.frozen);
  say(`Outcome: ${rolledBack.result}${rolledBack.outcomeReason ? ` — ${rolledBack.outcomeReason}` : ''}; production runs ${afterRollback?.revision ?? '?'} again, never held by the freeze`);
  say();

  say('4. A --break-glass release during the freeze (runway start --break-glass --reason "demo: security fix"):');
  let sawFrozen: string | undefined;
  let approving = false;
  let stillFrozenAfterOne = false;
  const breakGlass = await demoRelease(stack, client, plan, 'freeze (break-glass release)', SCENARIOS.freeze, {
    breakGlass: { reason: 'demo: security fix' },
    onStatus: async (status) => {
      if (status.stage !== ReleaseStage.frozen || approving) return;
      approving = true;
      sawFrozen = status.freeze?.text;
      say(`  ${' '.repeat(8)}  gate              waits at the production gate: ${sawFrozen}`);
      const one = await approveBreakGlass(client, status.releaseId, { by: 'alice', comment: 'the fix is one line' });
      say(`  ${' '.repeat(8)}  break-glass       $ runway break-glass approve ${status.releaseId} --as alice → ${one.pending} more needed`);
      await new Promise((r) => setTimeout(r, 1500));
      const after = await client.workflow.getHandle(status.releaseId).query(statusQuery);
      stillFrozenAfterOne = after.stage === ReleaseStage.frozen;
      say(`  ${' '.repeat(8)}  gate              with one approval of 2 it is still ${after.stage}`);
      const two = await approveBreakGlass(client, status.releaseId, { by: 'bob' });
      say(`  ${' '.repeat(8)}  break-glass       $ runway break-glass approve ${status.releaseId} --as bob → ${two.pending === 0 ? 'enough: it passes the freeze' : `${two.pending} more needed`}`);
    },
  });
  say(`Outcome: ${breakGlass.final.result}${breakGlass.final.outcomeReason ? ` — ${breakGlass.final.outcomeReason}` : ''}`);
  const passedByBreakGlass = breakGlass.final.result === 'released' && (breakGlass.final.freeze?.breakGlass?.approvals.length ?? 0) >= 2 && stillFrozenAfterOne;
  say();

  const ended = await endFreeze(client, taskQueue, { by: 'ops-oncall' });
  say(`5. $ runway freeze end --as ops-oncall   (ended the freeze ${ended.by} started at ${ended.startedAt})`);
  say();
  say(`Rollback passed the freeze: ${rollbackPassed ? 'yes' : 'NO'}; the break-glass release waited frozen (${sawFrozen ?? 'never frozen'}) and passed with 2 approvals: ${passedByBreakGlass ? 'yes' : 'NO'}`);
  say(`The histories stay in .runway/temporal.db: run \`npm run runway -- dev\` and open ${first.link} and ${breakGlass.link}`);
  return rollbackPassed && passedByBreakGlass && sawFrozen !== undefined ? ExitCode.ok : ExitCode.failed;
}

/**
 * `lane`: three commits of checkout started at once (three clients' worth of `runway start`); the
 * lane admits one and queues two, and they reach production one after the other in its order.
 * Then in `supersede` mode: a newer commit rolls back the one waiting for approval, and of two
 * started together the newer replaces the older. Exits 0 only when each of these happened as told:
 * grants in admission order, no release's production work before the previous one ended, the
 * superseded ones stopped with the reason naming their successor.
 */
async function laneStory(stack: EmbeddedStack, client: Client, configured: ReleasePlan): Promise<number> {
  const taskQueue = stack.env.RUNWAY_TASK_QUEUE;
  const commits = (n: number) => Array.from({ length: n }, () => randomBytes(20).toString('hex'));
  const start = (plan: ReleasePlan, version: string, name: string) =>
    startRelease(client, taskQueue, { service: DEMO_SERVICE, version, image: defaultImage(plan.imageRepository, version), requestedBy: 'demo-ci', reason: `demo: lane (${name})`, plan });
  const allVersions = commits(6);
  await setScenario(stack.sandbox.url, { images: Object.fromEntries(allVersions.map((v) => [defaultImage(configured.imageRepository, v), 'healthy'])) });
  const showLane = async () => {
    const lane = await readLane(client, taskQueue, DEMO_SERVICE);
    for (const line of lane ? describeLane(lane) : ['(the lane does not answer)']) say(`   ${line}`);
    return lane;
  };
  const untilAdmitted = async (ids: string[]) => {
    for (let i = 0; i < 100; i++) {
      const lane = await readLane(client, taskQueue, DEMO_SERVICE);
      if (lane && ids.every((id) => ['holder', 'queued'].includes(standingOf(lane, id).kind))) return;
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  const queuePlan: ReleasePlan = { ...configured, lane: { mode: 'queue' } };
  say('1. Three commits of checkout started at once (lane mode: queue):');
  const queued = await Promise.all(allVersions.slice(0, 3).map(async (version, i) => ({ version, ...(await start(queuePlan, version, `commit ${i + 1}`)) })));
  await untilAdmitted(queued.map((r) => r.releaseId));
  const admitted = await showLane();
  const order = admitted ? [admitted.holder?.workflowId, ...admitted.queue.map((e) => e.workflowId)] : [];
  say();
  const finals: DemoRelease[] = [];
  for (const id of order) {
    const release = queued.find((r) => r.releaseId === id);
    if (!release) return ExitCode.failed;
    say(`   Its turn: ${id}`);
    const done = await demoRelease(stack, client, queuePlan, 'lane', SCENARIOS.lane, { started: release });
    say(`   Outcome: ${done.final.result}`);
    say();
    finals.push(done);
  }
  // Each one's production work began after the one before it had ended.
  const productionStart = (r: DemoRelease) => r.final.history.find((e) => e.stage === ReleaseStage.canary || e.stage === ReleaseStage.promoting)?.at ?? '';
  const oneAtATime = finals.every((r, i) => r.final.result === 'released' && (i === 0 || productionStart(r) >= (finals[i - 1]!.final.finishedAt ?? '~')));
  const afterQueue = await readLane(client, taskQueue, DEMO_SERVICE);
  const grants = (afterQueue?.log ?? []).filter((e) => e.event === 'granted').map((e) => e.workflowId);
  const inOrder = order.every((id, i) => grants.slice(-order.length)[i] === id);
  say(`   Granted in admission order: ${inOrder ? 'yes' : 'NO'}; each one reached production only after the one before it ended: ${oneAtATime ? 'yes' : 'NO'}`);
  say();

  const supersedePlan: ReleasePlan = { ...configured, lane: { mode: 'supersede' } };
  say('2. lane mode: supersede. Commit 4 is started and waits for approval:');
  const fourth = await start(supersedePlan, allVersions[3]!, 'commit 4');
  await untilStatus(client, fourth.releaseId, (st) => st.stage === ReleaseStage.awaitingApproval);
  await showLane();
  say('   Commit 5 is started, then commit 6 while 5 waits behind it:');
  const fifth = await start(supersedePlan, allVersions[4]!, 'commit 5');
  await untilAdmitted([fifth.releaseId]);
  const sixth = await start(supersedePlan, allVersions[5]!, 'commit 6');
  await untilAdmitted([sixth.releaseId]);
  await showLane();
  const ended = async (id: string) => (await followRelease(client, id, { pollMs: 300 })) as ReleaseStatus;
  const [fourthFinal, fifthFinal] = await Promise.all([ended(fourth.releaseId), ended(fifth.releaseId)]);
  say(`   ${fourth.releaseId}: ${fourthFinal.result} — ${fourthFinal.outcomeReason ?? ''}`);
  say(`   ${fifth.releaseId}: ${fifthFinal.result} — ${fifthFinal.outcomeReason ?? ''}`);
  say();
  say(`   Its turn: ${sixth.releaseId}`);
  const newest = await demoRelease(stack, client, supersedePlan, 'lane', SCENARIOS.lane, { started: { releaseId: sixth.releaseId, version: allVersions[5]! } });
  say(`   Outcome: ${newest.final.result}`);
  const superseded =
    fourthFinal.result === 'rolled-back' &&
    fourthFinal.outcomeReason === `superseded by ${fifth.releaseId}` &&
    // Dropped while waiting, or rolled back if commit 4 had already given the lane up to it.
    (fifthFinal.result === 'rejected' || fifthFinal.result === 'rolled-back') &&
    fifthFinal.outcomeReason === `superseded by ${sixth.releaseId}` &&
    newest.final.result === 'released';
  say();
  say(`Queue: ${inOrder && oneAtATime ? 'one at a time, in order' : 'NOT as told'}; supersede: ${superseded ? 'the waiting commits gave way to the newest' : 'NOT as told'}`);
  say(`The histories stay in .runway/temporal.db: run \`npm run runway -- dev\` and open the lane, ${laneWorkflowId(taskQueue, DEMO_SERVICE)}, beside the releases`);
  return inOrder && oneAtATime && superseded ? ExitCode.ok : ExitCode.failed;
}

/** Polls a release's status query until `predicate` holds (up to 60 s). */
async function untilStatus(client: Client, releaseId: string, predicate: (status: ReleaseStatus) => boolean): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (predicate(await client.workflow.getHandle(releaseId).query(statusQuery))) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${releaseId} never reached the state the demo waits for`);
}

/** What the sandbox recorded, once the GitHub writer has sent every deployment record handed to it (a little after the release, at GitHub's pace). */
async function recordedCalls(stack: EmbeddedStack, client: Client): Promise<RecordedCalls> {
  await untilGitHubRecordsWritten(client, stack.env.RUNWAY_TASK_QUEUE!, { timeoutMs: 60_000 }).catch((err: Error) => say(`(${err.message})`));
  return (await (await fetch(`${stack.sandbox.url}/_sandbox/calls`)).json()) as RecordedCalls;
}

/** Slack user ids of the demo's approvers (see `people` in runway.config.yaml). */
const CLICKERS = { approve: 'U01ALICE', reject: 'U01BOB' } as const;

/**
 * Clicks Approve or Reject on the release's Slack message. Returns false while the message is
 * not posted yet (the follow loop tries again on its next poll).
 */
async function clickInSlack(stack: EmbeddedStack, releaseId: string, action: 'approve' | 'reject'): Promise<boolean> {
  try {
    const click = await stack.sandbox.clickButton({ url: stack.approvals.eventsUrl, user: CLICKERS[action], action, releaseId });
    say(`  ${' '.repeat(8)}  slack             ${CLICKERS[action]} clicked ${action === 'approve' ? 'Approve' : 'Reject'} (signed request → ${click.status})`);
    return true;
  } catch (err) {
    if (err instanceof ClickError && err.status === 404) return false;
    throw err;
  }
}

async function setScenario(sandboxUrl: string, scenario: unknown): Promise<void> {
  const res = await fetch(`${sandboxUrl}/_sandbox/scenario`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(scenario),
  });
  if (!res.ok) throw new Error(`sandbox refused the scenario: ${res.status} ${await res.text()}`);
}

/** The workflow run of the demo's CI job, as GITHUB_RUN_ID names it. */
const CI_RUN_ID = 9_000_000_001;

/**
 * Starts the release the way the CI example's job does: the sandbox's GitHub holds the push's
 * run of release.yml with its job "release" in progress on the commit (that job is the one
 * running `runway start --wait`), and the same `runway` starts the release in a child process
 * with the variables GitHub Actions sets. Resolves once the job printed the release id.
 */
async function startFromCiJob(stack: EmbeddedStack, repo: string, version: string): Promise<{ releaseId: string; exitCode: () => Promise<number> }> {
  await setScenario(stack.sandbox.url, { github: { ciRuns: { [CI_RUN_ID]: { repo, headSha: version, workflow: 'release.yml', jobs: [{ name: 'release', conclusion: 'pending' }] } } } });
  say(`GitHub: the push ran release.yml as workflow run ${CI_RUN_ID}; its job "release" — in progress, a check run on the commit — starts the release:`);
  const args = ['start', '--service', DEMO_SERVICE, '--version', version, '--requested-by', 'demo-ci', '--reason', `push to main (workflow run ${CI_RUN_ID})`, '--queue', '--queue-timeout', '2m', '--wait'];
  say(`  $ runway ${args.map((a) => (/\s/.test(a) ? `"${a}"` : a)).join(' ')}`);
  const env = {
    ...process.env,
    TEMPORAL_ADDRESS: stack.env.TEMPORAL_ADDRESS,
    TEMPORAL_NAMESPACE: stack.env.TEMPORAL_NAMESPACE,
    RUNWAY_TASK_QUEUE: stack.env.RUNWAY_TASK_QUEUE,
    RUNWAY_CONFIG: stack.env.RUNWAY_CONFIG,
    GITHUB_ACTIONS: 'true',
    CI: 'true',
    GITHUB_REPOSITORY: repo,
    GITHUB_RUN_ID: String(CI_RUN_ID),
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_SHA: version,
    GITHUB_REF: 'refs/heads/main',
    GITHUB_EVENT_NAME: 'push',
    GITHUB_WORKFLOW: 'release',
    GITHUB_JOB: 'release',
    GITHUB_ACTOR: 'demo-ci',
  };
  // This very `runway` (bin/runway.js), as `npx runway` runs it in the job.
  const child = spawn(process.execPath, [process.argv[1]!, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    // What the job's log would show besides the release's events: notes, and waiting in the queue.
    const unread = stderr.lastIndexOf('\n') + 1;
    stderr += d;
    const lines = stderr.slice(unread, stderr.lastIndexOf('\n') + 1).split('\n');
    for (const line of lines) if (/^(note|queued):/.test(line)) say(`  job | ${line}`);
  });
  const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
  const releaseId = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
      const first = /^(\S+)/.exec(stdout.split('\n')[0] ?? '');
      if (stdout.includes('\n') && first) resolve(first[1]!);
    });
    void exited.then((code) => reject(new Error(`the CI job's runway start exited ${code} before starting the release:\n${stderr}`)));
  });
  const exitCode = async () => {
    const code = await exited;
    say(`The CI job's \`runway start --wait\` exited ${code}: ${stderr.trimEnd().split('\n').pop() ?? ''}`);
    return code;
  };
  return { releaseId, exitCode };
}
