/**
 * `npm run bench -- approval-latency [--runs N]`: how long from a signed Slack click to the
 * release leaving the approval stage. Each run starts a release on the bench stack (dev server,
 * sandbox, approvals server, one `runway worker` process), waits until its message with the
 * buttons is posted, then has the sandbox send the signed Approve click, as Slack would.
 *
 * Three figures per click: the approvals server's HTTP answer (Slack needs it within 3 s), the
 * decision recorded by the workflow, and the first moment the release's stage is no longer
 * `awaiting-approval` (whatever stage comes next: a migration, the canary, a rollback). The
 * status query is polled until the stage has changed; the last two figures are then read from
 * the release's own history (workflow time of the task that did it), so the poll interval does
 * not count. Entering `canary` would also count a migration stage.
 */
import { type Flags, parseFlags } from './support/args';
import { startBenchStack } from './support/bench-stack';
import { startBenchRelease, untilStatus } from './support/bench-releases';
import { median, printTable } from './support/stats';
import { WorkerProcess } from './support/worker-process';
import { ReleaseStage, type ReleaseStatus } from '../src/domain/release';
import type { SlackMessage } from '../src/sandbox';

const FLAGS = {
  runs: { default: 7, min: 1, max: 100, help: 'clicks to measure' },
};

/** The approver the sample config maps U01ALICE to. */
const APPROVER_SLACK_ID = 'U01ALICE';

interface Sample {
  ackMs: number;
  decidedMs: number;
  leftApprovalMs: number;
}

function eventAt(status: ReleaseStatus, match: (message: string, stage: string) => boolean): number {
  const event = status.history.find((e) => match(e.message, e.stage));
  if (!event) throw new Error(`${status.releaseId}: expected event missing from the history`);
  return Date.parse(event.at);
}

/** When the first event after the approval stage was recorded: the moment the stage changed. */
function leftApprovalAt(status: ReleaseStatus): number {
  const waiting = status.history.findIndex((e) => e.stage === ReleaseStage.awaitingApproval);
  const left = waiting < 0 ? undefined : status.history.slice(waiting).find((e) => e.stage !== ReleaseStage.awaitingApproval);
  if (!left) throw new Error(`${status.releaseId}: no stage after awaiting-approval in the history`);
  return Date.parse(left.at);
}

async function measureOne(stack: Awaited<ReturnType<typeof startBenchStack>>, service: string, run: number): Promise<Sample> {
  const version = `${Date.now().toString(16)}${run.toString(16).padStart(4, '0')}`.padEnd(12, '0').slice(0, 12);
  const id = await startBenchRelease(stack.client, stack.taskQueue, stack.config, service, version);
  await untilStatus(stack.client, id, (s) => s.stage === ReleaseStage.awaitingApproval);
  // The click needs the posted message's button, as a person needs to see it.
  const posted = () => (stack.sandbox.state() as { slack: { messages: SlackMessage[] } }).slack.messages.some((m) => JSON.stringify(m.blocks ?? []).includes(id));
  for (let i = 0; i < 400 && !posted(); i++) await new Promise((r) => setTimeout(r, 25));
  if (!posted()) throw new Error(`${id}: no release message with buttons was posted within 10 s`);

  const clickedAt = Date.now();
  const answer = await stack.sandbox.clickButton({ url: stack.approvals.eventsUrl, user: APPROVER_SLACK_ID, action: 'approve', releaseId: id });
  const ackMs = Date.now() - clickedAt;
  if (answer.status !== 200) throw new Error(`${id}: the approvals server answered ${answer.status} ${answer.body}`);
  const status = await untilStatus(stack.client, id, (s) => s.stage !== ReleaseStage.awaitingApproval, 120_000, 10);
  return {
    ackMs,
    decidedMs: eventAt(status, (m) => m.startsWith('approved by ')) - clickedAt,
    leftApprovalMs: leftApprovalAt(status) - clickedAt,
  };
}

export async function run(args: string[]): Promise<void> {
  const flags: Flags<typeof FLAGS> = parseFlags(args, FLAGS);
  const service = 'approval-bench';
  const stack = await startBenchStack({ services: [service], deploymentDelayMs: 50, bake: 0 });
  let worker: WorkerProcess | undefined;
  try {
    worker = await WorkerProcess.start(stack.workerEnv);
    const samples: Sample[] = [];
    for (let i = 0; i < flags.runs; i++) samples.push(await measureOne(stack, service, i));
    printTable([
      { label: 'click → HTTP 200 (ack)', unit: 'ms', values: samples.map((s) => s.ackMs) },
      { label: 'click → decision recorded', unit: 'ms', values: samples.map((s) => s.decidedMs) },
      { label: 'click → left approval', unit: 'ms', values: samples.map((s) => s.leftApprovalMs) },
    ]);
    const m = (pick: (s: Sample) => number) => Math.round(median(samples.map(pick)));
    console.log(
      `approval-latency: median click→ack ${m((s) => s.ackMs)} ms, click→decided ${m((s) => s.decidedMs)} ms, click→left approval ${m((s) => s.leftApprovalMs)} ms (${samples.length} runs)`,
    );
  } finally {
    await worker?.kill('SIGTERM');
    await stack.stop();
  }
}
