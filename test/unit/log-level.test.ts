/**
 * RUNWAY_LOG_LEVEL is parsed once, in the environment schema, and every process writes what it
 * lets through: here the parsing, the filter, and the levels the approvals server gives its lines
 * (refusals and clicks not recorded: warn; clicks decided: info).
 */
import type { Client } from '@temporalio/client';
import { EnvError, levelledLog, type LogLevel, logs, parseEnv } from '../../src/config/env';
import { startApprovalsServer } from '../../src/approvals/server';
import { signedInteraction } from '../../src/sandbox';
import { APPROVE_ACTION_ID, buttonValue } from '../../src/shared/slack-button-value';

describe('RUNWAY_LOG_LEVEL', () => {
  it('is warn unless set, and takes error, warn, info or debug in any case', () => {
    expect(parseEnv({}).RUNWAY_LOG_LEVEL).toBe('warn');
    expect(parseEnv({ RUNWAY_LOG_LEVEL: '' }).RUNWAY_LOG_LEVEL).toBe('warn');
    expect(parseEnv({ RUNWAY_LOG_LEVEL: 'DEBUG' }).RUNWAY_LOG_LEVEL).toBe('debug');
    expect(parseEnv({ RUNWAY_LOG_LEVEL: ' Info ' }).RUNWAY_LOG_LEVEL).toBe('info');
    expect(parseEnv({ RUNWAY_LOG_LEVEL: 'error' }).RUNWAY_LOG_LEVEL).toBe('error');
  });

  it('refuses anything else, naming the variable', () => {
    expect(() => parseEnv({ RUNWAY_LOG_LEVEL: 'verbose' })).toThrow(new EnvError('invalid environment: RUNWAY_LOG_LEVEL: "verbose" is not a log level (error, warn, info, debug)'));
  });

  it('lets through lines at or above the level; a line without one counts as a warning', () => {
    expect(logs('warn', 'error')).toBe(true);
    expect(logs('warn', 'info')).toBe(false);
    expect(logs('debug', 'debug')).toBe(true);
    const written: string[] = [];
    const log = levelledLog('error', (line) => written.push(line));
    log('kept', 'error');
    log('dropped');
    log('dropped too', 'info');
    expect(written).toEqual(['kept']);
  });
});

describe('the approvals server gives its lines a level', () => {
  const SECRET = 'log-level-secret';

  async function linesFor(client: Client, send: (eventsUrl: string) => Promise<void>): Promise<[string, LogLevel | undefined][]> {
    const lines: [string, LogLevel | undefined][] = [];
    const server = await startApprovalsServer({ port: 0, signingSecret: SECRET, client, decisionTimeoutMs: 1000, log: (line, level) => lines.push([line, level]) });
    try {
      await send(server.eventsUrl);
      await server.settled();
    } finally {
      await server.close();
    }
    return lines;
  }

  const click = () => {
    const payload = { type: 'block_actions', user: { id: 'U01ALICE' }, actions: [{ action_id: APPROVE_ACTION_ID, value: buttonValue({ releaseId: 'release-api-abc' }) }] };
    return signedInteraction(SECRET, payload, Math.floor(Date.now() / 1000));
  };
  const post = (url: string, req: { body: string; headers: Record<string, string> }) => fetch(url, { method: 'POST', headers: req.headers, body: req.body }).then(() => undefined);

  it('a refused request: warn', async () => {
    const lines = await linesFor({} as Client, (url) => post(url, { body: 'payload=%7B%7D', headers: { 'x-slack-signature': 'v0=bad' } }));
    expect(lines).toEqual([[expect.stringMatching(/^approvals: refused \/slack\/events → 401: /), 'warn']]);
  });

  it('a click decided: info; a click that could not be recorded: warn', async () => {
    // Stands in for Temporal: the release accepts the approval.
    const accepting = { withDeadline: (_: number, fn: () => unknown) => fn(), workflow: { getHandle: () => ({ executeUpdate: async () => ({ decision: 'approved' }) }) } } as unknown as Client;
    expect(await linesFor(accepting, (url) => post(url, click()))).toContainEqual(['approvals: U01ALICE approve release-api-abc → approved', 'info']);
    const failing = { withDeadline: () => Promise.reject(new Error('Temporal unreachable')), workflow: {} } as unknown as Client;
    expect(await linesFor(failing, (url) => post(url, click()))).toContainEqual([expect.stringMatching(/^approvals: U01ALICE approve release-api-abc → error \(Temporal unreachable\)/), 'warn']);
  });
});
