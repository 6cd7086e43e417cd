/** The dashboards Runway ships, by the JSON file each is written to (scripts/write-dashboards.ts). */
import { runwayDashboard } from './runway';

export const DASHBOARDS = { 'runway.json': runwayDashboard } as const;

export function dashboardJson(dashboard: object): string {
  return `${JSON.stringify(dashboard, null, 2)}\n`;
}

/** Every panel query's PromQL, with the panel's title (for the query check). */
export function panelQueries(dashboard: { panels: { title?: string; targets?: Record<string, unknown>[] }[] }): { panel: string; expr: string }[] {
  return dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title ?? '', expr: String(t.expr) })));
}
