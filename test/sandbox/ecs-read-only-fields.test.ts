/**
 * Which fields of a described task definition Runway drops before registering a copy is decided
 * by the ECS API model, not by memory: every TaskDefinition member that RegisterTaskDefinition
 * does not take is in READ_ONLY_FIELDS. A field left in the copy would never compare equal to
 * what ECS answers, so every retry would register yet another revision.
 */
import { READ_ONLY_FIELDS } from '../../activities/task-definition-copy';
import { ensureEcsModel, readEcsModelFile } from '../support/ecs-model-source';

interface Model {
  shapes: Record<string, { members?: Record<string, unknown> }>;
}

it('drops exactly the members of TaskDefinition that RegisterTaskDefinition does not take', () => {
  const model = readEcsModelFile(ensureEcsModel()) as Model;
  const described = Object.keys(model.shapes.TaskDefinition!.members!);
  const registrable = new Set(Object.keys(model.shapes.RegisterTaskDefinitionRequest!.members!));
  const outputOnly = described.filter((member) => !registrable.has(member)).sort();
  expect([...READ_ONLY_FIELDS].sort()).toEqual(outputOnly);
});
