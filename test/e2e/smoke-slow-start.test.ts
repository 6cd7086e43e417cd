/**
 * End to end: a service that answers 503 while it warms up (sandbox image behaviour
 * `slow-start:<s>`) passes its smoke test once warm and is released, not rolled back. Before
 * smoke checks were retried, its first 503 rolled staging back.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { releaseId } from '../../src/domain/release-id';
import { statusQuery } from '../../src/domain/release-api';
import { runRunway, spawnRunway } from '../support/runway-process';
import { randomSha } from '../support/sandbox-stack';
import { useSandboxWorker } from '../support/sandbox-worker';
import { useTestClient } from '../support/temporal';
import { untilStage } from '../support/workflow-runner';

const temporal = useTestClient();
const env = useSandboxWorker({ bake: '0s' }, (stack) => {
  // Smoke checks every 500ms for up to 60s (the sample config says 5s), then 3 passes in a row.
  const config = readFileSync(stack.configFile, 'utf8');
  writeFileSync(stack.configFile, config.replace(/(\n\s+smoke:\n(?:\s+\w+: .*\n)*?\s+)timeout: 5s/, '$1timeout: 60s'));
  // Staging is seen to be running within 200ms, well inside the warm-up below.
  stack.env.RUNWAY_DEPLOY_POLL_INTERVAL = '200ms';
});

it('releases a service that answers 503 while warming up, once it passes its smoke checks', async () => {
  const { stack } = env;
  expect(readFileSync(stack.configFile, 'utf8')).toContain('timeout: 60s');
  const version = randomSha();
  const id = releaseId('checkout', version);
  // The new image answers 503 for 6s after its tasks start.
  await stack.setScenario({ images: { [version]: 'slow-start:6' } });
  const start = spawnRunway(['start', '--service', 'checkout', '--version', version, '--wait'], stack.env);
  await start.waitFor(new RegExp(id));
  // Without retries the first 503 rolls staging back: say so rather than wait for a stage that never comes.
  const ended = start.exited.then((r) => Promise.reject(new Error(`runway start ended before approval (exit ${r.code}): ${r.stderr}`)));
  ended.catch(() => {}); // once approved, its later exit is no failure
  await Promise.race([untilStage(temporal.client.workflow.getHandle(id), 'awaiting-approval'), ended]);
  expect(await runRunway(['approve', id, '--as', 'alice'], stack.env)).toMatchObject({ code: 0 });

  const result = await start.exited;
  expect(result.stderr).toMatch(/released/);
  expect(result.code).toBe(0);

  const status = await temporal.client.workflow.getHandle(id).query(statusQuery);
  expect(status.history.map((h) => h.message)).toContainEqual(expect.stringMatching(/^smoke test passed: 3 check\(s\) answered 200, 200, 200/));
  const staging = ((await stack.calls()).health ?? []).filter((c) => c.operation === 'GET health staging/checkout');
  // Warming up first (the new image's 503s), then the passes in a row.
  expect(staging.map((c) => c.status).join(',')).toMatch(/^(503,)+200,200,200$/);
});
