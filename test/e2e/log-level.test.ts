/**
 * Every Runway process honours RUNWAY_LOG_LEVEL (parsed once, in the environment schema): the
 * sandbox prints each call at debug, the approvals server's refusals are warnings that `error`
 * silences, and a level that is not one is refused by any process before it starts anything.
 */
import path from 'node:path';
import { type RunwayProcess, runRunway, spawnRunway } from '../support/runway-process';
import { testTemporalAddress } from '../support/temporal';

const CONFIG = path.join(__dirname, '../../runway.config.yaml');

/** Stops a process and resolves once all its output has been read. */
async function stop(p: RunwayProcess): Promise<string> {
  const closed = new Promise<void>((resolve) => p.child.once('close', () => resolve()));
  p.child.kill('SIGTERM');
  await closed;
  return p.output();
}

/** Starts a process and reads the URL it prints after `label`. */
async function started(args: string[], env: Record<string, string>, label: RegExp): Promise<{ process: RunwayProcess; url: string }> {
  const proc = spawnRunway(args, env);
  await proc.waitFor(label);
  return { process: proc, url: label.exec(proc.output())![1]! };
}

describe('runway sandbox', () => {
  const env = (level?: string) => ({ RUNWAY_CONFIG: CONFIG, RUNWAY_SANDBOX_PORT: '0', ...(level ? { RUNWAY_LOG_LEVEL: level } : {}) });
  const SANDBOX = /Sandbox\s+(http:\/\/127\.0\.0\.1:\d+)/;

  it('prints every call it answers at debug', async () => {
    const { process: proc, url } = await started(['sandbox'], env('debug'), SANDBOX);
    expect((await fetch(`${url}/services/staging/checkout/health`)).status).toBe(200);
    await proc.waitFor(/sandbox: health GET health staging\/checkout → 200/);
    await stop(proc);
  });

  it('prints none by default', async () => {
    const { process: proc, url } = await started(['sandbox'], env(), SANDBOX);
    expect((await fetch(`${url}/services/staging/checkout/health`)).status).toBe(200);
    expect(await stop(proc)).not.toMatch(/sandbox: health/);
  });
});

describe('runway approvals', () => {
  const env = (level?: string) => ({
    RUNWAY_CONFIG: CONFIG,
    TEMPORAL_ADDRESS: testTemporalAddress(),
    SLACK_SIGNING_SECRET: 'log-level-test-secret',
    ...(level ? { RUNWAY_LOG_LEVEL: level } : {}),
  });
  const LISTENING = /listening on (http:\/\/127\.0\.0\.1:\d+)/;
  const unsigned = (url: string) => fetch(`${url}/slack/events`, { method: 'POST', body: 'payload=%7B%7D' });

  it('writes a refused request as a warning by default, and nothing at error', async () => {
    const byDefault = await started(['approvals', '--port', '0'], env(), LISTENING);
    expect((await unsigned(byDefault.url)).status).toBe(401);
    await byDefault.process.waitFor(/approvals: refused \/slack\/events → 401: missing X-Slack-Signature header/);
    await stop(byDefault.process);

    const quiet = await started(['approvals', '--port', '0'], env('error'), LISTENING);
    expect((await unsigned(quiet.url)).status).toBe(401);
    expect(await stop(quiet.process)).not.toMatch(/approvals: refused/);
  });
});

it('refuses a log level that is not one, in every process, before starting anything', async () => {
  // Not `runway dev`: should it ever start, it would take the fixed ports 7233/8233/3000.
  for (const args of [['sandbox'], ['approvals', '--port', '0'], ['worker']]) {
    const result = await runRunway(args, { RUNWAY_CONFIG: CONFIG, SLACK_SIGNING_SECRET: 'x', RUNWAY_SANDBOX_PORT: '0', TEMPORAL_ADDRESS: testTemporalAddress(), RUNWAY_LOG_LEVEL: 'loud' });
    expect({ args, code: result.code, stderr: result.stderr }).toEqual({
      args,
      code: 2,
      stderr: 'runway: invalid environment: RUNWAY_LOG_LEVEL: "loud" is not a log level (error, warn, info, debug)\n',
    });
  }
});
