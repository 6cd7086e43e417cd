/** The replay memory: refuses a second use within the window and forgets what the signature check refuses anyway. */
import { ReplayGuard } from '../../src/approvals/replay-guard';

const WINDOW = 5 * 60 * 1000;

it('accepts a signed request once, then refuses it for as long as its timestamp is valid', () => {
  const guard = new ReplayGuard(WINDOW);
  const ts = 1_700_000_000;
  const now = ts * 1000;
  expect(guard.firstSeen(ts, 'v0=aa', now)).toBe(true);
  expect(guard.firstSeen(ts, 'v0=aa', now + 1000)).toBe(false);
  expect(guard.firstSeen(ts, 'v0=aa', now + WINDOW)).toBe(false);
  // Same timestamp, other signature (another click in the same second) is a different request.
  expect(guard.firstSeen(ts, 'v0=bb', now)).toBe(true);
});

it('forgets requests once they are past the window, so memory stays bounded', () => {
  const guard = new ReplayGuard(WINDOW);
  const ts = 1_700_000_000;
  for (let i = 0; i < 100; i++) guard.firstSeen(ts, `v0=${i}`, ts * 1000);
  expect(guard.size).toBe(100);
  guard.firstSeen(ts + 400, 'v0=later', (ts + 400) * 1000);
  expect(guard.size).toBe(1);
});
