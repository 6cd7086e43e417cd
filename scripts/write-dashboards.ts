/**
 * Writes the Grafana dashboards typed in dashboards/*.ts to their JSON files (what Grafana
 * imports or provisions). `npm run dashboards`; test/unit/dashboard.test.ts fails when a JSON
 * file is not what its source writes.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { dashboardJson, DASHBOARDS } from '../dashboards';

for (const [file, dashboard] of Object.entries(DASHBOARDS)) {
  writeFileSync(path.join(__dirname, '../dashboards', file), dashboardJson(dashboard));
  console.log(`dashboards/${file}: ${dashboard.panels.length} panels`);
}
