/**
 * `runway start --queue` waiting logic against a scripted visibility store (no server): the
 * list query it sends, who it waits for, when it reports, and when it gives up. Time is a fake
 * clock advanced by the fake sleep, so nothing here depends on wall-clock timing.
 */
import type { Client } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { releasesInFlight, waitForServiceFree } from '../../src/release-client/releases';
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

describe('waiting for the service to be free', () => {
  const me = 'release-checkout-ddddddd';
  const first = { id: 'release-checkout-aaaaaaa', stage: 'canary', started: 1 };
  const second = { id: 'release-checkout-bbbbbbb', stage: 'staging', started: 2 };

  it('is ready at once when nothing else runs (only itself)', async () => {
    const clock = fakeClock();
    const { client } = fakeClient(() => [{ id: me, stage: 'canary', started: 0 }]);
    const waiting = jest.fn();
    await expect(waitForServiceFree(client, scope, me, { timeoutMs: 60_000, onWaiting: waiting, ...clock })).resolves.toEqual({ ready: true, waitedMs: 0 });
    expect(waiting).not.toHaveBeenCalled();
  });

  it('waits while another release runs, reporting at first, every 15 s and when the release it waits for changes', async () => {
    const clock = fakeClock();
    // Polls every 5 s: polls 1-7 see the first release, 8-9 the second, then none.
    const { client, queries } = fakeClient((call) => (call <= 7 ? [first] : call <= 9 ? [second] : []));
    const reports: [string, string, number][] = [];
    const outcome = await waitForServiceFree(client, scope, me, {
      timeoutMs: 6 * 3600_000,
      onWaiting: (r, waited) => reports.push([r.releaseId, r.stage, waited]),
      ...clock,
    });
    expect(outcome).toEqual({ ready: true, waitedMs: 45_000 });
    expect(queries).toHaveLength(10);
    expect(reports).toEqual([
      ['release-checkout-aaaaaaa', 'canary', 0],
      ['release-checkout-aaaaaaa', 'canary', 15_000],
      ['release-checkout-aaaaaaa', 'canary', 30_000],
      ['release-checkout-bbbbbbb', 'staging', 35_000],
    ]);
  });

  it('gives up after the timeout, naming the release still in flight', async () => {
    const clock = fakeClock();
    const { client, queries } = fakeClient(() => [first]);
    const outcome = await waitForServiceFree(client, scope, me, { timeoutMs: 12_000, ...clock });
    expect(outcome).toMatchObject({ ready: false, waitedMs: 12_000, inFlight: { releaseId: first.id, stage: 'canary' } });
    // Looks at 0, 5, 10 and (the last, shortened sleep) 12 s.
    expect(queries).toHaveLength(4);
  });
});
