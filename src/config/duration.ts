import ms from 'ms';
import { z } from 'zod';

/** A duration written as in `ms` ("500ms", "30s", "10m", "24h") or as milliseconds; becomes ms. */
export const durationSchema = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const parsed = typeof value === 'number' ? value : ms(value as ms.StringValue);
  if (typeof parsed !== 'number' || !Number.isFinite(parsed) || parsed < 0) {
    ctx.addIssue({ code: 'custom', message: `"${value}" is not a duration (examples: 500ms, 30s, 10m, 24h)` });
    return z.NEVER;
  }
  return parsed;
});
