#!/bin/sh
# One-shot schema job (the `temporal-schema` service, temporalio/admin-tools): creates Temporal's
# two PostgreSQL databases if they are missing and brings both schemas to the versions the
# admin-tools image ships — the same temporal-sql-tool steps as Temporal's own compose files
# since the auto-setup image was deprecated. Idempotent: on an existing database `create` is
# skipped, `setup-schema -v 0.0` leaves an initialised schema alone and `update-schema` applies
# only the versions not yet applied (this is also how a Temporal upgrade migrates the schema:
# bump the server and admin-tools tags together and run `docker compose up -d` again).
set -eu

: "${POSTGRES_SEEDS:?POSTGRES_SEEDS is required (the PostgreSQL host)}"
: "${POSTGRES_USER:?POSTGRES_USER is required}"
: "${SQL_PASSWORD:?SQL_PASSWORD is required (POSTGRES_PASSWORD in .env)}"
PORT="${DB_PORT:-5432}"
# Where admin-tools keeps the schema files; elsewhere (temporal-sql-tool built from the Go module), point it there.
SCHEMA_DIR="${TEMPORAL_SCHEMA_DIR:-/etc/temporal/schema/postgresql/v12}"

sql() {
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$PORT" -u "$POSTGRES_USER" "$@"
}

for pair in "temporal:temporal" "temporal_visibility:visibility"; do
  db="${pair%%:*}"
  schema="${pair#*:}"
  echo "temporal-schema: database ${db}"
  sql --db "$db" create 2>/dev/null || echo "temporal-schema: ${db} exists"
  sql --db "$db" setup-schema -v 0.0
  sql --db "$db" update-schema -d "${SCHEMA_DIR}/${schema}/versioned"
done
echo "temporal-schema: done"
