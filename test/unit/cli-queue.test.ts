/**
 * `runway start`'s look at the service before starting, against scripted answers (no server):
 * the visibility list query for releases in flight, and --queue's wait in the lane (its place,
 * when it reports, when it stops). Time is a fake
 * clock advanced by the fake sleep, so nothing here depends on wall-clock timing.
 */
import type { Client } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { newLane, type LaneState } from '../../src/domain/lane';
import { laneWorkflowId } from '../../src/domain/lane-api';
import { awaitLaneTurn } from '../../src/release-client/lane';
import { releasesInFlight } from '../../src/release-client/releases';
import { serviceSearchAttribute, stageSearchAttribute, versionSearchAttribute } from '../../src/domain/release-api';

interface Row {
  id: string;
  stage: string;
  started: number;
}

/** A client whose list() answers from `script(call)`, recording each query; describe() says RUNNING unless the id is in `closed`. */
function fakeClient(script: (call: number) => Row[], closed: string[] = []) {
  const queries: string[] = [];
  const client = {
    workflow: {
      getHandle: (id: string) => ({ describe: async () => ({ status: { name: closed.includes(id) ? 'COMPLETED' : 'RUNNING' } }) }),
      list: ({ query }: { query: string }) => {
        queries.push(query);
        const rows = script(queries.length);
        return (async function* () {
          for (const r of rows) {
            yield {
              workflowId: r.id,
              startTime: new Date(r.started),
              typedSearchAttributes: new TypedSearchAttributes([
                { key: serviceSearchAttribute, value: 'checkout' },
                { key: versionSearchAttribute, value: r.id.split('-').at(-1)! },
                { key: stageSearchAttribute, value: r.stage },
              ]),
            };
          }
        })();
      },
    },
  } as unknown as Client;
  return { client, queries };
}

function fakeClock() {
  let now = 0;
  return { now: () => now, sleep: async (ms: number) => void (now += ms) };
}

const scope = { service: 'checkout', taskQueue: 'runway' };

describe('releases in flight', () => {
  it('asks for running releases of the service on the task queue, oldest first, without the release being started', async () => {
    const { client, queries } = fakeClient(() => [
      { id: 'release-checkout-bbbbbbb', stage: 'staging', started: 2000 },
      { id: 'release-checkout-aaaaaaa', stage: 'canary', started: 1000 },
      { id: 'release-checkout-ccccccc', stage: 'queued', started: 3000 },
    ]);
    const found = await releasesInFlight(client, scope, 'release-checkout-ccccccc');
    expect(queries).toEqual([`WorkflowType = 'release' AND RunwayService = 'checkout' AND TaskQueue = 'runway' AND ExecutionStatus = 'Running'`]);
    expect(found.map((r) => [r.releaseId, r.version, r.stage])).toEqual([
      ['release-checkout-aaaaaaa', 'aaaaaaa', 'canary'],
      ['release-checkout-bbbbbbb', 'bbbbbbb', 'staging'],
    ]);
  });

  it('leaves out a release the visibility store still lists as running but that has ended (describe says so)', async () => {
    const { client } = fakeClient(
      () => [
        { id: 'release-checkout-aaaaaaa', stage: 'released', started: 1000 },
        { id: 'release-checkout-bbbbbbb', stage: 'canary', started: 2000 },
      ],
      ['release-checkout-aaaaaaa'],
    );
    expect((await releasesInFlight(client, scope)).map((r) => r.releaseId)).toEqual(['release-checkout-bbbbbbb']);
  });

  it('refuses to build a query from something that is not a service or task queue name', async () => {
    const { client, queries } = fakeClient(() => []);
    await expect(releasesInFlight(client, { service: "x' OR 'a' = 'a", taskQueue: 'runway' })).rejects.toThrow(/not a service name/);
    await expect(releasesInFlight(client, { service: 'checkout', taskQueue: "q' OR 'a' = 'a" })).rejects.toThrow(/task queue name with quotes/);
    expect(queries).toEqual([]);
  });
});

describe('waiting in the lane (runway start --queue)', () => {
  const me = 'release-checkout-ddddddd';
  const lane = (holder: string, queue: string[]): LaneState => ({
    ...newLane('checkout', 'queue'),
    holder: { workflowId: holder, runId: 'r', kind: 'release', admittedAtMs: 0 },
    queue: queue.map((workflowId) => ({ workflowId, runId: 'r', kind: 'release' as const, admittedAtMs: 0 })),
  });

  /** A client whose lane answers `script(poll)` and whose release is running until `endsAt` polls. */
  function laneClient(script: (poll: number) => LaneState | undefined, endsAt = Infinity) {
    let polls = 0;
    const client = {
      connection: { withDeadline: <T>(_deadline: number, fn: () => Promise<T>) => fn() },
      workflow: {
        getHandle: (id: string) =>
          id === laneWorkflowId('runway', 'checkout')
            ? { query: async () => script(polls) ?? Promise.reject(new Error('not found')) }
            : { describe: async () => ({ status: { name: ++polls >= endsAt ? 'COMPLETED' : 'RUNNING' } }) },
      },
    } as unknown as Client;
    return { client, polls: () => polls };
  }

  it('reports its place when it changes and every 15 s, and returns once it holds the lane', async () => {
    const clock = fakeClock();
    // Polls every 2 s: polls 1-10 second in line, 11-12 first, then it holds the lane.
    const { client } = laneClient((poll) => (poll <= 10 ? lane('release-checkout-aaaaaaa', ['release-checkout-bbbbbbb', me]) : poll <= 12 ? lane('release-checkout-bbbbbbb', [me]) : lane(me, [])));
    const reports: [string, number][] = [];
    const wait = await awaitLaneTurn(client, 'runway', 'checkout', me, { timeoutMs: 6 * 3600_000, onWaiting: (place, waited) => reports.push([place, waited]), ...clock });
    expect(wait).toEqual({ kind: 'turn', waitedMs: 24_000 });
    expect(reports).toEqual([
      ['queued (2nd, behind release-checkout-bbbbbbb)', 0],
      ['queued (2nd, behind release-checkout-bbbbbbb)', 16_000],
      ['queued (1st, behind release-checkout-bbbbbbb)', 20_000],
    ]);
  });

  it('says when the release ended while it waited (superseded, its own queue timeout)', async () => {
    const clock = fakeClock();
    const { client } = laneClient(() => lane('release-checkout-aaaaaaa', [me]), 3);
    await expect(awaitLaneTurn(client, 'runway', 'checkout', me, { timeoutMs: 60_000, ...clock })).resolves.toEqual({ kind: 'ended', waitedMs: 4_000 });
  });

  it('stops waiting after its bound, with the place it still has; an unknown lane (no worker answers) is waited on silently', async () => {
    const clock = fakeClock();
    const { client } = laneClient(() => lane('release-checkout-aaaaaaa', [me]));
    await expect(awaitLaneTurn(client, 'runway', 'checkout', me, { timeoutMs: 5_000, ...clock })).resolves.toEqual({
      kind: 'timeout',
      waitedMs: 5_000,
      place: 'queued (1st, behind release-checkout-aaaaaaa)',
    });
    const silent = laneClient(() => undefined);
    const reports = jest.fn();
    await expect(awaitLaneTurn(silent.client, 'runway', 'checkout', me, { timeoutMs: 5_000, onWaiting: reports, ...fakeClock() })).resolves.toEqual({ kind: 'timeout', waitedMs: 5_000 });
    expect(reports).not.toHaveBeenCalled();
  });
});
