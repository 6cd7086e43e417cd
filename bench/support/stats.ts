/** Medians and a small fixed-width table: every bench prints its figures the same way. */

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The value below which `p` percent of `values` fall (nearest rank). */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export interface Summary {
  runs: number;
  median: number;
  min: number;
  max: number;
}

export function summarise(values: number[]): Summary {
  return { runs: values.length, median: median(values), min: Math.min(...values), max: Math.max(...values) };
}

/** Rounds for display: integers stay integers, small values keep one decimal. */
export function fmt(value: number): string {
  if (!Number.isFinite(value)) return '-';
  return Math.abs(value) >= 100 || Number.isInteger(value) ? String(Math.round(value)) : value.toFixed(1);
}

export function printTable(rows: { label: string; unit: string; values: number[] }[], write: (line: string) => void = console.log): void {
  const body = rows.map((r) => {
    const s = summarise(r.values);
    return [r.label, r.unit, String(s.runs), fmt(s.median), fmt(s.min), fmt(s.max)];
  });
  const table = [['measure', 'unit', 'runs', 'median', 'min', 'max'], ...body];
  const widths = table[0].map((_, c) => Math.max(...table.map((row) => row[c].length)));
  for (const row of table) write(row.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '));
}
