/**
 * A real Prometheus (the `prometheus` binary: Debian's package, which `.ci/run` installs) for the
 * embedded default, tests and benches: it scrapes the given targets every `scrapeInterval` into a throwaway TSDB,
 * listens on 127.0.0.1 only, and answers PromQL over its HTTP API. `prometheusBinary()` is
 * undefined when none is installed: callers skip, saying so.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freeLoopbackPort } from '../temporal/worker-health';

/** "prometheus 2.42.0" from the binary's --version, or just "prometheus". */
export function prometheusVersion(binary: string): string {
  const out = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  const version = /version (\S+)/.exec(`${out.stdout}${out.stderr}`)?.[1];
  return version ? `prometheus ${version}` : 'prometheus';
}

/** The prometheus binary on PATH (or PROMETHEUS_BIN), or undefined. */
export function prometheusBinary(): string | undefined {
  const candidate = process.env.PROMETHEUS_BIN ?? 'prometheus';
  return spawnSync(candidate, ['--version'], { encoding: 'utf8' }).status === 0 ? candidate : undefined;
}

export interface ScrapeJob {
  job: string;
  /** `host:port` targets. */
  targets: string[];
  metricsPath?: string;
}

export interface PrometheusServer {
  url: string;
  /** An instant query's result vector (throws on a PromQL error). */
  query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  /** Resolves once every target of `job` has been scraped successfully at least `times` times. */
  untilScraped(job: string, times?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startPrometheus(jobs: ScrapeJob[], options: { scrapeInterval?: string; binary?: string } = {}): Promise<PrometheusServer> {
  const binary = options.binary ?? prometheusBinary();
  if (!binary) throw new Error('no prometheus binary (install Debian\'s prometheus package, or set PROMETHEUS_BIN)');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'runway-prometheus-'));
  const interval = options.scrapeInterval ?? '1s';
  const config = [
    'global:',
    `  scrape_interval: ${interval}`,
    `  evaluation_interval: ${interval}`,
    'scrape_configs:',
    ...jobs.flatMap((j) => [`  - job_name: ${JSON.stringify(j.job)}`, `    metrics_path: ${JSON.stringify(j.metricsPath ?? '/metrics')}`, '    static_configs:', `      - targets: ${JSON.stringify(j.targets)}`]),
  ].join('\n');
  writeFileSync(path.join(dir, 'prometheus.yml'), `${config}\n`);
  const port = await freeLoopbackPort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    binary,
    [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const api = async (pathAndQuery: string) => {
    const response = await fetch(`${url}${pathAndQuery}`, { signal: AbortSignal.timeout(10_000) });
    const body = (await response.json()) as { status: string; data: unknown; error?: string };
    if (body.status !== 'success') throw new Error(`Prometheus ${pathAndQuery}: ${body.error ?? response.status}`);
    return body.data;
  };

  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`prometheus exited at start: ${stderr}`);
    const ready = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
    if (ready) break;
    if (i > 300) throw new Error(`prometheus not ready after 30 s: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }

  const query: PrometheusServer['query'] = async (expr) => {
    const data = (await api(`/api/v1/query?query=${encodeURIComponent(expr)}`)) as { resultType: string; result: unknown };
    if (data.resultType === 'scalar') return [{ metric: {}, value: data.result as [number, string] }];
    return data.result as { metric: Record<string, string>; value: [number, string] }[];
  };

  return {
    url,
    query,
    async untilScraped(job, times = 2) {
      for (let i = 0; i < 600; i++) {
        const counts = await query(`count_over_time(up{job=${JSON.stringify(job)}}[10m])`).catch(() => []);
        const ups = await query(`up{job=${JSON.stringify(job)}}`).catch(() => []);
        if (ups.length > 0 && ups.every((u) => u.value[1] === '1') && counts.every((c) => Number(c.value[1]) >= times)) return;
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`Prometheus never scraped ${job} ${times} times`);
    },
    async stop() {
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
