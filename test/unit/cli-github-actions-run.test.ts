/**
 * `runway start` in a GitHub Actions job tells the release which workflow run started it, so the
 * build gate can leave that run's own check runs out (issue 14, defect 1): only from a run in the
 * service's repository, validated, and nothing at all outside Actions.
 */
import { startingRunFromEnv } from '../../src/cli/github-actions-run';
import { CliError } from '../../src/cli/errors';
import { ExitCode } from '../../src/cli/exit-codes';

const ACTIONS = { GITHUB_ACTIONS: 'true', GITHUB_REPOSITORY: 'acme/checkout', GITHUB_RUN_ID: '9200000001', GITHUB_RUN_ATTEMPT: '2' };

it('passes the run id and attempt of a job in the service repository', () => {
  expect(startingRunFromEnv(ACTIONS, 'acme/checkout')).toEqual({ startedBy: { githubRunId: 9_200_000_001, githubRunAttempt: 2 } });
  // GitHub treats owner and repository names case-insensitively.
  expect(startingRunFromEnv({ ...ACTIONS, GITHUB_REPOSITORY: 'Acme/Checkout' }, 'acme/checkout').startedBy?.githubRunId).toBe(9_200_000_001);
  expect(startingRunFromEnv({ ...ACTIONS, GITHUB_RUN_ATTEMPT: undefined }, 'acme/checkout')).toEqual({ startedBy: { githubRunId: 9_200_000_001 } });
});

it('passes nothing outside GitHub Actions, whatever else is set', () => {
  expect(startingRunFromEnv({ ...ACTIONS, GITHUB_ACTIONS: undefined }, 'acme/checkout')).toEqual({});
  expect(startingRunFromEnv({ ...ACTIONS, GITHUB_ACTIONS: 'false', GITHUB_RUN_ID: 'junk' }, 'acme/checkout')).toEqual({});
});

it('passes nothing, with a note saying why, for a job in another repository', () => {
  const other = startingRunFromEnv({ ...ACTIONS, GITHUB_REPOSITORY: 'acme/deploys' }, 'acme/checkout');
  expect(other.startedBy).toBeUndefined();
  expect(other.note).toMatch(/runs in acme\/deploys, not in acme\/checkout .* all of the commit’s check runs count/);
  expect(startingRunFromEnv({ ...ACTIONS, GITHUB_REPOSITORY: undefined }, 'acme/checkout').startedBy).toBeUndefined();
});

it.each([
  ['GITHUB_RUN_ID', '', /^GITHUB_RUN_ID: "" is not a workflow run id/],
  ['GITHUB_RUN_ID', '12ab', /^GITHUB_RUN_ID: "12ab" is not a workflow run id/],
  ['GITHUB_RUN_ID', '0', /^GITHUB_RUN_ID: "0"/],
  ['GITHUB_RUN_ID', '99999999999999999', /^GITHUB_RUN_ID: "99999999999999999"/],
  ['GITHUB_RUN_ATTEMPT', '0', /^GITHUB_RUN_ATTEMPT: "0" is not a run attempt/],
  ['GITHUB_RUN_ATTEMPT', 'x', /^GITHUB_RUN_ATTEMPT: "x"/],
])('refuses %s=%p as invalid input naming the variable', (name, value, message) => {
  let error: unknown;
  try {
    startingRunFromEnv({ ...ACTIONS, [name]: value }, 'acme/checkout');
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(CliError);
  expect(error).toMatchObject({ exitCode: ExitCode.invalidInput, message: expect.stringMatching(message) });
});
