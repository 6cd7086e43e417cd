/**
 * A task definition as `family:revision` (e.g. `checkout-production:7`): the value of the
 * `task_revision` label analysis queries select by under ECS's own strategies, where canary and
 * stable are two revisions of one ECS service. It is what the ECS task metadata endpoint reports
 * as the task's `Family` and `Revision`, so a service can export it without knowing its ARN.
 */

const TASK_DEFINITION_ARN = /^arn:aws[\w-]*:ecs:[^:]*:\d*:task-definition\/([A-Za-z0-9_-]{1,255}):(\d+)$/;
const FAMILY_REVISION = /^([A-Za-z0-9_-]{1,255}):(\d+)$/;

/**
 * `family:revision` of a task definition given by ARN (`arn:aws:ecs:…:task-definition/family:7`)
 * or already as `family:revision`. Throws for anything else (a bare family names no revision).
 */
export function taskRevision(taskDefinition: string): string {
  const match = TASK_DEFINITION_ARN.exec(taskDefinition) ?? FAMILY_REVISION.exec(taskDefinition);
  if (!match) throw new Error(`not a task definition ARN or family:revision: ${JSON.stringify(taskDefinition)}`);
  return `${match[1]}:${Number(match[2])}`;
}
