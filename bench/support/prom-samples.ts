/**
 * The labelled samples of a Prometheus text exposition (`name{a="b",…} value`), for the benches
 * that read a server's or a worker's /metrics. Samples without labels and comments are skipped.
 */

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE = /^(\w+)\{([^}]*)\}\s+([0-9.eE+-]+)$/;
const LABEL = /(\w+)="([^"]*)"/g;

export function promSamples(text: string): PromSample[] {
  const samples: PromSample[] = [];
  for (const line of text.split('\n')) {
    const sample = SAMPLE.exec(line);
    if (!sample) continue;
    const [, name, labelText, raw] = sample;
    const value = Number(raw);
    if (!Number.isFinite(value)) continue;
    samples.push({ name: name!, labels: Object.fromEntries([...labelText!.matchAll(LABEL)].map((m) => [m[1]!, m[2]!])), value });
  }
  return samples;
}
