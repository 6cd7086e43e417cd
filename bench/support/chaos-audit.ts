/**
 * Checks one release against its story, from what the sandbox saw: the ECS mutations in order
 * (none repeated, none skipped), task-definition registrations, Slack approval posts, GitHub
 * deployment records, where the services ended, and the decision the release recorded.
 */
import type { ReleaseOutcome } from '../../src/domain/release';
import type { SandboxCall, SandboxCalls } from '../../src/sandbox';
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

export interface Audit {
  problems: string[];
  duplicates: number;
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

/** Extra calls beyond `allowed`, reported as duplicates. */
function extra(problems: string[], what: string, count: number, allowed: number): number {
  if (count > allowed) problems.push(`${what} made ${count} times (expected ${allowed})`);
  return Math.max(0, count - allowed);
}

export function auditRelease(
  release: AuditedRelease,
  outcome: ReleaseOutcome | undefined,
  calls: SandboxCalls,
  initialTaskDefinitions: Map<string, string>,
  finalServices: EcsServiceView[],
): Audit {
  const want = EXPECTATIONS[release.scenario];
  const problems: string[] = [];
  let duplicates = 0;
  if (!outcome) problems.push('did not finish');
  else if (outcome.result !== want.result) problems.push(`ended ${outcome.result} (${outcome.reason ?? ''}), expected ${want.result}`);

  // ECS: consecutive identical mutations are retries that changed nothing new: duplicates.
  const mutations = calls.ecs
    .filter((c) => c.operation === 'UpdateService' && ok(c))
    .map((c) => mutationKey(release, initialTaskDefinitions, c.request as UpdateRequest))
    .filter((k): k is string => k !== undefined);
  const distinct = mutations.filter((m, i) => m !== mutations[i - 1]);
  const repeats = mutations.length - distinct.length;
  if (repeats > 0) problems.push(`${repeats} ECS UpdateService call(s) repeated: [${mutations.join(', ')}]`);
  duplicates += repeats;
  if (JSON.stringify(distinct) !== JSON.stringify(want.mutations)) {
    problems.push(`ECS mutations [${distinct.join(', ')}], expected [${want.mutations.join(', ')}]`);
  }
  for (const env of ['staging', 'production'] as const) {
    const family = `${release.service}-${env}`;
    const registered = calls.ecs.filter((c) => c.operation === 'RegisterTaskDefinition' && ok(c) && (c.request as { family?: string }).family === family).length;
    duplicates += extra(problems, `RegisterTaskDefinition ${family}`, registered, want.registers.includes(env) ? 1 : 0);
    const records = calls.github.filter(
      (c) => c.operation === `POST /repos/acme/${release.service}/deployments` && ok(c) && (c.request as { environment?: string }).environment === env,
    ).length;
    duplicates += extra(problems, `GitHub ${env} deployment`, records, want.deployments.includes(env) ? 1 : 0);
  }
  // One-off tasks (migrations) carry a clientToken per release step: the same token twice is a repeat.
  const tokens = calls.ecs
    .filter((c) => c.operation === 'RunTask' && ok(c) && JSON.stringify(c.request).includes(release.service))
    .map((c) => (c.request as { clientToken?: string }).clientToken);
  duplicates += extra(problems, 'RunTask', tokens.length, new Set(tokens).size);
  const posts = calls.slack.filter((c) => c.operation === 'chat.postMessage' && ok(c) && JSON.stringify(c.request).includes(release.id)).length;
  duplicates += extra(problems, 'Slack chat.postMessage', posts, want.slackPosts);

  // End state at the sandbox.
  for (const [env, cluster, service] of [['staging', 'staging', release.service], ['production', 'production', release.service]] as const) {
    const svc = finalServices.find((s) => s.cluster === cluster && s.service === service);
    const onNew = svc?.taskDefinition !== undefined && svc.taskDefinition !== initialTaskDefinitions.get(`${cluster}/${service}`);
    if (onNew !== want.endsOnNew[env]) problems.push(`${env} ends on the ${onNew ? 'new' : 'old'} task definition`);
  }
  const canary = finalServices.find((s) => s.cluster === 'production' && s.service === `${release.service}-canary`);
  if (canary?.desiredCount !== 0) problems.push(`canary ends with ${canary?.desiredCount} task(s)`);

  // Approvals: the decision a person was told was recorded must be the one the release ended with.
  const recorded = outcome?.status.approval.decision;
  const lostApproval = release.answered !== undefined && recorded !== DECISION[release.answered];
  if (lostApproval) problems.push(`answered ${release.answered} but the release recorded ${recorded ?? 'no decision'}`);
  if (want.decision && outcome && recorded !== DECISION[want.decision]) problems.push(`recorded decision ${recorded ?? 'none'}, expected ${DECISION[want.decision]}`);
  return { problems, duplicates, lostApproval };
}

/** The ECS services as the sandbox holds them now. */
export function ecsServices(state: Record<string, unknown>): EcsServiceView[] {
  const ecs = state.ecs as { clusters: { name: string; services: { serviceName: string; taskDefinition?: string; desiredCount: number }[] }[] };
  return ecs.clusters.flatMap((c) => c.services.map((s) => ({ cluster: c.name, service: s.serviceName, taskDefinition: s.taskDefinition, desiredCount: s.desiredCount })));
}
