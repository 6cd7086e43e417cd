/**
 * Scripted faults as an ordered list (`failNext`), the way the Slack, Sentry and webhook
 * emulators take them: the first fault that matches a call is used once; one with a `count`
 * hits that many calls before it is gone.
 */

/** The first fault `matches` accepts, and the list without that use of it. */
export function takeFromFaultList<F extends { count?: number }>(faults: readonly F[] | undefined, matches: (fault: F) => boolean): { fault?: F; rest: F[] } {
  const list = faults ?? [];
  const index = list.findIndex(matches);
  if (index < 0) return { rest: [...list] };
  const fault = list[index]!;
  const count = fault.count ?? 1;
  const left = count > 1 ? [{ ...fault, count: count - 1 }] : [];
  return { fault, rest: [...list.slice(0, index), ...left, ...list.slice(index + 1)] };
}
