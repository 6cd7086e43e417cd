/**
 * Summarises what a release did to each external system, from the sandbox's recorded calls:
 * the demo's closing report, and a readable view for operators exploring the sandbox. A story of
 * several workflows (two releases and a rollback) is summarised a phase at a time (`callsSince`).
 */

export interface RecordedCall {
  seq: number;
  at: string;
  operation: string;
  request: unknown;
  status: number;
}

export interface RecordedCalls {
  ecs: RecordedCall[];
  slack: RecordedCall[];
  github: RecordedCall[];
  health?: RecordedCall[];
  prometheus?: RecordedCall[];
}

const READS = new Set([
  'DescribeServices',
  'DescribeTaskDefinition',
  'ListTaskDefinitions',
  'ListTasks',
  'DescribeTasks',
  'ListServiceDeployments',
  'DescribeServiceDeployments',
  'DescribeServiceRevisions',
]);

function field(request: unknown, name: string): unknown {
  return request && typeof request === 'object' ? (request as Record<string, unknown>)[name] : undefined;
}

/** The calls recorded after `before` (an earlier snapshot of the same sandbox's calls): one phase of a longer story. */
export function callsSince(calls: RecordedCalls, before: RecordedCalls): RecordedCalls {
  const since = (system: keyof RecordedCalls) => (calls[system] ?? []).slice(before[system]?.length ?? 0);
  return { ecs: since('ecs'), slack: since('slack'), github: since('github'), health: since('health'), prometheus: since('prometheus') };
}

export function summariseCalls(calls: RecordedCalls): string[] {
  const lines: string[] = [];
  const ecsWrites = calls.ecs.filter((c) => !READS.has(c.operation));
  const ecsReads = calls.ecs.length - ecsWrites.length;
  lines.push(`ECS     ${ecsWrites.length} change(s), ${ecsReads} read(s)`);
  for (const c of ecsWrites) {
    if (c.operation === 'RegisterTaskDefinition') {
      const containers = field(c.request, 'containerDefinitions') as { name?: string; image?: string }[] | undefined;
      lines.push(`  RegisterTaskDefinition ${String(field(c.request, 'family'))} with ${containers?.map((x) => x.image).join(', ')}`);
    } else if (c.operation === 'UpdateService') {
      const parts = [
        field(c.request, 'taskDefinition') ? `taskDefinition ${String(field(c.request, 'taskDefinition')).split('/').pop()}` : undefined,
        field(c.request, 'desiredCount') !== undefined ? `desiredCount ${String(field(c.request, 'desiredCount'))}` : undefined,
      ].filter(Boolean);
      const strategy = field(field(c.request, 'deploymentConfiguration'), 'strategy');
      if (strategy && strategy !== 'ROLLING') parts.push(`strategy ${String(strategy)}`);
      lines.push(`  UpdateService ${String(field(c.request, 'cluster'))}/${String(field(c.request, 'service'))}: ${parts.join(', ')}`);
    } else if (c.operation === 'ContinueServiceDeployment') {
      lines.push(`  ContinueServiceDeployment ${String(field(c.request, 'action') ?? 'CONTINUE')} (hook ${String(field(c.request, 'hookId'))})`);
    } else if (c.operation === 'StopServiceDeployment') {
      lines.push(`  StopServiceDeployment ${String(field(c.request, 'stopType') ?? 'ROLLBACK')}`);
    } else {
      lines.push(`  ${c.operation}`);
    }
  }
  const postings = calls.slack.filter((c) => c.operation === 'chat.postMessage');
  const threadReplies = postings.filter((c) => field(c.request, 'thread_ts') !== undefined);
  const updates = calls.slack.filter((c) => c.operation === 'chat.update').length;
  const replies = calls.slack.filter((c) => c.operation === 'response_url').length;
  lines.push(
    `Slack   ${postings.length - threadReplies.length} message(s) posted, ${updates} update(s), ${threadReplies.length} thread reply(ies), ${replies} answer(s) to a button click`,
  );
  for (const reply of threadReplies) lines.push(`    thread reply: ${String(field(reply.request, 'text')).slice(0, 100)}`);
  const created = calls.github.filter((c) => c.operation.startsWith('POST') && c.operation.endsWith('/deployments'));
  const statuses = calls.github.filter((c) => c.operation.endsWith('/statuses') && c.operation.startsWith('POST'));
  const checks = calls.github.filter((c) => c.operation.includes('check-runs'));
  const dispatches = calls.github.filter((c) => c.operation.startsWith('POST') && c.operation.endsWith('/dispatches'));
  const runReads = calls.github.filter((c) => c.operation.startsWith('GET') && /\/actions\/runs\/\d+$/.test(c.operation));
  // Builds and checks only when there were any: a rollback deploys what was built before.
  const builds = [
    dispatches.length > 0 ? `${dispatches.length} build(s) dispatched` : '',
    runReads.length > 0 ? `${runReads.length} build-run read(s)` : '',
    checks.length > 0 ? `${checks.length} check-run read(s)` : '',
  ].filter((part) => part !== '');
  lines.push(`GitHub  ${[...builds, `${created.length} deployment(s) created`, `${statuses.length} status(es)`].join(', ')}`);
  for (const c of dispatches) lines.push(`  ${c.operation.replace(/^POST /, 'dispatch ')}`);
  for (const c of created) lines.push(`  deployment to ${String(field(c.request, 'environment'))}`);
  for (const c of statuses) {
    // Runway names the environment in every status it writes; older records may not.
    const environment = field(c.request, 'environment');
    const where = typeof environment === 'string' && environment ? ` (${environment})` : '';
    lines.push(`  status ${String(field(c.request, 'state'))}${where}: ${String(field(c.request, 'description') ?? '')}`);
  }
  if (calls.prometheus?.length) lines.push(`Metrics ${calls.prometheus.length} Prometheus query(ies) for analysis (canary, post-release watch)`);
  return lines;
}
