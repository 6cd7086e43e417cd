/**
 * `npm run bench -- scale [--releases N[,N...]] [--workers W[,W...]] [--runs R] [--approval-wait S]
 * [--result-wait S] [--records-wait S] [--github-budget off,github] [--slack-limits slack,off]
 * [--worker-heap MiB[,MiB...]] [--task-priority on,off] [--workflow-polls P[,P...]] [--server-sqlite wal,wal-unsynced,rollback-journal] [--server-sa-cache refresh-on-read,cached] [--slack-heartbeat S[,S...]] | --table-from LOG[,LOG...]`: N releases in flight at once on W `runway worker` processes —
 * started together, waiting for approval, then every one that reached approval approved together
 * and baking. For each N and W prints how many reached
 * approval, how many were released, how many production records GitHub shows as success and how
 * many still wait in the GitHub writer, how many Slack messages end saying released, peak RSS per
 * worker (while they all wait, and after the bakes) and the V8 heap each release in flight adds
 * (from the workers' /metrics), CPU seconds per release (all workers, and the
 * dev server's, with what it spent them on per phase: bench/support/server-metrics.ts, and where
 * the workers' workflow tasks spent their time: bench/support/worker-tasks.ts), releases
 * per second once approved and the p50/p99 time from approval to released. Releases that did not reach approval in time are left
 * out of the approval (and terminated), so a partial figure is still printed. All releases announce
 * in one Slack channel; with `--slack-limits slack` (the default) the emulator enforces Slack's own
 * limits (one post a second per channel, 50 updates a minute) and the run counts its 429s, and
 * how the shared Slack budget answered the workers' asks (in time, late, missed: the workers' /metrics).
 * `--github-budget github` sets the workers' RUNWAY_GITHUB_WRITE_BUDGET to GitHub's figures (1 s
 * apart, 80 a minute, 500 an hour) and has the emulator enforce the same; `off`, the default, paces
 * nothing and enforces nothing. With `github` the run prints how many writes GitHub accepted and
 * refused (429); either way, while it waits for the records, how many still wait each minute.
 * `--worker-heap` caps each worker's V8 heap (`--max-old-space-size`, through NODE_OPTIONS; 0, the
 * default, leaves V8 to size it from the machine's memory), to compare caps side by side.
 * `--task-priority off` starts the dev server with its first-in-first-out matcher, which ignores the
 * priority the shared workflows (lanes, Slack budget, GitHub writer) are started with
 * (src/domain/shared-workflow-priority.ts); `on`, the default, is what Runway's servers run.
 * `--workflow-polls` sets each worker's RUNWAY_WORKER_WORKFLOW_POLLS (default: Runway's 8; 2 is the
 * SDK's own share), to compare how many polls of the task queue itself keep up. `--server-sqlite`
 * says how the dev server's SQLite file commits (src/temporal/dev-server.ts): `wal` (the default,
 * as `runway dev`: a write-ahead log synced at each commit), `wal-unsynced` (synced at checkpoints
 * only) or `rollback-journal` (the dev server's own: two syncs per commit). `--server-sa-cache`
 * says how the dev server reads search attributes (src/temporal/search-attribute-cache.ts):
 * `cached` (the default, as `runway dev`) or `refresh-on-read` (the Temporal CLI's own).
 * `--slack-heartbeat` sets each worker's RUNWAY_SLACK_CALL_HEARTBEAT_TIMEOUT in seconds (default
 * Runway's 10): the heartbeat timeout of the Slack calls that wait their turn behind Slack's limits,
 * to compare what their heartbeats cost the server. Each run also
 * prints how long its releases took to all reach approval from the first start, and its figures as
 * one `scale-run-record {json}` line: `npm run bench -- scale --table-from LOG[,LOG...]` runs
 * nothing and prints the table of the runs those logs recorded (medians per setting and build: the
 * commit measured, `+changes` if tracked files differed from it), for a table too long to run in
 * one sitting.
 */
import { readFileSync } from 'node:fs';
import Bottleneck from 'bottleneck';
import { decideRelease } from '../src/release-client/releases';
import { gitHubWriterStatus, untilGitHubRecordsWritten } from '../src/release-client/github-records';
import { ReleaseStage } from '../src/domain/release';
import type { GitHubDeployment, Sandbox } from '../src/sandbox';
import type { SlackMessage } from '../src/sandbox/slack/emulator';
import { SLACK_RATE_LIMITS, type SlackLimitCounts } from '../src/sandbox/slack/rate-limits';
import { PRIORITY_MATCHER_CONFIG } from '../src/temporal/task-priority';
import { CACHED_SEARCH_ATTRIBUTES_CONFIG, REFRESHED_SEARCH_ATTRIBUTES_CONFIG } from '../src/temporal/search-attribute-cache';
import { WORKER_WORKFLOW_POLLS, WORKER_WORKFLOW_POLLS_MAX } from '../src/config/env';
import { SLACK_CALL_HEARTBEAT_TIMEOUT_MS } from '../src/domain/slack-budget';
import { GITHUB_WRITE_BUDGET } from '../src/domain/github-write-budget';
import type { SqliteCommits } from '../src/temporal/dev-server';
import { BenchArgsError, parseFlags, takeChoiceListFlag, takeListFlag, takePathListFlag } from './support/args';
import { benchServiceNames } from './support/bench-config';
import { startBenchRelease } from './support/bench-releases';
import { type ReleaseCensus, stageHistogram, untilCensus } from './support/release-census';
import { startBenchStack } from './support/bench-stack';
import { Prng } from './support/prng';
import { percentile } from './support/stats';
import { groupRuns, readRunRecords, RUN_RECORD_PREFIX, runRecordLine, type RunFigures, type RunSettings, runSummary, scaleTable } from './support/scale-table';
import { WorkerProcess } from './support/worker-process';
import { countersSince, describeServerCounters, scrapeServerCounters, type ServerCounters } from './support/server-metrics';
import { perReleaseKiB, readWorkerMemory } from './support/worker-memory';
import { describeSlackBudgetAnswers, readSlackBudgetAnswers } from './support/slack-budget-answers';
import { buildLabel } from './support/build-label';
import { workerTaskPhases } from './support/worker-tasks';

const FLAGS = {
  runs: { default: 1, min: 1, max: 10, help: 'repetitions per N and worker count' },
  'approval-wait': { default: 600, min: 10, max: 7200, help: 'seconds to wait for every release to reach approval' },
  'result-wait': { default: 900, min: 10, max: 7200, help: 'seconds to wait for approved releases to finish' },
  'records-wait': { default: 120, min: 0, max: 7200, help: 'seconds to wait, after the last release, for the GitHub writer to send every record' },
};
const BUDGETS = ['github', 'off'] as const;
const SLACK_LIMITS = ['slack', 'off'] as const;
const TASK_PRIORITY = ['on', 'off'] as const;
const SQLITE_COMMITS = ['wal', 'wal-unsynced', 'rollback-journal'] as const satisfies readonly SqliteCommits[];
/** `refresh-on-read`: the Temporal CLI dev server's own; `cached`: the server's default (src/temporal/search-attribute-cache.ts). */
const SA_CACHES = ['refresh-on-read', 'cached'] as const;
const SA_CACHE_CONFIG = { 'refresh-on-read': REFRESHED_SEARCH_ATTRIBUTES_CONFIG, cached: CACHED_SEARCH_ATTRIBUTES_CONFIG } as const;
/** Starts and approvals sent at once: a busy CI and a crowd of approvers, not 2,000 calls in one instant. */
const APPROVAL_CONCURRENCY = 50;
/** How often the bench says how many approvals were accepted while it sends them. */
const APPROVAL_PROGRESS_MS = 30_000;
/** How often the bench says how many GitHub records still wait while it waits for them. */
const RECORDS_PROGRESS_MS = 60_000;

/** Content-creating requests the emulated GitHub accepted and refused (429, secondary limit) so far. */
function gitHubWrites(sandbox: Sandbox): { accepted: number; refused: number } {
  return (sandbox.state() as { github: { writes: { accepted: number; refused: number } } }).github.writes;
}

const describeGitHubWrites = ({ accepted, refused }: { accepted: number; refused: number }) => `accepted ${accepted} writes, refused ${refused} (429)`;

/**
 * The table of the runs recorded in earlier bench logs, medians per setting: the parts of a table
 * too long to run at once (a 2,000-release row takes over an hour at Slack's pace).
 */
function printTableFrom(logs: string[], rest: string[]): void {
  if (rest.length > 0) throw new BenchArgsError(`--table-from prints a table from logs and runs nothing; it takes no other option (got ${rest.join(' ')})`);
  const records = logs.flatMap((log) => {
    let text: string;
    try {
      text = readFileSync(log, 'utf8');
    } catch (err) {
      throw new BenchArgsError(`--table-from: cannot read ${log}: ${(err as Error).message}`);
    }
    const found = readRunRecords(text, log);
    if (found.length === 0) throw new BenchArgsError(`--table-from: ${log} has no scale run record (lines starting "${RUN_RECORD_PREFIX.trim()}"; runs before 2026-12-05 did not print one)`);
    return found;
  });
  for (const line of scaleTable(groupRuns(records))) console.log(line);
  const dates = [...new Set(records.map((r) => r.at.slice(0, 10)))].sort();
  console.log(`scale: medians of ${records.length} run(s) from ${logs.length} log(s), ${dates.join(', ')}; the runs column says how many per row`);
}

/** Peak resident set size of a process in MiB (Linux: VmHWM). */
function peakRssMiB(pid: number): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
}

/** CPU seconds a process has used (Linux: utime + stime in /proc/<pid>/stat, in clock ticks of 1/100 s). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export async function run(args: string[]): Promise<void> {
  const { values: logs, rest: afterLogs } = takePathListFlag(args, 'table-from');
  if (logs.length > 0) return printTableFrom(logs, afterLogs);
  const { values: budgets, rest: afterBudget } = takeChoiceListFlag(afterLogs, 'github-budget', BUDGETS, ['off']);
  const { values: slackLimits, rest: afterSlack } = takeChoiceListFlag(afterBudget, 'slack-limits', SLACK_LIMITS, ['slack']);
  const { values: ramp, rest: afterReleases } = takeListFlag(afterSlack, 'releases', { default: [50], min: 1, max: 2000 });
  const { values: workerCounts, rest: afterWorkers } = takeListFlag(afterReleases, 'workers', { default: [1], min: 1, max: 8 });
  const { values: heapCaps, rest: afterHeap } = takeListFlag(afterWorkers, 'worker-heap', { default: [0], min: 0, max: 65_536 });
  const { values: priorities, rest: afterPriority } = takeChoiceListFlag(afterHeap, 'task-priority', TASK_PRIORITY, ['on']);
  const { values: workflowPollCounts, rest: afterPolls } = takeListFlag(afterPriority, 'workflow-polls', { default: [WORKER_WORKFLOW_POLLS], min: 1, max: WORKER_WORKFLOW_POLLS_MAX });
  const { values: sqliteModes, rest: afterSqlite } = takeChoiceListFlag(afterPolls, 'server-sqlite', SQLITE_COMMITS, ['wal']);
  const { values: saCaches, rest: afterSaCache } = takeChoiceListFlag(afterSqlite, 'server-sa-cache', SA_CACHES, ['cached']);
  const { values: slackHeartbeats, rest } = takeListFlag(afterSaCache, 'slack-heartbeat', { default: [SLACK_CALL_HEARTBEAT_TIMEOUT_MS / 1000], min: 10, max: 600 });
  const flags = parseFlags(rest, FLAGS, [
    '--releases N[,N...] (releases in flight at once; default 50)',
    '--workers W[,W...] (runway worker processes; default 1)',
    `--github-budget ${BUDGETS.join('|')}[,...] (GitHub's write limits, for the workers and the emulator alike; default off)`,
    `--slack-limits ${SLACK_LIMITS.join('|')}[,...] (the emulator's Slack rate limits; default slack)`,
    '--worker-heap MiB[,MiB...] (each worker\'s V8 heap cap; 0, the default: V8\'s own sizing)',
    `--task-priority ${TASK_PRIORITY.join('|')}[,...] (the dev server's priority matcher; default on)`,
    `--workflow-polls P[,P...] (each worker's RUNWAY_WORKER_WORKFLOW_POLLS; default ${WORKER_WORKFLOW_POLLS})`,
    `--server-sqlite ${SQLITE_COMMITS.join('|')}[,...] (how the dev server's SQLite file commits; default wal)`,
    `--server-sa-cache ${SA_CACHES.join('|')}[,...] (how the dev server reads search attributes; default cached, as Runway's)`,
    `--slack-heartbeat S[,S...] (seconds: each worker's RUNWAY_SLACK_CALL_HEARTBEAT_TIMEOUT; default ${SLACK_CALL_HEARTBEAT_TIMEOUT_MS / 1000})`,
    '--table-from LOG[,LOG...] (no run: the table of the runs these bench logs recorded)',
  ]);
  const prng = new Prng(13);
  // The code this invocation measures, read at its start: keep the checkout as it is until it ends.
  const build = buildLabel();
  // Every combination, N outermost: one run per combination (and per --runs), one table row each.
  const combinations = ramp.flatMap((n) =>
    workerCounts.flatMap((w) =>
      budgets.flatMap((budget) =>
        slackLimits.flatMap((slack) =>
          heapCaps.flatMap((heapCap) =>
            priorities.flatMap((taskPriority) =>
              workflowPollCounts.flatMap((workflowPolls) =>
                sqliteModes.flatMap((serverSqlite) =>
                  saCaches.flatMap((serverSaCache) =>
                    slackHeartbeats.map((slackHeartbeat): RunSettings => ({ n, w, budget, slackLimits: slack, heapCap, taskPriority, workflowPolls, serverSqlite, serverSaCache, slackHeartbeat, build })),
                  ),
                ),
              ),
            ),
          ),
        ),
      ),
    ),
  );
  const rows: { settings: RunSettings; runs: RunFigures[] }[] = [];
  for (const settings of combinations) {
    const { n, w } = settings;
    const runs: RunFigures[] = [];
    for (let r = 0; r < flags.runs; r++) {
      const f = await runOnce(settings, `s${n}w${w}r${r}`, prng, flags);
      runs.push(f);
      const record = { settings, figures: f, at: new Date().toISOString() };
      console.log(runSummary(record, r + 1));
      console.log(runRecordLine(record));
    }
    rows.push({ settings, runs });
  }
  console.log('');
  for (const line of scaleTable(rows)) console.log(line);
  console.log(`scale: medians of ${flags.runs} run(s) per row; bake 3 × 2 s`);
}

/** A fresh stack and `w` workers (so the peak RSS is this run's), N releases started together. */
async function runOnce({ n, w, budget, slackLimits, heapCap, taskPriority, workflowPolls, serverSqlite, serverSaCache, slackHeartbeat }: RunSettings, prefix: string, prng: Prng, flags: Record<keyof typeof FLAGS, number>): Promise<RunFigures> {
  const services = benchServiceNames(n, prefix);
  const matcherOff = Object.fromEntries(Object.keys(PRIORITY_MATCHER_CONFIG).map((key) => [key, false]));
  const serverDynamicConfig = { ...(taskPriority === 'off' ? matcherOff : {}), ...SA_CACHE_CONFIG[serverSaCache as (typeof SA_CACHES)[number]] };
  const stack = await startBenchStack({ services, bake: '2s', deploymentDelayMs: 300, serverSqliteCommits: serverSqlite as SqliteCommits, serverDynamicConfig });
  if (slackLimits === 'slack') stack.sandbox.setScenario({ slack: { rateLimits: SLACK_RATE_LIMITS } });
  // The workers pace their writes to GitHub's figures, and the emulator enforces the same figures,
  // so a write the fleet sends too soon is refused and counted, not silently accepted.
  if (budget === 'github') stack.sandbox.setScenario({ github: { writeLimits: GITHUB_WRITE_BUDGET } });
  const workers: WorkerProcess[] = [];
  const { client } = stack;
  try {
    const heapEnv: Record<string, string> = heapCap > 0 ? { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-old-space-size=${heapCap}`.trim() } : {};
    for (let i = 0; i < w; i++) workers.push(await WorkerProcess.start({ ...stack.workerEnv, RUNWAY_GITHUB_WRITE_BUDGET: budget, RUNWAY_WORKER_WORKFLOW_POLLS: String(workflowPolls), RUNWAY_SLACK_CALL_HEARTBEAT_TIMEOUT: `${slackHeartbeat}s`, ...heapEnv }));
    const cpuBefore = workers.reduce((sum, wp) => sum + cpuSeconds(wp.pid), 0);
    const idleMemory = await Promise.all(workers.map(readWorkerMemory));
    const server = serverPhases(stack.serverMetricsUrl, stack.serverPid);
    await server.mark();
    const workerTasks = workerTaskPhases(workers, (line) => console.log(`scale:   ${line}`));
    await workerTasks.mark();
    const startedAt = Date.now();
    const starters = new Bottleneck({ maxConcurrent: APPROVAL_CONCURRENCY });
    const ids = await Promise.all(services.map((s) => starters.schedule(() => startBenchRelease(client, stack.taskQueue, stack.config, s, prng.sha()))));
    const progress = (phase: string) => (census: ReleaseCensus) => console.log(`scale: N=${n} W=${w} ${phase}: ${stageHistogram(census, ids)}`);
    const atApproval = await untilCensus(client, stack.taskQueue, (c) => ids.every((id) => c.running.get(id) === ReleaseStage.awaitingApproval), {
      timeoutMs: flags['approval-wait'] * 1000,
      report: progress('waiting for approval'),
    });
    const waitingIds = ids.filter((id) => atApproval.running.get(id) === ReleaseStage.awaitingApproval);
    const toApprovalMs = waitingIds.length === ids.length ? Date.now() - startedAt : NaN;
    const rssWaitingMiB = Math.max(...workers.map((wp) => peakRssMiB(wp.pid)));
    const perRelease = perReleaseKiB(idleMemory, await Promise.all(workers.map(readWorkerMemory)), Math.max(1, waitingIds.length));
    console.log(
      `scale: N=${n} W=${w} memory per release waiting for approval, above the idle workers: V8 heap used ${perRelease.heapKiB.toFixed(0)} KiB, ` +
        `outside the heap in buffers ${perRelease.externalKiB.toFixed(0)} KiB, RSS ${perRelease.rssKiB.toFixed(0)} KiB; peak RSS so far ${rssWaitingMiB.toFixed(0)} MiB per worker`,
    );
    await server.report(`N=${n} W=${w} server, starting to waiting for approval`, n);
    await workerTasks.report();
    if (waitingIds.length < ids.length) {
      // Where the others were when the wait ran out: the first thing to look at when a ramp stalls.
      console.log(`scale: N=${n} W=${w}: not waiting for approval in time: ${stageHistogram(atApproval, ids.filter((id) => !waitingIds.includes(id)))}`);
    }
    // Approved as a crowd of approvers would: many at once, but not all 2,000 Updates in one instant.
    const approvedAt = new Map<string, number>();
    const approvers = new Bottleneck({ maxConcurrent: APPROVAL_CONCURRENCY });
    let approvalsFailed = 0;
    // At 2,000 the approvals take many minutes (each Update waits for its release's workflow task): say how far they are.
    const approvalProgress = setInterval(
      () => console.log(`scale: N=${n} W=${w} approving: ${approvedAt.size} of ${waitingIds.length} approvals accepted, ${approvalsFailed} failed`),
      APPROVAL_PROGRESS_MS,
    );
    try {
      await Promise.all(
        waitingIds.map((id) =>
          approvers.schedule(() =>
            decideRelease(client, id, 'approve', 'alice').then(
              () => void approvedAt.set(id, Date.now()),
              (err: unknown) => {
                approvalsFailed++;
                console.log(`scale: ${id}: approval failed: ${(err as Error).message}`);
              },
            ),
          ),
        ),
      );
    } finally {
      clearInterval(approvalProgress);
    }
    const approvedIds = waitingIds.filter((id) => approvedAt.has(id));
    const firstApproval = Math.min(...approvedAt.values());
    const atEnd = await untilCensus(client, stack.taskQueue, (c) => approvedIds.every((id) => c.closed.has(id)), {
      timeoutMs: flags['result-wait'] * 1000,
      report: progress('approved, not yet ended'),
    });
    const releasedIds = approvedIds.filter((id) => atEnd.closed.get(id)?.status === 'COMPLETED');
    const toReleased = releasedIds.map((id) => atEnd.closed.get(id)!.closedAt - approvedAt.get(id)!);
    const lastEnd = Math.max(...releasedIds.map((id) => atEnd.closed.get(id)!.closedAt));
    const elapsed = (lastEnd - firstApproval) / 1000;
    const cpu = workers.reduce((sum, wp) => sum + cpuSeconds(wp.pid), 0) - cpuBefore;
    await server.report(`N=${n} W=${w} server, approved to ended`, Math.max(1, approvedIds.length));
    await workerTasks.report();
    // At GitHub's 500 writes an hour the last records land up to an hour after the last release: say how many still wait.
    let lastRecordsReport = Date.now();
    await untilGitHubRecordsWritten(client, stack.taskQueue, {
      timeoutMs: flags['records-wait'] * 1000,
      pollMs: 1000,
      onWait: (waiting) => {
        if (Date.now() - lastRecordsReport < RECORDS_PROGRESS_MS) return;
        lastRecordsReport = Date.now();
        const writes = budget === 'github' ? `; GitHub ${describeGitHubWrites(gitHubWrites(stack.sandbox))}` : '';
        console.log(`scale: N=${n} W=${w} GitHub records still queued in the writer: ${waiting}${writes}`);
      },
    }).catch(() => undefined);
    const pending = (await gitHubWriterStatus(client, stack.taskQueue))?.pending ?? 0;
    // The emulator counts writes only while it enforces limits: with them off there is nothing to report.
    const githubWrites = budget === 'github' ? gitHubWrites(stack.sandbox) : { accepted: NaN, refused: NaN };
    if (budget === 'github') console.log(`scale: N=${n} W=${w} GitHub ${describeGitHubWrites(githubWrites)} (limits enforced: ${GITHUB_WRITE_BUDGET.minIntervalMs / 1000} s apart, ${GITHUB_WRITE_BUDGET.perMinute} a minute, ${GITHUB_WRITE_BUDGET.perHour} an hour)`);
    const releasedServices = releasedIds.map((id) => services[ids.indexOf(id)]!);
    const recorded = countProductionSuccess(stack.sandbox, releasedServices);
    const slackFinal = countFinalSlack(stack.sandbox, releasedIds);
    const slackLimits = (stack.sandbox.state() as { slack: { rateLimited: SlackLimitCounts } }).slack.rateLimited;
    if (slackLimits.refused > 0) {
      const byMethod = Object.entries(slackLimits.refusedBy).map(([method, r]) => `${method} ${r.count} (at most ${r.mostEarlyMs} ms early)`);
      console.log(`scale: N=${n} W=${w} Slack refused ${slackLimits.refused} of ${slackLimits.accepted + slackLimits.refused} limited calls: ${byMethod.join(', ')}`);
    }
    const budgetAnswers = await readSlackBudgetAnswers(workers);
    console.log(`scale: N=${n} W=${w} Slack budget answers to the workers' asks: ${budgetAnswers ? describeSlackBudgetAnswers(budgetAnswers) : "unknown (a worker's /metrics could not be read)"}`);
    const stragglers = ids.filter((id) => !approvedIds.includes(id));
    await Promise.allSettled(stragglers.map((id) => client.workflow.getHandle(id).terminate('scale bench: did not reach approval in time')));
    return {
      waiting: waitingIds.length,
      toApprovalMs,
      approved: approvedIds.length,
      released: releasedIds.length,
      recorded,
      recordsPending: pending,
      slackFinal,
      slackRefused: slackLimits.refused,
      githubWrites: githubWrites.accepted,
      githubRefused: githubWrites.refused,
      rssMiB: Math.max(...workers.map((wp) => peakRssMiB(wp.pid))),
      rssWaitingMiB,
      heapKiBPerRelease: perRelease.heapKiB,
      cpuSecondsPerRelease: cpu / n,
      serverCpuSecondsPerRelease: server.cpuSeconds() / n,
      // Nothing approved: no throughput to speak of (shown as "-").
      perSecond: releasedIds.length > 0 ? releasedIds.length / elapsed : NaN,
      p50Ms: percentile(toReleased, 50),
      p99Ms: percentile(toReleased, 99),
    };
  } finally {
    for (const wp of workers) await wp.kill();
    await stack.stop();
  }
}

/**
 * The dev server's work phase by phase: its CPU time and, from its metrics, what it spent it on
 * (printed per release of the phase). Nothing on a server without metrics.
 */
function serverPhases(metricsUrl: string | undefined, pid: (() => number) | undefined) {
  let last: ServerCounters | undefined;
  let cpuAtMark = NaN;
  let cpuTotal = 0;
  const serverCpu = () => (pid ? cpuSeconds(pid()) : NaN);
  return {
    async mark() {
      cpuAtMark = serverCpu();
      if (metricsUrl) last = await scrapeServerCounters(metricsUrl).catch(() => undefined);
    },
    /** Prints what the server did since the last mark, per release, and marks again. */
    async report(phase: string, releases: number) {
      const cpu = serverCpu() - cpuAtMark;
      cpuTotal += cpu;
      console.log(`scale: ${phase}: ${(cpu / releases).toFixed(2)} CPU s per release`);
      const before = last;
      await this.mark();
      if (before && last) for (const line of describeServerCounters(countersSince(before, last), releases)) console.log(`scale:   ${line}`);
    },
    cpuSeconds: () => (pid ? cpuTotal : NaN),
  };
}

/** How many of these services' releases have a production GitHub deployment whose latest status is success. */
function countProductionSuccess(sandbox: Sandbox, services: string[]): number {
  const { github } = sandbox.state() as { github: { deployments: GitHubDeployment[] } };
  return services.filter((service) =>
    github.deployments.some((d) => d.repo === `acme/${service}` && d.environment === 'production' && d.statuses.at(-1)?.state === 'success'),
  ).length;
}

/** How many of these releases' Slack messages end saying they were released (the final update landed). */
function countFinalSlack(sandbox: Sandbox, releaseIds: string[]): number {
  const { slack } = sandbox.state() as { slack: { messages: SlackMessage[] } };
  const byRelease = new Map<string, SlackMessage>();
  for (const message of slack.messages) {
    const key = (message.metadata as { event_payload?: { release_id?: string } } | undefined)?.event_payload?.release_id;
    if (key && !message.thread_ts) byRelease.set(key, message);
  }
  return releaseIds.filter((id) => /Released to production/.test(byRelease.get(id)?.text ?? '')).length;
}
