/**
 * The GitHub writer's public surface (issue 20): one entity workflow per Runway installation (task
 * queue), `runway-github-writer:<taskQueue>`, through which every release's deployment records
 * reach GitHub, in the order they were asked for, at GitHub's pace for the whole installation
 * however many workers run. Releases hand their records over (from an activity: each worker
 * gathers its releases' records into one update-with-start at a time) and go on at once: a record is late under load, never lost, and never holds up a release or a
 * rollback. Imported by workflows, activities and clients. Deterministic: no I/O here.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { CreateDeploymentInput, RestorePreviousDeploymentInput, SetDeploymentStatusInput } from './deployment-records';
import type { GitHubWriteBudget, WriteSpent } from './github-write-budget';

export const GITHUB_WRITER_WORKFLOW_TYPE = 'githubWriter';

export function gitHubWriterWorkflowId(taskQueue: string): string {
  return `runway-github-writer:${taskQueue}`;
}

/**
 * How long a worker has for one of the writer's workflow tasks (Temporal's default is 10 s). While
 * one is failing the server refuses every hand-over. With 2,000 releases on two workers (build
 * 30feea8) the workers' SDK logged 29 writer tasks over 5 s between 07:36 and 08:33 UTC: 8 within
 * 10 s, 10 more within 30 s and 11 longer (the longest 69.1 s), with histories of 0.36–1.29 MB;
 * each over its timeout was started again from scratch. The timeout is also how long a writer whose
 * worker was killed mid-task waits for another, and a release ends only once the writer has taken
 * its records: at 120 s, one run in four of test/e2e/worker-crash.test.ts took 135 s instead of
 * 55 s. 30 s takes the shorter of those slow tasks and keeps a crash's wait short; the longer ones
 * come from the workers' load, not the writer (README, "Two thousand on two workers again"). Set
 * when a hand-over starts the writer and on every continue-as-new, so writers started before take
 * it at their next run.
 */
export const GITHUB_WRITER_TASK_TIMEOUT_MS = 30_000;

/** Which deployment record a request is about: one per release run and environment. */
export interface DeploymentRecordKey {
  releaseId: string;
  runId: string;
  environment: 'staging' | 'production';
}

export function deploymentRecordKey({ releaseId, runId, environment }: DeploymentRecordKey): string {
  return `${releaseId}/${runId}/${environment}`;
}

/** One record write, as a release asks for it. Statuses name their deployment by key: the writer knows its id. */
export type GitHubRecordRequest =
  | { kind: 'create'; key: DeploymentRecordKey; input: CreateDeploymentInput }
  | { kind: 'status'; key: DeploymentRecordKey; input: Omit<SetDeploymentStatusInput, 'deploymentId'> }
  /** After a rollback: the environment's previous deployment shown as running again, when this run created one there. */
  | { kind: 'restore-previous'; key: DeploymentRecordKey; input: RestorePreviousDeploymentInput };

/** A request as the writer holds it. */
export type QueuedGitHubRecord = GitHubRecordRequest & { queuedAtMs: number };

/** What the signal carries: the request and the installation's budget (the latest one sent wins). Sent by workers from before `githubRecords`. */
export interface GitHubRecordSignal {
  request: GitHubRecordRequest;
  budget: GitHubWriteBudget;
}

/**
 * Records the writer keeps out of its own state while a backlog is long: each batch is held by a
 * small workflow of its own (`githubRecordBatch`), so what the writer carries across
 * continue-as-new stays small however far GitHub's budget leaves it behind.
 */
export interface ParkedGitHubRecords {
  workflowId: string;
  records: number;
}

export interface GitHubWriterState {
  /** Next to write, oldest first. */
  queue: QueuedGitHubRecord[];
  /** Batches parked outside the writer, oldest first: all of them come after `queue`. */
  parked?: ParkedGitHubRecords[];
  /** Records asked for since the first batch was parked: they come after every parked batch. */
  later?: QueuedGitHubRecord[];
  /** How many batches this writer has ever parked (names the next one). */
  parkedSoFar?: number;
  /** Deployment ids by deploymentRecordKey, oldest first (bounded). */
  ids: [string, number][];
  /** Finished writes still inside GitHub's hourly window. */
  spent: WriteSpent[];
  budget?: GitHubWriteBudget;
  written: number;
  /** Requests given up: GitHub refused them for good (permissions, a missing repository). */
  dropped: number;
  /** The latest few reasons for dropping, newest last. */
  droppedReasons: string[];
  /** Write slots granted to build dispatches over the writer's life. */
  slotsGranted?: number;
}

export interface GitHubWriterInput {
  /** Carried over by continue-as-new. */
  state?: GitHubWriterState;
  /** Continue as new past this many history events (tests set it low). @default 4000 */
  historyLimit?: number;
  /** Continue as new once the run's history has grown by this many bytes past its start (tests set it low). @default 1 MiB */
  historyBytesLimit?: number;
  /** Records per parked batch, and how many the writer keeps itself before it parks any (tests set it low). @default 500 */
  parkBatch?: number;
}

export const GITHUB_RECORD_BATCH_WORKFLOW_TYPE = 'githubRecordBatch';

/** Named by the writer's chain of runs (its first run's id) and a count, so a writer started again later never meets an old batch's name. */
export function gitHubRecordBatchWorkflowId(writerWorkflowId: string, writerChain: string, seq: number): string {
  return `${writerWorkflowId}:parked:${writerChain}:${seq}`;
}

/** Memo key on a parked batch: true when the writer ran on a versioned worker, so the batch can follow the current build. */
export const BATCH_FOLLOWS_CURRENT_BUILD_MEMO = 'followsCurrentBuild';

export interface GitHubRecordBatchInput {
  records: QueuedGitHubRecord[];
}

/** What `githubWriterQuery` answers: the queue's length and age, and what was written or dropped. */
export interface GitHubWriterStatus {
  /** Records not written yet, parked ones included. */
  pending: number;
  /** Of those, how many are parked in batches outside the writer. */
  parked?: number;
  /** When the oldest pending request was queued (ISO), if any. */
  oldestQueuedAt?: string;
  written: number;
  dropped: number;
  droppedReasons: string[];
  budget?: GitHubWriteBudget;
  /** Build dispatches waiting for a write slot now, and slots granted so far. */
  slotsWaiting?: number;
  slotsGranted?: number;
}

export const gitHubRecordSignal = defineSignal<[GitHubRecordSignal]>('githubRecord');
export const gitHubWriterQuery = defineQuery<GitHubWriterStatus>('githubWriterStatus');
/** A parked batch's records, asked by the writer when their turn comes. */
export const gitHubRecordBatchQuery = defineQuery<QueuedGitHubRecord[]>('githubRecordBatch');
/** The writer has its records back: the batch ends. */
export const gitHubRecordBatchTakenSignal = defineSignal('githubRecordBatchTaken');

/**
 * A write a release needs answered before it can go on (a build dispatch), asking for its place in
 * the installation's budget. Granted ahead of the queued records (they are late by design; the
 * release is waiting), answered when the write may be sent; the caller sends it at once.
 */
export interface GitHubWriteSlotRequest {
  /** What the write is, for the log and the query. */
  purpose: string;
  /** The caller's budget (the latest one sent wins, as with records). */
  budget: GitHubWriteBudget;
}

export const gitHubWriteSlotUpdate = defineUpdate<void, [GitHubWriteSlotRequest]>('githubWriteSlot');

/**
 * Records handed over together: every record one worker's releases asked for since its previous
 * hand-over, oldest first (a release hands its next record only once this one is accepted, so
 * each deployment's records stay in order). An Update, not a signal: a writer run on a build
 * without this handler refuses it (the worker asks again, and the next run has it) where a
 * signal would be held unhandled and lost when the run continues as new.
 */
export interface GitHubRecordsHandOver {
  records: GitHubRecordRequest[];
  /** The caller's budget (the latest one sent wins). */
  budget: GitHubWriteBudget;
}

export const gitHubRecordsUpdate = defineUpdate<void, [GitHubRecordsHandOver]>('githubRecords');
