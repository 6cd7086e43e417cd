/**
 * The delivery ledger's one activity (issue 19): the releases and rollbacks of this task queue
 * that ended in a window of close times, read from Temporal's visibility store and their results
 * (so no worker's memory is involved), turned into delivery facts. The ledger workflow moves the
 * window forward and adds each workflow run once; this activity may run any number of times for
 * the same window and returns the same facts (GitHub's commit times aside, which do not change).
 *
 * Change lead time needs the commit's time: the release's repository comes from its input (the
 * first event of its history), the time from GitHub (`GET /repos/{owner}/{repo}/commits/{sha}`).
 * When GitHub does not answer, the release is counted without a lead time rather than not at all.
 */
import { heartbeat } from '@temporalio/activity';
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { type DeliveryFacts, deliveryFactsOf } from '../src/domain/delivery-metrics';
import type { ReleaseInput, ReleaseOutcome } from '../src/domain/release';
import { releaseOutcome } from '../src/release-client/outcome';
import { RELEASE_WORKFLOW_TYPE, ROLLBACK_WORKFLOW_TYPE, serviceSearchAttribute } from '../src/domain/release-api';
import { serviceOfReleaseId } from '../src/domain/release-id';
import type { GitHubApi } from '../src/sdk-clients/github';
import { nonRetryable } from './errors';

export interface CollectEndedInput {
  taskQueue: string;
  /** Close times at or after this (ms since the epoch)… */
  afterMs: number;
  /** …except the runs already counted at exactly `afterMs` (`workflowId/runId`). */
  countedAtAfter: string[];
  /** At most this many runs, oldest first; the rest come with the next call. @default 100 */
  limit?: number;
}

export interface CollectEndedResult {
  facts: DeliveryFacts[];
  /** The close time of the newest run returned (the next call's `afterMs`), or `afterMs` when none. */
  watermarkMs: number;
  /** The runs returned that closed exactly at `watermarkMs`. */
  countedAtWatermark: string[];
  /** More runs ended in the window than `limit`: call again at once. */
  more: boolean;
}

export interface DeliveryActivityOptions {
  /**
   * Runs closing later than this long ago are left for a later call: the visibility store lists a
   * closed run a moment after it closes, and one listed late inside an already-passed window
   * would never be counted. @default 10000
   */
  settleMs?: number;
}

const runKey = (wf: { workflowId: string; runId: string }) => `${wf.workflowId}/${wf.runId}`;

export function createDeliveryActivities({ temporal, github, options = {} }: { temporal?: Client; github?: GitHubApi; options?: DeliveryActivityOptions }) {
  const settleMs = options.settleMs ?? 10_000;

  /** The release's repository and commit, from its input (the history's first event). */
  async function repoOf(wf: WorkflowExecutionInfo): Promise<string | undefined> {
    const client = temporal!;
    const { history } = await client.workflowService.getWorkflowExecutionHistory({
      namespace: client.options.namespace,
      execution: { workflowId: wf.workflowId, runId: wf.runId },
      maximumPageSize: 1,
    });
    const payload = history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    if (!payload) return undefined;
    const input = client.options.loadedDataConverter.payloadConverter.fromPayload<Partial<ReleaseInput> | undefined>(payload);
    return input?.plan?.repo;
  }

  async function leadTimeSeconds(wf: WorkflowExecutionInfo, outcome: ReleaseOutcome): Promise<number | undefined> {
    if (!github || outcome.result !== 'released' || !outcome.status.finishedAt) return undefined;
    try {
      const repo = await repoOf(wf);
      const [owner, name] = repo?.split('/') ?? [];
      if (!owner || !name) return undefined;
      const { data } = await github.rest.repos.getCommit({ owner, repo: name, ref: outcome.status.version });
      const committed = Date.parse(data.commit.committer?.date ?? data.commit.author?.date ?? '');
      const released = Date.parse(outcome.status.finishedAt);
      return Number.isFinite(committed) && released >= committed ? (released - committed) / 1000 : undefined;
    } catch {
      return undefined; // counted without a lead time (README, "Delivery metrics")
    }
  }

  /** Facts of a run without an outcome (terminated, timed out, failed as a workflow): what visibility knows. */
  function noOutcomeFacts(wf: WorkflowExecutionInfo, kind: DeliveryFacts['kind']): DeliveryFacts {
    const closed = wf.closeTime ?? new Date();
    return {
      workflowId: wf.workflowId,
      runId: wf.runId,
      kind,
      service: wf.typedSearchAttributes.get(serviceSearchAttribute) ?? serviceOfReleaseId(wf.workflowId.replace(/^rollback-/, '')) ?? 'unknown',
      result: 'no-outcome',
      environment: 'none',
      durationSeconds: Math.max(0, (closed.getTime() - wf.startTime.getTime()) / 1000),
      stageSeconds: {},
      canaryVerdicts: {},
      endedAt: closed.toISOString(),
    };
  }

  return {
    async collectEndedReleases(input: CollectEndedInput): Promise<CollectEndedResult> {
      if (!temporal) throw nonRetryable('this worker has no Temporal client for the delivery ledger', 'NotConfigured');
      const limit = input.limit ?? 100;
      const untilMs = Date.now() - settleMs;
      const none: CollectEndedResult = { facts: [], watermarkMs: input.afterMs, countedAtWatermark: input.countedAtAfter, more: false };
      if (untilMs < input.afterMs) return none;
      const query =
        `WorkflowType IN ('${RELEASE_WORKFLOW_TYPE}', '${ROLLBACK_WORKFLOW_TYPE}') AND TaskQueue = '${input.taskQueue}' AND ExecutionStatus != 'Running' ` +
        `AND CloseTime >= '${new Date(input.afterMs).toISOString()}' AND CloseTime <= '${new Date(untilMs).toISOString()}'`;
      const counted = new Set(input.countedAtAfter);
      const ended: WorkflowExecutionInfo[] = [];
      for await (const wf of temporal.workflow.list({ query })) {
        if (wf.closeTime && !counted.has(runKey(wf)) && wf.status.name !== 'CONTINUED_AS_NEW') ended.push(wf);
      }
      if (ended.length === 0) return none;
      ended.sort((a, b) => a.closeTime!.getTime() - b.closeTime!.getTime() || (runKey(a) < runKey(b) ? -1 : 1));
      let page = ended.slice(0, limit);
      const more = ended.length > limit;
      // A page never splits the runs of one close time: the watermark's set must hold all of them.
      if (more) {
        const last = page[page.length - 1].closeTime!.getTime();
        page = ended.filter((wf, i) => i < limit || wf.closeTime!.getTime() === last);
      }
      const facts: DeliveryFacts[] = [];
      for (const wf of page) {
        const kind = wf.type === ROLLBACK_WORKFLOW_TYPE ? 'rollback' : 'release';
        // Completed, or failed carrying its outcome (a release that did not reach production); anything else has none.
        const outcome = ['COMPLETED', 'FAILED'].includes(wf.status.name) ? await releaseOutcome(temporal.workflow.getHandle(wf.workflowId, wf.runId)).catch(() => undefined) : undefined;
        if (!outcome) {
          facts.push(noOutcomeFacts(wf, kind));
          continue;
        }
        const f = deliveryFactsOf(wf.workflowId, wf.runId, kind, outcome, wf.closeTime!.toISOString());
        const lead = kind === 'release' ? await leadTimeSeconds(wf, outcome) : undefined;
        if (lead !== undefined) f.leadTimeSeconds = lead;
        facts.push(f);
        heartbeat({ at: runKey(wf) });
      }
      const watermarkMs = page[page.length - 1].closeTime!.getTime();
      const atWatermark = page.filter((wf) => wf.closeTime!.getTime() === watermarkMs).map(runKey);
      // Runs at the old watermark counted before stay counted when the watermark has not moved.
      const countedAtWatermark = watermarkMs === input.afterMs ? [...input.countedAtAfter, ...atWatermark] : atWatermark;
      return { facts, watermarkMs, countedAtWatermark, more };
    },
  };
}

export type DeliveryActivities = ReturnType<typeof createDeliveryActivities>;
