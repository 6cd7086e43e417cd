/**
 * `runway audit --format md`: the audit record (src/release-client/audit.ts) as Markdown that
 * reads well in a terminal and renders in a pull request, a ticket or a wiki. Pure.
 */
import type { AnalysisThresholds, TrackMetrics } from '../domain/canary-analysis';
import { type AuditActivity, type AuditBake, type AuditDecision, type AuditRecord, isReleaseRecord } from '../release-client/audit';

/** Table cell text: one line, pipes escaped. */
const cell = (text: string) =>
  text
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/\s*\n\s*/g, ' ');
/** An inline code span that survives backticks in its text. */
function code(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  return longest > 0 ? `${fence} ${text} ${fence}` : `${fence}${text}${fence}`;
}
const quote = (text: string) => `“${text.replace(/\s*\n\s*/g, ' ')}”`;

const pct = (v: number | undefined) => (v === undefined ? '–' : `${(v * 100).toFixed(2)} %`);
const ms = (v: number | undefined) => (v === undefined ? '–' : `${Math.round(v)} ms`);
const count = (v: number | undefined) => (v === undefined ? '–' : String(v));

export function duration(msValue: number | undefined): string {
  if (msValue === undefined) return '–';
  if (msValue < 1000) return `${Math.round(msValue)} ms`;
  const s = msValue / 1000;
  if (s < 120) return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${Math.round(s / 360) / 10} h`;
}

/** Time of day when it falls on the day the workflow started, else date and time (UTC). */
function clock(iso: string | undefined, startedAt: string): string {
  if (!iso) return '–';
  return iso.slice(0, 10) === startedAt.slice(0, 10) ? iso.slice(11, 23) : `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
}

const CHANNEL: Record<AuditDecision['channel'], string> = {
  slack: 'Slack button (Workflow Update from the approvals server)',
  cli: 'Workflow Update without a Slack origin (runway CLI or another Temporal client)',
  signal: 'signal (Temporal Web UI or temporal workflow signal)',
};

function header(r: AuditRecord): string[] {
  const result = r.outcome?.result ? `: **${r.outcome.result}**` : '';
  const rows = [
    ['workflow', `${code(r.type)}${r.runId ? `, run ${code(r.runId)}` : ''}`],
    ['status', `${r.status}${result}`],
    ['started', `${r.startedAt.slice(0, 10)} ${r.startedAt.slice(11, 23)} UTC`],
    ...(r.closedAt ? [['closed', `${r.closedAt.slice(0, 10)} ${r.closedAt.slice(11, 23)} UTC`]] : []),
    ['history', `${r.events} events${r.workflowWorkers.length ? `; workflow code ran on ${r.workflowWorkers.map(code).join(', ')}` : ''}`],
  ];
  return [
    `# Audit record: ${r.id}`,
    '',
    '| | |',
    '|---|---|',
    ...rows.map(([k, v]) => `| ${k} | ${cell(v!)} |`),
    '',
    `Times are UTC${r.closedAt ? '' : '; the workflow is still running, so this record ends now'}.`,
  ];
}

/** Scalar fields of the input that the start section does not already name (a rollback's from/to, …). */
function inputLines(input: unknown, skip: Set<string>, prefix = ''): string[] {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return [];
  const lines: string[] = [];
  for (const [key, value] of Object.entries(input)) {
    const path = `${prefix}${key}`;
    if (skip.has(path) || value === undefined) continue;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      if (!prefix) lines.push(...inputLines(value, skip, `${path}.`));
    } else {
      lines.push(`- ${path}: ${code(Array.isArray(value) ? value.join(', ') : String(value))}`);
    }
  }
  return lines;
}

function start(r: AuditRecord): string[] {
  const s = r.start;
  const lines = ['', '## Who started it and why', ''];
  lines.push(`- **Requested by** ${s.requestedBy ?? '(not given)'}${s.reason ? `: ${quote(s.reason)}` : ''}`);
  if (s.service) lines.push(`- **Service** ${s.service}${s.version ? `, version ${code(s.version)}` : ''}`);
  if (s.image) lines.push(`- **Image** ${code(s.image)}`);
  const via = [
    s.clientIdentity ? `Temporal client ${code(s.clientIdentity)}` : undefined,
    s.githubRun ? `GitHub Actions run ${s.githubRun.id}${s.githubRun.attempt ? ` (attempt ${s.githubRun.attempt})` : ''}` : undefined,
  ].filter(Boolean);
  if (via.length) lines.push(`- **Started through** ${via.join(', ')}`);
  const other = inputLines(s.input[0], new Set(['requestedBy', 'reason', 'service', 'version', 'image', 'plan', 'startedBy']));
  if (other.length) lines.push('', 'Input:', ...other);
  return lines;
}

function approvalPolicy(r: AuditRecord): string[] {
  const p = r.approvalPolicy;
  if (!p && r.type === 'rollback') return ['', '## Approval policy', '', 'None asked: rollbacks of this service need no approval (`rollback: { approval: none }`).'];
  if (!p) return [];
  const parts = [
    `approvers ${p.approvers?.length ? p.approvers.join(', ') : 'none named'}`,
    ...(p.groups?.length ? [`or members of ${p.groups.join(', ')}`] : []),
    `${p.requiredApprovals ?? 1} approval(s) required`,
    `self-approval ${p.allowSelfApproval ? 'allowed' : 'not allowed'}`,
    `timeout ${duration(p.timeoutMs)}`,
    ...(p.channel ? [`asked in ${p.channel}`] : []),
  ];
  return ['', '## Approval policy', '', `${parts.join('; ')}.`];
}

function stages(r: AuditRecord): string[] {
  if (r.stages.length === 0) return [];
  return ['', '## Stages', '', '| time | stage |', '|---|---|', ...r.stages.map((s) => `| ${clock(s.at, r.startedAt)} | ${cell(s.stage)} |`)];
}

function decisionOutcome(d: AuditDecision): string {
  const note = d.note ? ` — ${quote(d.note)}` : '';
  switch (d.outcome) {
    case 'accepted':
      return `accepted${note}`;
    case 'refused':
      return `**refused**: ${d.detail ?? ''}${note}`;
    case 'failed':
      return `**failed**: ${d.detail ?? ''}${note}`;
    case 'in-progress':
      return `accepted, not completed yet${note}`;
    default:
      return `received; its verdict is recorded in the release's status when it ends${note}`;
  }
}

function decisions(r: AuditRecord): string[] {
  const lines = ['', '## Decisions and operator controls', ''];
  if (r.decisions.length === 0) lines.push('None in the history.');
  else {
    lines.push('| time | action | by | channel | client | outcome |', '|---|---|---|---|---|---|');
    for (const d of r.decisions) {
      const who = `${d.by ?? '–'}${d.slackUserId ? ` (Slack ${d.slackUserId}${d.groups?.length ? `, groups ${d.groups.join(', ')}` : ''})` : ''}`;
      lines.push(
        `| ${clock(d.at, r.startedAt)} | ${cell(d.name)} | ${cell(who)} | ${cell(CHANNEL[d.channel])} | ${d.clientIdentity ? cell(code(d.clientIdentity)) : '–'} | ${cell(
          decisionOutcome(d),
        )} |`,
      );
    }
  }
  lines.push('', "_An Update refused by the release's validator leaves no event in the history (its sender was told why); a refused signal is shown as the release recorded it._");
  return lines;
}

function thresholdText(t: AnalysisThresholds | undefined, reference: string): string {
  if (!t) return 'thresholds not recorded';
  return [
    `error rate ≤ ${pct(t.maxErrorRate)} or ≤ ${reference} + ${(t.maxErrorRateIncrease * 100).toFixed(2)} pt`,
    `p99 ≤ ${reference} + ${Math.round(t.maxP99Increase * 100)} %`,
    `crashed tasks ≤ ${t.maxCrashedTasks}`,
    `at least ${t.minRequests} requests per measurement`,
  ].join('; ');
}

const metrics = (m: TrackMetrics | undefined) => `${count(m?.requests)} requests, errors ${pct(m?.errorRate)}, p99 ${ms(m?.p99Ms)}`;

function bake(b: AuditBake, r: AuditRecord, index: number): string[] {
  const [candidate, reference] = b.phase === 'verify' ? ['production', 'baseline'] : ['canary', 'stable'];
  const title = b.phase === 'verify' ? `Window ${index + 1}` : `Step ${b.step ?? '?'}${b.weight !== undefined ? ` at ${b.weight} %` : ''}`;
  const decision = b.decision ? `decision: **${b.decision.action}**${b.decision.reason ? ` (${b.decision.reason})` : ''}` : `bake ${b.status}`;
  const lines = [
    '',
    `### ${title} — ${clock(b.scheduledAt, r.startedAt)} to ${b.closedAt ? clock(b.closedAt, r.startedAt) : 'now'}, ${decision}${
      b.interrupted ? ', cut short by the workflow' : ''
    }`,
    '',
    `Judged against: ${thresholdText(b.thresholds, reference)}${
      b.limits?.failureLimit !== undefined
        ? `; fails at ${b.limits.failureLimit} failed measurement(s), asks a human after ${b.limits.inconclusiveLimit ?? '?'} inconclusive in a row`
        : ''
    }.`,
    '',
  ];
  if (b.measurements.length === 0) return [...lines, 'No measurement recorded.'];
  lines.push(
    `| time | verdict | ${candidate} requests | ${candidate} errors | ${reference} errors | ${candidate} p99 | ${reference} p99 | crashed | signals not passing |`,
    '|---|---|---|---|---|---|---|---|---|',
  );
  for (const m of b.measurements) {
    const notes = m.signals.filter((s) => s.verdict !== 'pass').map((s) => `${s.signal} ${s.verdict}: ${s.detail}`);
    if (m.metricsError) notes.push(`metrics unavailable: ${m.metricsError}`);
    const row = [
      `${clock(m.at, r.startedAt)}${m.live ? ' (live)' : ''}`,
      m.verdict,
      count(m.candidate.requests),
      pct(m.candidate.errorRate),
      pct(m.reference.errorRate),
      ms(m.candidate.p99Ms),
      ms(m.reference.p99Ms),
      String(m.crashedTasks),
      notes.length ? notes.join('; ') : 'none',
    ];
    lines.push(`| ${row.map(cell).join(' | ')} |`);
  }
  return lines;
}

function canary(r: AuditRecord): string[] {
  const c = r.canary;
  if (!c || (!isReleaseRecord(r) && c.bakes.length === 0)) return [];
  const lines = ['', '## Canary analysis', ''];
  const a = c.analysis;
  if (c.steps) {
    lines.push(
      `Plan: steps ${c.steps.join(' → ')} %, bake ${duration(c.bakeMs)} per step${
        a ? `, a measurement every ${duration(a.intervalMs)}; judged against ${thresholdText(a.thresholds, 'stable')}` : ''
      }.`,
    );
  }
  if (c.bakes.length === 0) lines.push('', 'No canary bake in the history.');
  c.bakes.forEach((b, i) => lines.push(...bake(b, r, i)));
  for (const f of c.failure ?? []) lines.push('', `**Failed** ${f.signal}: ${f.detail}`);
  return lines;
}

function verify(r: AuditRecord): string[] {
  const v = r.verify;
  if (!v) return [];
  const lines = ['', '## Post-release watch', ''];
  const window = v.durationMs !== undefined ? `Window ${duration(v.durationMs)}` : 'Window';
  lines.push(`${window}${v.startedAt ? `, from ${clock(v.startedAt, r.startedAt)}` : ', not started'}.`);
  if (v.baseline) lines.push('', `Baseline (the previous version before the canary${v.baseline.at ? `, at ${clock(v.baseline.at, r.startedAt)}` : ''}): ${metrics(v.baseline)}.`);
  v.bakes.forEach((b, i) => lines.push(...bake(b, r, i)));
  for (const f of v.failure ?? []) lines.push('', `**Failed** ${f.signal}: ${f.detail}`);
  return lines;
}

function activityLine(a: AuditActivity, r: AuditRecord, index: number): string[] {
  const took = a.closedAt ? ` in ${duration(Date.parse(a.closedAt) - Date.parse(a.scheduledAt))}` : '';
  const facts = [
    ...(a.stage ? [a.stage] : []),
    `${a.status}${took}`,
    ...(a.attempts !== undefined ? [`${a.attempts} attempt(s)`] : []),
    ...(a.worker ? [`worker ${code(a.worker)}`] : []),
    ...(a.cancelRequested ? ['cancellation requested'] : []),
  ];
  const number = `${index + 1}.`;
  // Nested under the numbered item: indented to the item's text.
  const sub = (text: string) => `${' '.repeat(number.length + 1)}- ${text}`;
  const lines = [
    `${number} ${clock(a.scheduledAt, r.startedAt)} **${a.name}**${a.summary ? ` ${quote(a.summary)}` : ''} — ${facts.join(', ')}`,
    sub(`input: ${code(a.inputSummary)}`),
  ];
  if (a.resultSummary !== undefined) lines.push(sub(`result: ${code(a.resultSummary)}`));
  if (a.failure) lines.push(sub(`failure: ${a.failure}`));
  if (a.lastFailure) lines.push(sub(`an earlier attempt failed: ${a.lastFailure}`));
  return lines;
}

function sideEffects(r: AuditRecord): string[] {
  const lines = ['', '## Side effects', ''];
  if (r.activities.length === 0) return [...lines, 'None.'];
  lines.push(`${r.activities.length} activities, in the order the workflow scheduled them (input and result summarised; \`--format json\` has them whole).`, '');
  r.activities.forEach((a, i) => lines.push(...activityLine(a, r, i)));
  return lines;
}

function rollback(r: AuditRecord): string[] {
  const rb = r.rollback;
  if (!rb) return [];
  const lines = ['', '## Rollback', '', `- **Started** ${clock(rb.startedAt, r.startedAt)}`];
  if (rb.trigger) lines.push(`- **Set off by** ${rb.trigger.kind} at ${clock(rb.trigger.at, r.startedAt)}: ${rb.trigger.detail}`);
  if (rb.cause) lines.push(`- **Cause** ${rb.cause}`);
  const numbers = r.activities.flatMap((a, i) => (rb.activityIds.includes(a.activityId) ? [i + 1] : []));
  lines.push(`- **Undo steps and reports** ${numbers.length} side effect(s)${numbers.length ? `: ${numbers[0]}–${numbers.at(-1)} above` : ''}`);
  return lines;
}

function outcome(r: AuditRecord): string[] {
  const o = r.outcome;
  const lines = ['', '## Outcome', ''];
  if (!o) return [...lines, `Still ${r.status}.`];
  const what = o.result ?? o.closedAs;
  lines.push(`**${what}** at ${clock(o.at, r.startedAt)}${o.closedAs !== 'completed' ? ` (workflow ${o.closedAs})` : ''}${o.reason ? `: ${o.reason}` : ''}`);
  if (o.failure) lines.push('', `Failure: ${o.failure}`);
  if (o.identity) lines.push('', `By Temporal client ${code(o.identity)}.`);
  return lines;
}

function otherEvents(r: AuditRecord): string[] {
  if (r.otherEvents.length === 0) return [];
  return ['', '## Other events', '', ...r.otherEvents.map((e) => `- ${clock(e.at, r.startedAt)} ${e.kind}: ${e.detail}${e.identity ? ` (${code(e.identity)})` : ''}`)];
}

/** The whole record as Markdown, ending with a newline. */
export function formatAuditMarkdown(record: AuditRecord): string {
  const sections = [header, start, approvalPolicy, stages, decisions, canary, verify, sideEffects, rollback, otherEvents, outcome];
  return `${sections.flatMap((section) => section(record)).join('\n')}\n`;
}
