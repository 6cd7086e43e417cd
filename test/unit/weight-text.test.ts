import { weightText } from '../../src/domain/canary-plan';

it('names an exact weight as a share of production traffic, and an inexact one as asked for and as tasks got it', () => {
  expect(weightText(10, 10)).toBe('10% of production traffic');
  expect(weightText(10, 25)).toBe('10% requested, 25% of tasks');
});
