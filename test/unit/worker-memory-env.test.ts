/**
 * The benches measure `runway worker` with the memory settings the image gives it (MALLOC_ARENA_MAX
 * in the Dockerfile's ENV): a figure in the README must describe the worker
 * as deployed, so the two must not drift apart.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { IMAGE_MEMORY_ENV } from '../../bench/support/worker-process';

it("the benches' workers run with the Dockerfile's memory settings", () => {
  const dockerfile = readFileSync(path.join(__dirname, '../../Dockerfile'), 'utf8');
  const env = /^ENV ((?:.*\\\n)*.*)$/m.exec(dockerfile.split('FROM ').at(-1)!)?.[1] ?? '';
  const settings = Object.fromEntries([...env.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1], m[2]]));
  for (const [name, value] of Object.entries(IMAGE_MEMORY_ENV)) expect(settings[name]).toBe(value);
});
