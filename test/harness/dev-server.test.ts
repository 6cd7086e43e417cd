/**
 * startDevServer against the real Temporal CLI (a second server beside the run's shared one),
 * and the harness contract test files rely on.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { resolveTemporalCli } from '../../src/temporal/cli-binary';
import { RUNWAY_SEARCH_ATTRIBUTES, startDevServer } from '../../src/temporal/dev-server';
import { REFRESHED_SEARCH_ATTRIBUTES_CONFIG } from '../../src/temporal/search-attribute-cache';
import { parseServerCounters } from '../../bench/support/server-metrics';
import { testClient, testTemporalAddress, uniqueId } from '../support/temporal';

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'runway-devserver-test-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function fakeBinary(name: string, body: string): string {
  const file = path.join(tmp, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

/** The server reports its metrics every second or so: a counter's value once two reads 1.5 s apart agree (at most 10). */
async function settled(read: () => Promise<number>): Promise<number> {
  let last = await read();
  for (let i = 0; i < 10; i++) {
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const now = await read();
    if (now === last) return now;
    last = now;
  }
  return last;
}

describe('startDevServer', () => {
  it('starts on a free port with the Runway search attributes, and stop() ends the process', async () => {
    const binary = await resolveTemporalCli({ build: false });
    const server = await startDevServer({ binary, port: 0, headless: true, searchAttributes: RUNWAY_SEARCH_ATTRIBUTES });
    try {
      expect(server.address).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(server.uiUrl).toBeUndefined();
      const connection = await Connection.connect({ address: server.address });
      try {
        const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
        // IndexedValueType: 2 = KEYWORD, 3 = INT (@temporalio/proto is not a direct dependency).
        expect(customAttributes?.RunwayStage).toBe(2);
        expect(customAttributes?.RunwayCanaryWeight).toBe(3);
      } finally {
        await connection.close();
      }
    } finally {
      await server.stop();
    }
    expect(isAlive(server.pid)).toBe(false);
    await server.stop(); // idempotent
  });

  it('keeps a SQLite file in write-ahead-log mode by default, and in SQLite\'s own rollback journal when asked', async () => {
    const binary = await resolveTemporalCli({ build: false });
    const walFile = path.join(tmp, 'wal.db');
    const wal = await startDevServer({ binary, port: 0, headless: true, dbFile: walFile });
    try {
      // The server wrote its schema and namespace: in WAL mode those commits are in the log beside the file.
      expect(existsSync(`${walFile}-wal`)).toBe(true);
    } finally {
      await wal.stop();
    }
    const journalFile = path.join(tmp, 'journal.db');
    const journal = await startDevServer({ binary, port: 0, headless: true, dbFile: journalFile, sqliteCommits: 'rollback-journal' });
    try {
      expect(existsSync(journalFile)).toBe(true);
      expect(existsSync(`${journalFile}-wal`)).toBe(false);
    } finally {
      await journal.stop();
    }
  });

  it("reads the search attributes once, not from its database on each use as the Temporal CLI's dev server does, and they answer at once", async () => {
    const binary = await resolveTemporalCli({ build: false });
    /** Cluster-metadata reads from the server's database while it answers 20 visibility counts by a Runway search attribute. */
    const readsFor20Counts = async (dynamicConfig?: Record<string, unknown>) => {
      const server = await startDevServer({ binary, port: 0, headless: true, metricsPort: 0, searchAttributes: RUNWAY_SEARCH_ATTRIBUTES, dynamicConfig });
      try {
        const connection = await Connection.connect({ address: server.address });
        try {
          const client = new Client({ connection });
          const reads = async () => parseServerCounters(await (await fetch(server.metricsUrl!)).text()).persistence.get('GetCurrentClusterMetadata')?.requests ?? 0;
          const count = async () => expect((await client.workflow.count(`RunwayService = 'checkout'`)).count).toBe(0);
          // The first use loads them: counted from after it, once the server has reported it.
          await count();
          const before = await settled(reads);
          for (let i = 0; i < 20; i++) await count();
          return (await settled(reads)) - before;
        } finally {
          await connection.close();
        }
      } finally {
        await server.stop();
      }
    };

    // The server's own refresh, once a minute, may fall in the window: a few reads, not one per use.
    expect(await readsFor20Counts()).toBeLessThanOrEqual(4);
    // The measure can tell: with the Temporal CLI's own setting every count reads them.
    expect(await readsFor20Counts(REFRESHED_SEARCH_ATTRIBUTES_CONFIG)).toBeGreaterThanOrEqual(20);
  });

  it('refuses a port that is already in use, naming it', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      await expect(startDevServer({ binary: '/bin/false', port, headless: true })).rejects.toThrow(`port ${port} is in use`);
    } finally {
      blocker.close();
    }
  });

  it('fails with the last output lines when the server exits early', async () => {
    const binary = fakeBinary('exits', 'echo "unknown flag: --frobnicate" >&2; exit 3');
    await expect(startDevServer({ binary, port: 0, headless: true })).rejects.toThrow(/exited with code 3[\s\S]*unknown flag: --frobnicate/);
  });

  // What the CLI printed on CI (2026-12-05) when another process took its matching service's port, and a panic after it.
  const LOST_PORT = `echo 'level=ERROR msg="Failed to start gRPC listener" error="listen tcp 127.0.0.1:36929: bind: address already in use" service=matching' >&2; for i in $(seq 30); do echo "goroutine frame $i" >&2; done; exit 2`;

  it('starts again when the server lost one of its ports to another process', async () => {
    const real = await resolveTemporalCli({ build: false });
    const tries = path.join(tmp, 'race.tries');
    const binary = fakeBinary('loses-a-port-once', `echo x >> ${tries}\nif [ "$(wc -l < ${tries})" -eq 1 ]; then ${LOST_PORT}; fi\nexec ${real} "$@"`);
    const lines: string[] = [];
    const server = await startDevServer({ binary, port: 0, headless: true, log: (line) => lines.push(line) });
    try {
      expect(lines).toContainEqual('The Temporal dev server lost a port to another process (36929); starting it again (attempt 2 of 3)');
      const connection = await Connection.connect({ address: server.address });
      await connection.workflowService.getSystemInfo({});
      await connection.close();
    } finally {
      await server.stop();
    }
    expect(readFileSync(tries, 'utf8').trim().split('\n')).toHaveLength(2);
  });

  it('gives up after three starts that each lost a port, with the server\'s words', async () => {
    const tries = path.join(tmp, 'always.tries');
    const binary = fakeBinary('always-loses-a-port', `echo x >> ${tries}\n${LOST_PORT}`);
    await expect(startDevServer({ binary, port: 0, headless: true })).rejects.toThrow(/exited with code 2/);
    expect(readFileSync(tries, 'utf8').trim().split('\n')).toHaveLength(3);
  });

  it('fails at its deadline when the server never answers, and kills it', async () => {
    const pidFile = path.join(tmp, 'hang.pid');
    const binary = fakeBinary('hangs', `echo $$ > ${pidFile}; exec sleep 60`);
    await expect(startDevServer({ binary, port: 0, headless: true, startTimeoutMs: 1_500 })).rejects.toThrow(/was not ready in time/);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(isAlive(pid)).toBe(false);
  });
});

describe('test harness', () => {
  it('gives test workers the shared server started by global setup', async () => {
    expect(testTemporalAddress()).toMatch(/:\d+$/);
    const { connection, close } = await testClient();
    try {
      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
      expect(Object.keys(customAttributes ?? {})).toEqual(expect.arrayContaining(Object.keys(RUNWAY_SEARCH_ATTRIBUTES)));
    } finally {
      await close();
    }
  });

  it('makes ids that never repeat', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => uniqueId('wf')));
    expect(ids.size).toBe(1000);
    expect(uniqueId('tq')).toMatch(/^tq-/);
  });
});
