/** An ECS service of one environment, as `staging:` and `production:` name it. */
import { z } from 'zod';

export const ecsServiceSchema = z.strictObject({
  cluster: z.string().min(1, 'must not be empty'),
  service: z.string().min(1, 'must not be empty'),
  /** Public URL of this environment, shown on GitHub deployment records. */
  url: z.url({ message: 'must be a URL' }).optional(),
});
