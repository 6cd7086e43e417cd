/**
 * TEMPORAL_ADDRESS (issue 15, bad input): unset is a local server; set but empty (an unfilled
 * .env entry in the compose stack), with a scheme, or not host:port stops every command at start,
 * naming the variable (exit 2 through the CLI's EnvError handling).
 */
import { EnvError, parseEnv } from '../../src/config/env';

it('defaults to localhost:7233 when unset, and takes host, host:port and [IPv6]:port as given', () => {
  expect(parseEnv({}).TEMPORAL_ADDRESS).toBe('localhost:7233');
  for (const address of ['temporal', 'temporal:7233', 'ns.acct.tmprl.cloud:7233', '10.0.0.1:7233', '[::1]:7233']) {
    expect(parseEnv({ TEMPORAL_ADDRESS: ` ${address} ` }).TEMPORAL_ADDRESS).toBe(address);
  }
});

it.each([
  ['', /^invalid environment: TEMPORAL_ADDRESS: is empty; set it to the Temporal frontend's host:port/],
  ['  ', /^invalid environment: TEMPORAL_ADDRESS: is empty/],
  ['http://temporal:7233', /^invalid environment: TEMPORAL_ADDRESS: "http:\/\/temporal:7233" has a scheme; expected host:port/],
  ['temporal:99999', /^invalid environment: TEMPORAL_ADDRESS: "temporal:99999" is not host:port/],
  ['temporal 7233', /^invalid environment: TEMPORAL_ADDRESS: "temporal 7233" is not host:port/],
])('refuses %j naming TEMPORAL_ADDRESS', (value, message) => {
  expect(() => parseEnv({ TEMPORAL_ADDRESS: value })).toThrow(EnvError);
  expect(() => parseEnv({ TEMPORAL_ADDRESS: value })).toThrow(message);
});
