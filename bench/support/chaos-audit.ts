/**
 * Checks one release against its story, from what the sandbox saw. Every side effect is counted
 * exactly against the story: more than expected is a duplicate (made twice), fewer is a skipped
 * step, one the story never makes is unexpected. Counted: ECS mutations (each distinct
 * UpdateService once, adjacent or not, in the story's order), task-definition registrations,
 * one-off tasks, GitHub deployment records and their statuses (per deployment), the Slack
 * approval post and replies in its thread; then where the services ended and the decision the
 * release recorded.
 */
import type { ReleaseOutcome } from '../../src/domain/release';
import type { SandboxCall, SandboxCalls } from '../../src/sandbox';
import { RELEASE_EVENT_TYPE } from '../../activities/slack-lookup';
import { type ChaosScenario, EXPECTATIONS } from './chaos-scenarios';

export interface AuditedRelease {
  id: string;
  service: string;
  scenario: ChaosScenario;
  /** Decision that got an OK answer (Slack ephemeral "You approved…", or the Update's ack). */
  answered?: 'approve' | 'reject';
}

export interface EcsServiceView {
  cluster: string;
  service: string;
  taskDefinition?: string;
  desiredCount: number;
}

/** A GitHub deployment record as the sandbox holds it (`GET /_sandbox/state` → github.deployments). */
export interface GitHubDeploymentView {
  id: number;
  repo: string;
  environment: string;
  payload?: unknown;
}

/** A Slack message as the sandbox holds it (`GET /_sandbox/state` → slack.messages). */
export interface SlackMessageView {
  channel: string;
  ts: string;
  thread_ts?: string;
  text?: string;
  metadata?: unknown;
}

/** What the audit reads: the sandbox's call log and the state it ended in. */
export interface SandboxView {
  calls: SandboxCalls;
  /** `cluster/service` → task definition before any release ran. */
  initialTaskDefinitions: Map<string, string>;
  finalServices: EcsServiceView[];
  githubDeployments: GitHubDeploymentView[];
  slackMessages: SlackMessageView[];
}

export interface Audit {
  /** Each prefixed with its kind: `duplicate:`, `skipped:`, `unexpected:`, `order:`, `outcome:`, `end state:`, `approval:`. */
  problems: string[];
  /** Side effects made more often than the story makes them. */
  duplicates: number;
  /** Side effects the story makes that never happened. */
  skipped: number;
  lostApproval: boolean;
}

const DECISION = { approve: 'approved', reject: 'rejected' } as const;

type UpdateRequest = { cluster?: string; service?: string; taskDefinition?: string; desiredCount?: number };

/** `S td=new count=-`: which service, whether the task definition is the release's, which count. */
function mutationKey(release: AuditedRelease, initial: Map<string, string>, r: UpdateRequest): string | undefined {
  const role = r.service === `${release.service}-canary` ? 'C' : r.service !== release.service ? undefined : r.cluster === 'staging' ? 'S' : 'P';
  if (!role) return undefined;
  const original = initial.get(`${r.cluster}/${r.service}`);
  const td = r.taskDefinition === undefined ? '-' : r.taskDefinition === original ? 'old' : 'new';
  return `${role} td=${td} count=${r.desiredCount ?? '-'}`;
}

const ok = (c: SandboxCall) => c.status >= 200 && c.status < 300;

function countBy(items: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return counts;
}

/** Tallies problems by kind while the audit runs. */
class Tally {
  readonly problems: string[] = [];
  duplicates = 0;
  skipped = 0;

  /** `what` happened `count` times; the story makes it exactly `expected` times. */
  exact(what: string, count: number, expected: number): void {
    if (count > expected && expected > 0) {
      this.problems.push(`duplicate: ${what} made ${count} times (expected ${expected})`);
      this.duplicates += count - expected;
    } else if (count > expected) {
      this.problems.push(`unexpected: ${what} made ${count} time(s) (the story makes none)`);
    } else if (count < expected) {
      this.problems.push(`skipped: ${what} made ${count} time(s) (expected ${expected})`);
      this.skipped += expected - count;
    }
  }
}

/** Release-message metadata (`{ event_type, event_payload: { release_id } }`) names this release. */
function isReleaseMetadata(metadata: unknown, releaseId: string): boolean {
  const m = metadata as { event_type?: string; event_payload?: { release_id?: string } } | undefined;
  return m?.event_type === RELEASE_EVENT_TYPE && m.event_payload?.release_id === releaseId;
}

export function auditRelease(release: AuditedRelease, outcome: ReleaseOutcome | undefined, view: SandboxView): Audit {
  const want = EXPECTATIONS[release.scenario];
  const { calls, initialTaskDefinitions } = view;
  const t = new Tally();
  if (!outcome) t.problems.push('outcome: did not finish');
  else if (outcome.result !== want.result) t.problems.push(`outcome: ended ${outcome.result} (${outcome.reason ?? ''}), expected ${want.result}`);

  // ECS: every distinct mutation exactly as often as the story makes it, repeats adjacent or
  // not (a retry after a crash that changed something already changed), in the story's order.
  const mutations = calls.ecs
    .filter((c) => c.operation === 'UpdateService' && ok(c))
    .map((c) => mutationKey(release, initialTaskDefinitions, c.request as UpdateRequest))
    .filter((k): k is string => k !== undefined);
  const made = countBy(mutations);
  const expected = countBy(want.mutations);
  for (const key of new Set([...want.mutations, ...mutations])) t.exact(`ECS UpdateService [${key}]`, made.get(key) ?? 0, expected.get(key) ?? 0);
  const firstTimes = mutations.filter((m, i) => mutations.indexOf(m) === i && expected.has(m));
  const storyPresent = want.mutations.filter((m) => made.has(m));
  if (JSON.stringify(firstTimes) !== JSON.stringify(storyPresent)) {
    t.problems.push(`order: ECS mutations [${mutations.join(', ')}], expected [${want.mutations.join(', ')}]`);
  }

  const repo = `acme/${release.service}`;
  for (const env of ['staging', 'production'] as const) {
    const family = `${release.service}-${env}`;
    const registered = calls.ecs.filter((c) => c.operation === 'RegisterTaskDefinition' && ok(c) && (c.request as { family?: string }).family === family).length;
    t.exact(`RegisterTaskDefinition ${family}`, registered, want.registers.includes(env) ? 1 : 0);
    const records = calls.github.filter(
      (c) => c.operation === `POST /repos/${repo}/deployments` && ok(c) && (c.request as { environment?: string }).environment === env,
    ).length;
    t.exact(`GitHub ${env} deployment`, records, want.deployments.includes(env) ? 1 : 0);
  }
  auditDeploymentStatuses(release, view, t);

  // One-off tasks (migrations) carry a clientToken per release step: the same token twice is a repeat.
  const tokens = calls.ecs
    .filter((c) => c.operation === 'RunTask' && ok(c) && JSON.stringify(c.request).includes(release.service))
    .map((c) => String((c.request as { clientToken?: string }).clientToken));
  for (const [token, count] of countBy(tokens)) t.exact(`RunTask (clientToken ${token})`, count, 1);

  // Slack: the approval request, found by its release metadata; replies, by its thread.
  const posts = calls.slack.filter((c) => c.operation === 'chat.postMessage' && ok(c));
  const requestOf = (c: SandboxCall) => c.request as { metadata?: unknown; thread_ts?: string; ts?: string };
  t.exact('Slack approval request (chat.postMessage)', posts.filter((c) => isReleaseMetadata(requestOf(c).metadata, release.id)).length, want.slackPosts);
  const threads = new Set([
    ...view.slackMessages.filter((m) => m.thread_ts === undefined && isReleaseMetadata(m.metadata, release.id)).map((m) => m.ts),
    // chat.update names the message it changes: the release's message even if the state lost it.
    ...calls.slack
      .filter((c) => c.operation === 'chat.update' && ok(c) && isReleaseMetadata(requestOf(c).metadata, release.id))
      .map((c) => String(requestOf(c).ts)),
  ]);
  const replies = posts.filter((c) => requestOf(c).thread_ts !== undefined && threads.has(String(requestOf(c).thread_ts))).length;
  t.exact('Slack thread reply', replies, want.threadReplies);

  // End state at the sandbox.
  for (const [env, cluster, service] of [['staging', 'staging', release.service], ['production', 'production', release.service]] as const) {
    const svc = view.finalServices.find((s) => s.cluster === cluster && s.service === service);
    const onNew = svc?.taskDefinition !== undefined && svc.taskDefinition !== initialTaskDefinitions.get(`${cluster}/${service}`);
    if (onNew !== want.endsOnNew[env]) t.problems.push(`end state: ${env} ends on the ${onNew ? 'new' : 'old'} task definition`);
  }
  const canary = view.finalServices.find((s) => s.cluster === 'production' && s.service === `${release.service}-canary`);
  if (canary?.desiredCount !== 0) t.problems.push(`end state: canary ends with ${canary?.desiredCount} task(s)`);

  // Approvals: the decision a person was told was recorded must be the one the release ended with.
  const recorded = outcome?.status.approval.decision;
  const lostApproval = release.answered !== undefined && recorded !== DECISION[release.answered];
  if (lostApproval) t.problems.push(`approval: answered ${release.answered} but the release recorded ${recorded ?? 'no decision'}`);
  if (want.decision && outcome && recorded !== DECISION[want.decision]) t.problems.push(`approval: recorded decision ${recorded ?? 'none'}, expected ${DECISION[want.decision]}`);
  return { problems: t.problems, duplicates: t.duplicates, skipped: t.skipped, lostApproval };
}

/**
 * Statuses of this release's own deployment records (found by the release id in their payload),
 * per deployment: the same status (state and description) written twice is a duplicate; a state
 * the story sets that never came is a skipped step. Statuses GitHub adds itself (auto-inactive)
 * are not calls, and statuses restored on other (earlier) records are not this release's.
 */
function auditDeploymentStatuses(release: AuditedRelease, view: SandboxView, t: Tally): void {
  const want = EXPECTATIONS[release.scenario];
  const repo = `acme/${release.service}`;
  const mine = view.githubDeployments.filter(
    (d) => d.repo.toLowerCase() === repo.toLowerCase() && (d.payload as { releaseId?: string } | undefined)?.releaseId === release.id,
  );
  for (const deployment of mine) {
    const env = deployment.environment as 'staging' | 'production';
    const statuses = view.calls.github
      .filter((c) => ok(c) && c.operation.toLowerCase() === `post /repos/${repo}/deployments/${deployment.id}/statuses`.toLowerCase())
      .map((c) => c.request as { state?: string; description?: string });
    const what = `GitHub ${env} deployment ${deployment.id} status`;
    for (const [key, count] of countBy(statuses.map((s) => `${s.state}: ${s.description ?? ''}`))) {
      if (count > 1) t.exact(`${what} "${key}"`, count, 1);
    }
    const states = countBy(statuses.map((s) => String(s.state)));
    const story = countBy(want.deploymentStatuses[env] ?? []);
    for (const [state, n] of story) {
      const seen = states.get(state) ?? 0;
      if (seen < n) t.exact(`${what} ${state}`, seen, n);
    }
    for (const [state] of states) if (!story.has(state)) t.exact(`${what} ${state}`, states.get(state)!, 0);
  }
}

/** The ECS services as the sandbox holds them now. */
export function ecsServices(state: Record<string, unknown>): EcsServiceView[] {
  const ecs = state.ecs as { clusters: { name: string; services: { serviceName: string; taskDefinition?: string; desiredCount: number }[] }[] };
  return ecs.clusters.flatMap((c) => c.services.map((s) => ({ cluster: c.name, service: s.serviceName, taskDefinition: s.taskDefinition, desiredCount: s.desiredCount })));
}

/** The audit's view of a sandbox once every release is over. */
export function sandboxView(sandbox: { calls(): SandboxCalls; state(): Record<string, unknown> }, initialTaskDefinitions: Map<string, string>): SandboxView {
  const state = sandbox.state();
  return {
    calls: sandbox.calls(),
    initialTaskDefinitions,
    finalServices: ecsServices(state),
    githubDeployments: (state.github as { deployments: GitHubDeploymentView[] }).deployments,
    slackMessages: (state.slack as { messages: SlackMessageView[] }).messages,
  };
}
