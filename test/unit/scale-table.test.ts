/**
 * The scale bench's run records and table (bench/support/scale-table.ts): a run's figures survive
 * the log line they are printed on (NaN included), runs of one setting from several logs make one
 * row of medians (runs of another build another row), and a line that is not a record is refused
 * naming the log and line.
 */
import { groupRuns, readRunRecords, runRecordLine, type RunFigures, type RunRecord, type RunSettings, scaleTable } from '../../bench/support/scale-table';

const settings = (n: number, w: number): RunSettings => ({ n, w, budget: 'off', slackLimits: 'slack', heapCap: 512, taskPriority: 'on', workflowPolls: 8, serverSqlite: 'wal', serverSaCache: 'cached', slackHeartbeat: 10, build: 'd5a5b37' });

function figures(over: Partial<RunFigures> = {}): RunFigures {
  return {
    waiting: 2000,
    toApprovalMs: 1_500_000,
    approved: 2000,
    released: 2000,
    recorded: 2000,
    recordsPending: 0,
    slackFinal: 2000,
    slackRefused: 0,
    githubWrites: 14_000,
    githubRefused: 0,
    rssMiB: 900,
    rssWaitingMiB: 870,
    heapKiBPerRelease: 6,
    cpuSecondsPerRelease: 1.2,
    serverCpuSecondsPerRelease: 1.7,
    perSecond: 0.5,
    p50Ms: 600_000,
    p99Ms: 1_000_000,
    ...over,
  };
}

const record = (s: RunSettings, f: RunFigures): RunRecord => ({ settings: s, figures: f, at: '2026-12-05T12:00:00.000Z' });

it('reads back the records a log printed among its other lines, NaN figures included', () => {
  const one = record(settings(2000, 1), figures({ toApprovalMs: NaN, p99Ms: 950_000 }));
  const log = ['scale: N=2000 W=1 waiting for approval: 12 queued', `2026-12-05 ${runRecordLine(one)}`, 'scale: medians of 1 run(s) per row'].join('\n');

  const [read, ...others] = readRunRecords(log, 'run.log');

  expect(others).toEqual([]);
  expect(read!.settings).toEqual(one.settings);
  expect(read!.figures.toApprovalMs).toBeNaN();
  expect(read!.figures.p99Ms).toBe(950_000);
});

it('makes one row of medians per setting from the runs of several logs, in the order settings first appear', () => {
  const logA = [runRecordLine(record(settings(2000, 4), figures({ released: 1990, p99Ms: 2_000_000 }))), runRecordLine(record(settings(2000, 1), figures({ released: 2000 })))].join('\n');
  const logB = [runRecordLine(record(settings(2000, 4), figures({ released: 2000, p99Ms: 1_000_000 }))), runRecordLine(record(settings(2000, 4), figures({ released: 1996, p99Ms: 1_200_000 })))].join('\n');

  const rows = groupRuns([...readRunRecords(logA, 'a.log'), ...readRunRecords(logB, 'b.log')]);

  expect(rows.map((r) => [r.settings.w, r.runs.length])).toEqual([
    [4, 3],
    [1, 1],
  ]);
  const [header, fourWorkers, oneWorker] = scaleTable(rows).map((line) => line.trim().split(/\s{2,}/));
  const column = (name: string) => header!.indexOf(name);
  expect(fourWorkers![column('runs')]).toBe('3');
  expect(fourWorkers![column('released')]).toBe('1996');
  expect(fourWorkers![column('p99')]).toBe('1200.0 s');
  expect(oneWorker![column('released')]).toBe('2000');
  expect(oneWorker![column('reached approval')]).toBe('2000/2000');
});

it('refuses a record line that does not parse, naming the log and the line', () => {
  const log = `scale: starting\nscale-run-record {"settings": {"n": 20`;
  expect(() => readRunRecords(log, 'part-2.log')).toThrow(/^part-2\.log:2: not a scale run record/);
  expect(() => readRunRecords('scale-run-record {"at": "x"}', 'part-3.log')).toThrow('part-3.log:1: not a scale run record (no settings or figures)');
});

it('reads a record from before the bench set the workflow-task polls, SQLite commits, search-attribute cache and Slack call heartbeat as the SDK\'s 2, the rollback journal, the CLI\'s refresh on read and Runway\'s 10 s, in a row of its own', () => {
  const { workflowPolls: _polls, serverSqlite: _sqlite, serverSaCache: _saCache, slackHeartbeat: _heartbeat, ...before } = settings(2000, 1);
  const log = [runRecordLine(record(before as RunSettings, figures({ released: 1095 }))), runRecordLine(record(settings(2000, 1), figures({ released: 2000 })))].join('\n');

  const rows = groupRuns(readRunRecords(log, 'old.log'));

  expect(rows.map((r) => [r.settings.workflowPolls, r.settings.serverSqlite, r.settings.serverSaCache, r.runs[0]!.released])).toEqual([
    [2, 'rollback-journal', 'refresh-on-read', 1095],
    [8, 'wal', 'cached', 2000],
  ]);
  const [header, old] = scaleTable(rows).map((line) => line.trim().split(/\s{2,}/));
  expect(old![header!.indexOf('WFT polls')]).toBe('2');
  expect(old![header!.indexOf('server SQLite')]).toBe('rollback-journal');
  expect(old![header!.indexOf('server SA cache')]).toBe('refresh-on-read');
  expect(old![header!.indexOf('Slack call heartbeat')]).toBe('10 s');
});

it('keeps runs with another Slack call heartbeat in a row of their own', () => {
  const log = [runRecordLine(record(settings(500, 1), figures({ released: 500 }))), runRecordLine(record({ ...settings(500, 1), slackHeartbeat: 30 }, figures({ released: 499 })))].join('\n');

  const rows = groupRuns(readRunRecords(log, 'heartbeats.log'));

  expect(rows.map((r) => [r.settings.slackHeartbeat, r.runs[0]!.released])).toEqual([
    [10, 500],
    [30, 499],
  ]);
  const [header, , longer] = scaleTable(rows).map((line) => line.trim().split(/\s{2,}/));
  expect(longer![header!.indexOf('Slack call heartbeat')]).toBe('30 s');
});

it('shows the GitHub writes and refusals a run recorded, and "-" for a run recorded before the bench counted them', () => {
  const { githubWrites: _writes, githubRefused: _refused, ...before } = figures({ released: 1999 });
  const limitsOn: RunSettings = { ...settings(100, 4), budget: 'github' };
  const log = [runRecordLine(record(limitsOn, before as RunFigures)), runRecordLine(record(limitsOn, figures({ githubWrites: 700, githubRefused: 3 })))].join('\n');

  const [older, newer] = readRunRecords(log, 'mixed.log');

  expect(older!.figures.githubRefused).toBeNaN();
  expect(newer!.figures.githubRefused).toBe(3);
  const cells = (f: RunFigures) => scaleTable([{ settings: limitsOn, runs: [f] }]).map((line) => line.trim().split(/\s{2,}/));
  const [header, newRow] = cells(newer!.figures);
  const [, oldRow] = cells(older!.figures);
  expect(newRow![header!.indexOf('GitHub writes')]).toBe('700');
  expect(newRow![header!.indexOf('GitHub 429s')]).toBe('3');
  expect(oldRow![header!.indexOf('GitHub writes')]).toBe('-');
  expect(oldRow![header!.indexOf('GitHub 429s')]).toBe('-');
});

it('shows no GitHub counts for a run with GitHub\'s limits off, whose emulator counted nothing, even one recorded as 0', () => {
  const log = runRecordLine(record({ ...settings(1000, 4), budget: 'off' }, figures({ githubWrites: 0, githubRefused: 0 })));

  const [read] = readRunRecords(log, 'off.log');

  expect(read!.figures.githubWrites).toBeNaN();
  expect(read!.figures.githubRefused).toBeNaN();
});

it('keeps runs of different builds in rows of their own, and reads a record from before builds were recorded as "unrecorded"', () => {
  const { build: _build, ...before } = settings(1000, 4);
  const log = [
    runRecordLine(record(before as RunSettings, figures({ slackRefused: 3 }))),
    runRecordLine(record({ ...settings(1000, 4), build: 'cd4c745' }, figures({ slackRefused: 2 }))),
    runRecordLine(record({ ...settings(1000, 4), build: '4fe88b6' }, figures({ slackRefused: 0 }))),
    runRecordLine(record({ ...settings(1000, 4), build: '4fe88b6' }, figures({ slackRefused: 1 }))),
  ].join('\n');

  const rows = groupRuns(readRunRecords(log, 'three-builds.log'));

  expect(rows.map((r) => [r.settings.build, r.runs.map((f) => f.slackRefused)])).toEqual([
    ['unrecorded', [3]],
    ['cd4c745', [2]],
    ['4fe88b6', [0, 1]],
  ]);
  const [header, ...lines] = scaleTable(rows).map((line) => line.trim().split(/\s{2,}/));
  expect(lines.map((cells) => [cells[header!.indexOf('build')], cells[header!.indexOf('runs')]])).toEqual([
    ['unrecorded', '1'],
    ['cd4c745', '1'],
    ['4fe88b6', '2'],
  ]);
});
