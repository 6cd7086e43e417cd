import { UpdateOrderGuard } from '../../workflows/update-order-guard';

const schedule = { scheduleActivity: {} };
const answer = { respondToQuery: {} };

describe('UpdateOrderGuard', () => {
  it('lets an Update through in the first activation of a workflow task', () => {
    const guard = new UpdateOrderGuard();
    guard.activation(70, 1000);
    expect(guard.refusal()).toBeUndefined();
  });

  it('refuses an Update in a later activation of a task that already produced commands', () => {
    const guard = new UpdateOrderGuard();
    guard.activation(70, 1000);
    guard.concluded([{ upsertWorkflowSearchAttributes: {} }, schedule]);
    guard.activation(70, 1000);
    expect(guard.refusal()).toMatch(/^release busy: it is completing a step in this very instant; retry$/);
  });

  it('knows an Update-only task (same history length, its own start time) as a new task', () => {
    const guard = new UpdateOrderGuard();
    guard.activation(70, 1000);
    guard.concluded([schedule]);
    guard.activation(70, 1250);
    expect(guard.refusal()).toBeUndefined();
  });

  it('does not count refused Updates: they leave no history', () => {
    const guard = new UpdateOrderGuard();
    guard.activation(70, 1000);
    guard.concluded([{ updateResponse: { rejected: {} } }]);
    guard.activation(70, 1000);
    expect(guard.refusal()).toBeUndefined();
  });

  it('does not count query answers, and starts afresh with the next task', () => {
    const guard = new UpdateOrderGuard();
    guard.activation(70, 1000);
    guard.concluded([answer]);
    guard.activation(70, 1000);
    expect(guard.refusal()).toBeUndefined();
    guard.concluded([schedule]);
    guard.activation(76, 2000);
    expect(guard.refusal()).toBeUndefined();
  });
});
