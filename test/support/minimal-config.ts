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
