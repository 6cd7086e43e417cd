/**
 * `runway worker` and its decision keys (issue 18, part 3; README "Threat model"): with none it
 * warns at start that decisions are trusted as named; with RUNWAY_DECISION_HMAC_KEYS it does not,
 * and never prints the key; a malformed key list stops it at start (exit 2) without echoing it.
 */
import { randomBytes } from 'node:crypto';
import { runRunway, spawnRunway } from '../support/runway-process';
import { testTemporalAddress, uniqueId } from '../support/temporal';

const WARNING = /warning: no decision keys .* trusted as named/;

async function startAndStop(extra: Record<string, string>): Promise<string> {
  const worker = spawnRunway(['worker'], {
    TEMPORAL_ADDRESS: testTemporalAddress(),
    RUNWAY_TASK_QUEUE: uniqueId('keys'),
    RUNWAY_WORKER_VERSIONING: 'off',
    RUNWAY_CONFIG: '/nonexistent/runway.config.yaml',
    RUNWAY_DECISION_HMAC_KEYS: '',
    ...extra,
  });
  try {
    await worker.waitFor(/polling task queue/);
    worker.child.kill('SIGTERM');
    expect((await worker.exited).code).toBe(0);
    return worker.output();
  } finally {
    worker.child.kill('SIGKILL');
  }
}

it('warns at start that decisions are trusted as named when no key is configured', async () => {
  expect(await startAndStop({})).toMatch(WARNING);
});

it('requires proofs quietly with RUNWAY_DECISION_HMAC_KEYS, never printing the key', async () => {
  const key = randomBytes(32).toString('base64');
  const output = await startAndStop({ RUNWAY_DECISION_HMAC_KEYS: `k1=${key}` });
  expect(output).not.toMatch(WARNING);
  expect(output).not.toContain(key);
});

it('stops at start with exit 2 naming RUNWAY_DECISION_HMAC_KEYS when a key is too short, without echoing it', async () => {
  const key = randomBytes(8).toString('base64');
  const result = await runRunway(['worker'], { TEMPORAL_ADDRESS: testTemporalAddress(), RUNWAY_DECISION_HMAC_KEYS: `k1=${key}` });
  expect(result.code).toBe(2);
  expect(result.stderr).toMatch(/RUNWAY_DECISION_HMAC_KEYS: key k1 is 8 bytes/);
  expect(result.stdout + result.stderr).not.toContain(key);
});
