/**
 * startDevServer against the real Temporal CLI (a second server beside the run's shared one),
 * and the harness contract test files rely on.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { resolveTemporalCli } from '../../src/temporal/cli-binary';
import { RUNWAY_SEARCH_ATTRIBUTES, startDevServer } from '../../src/temporal/dev-server';
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
