/**
 * The worker's process series on /metrics (src/metrics/worker-memory.ts): what an operator reads to
 * tell heap from the rest of a worker's memory, and what the scale bench reads per release.
 */
import { sampleOf, workerProcessMetrics } from '../../src/metrics/worker-memory';

it("renders this process's resident memory and V8 heap, which sampleOf reads back", async () => {
  const text = await workerProcessMetrics().render();
  const heapUsed = sampleOf(text, 'nodejs_heap_size_used_bytes');
  const rss = sampleOf(text, 'process_resident_memory_bytes');
  expect(heapUsed).toBeGreaterThan(0);
  // Within a factor of the live figure: the series measure this process, not a constant.
  expect(heapUsed).toBeLessThan(4 * process.memoryUsage().heapTotal);
  expect(rss).toBeGreaterThan(heapUsed!);
  expect(text).toMatch(/^# TYPE nodejs_heap_size_used_bytes gauge$/m);
});

it('sampleOf reads a labelled sample, and says undefined for a series that is not there', () => {
  const text = 'a_total{kind="x"} 3\na_total{kind="y"} 4.5\nb 1e+3\n';
  expect(sampleOf(text, 'a_total{kind="y"}')).toBe(4.5);
  expect(sampleOf(text, 'b')).toBe(1000);
  expect(sampleOf(text, 'c')).toBeUndefined();
});
