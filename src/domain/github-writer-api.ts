/**
 * The GitHub writer's public surface (issue 20): one entity workflow per Runway installation (task
 * queue), `runway-github-writer:<taskQueue>`, through which every release's deployment records
 * reach GitHub, in the order they were asked for, at GitHub's pace for the whole installation
 * however many workers run. Releases hand their records over (signal-with-start, from an activity)
 * and go on at once: a record is late under load, never lost, and never holds up a release or a
 * rollback. Imported by workflows, activities and clients. Deterministic: no I/O here.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { CreateDeploymentInput, RestorePreviousDeploymentInput, SetDeploymentStatusInput } from './deployment-records';
import type { GitHubWriteBudget, WriteSpent } from './github-write-budget';

export const GITHUB_WRITER_WORKFLOW_TYPE = 'githubWriter';

export function gitHubWriterWorkflowId(taskQueue: string): string {
  return `runway-github-writer:${taskQueue}`;
}

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

/** What the signal carries: the request and the installation's budget (the latest one sent wins). */
export interface GitHubRecordSignal {
  request: GitHubRecordRequest;
  budget: GitHubWriteBudget;
}

export interface GitHubWriterState {
  queue: QueuedGitHubRecord[];
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
}

export interface GitHubWriterInput {
  /** Carried over by continue-as-new. */
  state?: GitHubWriterState;
  /** Continue as new past this many history events (tests set it low). @default 4000 */
  historyLimit?: number;
}

/** What `githubWriterQuery` answers: the queue's length and age, and what was written or dropped. */
export interface GitHubWriterStatus {
  pending: number;
  /** When the oldest pending request was queued (ISO), if any. */
  oldestQueuedAt?: string;
  written: number;
  dropped: number;
  droppedReasons: string[];
  budget?: GitHubWriteBudget;
}

export const gitHubRecordSignal = defineSignal<[GitHubRecordSignal]>('githubRecord');
export const gitHubWriterQuery = defineQuery<GitHubWriterStatus>('githubWriterStatus');
