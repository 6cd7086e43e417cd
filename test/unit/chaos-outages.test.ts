/**
 * The chaos runner's outages over a run: Temporal and PostgreSQL restarts alternate (PostgreSQL
 * first) while both remain, so neither kind is bunched at one end of the run.
 */
import { outagePlan } from '../../bench/support/chaos-monkey';

it('alternates database and Temporal restarts, database first', () => {
  expect(outagePlan(1, 1)).toEqual(['database', 'temporal']);
  expect(outagePlan(2, 2)).toEqual(['database', 'temporal', 'database', 'temporal']);
  expect(outagePlan(2, 1)).toEqual(['database', 'temporal', 'temporal']);
  expect(outagePlan(1, 3)).toEqual(['database', 'temporal', 'database', 'database']);
});

it('is only Temporal restarts on the dev server (no database restarts)', () => {
  expect(outagePlan(2, 0)).toEqual(['temporal', 'temporal']);
  expect(outagePlan(0, 0)).toEqual([]);
});
