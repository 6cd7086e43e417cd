/**
 * Drives one chaos release through its story: scripts the sandbox for it, starts it, decides
 * when it waits for approval (through a signed Slack click or the CLI's Update, alternately
 * chosen by the seed) and remembers which decision got an OK answer, until it finishes.
 */
import { decideRelease } from '../../src/release-client/releases';
import { isTerminalStage, type ReleaseOutcome } from '../../src/domain/release';
import type { AuditedRelease } from './chaos-audit';
import { EXPECTATIONS } from './chaos-scenarios';
import type { BenchStack } from './bench-stack';
import { finishedOutcome, startBenchRelease, tryStatus } from './bench-releases';
import { sleep } from './prng';

/** How a canary is made bad: the sandbox's canary metrics, or its image crashing once canary starts. */
export type BadCanaryMechanism = 'canary-metrics' | 'crash-at-canary';

export interface ChaosRelease extends AuditedRelease {
  version: string;
  decideVia: 'slack' | 'cli';
  outcome?: ReleaseOutcome;
  /** Latest stage seen, for choosing kill moments. */
  stage?: string;
  /** Set when the driver stopped without an outcome (it threw, or the run's deadline came first). */
  finished?: boolean;
  /** Why the driver stopped without an outcome. */
  error?: string;
}

export interface DriverContext {
  stack: BenchStack;
  badCanary: BadCanaryMechanism;
  deadline: number;
  log: (line: string) => void;
}

const POLL_MS = 250;
const APPROVER_SLACK_ID = 'U01ALICE';
const APPROVER = 'alice';

/** `start` starts the release (by default from Runway's client, as `runway start` does); the lane chaos also starts some through the CLI. */
export async function driveRelease(ctx: DriverContext, r: ChaosRelease, start?: () => Promise<void>): Promise<void> {
  const { stack } = ctx;
  if (r.scenario === 'smoke-fail') stack.sandbox.setScenario({ images: { [r.version]: 'unhealthy' } });
  if (r.scenario === 'bad-canary' && ctx.badCanary === 'canary-metrics') {
    stack.sandbox.setScenario({ canary: { [r.version]: { behaviour: 'errors' } } } as never);
  }
  if (start) await start();
  else await startBenchRelease(stack.client, stack.taskQueue, stack.config, r.service, r.version);
  const decision = EXPECTATIONS[r.scenario].decision;
  while (Date.now() < ctx.deadline) {
    const status = await tryStatus(stack.client, r.id);
    if (status) {
      r.stage = status.stage;
      if (isTerminalStage(status.stage)) {
        r.outcome = await finishedOutcome(stack.client, r.id);
        if (r.outcome) return;
      } else if (status.stage === 'awaiting-approval' && decision && !status.approval.decision && !r.answered) {
        // The crash only hits deployments made from now on: staging and smoke already passed.
        if (r.scenario === 'bad-canary' && ctx.badCanary === 'crash-at-canary') stack.sandbox.setScenario({ images: { [r.version]: 'crash' } });
        if (await decide(ctx, r, decision)) r.answered = decision;
      }
    }
    await sleep(POLL_MS);
  }
}

/** True when the decider was told the decision was recorded. */
async function decide(ctx: DriverContext, r: ChaosRelease, action: 'approve' | 'reject'): Promise<boolean> {
  const { stack } = ctx;
  if (r.decideVia === 'cli') {
    try {
      await stack.client.withDeadline(Date.now() + 20_000, () => decideRelease(stack.client, r.id, action, APPROVER));
      return true;
    } catch (err) {
      ctx.log(`${r.id}: ${action} through the CLI not confirmed: ${(err as Error).message}`);
      return false;
    }
  }
  let responseId: string;
  try {
    const click = await stack.sandbox.clickButton({ url: stack.approvals.eventsUrl, user: APPROVER_SLACK_ID, action, releaseId: r.id });
    if (click.status !== 200) return false;
    responseId = click.responseUrl.split('/').pop()!;
  } catch {
    return false; // no message with buttons yet (the post comes right after the stage changes)
  }
  // The approvals server acks at once, then answers the clicker through the response_url.
  for (let i = 0; i < 120; i++) {
    const reply = stack.sandbox.slackResponses().find((res) => res.id === responseId);
    if (reply) {
      const text = String((reply.body as { text?: string }).text ?? '');
      if (/^You (approved|rejected) /.test(text)) return true;
      ctx.log(`${r.id}: Slack ${action} answered: ${text}`);
      return false;
    }
    await sleep(POLL_MS);
  }
  return false;
}
