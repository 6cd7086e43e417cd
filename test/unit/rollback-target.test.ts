/** Choosing what a rollback puts back into production, from Runway's records of what got there (newest first). */
import { chooseRollbackTarget, type ProductionRecord, rollbackId } from '../../src/domain/rollback';

const record = (n: number, over: Partial<ProductionRecord> = {}): ProductionRecord => ({
  workflowId: `release-checkout-${String(n).repeat(12)}`,
  kind: 'release',
  version: String(n).repeat(40),
  image: `registry/checkout:${n}`,
  taskDefinition: `td/checkout:${n}`,
  finishedAt: `2026-12-0${n}T10:00:00.000Z`,
  ...over,
});
const [v3, v2, v1] = [record(3), record(2), record(1)];

it('goes back to the newest earlier release that ran another task definition', () => {
  expect(chooseRollbackTarget('checkout', [v3, v2, v1])).toEqual({ from: v3, to: { workflowId: v2.workflowId, version: v2.version, image: v2.image, taskDefinition: 'td/checkout:2' } });
  // A re-release of the same revision is not "what ran before".
  const same = record(2, { workflowId: 'release-checkout-again', taskDefinition: 'td/checkout:3' });
  expect(chooseRollbackTarget('checkout', [v3, same, v1])).toMatchObject({ to: { taskDefinition: 'td/checkout:1' } });
});

it('takes a named target by version (abbreviated) or by release id', () => {
  expect(chooseRollbackTarget('checkout', [v3, v2, v1], '1111111')).toMatchObject({ to: { workflowId: v1.workflowId } });
  expect(chooseRollbackTarget('checkout', [v3, v2, v1], v2.workflowId)).toMatchObject({ to: { taskDefinition: 'td/checkout:2' } });
});

it('refuses, saying why: nothing reached production, nothing earlier, the target runs now, an unknown target, an unrecorded task definition', () => {
  expect(chooseRollbackTarget('checkout', [])).toEqual({ refusal: 'no release of checkout has reached production through Runway: there is nothing to roll back' });
  expect(chooseRollbackTarget('checkout', [v3])).toEqual({ refusal: 'no earlier release of checkout ran another version in production: there is nothing to roll back to' });
  expect(chooseRollbackTarget('checkout', [v3, v2], '3333333')).toEqual({ refusal: `333333333333 (${v3.workflowId}) is what runs in production now` });
  expect(chooseRollbackTarget('checkout', [v3, v2], 'abcdef0')).toEqual({ refusal: 'abcdef0 is not a release of checkout that reached production (see runway list --service checkout)' });
  const old = record(1, { taskDefinition: undefined });
  expect(chooseRollbackTarget('checkout', [v3, old])).toEqual({ refusal: `${old.workflowId} finished before Runway recorded task definitions, so what it ran cannot be put back exactly; name a newer release with --to` });
});

it('does not roll back a rollback unless the target is named: running the command twice rolls back once', () => {
  const rolledBack = record(4, { workflowId: `rollback-${v3.workflowId}`, kind: 'rollback', version: v2.version, taskDefinition: 'td/checkout:2' });
  expect(chooseRollbackTarget('checkout', [rolledBack, v3, v2, v1])).toEqual({ refusal: `production runs 222222222222 since rollback-${v3.workflowId}; name the version to go back to with --to` });
  expect(chooseRollbackTarget('checkout', [rolledBack, v3, v2, v1], v1.workflowId)).toMatchObject({ from: rolledBack, to: { taskDefinition: 'td/checkout:1' } });
  expect(rollbackId(v3.workflowId)).toBe(`rollback-${v3.workflowId}`);
});
