import { ApplicationFailure } from '@temporalio/common';
import { formatLogLine, isReleaseEnding } from '../../src/temporal/log-line';

const at = BigInt(Date.UTC(2026, 10, 27, 9, 0, 0)) * 1_000_000n;

describe('formatLogLine', () => {
  const failure = ApplicationFailure.nonRetryable('ECS rolled back the deployment of checkout-staging:2', 'DeploymentFailed');
  const entry = {
    level: 'WARN' as const,
    message: 'Activity failed',
    timestampNanos: at,
    meta: { activityType: 'waitForDeployment', workflowId: 'release-checkout-abc', attempt: 3, taskToken: 'c2VjcmV0LWlzaA==', error: failure },
  };

  it('names the activity, attempt, release and the failure type and message on one line', () => {
    expect(formatLogLine(entry)).toBe(
      '2026-11-27T09:00:00.000Z [WARN] Activity failed (waitForDeployment, attempt 3, release-checkout-abc): DeploymentFailed: ECS rolled back the deployment of checkout-staging:2 [not retried]',
    );
  });

  it('leaves out the task token and, unless asked, the stack trace', () => {
    const line = formatLogLine(entry);
    expect(line).not.toContain('c2VjcmV0LWlzaA==');
    expect(line).not.toContain('\n');
    expect(formatLogLine(entry, true)).toContain('\n');
  });

  it('prints a message without metadata as is', () => {
    expect(formatLogLine({ level: 'ERROR', message: 'Worker failed', timestampNanos: at })).toBe('2026-11-27T09:00:00.000Z [ERROR] Worker failed');
  });
});

describe('isReleaseEnding', () => {
  const failed = (workflowType: string, message: string) => ({ message: 'Workflow failed', meta: { workflowType, workflowId: 'release-checkout-abc', error: new Error(message) } });

  it('recognises a release that ended without reaching production (news, not a warning)', () => {
    expect(isReleaseEnding(failed('release', 'rolled-back: canary analysis failed at 10%'))).toBe(true);
    expect(isReleaseEnding(failed('release', 'rejected: rejected by bob'))).toBe(true);
    expect(isReleaseEnding(failed('release', 'failed: undo failed: UpdateService'))).toBe(true);
  });

  it('leaves every other failure a warning', () => {
    expect(isReleaseEnding(failed('release', "Cannot read properties of undefined (reading 'canary')"))).toBe(false);
    expect(isReleaseEnding(failed('lane', 'rolled-back: not a release'))).toBe(false);
    expect(isReleaseEnding({ message: 'Activity failed', meta: { workflowType: 'release', error: new Error('rolled-back: x') } })).toBe(false);
  });
});
