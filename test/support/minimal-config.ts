import { ConfigError, parseConfig } from '../../src/config/load';

/** The smallest valid config: one service "api" with every required field and nothing else. */
export const MINIMAL_CONFIG_YAML = `
services:
  api:
    repo: acme/api
    image: registry/api
    container: app
    staging: { cluster: s, service: api }
    production: { cluster: p, service: api, canaryService: api-canary }
    smoke: { url: "http://localhost/health" }
    approval: { channel: "#d", approvers: [alice] }
`;

/** The problems a ConfigError lists for `yaml`; fails the test if the config is accepted or fails otherwise. */
export function configProblems(yaml: string, file = 'test.yaml'): string[] {
  try {
    parseConfig(yaml, file);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}
