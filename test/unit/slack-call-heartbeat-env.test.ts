/**
 * RUNWAY_SLACK_CALL_HEARTBEAT_TIMEOUT: the heartbeat timeout a worker gives the Slack calls of the
 * messengers it starts (workers/release-worker.ts → activities/release-slack-hand-over.ts).
 */
import { EnvError, parseEnv } from '../../src/config/env';
import { clientsFromEnv } from '../../workers/release-worker';

it('is 10 s unless set, and takes a duration from 10 s to 10 minutes', () => {
  expect(parseEnv({}).RUNWAY_SLACK_CALL_HEARTBEAT_TIMEOUT).toBe(10_000);
  expect(parseEnv({ RUNWAY_SLACK_CALL_HEARTBEAT_TIMEOUT: '30s' }).RUNWAY_SLACK_CALL_HEARTBEAT_TIMEOUT).toBe(30_000);
  expect(parseEnv({ RUNWAY_SLACK_CALL_HEARTBEAT_TIMEOUT: '10m' }).RUNWAY_SLACK_CALL_HEARTBEAT_TIMEOUT).toBe(600_000);
});

it('refuses what is not a duration or is out of range, naming the variable', () => {
  expect(() => parseEnv({ RUNWAY_SLACK_CALL_HEARTBEAT_TIMEOUT: 'soon' })).toThrow(new EnvError('invalid environment: RUNWAY_SLACK_CALL_HEARTBEAT_TIMEOUT: "soon" is not a duration (examples: 15s, 500ms)'));
  expect(() => parseEnv({ RUNWAY_SLACK_CALL_HEARTBEAT_TIMEOUT: '5s' })).toThrow(/RUNWAY_SLACK_CALL_HEARTBEAT_TIMEOUT: "5s" is out of range: from 10s to 10m/);
});

it("reaches the worker's activities", () => {
  expect(clientsFromEnv(parseEnv({ RUNWAY_SLACK_CALL_HEARTBEAT_TIMEOUT: '45s' })).slackCallHeartbeatTimeoutMs).toBe(45_000);
});
