#!/bin/sh
# One-shot job (the `temporal-setup` service, temporalio/admin-tools) run once Temporal is up:
# creates Runway's namespace if it is missing (the temporalio/server image creates none) and
# registers Runway's search attributes in it — the ones `runway dev` gives its dev server
# (RUNWAY_SEARCH_ATTRIBUTES in src/temporal/dev-server.ts). Workers start only after it
# succeeded: a release cannot start without its search attributes. Idempotent.
#   TEMPORAL_ADDRESS        the frontend (temporal:7233)
#   TEMPORAL_NAMESPACE      Runway's namespace (default)
#   NAMESPACE_RETENTION     how long closed releases' histories are kept (they are the audit record)
#   SEARCH_ATTRIBUTES       Name=Type pairs, space-separated
#   SETUP_ATTEMPTS          tries per search attribute, a second apart (30)
set -eu

: "${TEMPORAL_ADDRESS:?TEMPORAL_ADDRESS is required}"
: "${SEARCH_ATTRIBUTES:?SEARCH_ATTRIBUTES is required (Name=Type ...)}"
NAMESPACE="${TEMPORAL_NAMESPACE:-default}"
RETENTION="${NAMESPACE_RETENTION:-720h}"
ATTEMPTS="${SETUP_ATTEMPTS:-30}"
export TEMPORAL_ADDRESS

attempt=1
until temporal operator cluster health >/dev/null 2>&1; do
  if [ "$attempt" -ge 60 ]; then echo "temporal-setup: Temporal at ${TEMPORAL_ADDRESS} is not healthy after ${attempt} tries" >&2; exit 1; fi
  attempt=$((attempt + 1))
  sleep 2
done

if temporal operator namespace describe --namespace "$NAMESPACE" >/dev/null 2>&1; then
  echo "temporal-setup: namespace ${NAMESPACE} exists"
else
  temporal operator namespace create --namespace "$NAMESPACE" --retention "$RETENTION"
  echo "temporal-setup: namespace ${NAMESPACE} created (retention ${RETENTION})"
fi

# A new namespace reaches every frontend's cache within seconds; retry until it accepts.
for pair in $SEARCH_ATTRIBUTES; do
  name="${pair%%=*}"
  type="${pair#*=}"
  attempt=1
  until temporal operator search-attribute list --namespace "$NAMESPACE" 2>/dev/null | grep -Eq "^[[:space:]]*${name}[[:space:]]+${type}[[:space:]]*$"; do
    temporal operator search-attribute create --namespace "$NAMESPACE" --name "$name" --type "$type" >/dev/null 2>&1 || true
    if [ "$attempt" -ge "$ATTEMPTS" ]; then echo "temporal-setup: could not register search attribute ${name} as ${type} in ${NAMESPACE} (registered with another type? temporal operator search-attribute list)" >&2; exit 1; fi
    attempt=$((attempt + 1))
    sleep 1
  done
  echo "temporal-setup: search attribute ${name} (${type})"
done
echo "temporal-setup: done"
