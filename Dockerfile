# syntax=docker/dockerfile:1
# Runway's one image: `runway worker` (the default command), `runway approvals` and every CLI
# command (`docker run … runway-image start --service …`). Compiled JavaScript and production
# dependencies only; no TypeScript compiler or tsx at run time. Runs as the unprivileged `node`
# user. Build: docker build -t runway .
# test/e2e/distribution.test.ts checks, without a container engine, that every file this copies
# exists (or is made by the stage it comes from) and that the layout it creates runs.
ARG NODE_IMAGE=node:24-bookworm-slim

# The compiled JavaScript (dist/), from the sources and every dependency.
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY workflows ./workflows
COPY activities ./activities
COPY workers ./workers
RUN npm run build

# Production dependencies only, exactly as locked (only node_modules leaves this stage).
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
# The Temporal SDK's native library for this machine only: its package carries one for each of
# five platforms, ~30 MB each.
RUN find node_modules/@temporalio/core-bridge/releases -mindepth 1 -maxdepth 1 ! -name "$(uname -m)-unknown-linux-gnu" -exec rm -rf {} +

FROM ${NODE_IMAGE}
# glibc's malloc keeps an arena per thread of the SDK's native runtime, and fragmented arenas hold
# memory the process no longer uses: two arenas took 90 MiB off a worker's peak with 200 releases in
# flight (README "Running many releases"). The workflow bundle `npm run build` made: a worker that
# bundles at start keeps ~150 MiB more RSS for good.
ENV NODE_ENV=production \
    RUNWAY_METRICS_PORT=9464 \
    MALLOC_ARENA_MAX=2 \
    RUNWAY_WORKFLOW_BUNDLE=/app/dist/workflow-bundle.js
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY --from=build /src/dist ./dist
# `runway` on PATH; bin/runway.js runs dist/ (there are no sources in the image).
RUN ln -s /app/bin/runway.js /usr/local/bin/runway
USER node
# The worker's /healthz and /metrics (RUNWAY_METRICS_PORT); the approvals server (RUNWAY_APPROVALS_PORT, with --host 0.0.0.0).
EXPOSE 9464 3000
# Healthy once whichever Runway process this container runs answers its /healthz with 200 (the
# worker: once it polls its task queue). The worker bundles its workflow code at start: allow for
# it. The check is a Node process of its own (about a second to start on a busy machine).
HEALTHCHECK --interval=15s --timeout=10s --start-period=60s --retries=3 CMD ["runway", "healthcheck"]
ENTRYPOINT ["runway"]
CMD ["worker"]
