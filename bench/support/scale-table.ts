/**
 * The scale bench's figures (bench/scale.ts): one run's settings and figures, the line a run
 * prints them on for later, and the table of medians per setting. A 2,000-release row takes over
 * an hour at Slack's pace, so the table for 500–2,000 releases on 1, 2 and 4 workers is run in
 * parts; `--table-from` reads the parts' logs back into one table.
 */
import { fmt, median } from './stats';

/** What one run was: N releases in flight on W workers, with the emulators' limits and the workers' settings. */
export interface RunSettings {
  /** Releases in flight. */
  n: number;
  /** Worker processes. */
  w: number;
  budget: string;
  slackLimits: string;
  /** The workers' V8 heap cap in MiB; 0: V8's own sizing. */
  heapCap: number;
  /** `off`: the dev server's first-in-first-out matcher, shared workflows' priority ignored. */
  taskPriority: string;
  /** Each worker's workflow-task polls of the task queue itself (RUNWAY_WORKER_WORKFLOW_POLLS). */
  workflowPolls: number;
  /** How the dev server's SQLite file commits: `wal`, `wal-unsynced` or `rollback-journal`. */
  serverSqlite: string;
  /**
   * How the dev server reads search attributes: `refresh-on-read` (the Temporal CLI's dev server
   * default, a database read per use) or `cached` (the server's own default, refreshed each minute).
   */
  serverSaCache: string;
  /** The heartbeat timeout of the messengers' Slack calls, in seconds (each worker's RUNWAY_SLACK_CALL_HEARTBEAT_TIMEOUT). */
  slackHeartbeat: number;
  /** The code measured (bench/support/build-label.ts): runs of different builds are different rows. */
  build: string;
}

/** The task queue's workflow-task polls of runs recorded before the bench set them: the SDK's own 2 of 10. */
export const SDK_WORKFLOW_POLLS = 2;
/** How the dev server committed before the bench said: SQLite's own rollback journal. */
export const DEV_SERVER_SQLITE = 'rollback-journal';
/** How the dev server read search attributes before the bench said: the Temporal CLI's default. */
export const DEV_SERVER_SA_CACHE = 'refresh-on-read';
/** The Slack calls' heartbeat timeout (s) of runs recorded before the bench set it: Runway's default then and since. */
export const DEFAULT_SLACK_HEARTBEAT_S = 10;
/** The build of runs recorded before the bench said which code it measured (2026-12-06). */
export const UNRECORDED_BUILD = 'unrecorded';

/** One run of N releases on W workers. NaN where there is nothing to measure. */
export interface RunFigures {
  waiting: number;
  /** From the first start until every release waited for approval (NaN: not all did in time). */
  toApprovalMs: number;
  approved: number;
  released: number;
  /** Released releases whose production GitHub deployment ended marked success. */
  recorded: number;
  /** Records still waiting in the GitHub writer when the run stopped waiting for them (late, not lost). */
  recordsPending: number;
  /** Released releases whose Slack message ends saying so. */
  slackFinal: number;
  /** Slack calls the emulator refused with 429 (its limits on). */
  slackRefused: number;
  /**
   * Content-creating requests the emulated GitHub accepted. It counts them only while it enforces
   * its limits (`--github-budget github`): NaN otherwise, and for runs recorded before 2026-12-06.
   */
  githubWrites: number;
  /** Content-creating requests the emulated GitHub refused with 429, over its limits (NaN as githubWrites). */
  githubRefused: number;
  /** Peak RSS of the largest worker. */
  rssMiB: number;
  /** Peak RSS of the largest worker until every release waited for approval (in flight, before any bake). */
  rssWaitingMiB: number;
  /** V8 heap in use per release in flight while all wait for approval, above the idle workers' (KiB, all workers; includes garbage not yet collected). */
  heapKiBPerRelease: number;
  cpuSecondsPerRelease: number;
  /** The Temporal dev server's CPU seconds per release (NaN on PostgreSQL). */
  serverCpuSecondsPerRelease: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

export interface RunRecord {
  settings: RunSettings;
  figures: RunFigures;
  /** When the run ended (ISO 8601). */
  at: string;
}

/** Every run prints one line starting with this, its record as JSON, so its log can build a table later. */
export const RUN_RECORD_PREFIX = 'scale-run-record ';

export const heapLabel = ({ heapCap }: RunSettings) => (heapCap === 0 ? 'V8 default' : `${heapCap} MiB`);
export const seconds = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(1)} s` : '-');
const rate = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : '-');
const finiteMedian = (values: number[]) => median(values.filter(Number.isFinite));

export function runRecordLine(record: RunRecord): string {
  return RUN_RECORD_PREFIX + JSON.stringify(record);
}

/** Figures the bench added after runs were already recorded in logs read by --table-from. */
const UNRECORDED: Partial<RunFigures> = { githubWrites: NaN, githubRefused: NaN };

/**
 * The run records in a bench log (other lines are skipped). JSON has no NaN: a figure written as
 * null reads back as NaN. `source` names the log in the refusal of a record that does not parse.
 */
export function readRunRecords(log: string, source: string): RunRecord[] {
  const records: RunRecord[] = [];
  log.split('\n').forEach((line, i) => {
    const at = line.indexOf(RUN_RECORD_PREFIX);
    if (at < 0) return;
    let record: RunRecord;
    try {
      record = JSON.parse(line.slice(at + RUN_RECORD_PREFIX.length)) as RunRecord;
    } catch (err) {
      throw new Error(`${source}:${i + 1}: not a scale run record (${(err as Error).message})`);
    }
    if (typeof record?.settings?.n !== 'number' || typeof record.figures !== 'object' || record.figures === null) throw new Error(`${source}:${i + 1}: not a scale run record (no settings or figures)`);
    // Figures a run recorded before the bench measured them read as NaN, shown as "-".
    const figures = { ...UNRECORDED, ...Object.fromEntries(Object.entries(record.figures).map(([k, v]) => [k, typeof v === 'number' ? v : NaN])) } as RunFigures;
    // The first runs to record the GitHub counts (2026-12-06) wrote 0 for runs whose emulator counted nothing (limits off).
    if (record.settings.budget !== 'github') Object.assign(figures, UNRECORDED);
    records.push({ ...record, settings: { ...record.settings, workflowPolls: record.settings.workflowPolls ?? SDK_WORKFLOW_POLLS, serverSqlite: record.settings.serverSqlite ?? DEV_SERVER_SQLITE, serverSaCache: record.settings.serverSaCache ?? DEV_SERVER_SA_CACHE, slackHeartbeat: record.settings.slackHeartbeat ?? DEFAULT_SLACK_HEARTBEAT_S, build: record.settings.build ?? UNRECORDED_BUILD }, figures });
  });
  return records;
}

/** Runs of the same settings and build together, in the order their settings first appear. */
export function groupRuns(records: RunRecord[]): { settings: RunSettings; runs: RunFigures[] }[] {
  const rows = new Map<string, { settings: RunSettings; runs: RunFigures[] }>();
  for (const { settings, figures } of records) {
    const { n, w, budget, slackLimits, heapCap, taskPriority, workflowPolls, serverSqlite, serverSaCache, slackHeartbeat, build } = settings;
    const key = JSON.stringify([n, w, budget, slackLimits, heapCap, taskPriority, workflowPolls, serverSqlite, serverSaCache, slackHeartbeat, build]);
    if (!rows.has(key)) rows.set(key, { settings, runs: [] });
    rows.get(key)!.runs.push(figures);
  }
  return [...rows.values()];
}

const HEADER = [
  'N',
  'workers',
  'runs',
  'GitHub budget',
  'Slack limits',
  'worker heap',
  'task priority',
  'WFT polls',
  'server SQLite',
  'server SA cache',
  'Slack call heartbeat',
  'build',
  'reached approval',
  'all at approval in',
  'released',
  'GitHub success',
  'records queued',
  'GitHub writes',
  'GitHub 429s',
  'Slack final',
  'Slack 429s',
  'peak RSS MiB/worker, waiting',
  'baking',
  'heap KiB/release',
  'CPU s/release',
  'server CPU s/release',
  'releases/s',
  'p50 approval→released',
  'p99',
];

/** The table's lines: a header, then one row per setting with the medians of its runs. */
export function scaleTable(rows: { settings: RunSettings; runs: RunFigures[] }[]): string[] {
  const m = (runs: RunFigures[], pick: (f: RunFigures) => number) => median(runs.map(pick));
  const table = [
    HEADER,
    ...rows.map(({ settings, runs }) => [
      String(settings.n),
      String(settings.w),
      String(runs.length),
      settings.budget,
      settings.slackLimits,
      heapLabel(settings),
      settings.taskPriority,
      String(settings.workflowPolls),
      settings.serverSqlite,
      settings.serverSaCache,
      `${settings.slackHeartbeat} s`,
      settings.build,
      `${fmt(m(runs, (f) => f.waiting))}/${settings.n}`,
      seconds(finiteMedian(runs.map((f) => f.toApprovalMs))),
      fmt(m(runs, (f) => f.released)),
      fmt(m(runs, (f) => f.recorded)),
      fmt(m(runs, (f) => f.recordsPending)),
      fmt(m(runs, (f) => f.githubWrites)),
      fmt(m(runs, (f) => f.githubRefused)),
      fmt(m(runs, (f) => f.slackFinal)),
      fmt(m(runs, (f) => f.slackRefused)),
      fmt(m(runs, (f) => f.rssWaitingMiB)),
      fmt(m(runs, (f) => f.rssMiB)),
      fmt(m(runs, (f) => f.heapKiBPerRelease)),
      m(runs, (f) => f.cpuSecondsPerRelease).toFixed(2),
      m(runs, (f) => f.serverCpuSecondsPerRelease).toFixed(2),
      rate(finiteMedian(runs.map((f) => f.perSecond))),
      seconds(finiteMedian(runs.map((f) => f.p50Ms))),
      seconds(finiteMedian(runs.map((f) => f.p99Ms))),
    ]),
  ];
  const widths = HEADER.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
  return table.map((row) => row.map((cell, c) => cell.padStart(widths[c]!)).join('  '));
}

/** One run's summary line, as the bench prints it when the run ends. */
export function runSummary({ settings: s, figures: f }: RunRecord, run: number): string {
  return (
    `scale: N=${s.n} W=${s.w} budget ${s.budget} Slack limits ${s.slackLimits} worker heap ${heapLabel(s)} task priority ${s.taskPriority} workflow-task polls ${s.workflowPolls} server SQLite ${s.serverSqlite} SA cache ${s.serverSaCache} Slack call heartbeat ${s.slackHeartbeat} s build ${s.build} run ${run}: ${f.waiting}/${s.n} reached approval (all in ${seconds(f.toApprovalMs)}); ${f.released}/${f.approved} approved released, ${rate(f.perSecond)} releases/s, ` +
    `approval → released p50 ${seconds(f.p50Ms)} p99 ${seconds(f.p99Ms)}; ${f.recorded}/${f.released} production records success on GitHub (${f.recordsPending} still queued; GitHub accepted ${fmt(f.githubWrites)} writes, refused ${fmt(f.githubRefused)}); ` +
    `${f.slackFinal}/${f.released} Slack messages final (${f.slackRefused} Slack calls refused 429); peak RSS ${f.rssWaitingMiB.toFixed(0)} MiB per worker while waiting, ${f.rssMiB.toFixed(0)} MiB baking; ${f.cpuSecondsPerRelease.toFixed(2)} CPU s per release (server ${f.serverCpuSecondsPerRelease.toFixed(2)})`
  );
}
