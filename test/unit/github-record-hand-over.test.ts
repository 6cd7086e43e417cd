/**
 * A worker's hand-over of deployment records to the GitHub writer
 * (activities/github-record-hand-over.ts), with the sending replaced by a recorder: one hand-over
 * in flight per writer, everything that waited meanwhile in the next one, in order; a failed
 * hand-over fails exactly its own records; a record cancelled before it was sent is never sent.
 */
import type { Client } from '@temporalio/client';
import { createGitHubRecordHandOver } from '../../activities/github-record-hand-over';
import type { GitHubWriteBudget } from '../../src/domain/github-write-budget';
import type { GitHubRecordRequest } from '../../src/domain/github-writer-api';

const BUDGET: GitHubWriteBudget = { minIntervalMs: 1000, perMinute: 80, perHour: 500 };

const record = (n: number): GitHubRecordRequest => ({
  kind: 'status',
  key: { releaseId: `r${n}`, runId: `run${n}`, environment: 'staging' },
  input: { repo: 'acme/checkout', state: 'success', description: `#${n}`, environment: 'staging', production: false },
});
const numberOf = (r: GitHubRecordRequest) => Number(r.key.releaseId.slice(1));

/** A send that holds each hand-over until released, recording what it carried. */
function heldSends() {
  const sent: { taskQueue: string; records: number[] }[] = [];
  const pending: { resolve: () => void; reject: (err: Error) => void }[] = [];
  const send = (taskQueue: string, records: GitHubRecordRequest[]) =>
    new Promise<void>((resolve, reject) => {
      sent.push({ taskQueue, records: records.map(numberOf) });
      pending.push({ resolve, reject });
    });
  return { sent, send, next: () => pending.shift()! };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));
const noClient = {} as Client;

it('sends a lone record at once, and everything that waited meanwhile together, in order', async () => {
  const { sent, send, next } = heldSends();
  const handOver = createGitHubRecordHandOver({ temporal: noClient, send });
  const first = handOver.hand('q', record(1), BUDGET);
  await flush();
  expect(sent).toEqual([{ taskQueue: 'q', records: [1] }]);

  const later = [2, 3, 4, 5].map((n) => handOver.hand('q', record(n), BUDGET));
  await flush();
  expect(sent).toHaveLength(1); // the first is still on its way

  next().resolve();
  await first;
  await flush();
  expect(sent[1]).toEqual({ taskQueue: 'q', records: [2, 3, 4, 5] });
  next().resolve();
  await Promise.all(later);
  expect(handOver.stats()).toEqual({ handOvers: 2, records: 5 });
});

it('splits a long line into batches of maxBatch', async () => {
  const { sent, send, next } = heldSends();
  const handOver = createGitHubRecordHandOver({ temporal: noClient, send, maxBatch: 3 });
  const all = Array.from({ length: 8 }, (_, n) => handOver.hand('q', record(n), BUDGET));
  for (let i = 0; i < 4; i++) {
    await flush();
    next().resolve();
  }
  await Promise.all(all);
  expect(sent.map((s) => s.records)).toEqual([[0], [1, 2, 3], [4, 5, 6], [7]]);
});

it('keeps one line per writer: two task queues hand over side by side', async () => {
  const { sent, send } = heldSends();
  const handOver = createGitHubRecordHandOver({ temporal: noClient, send });
  void handOver.hand('a', record(1), BUDGET);
  void handOver.hand('b', record(2), BUDGET);
  await flush();
  expect(sent).toEqual([
    { taskQueue: 'a', records: [1] },
    { taskQueue: 'b', records: [2] },
  ]);
});

it('fails exactly the records of a hand-over that failed, and goes on with the next', async () => {
  const { sent, send, next } = heldSends();
  const handOver = createGitHubRecordHandOver({ temporal: noClient, send });
  const first = handOver.hand('q', record(1), BUDGET);
  await flush();
  const second = handOver.hand('q', record(2), BUDGET);
  next().reject(new Error('Workflow is busy'));
  await expect(first).rejects.toThrow('Workflow is busy');
  await flush();
  next().resolve();
  await expect(second).resolves.toBeUndefined();
  expect(sent.map((s) => s.records)).toEqual([[1], [2]]);
  expect(handOver.stats()).toEqual({ handOvers: 1, records: 1 });
});

it('drops a record cancelled before it was sent (its retry must not hand it over twice), not one already on its way', async () => {
  const { sent, send, next } = heldSends();
  const handOver = createGitHubRecordHandOver({ temporal: noClient, send });
  const onItsWay = new AbortController();
  const waiting = new AbortController();
  const first = handOver.hand('q', record(1), BUDGET, onItsWay.signal);
  await flush();
  const second = handOver.hand('q', record(2), BUDGET, waiting.signal);
  const third = handOver.hand('q', record(3), BUDGET);
  waiting.abort(new Error('activity cancelled'));
  onItsWay.abort(new Error('activity cancelled'));
  await expect(second).rejects.toThrow('activity cancelled');
  next().resolve();
  await expect(first).resolves.toBeUndefined(); // it was accepted: the cancel came too late to matter
  await flush();
  next().resolve();
  await third;
  expect(sent.map((s) => s.records)).toEqual([[1], [3]]);
});

it('refuses at once, sending nothing, when already cancelled', async () => {
  const { sent, send } = heldSends();
  const handOver = createGitHubRecordHandOver({ temporal: noClient, send });
  await expect(handOver.hand('q', record(1), BUDGET, AbortSignal.abort(new Error('gone')))).rejects.toThrow('gone');
  await flush();
  expect(sent).toEqual([]);
});
