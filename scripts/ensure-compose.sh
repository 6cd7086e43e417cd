#!/usr/bin/env bash
# Docker Compose (the compose plugin's own code, github.com/docker/compose/v5 at a pinned tag),
# built from its Go module once into ~/.cache/runway/compose-<version>/ (outside the repo; cache
# it, and Go's module and build caches, between CI runs). `npm test` runs its `config` on
# docker-compose.yml (test/unit/docker-compose.test.ts); no container engine is needed for that.
# Its go.mod has `exclude` directives, so `go install …@version` refuses it: it is built from a
# throwaway module that requires it. Prints the binary's path; progress goes to stderr.
# Usage: scripts/ensure-compose.sh [version]   (default below; needs Go ≥ 1.25)
set -euo pipefail

version="${1:-5.6.0}"
dir="${XDG_CACHE_HOME:-$HOME/.cache}/runway/compose-${version}"
binary="${dir}/docker-compose"

if [[ -x "${binary}" ]] && "${binary}" version --short 2>/dev/null | grep -qx "v\?${version}"; then
  echo "${binary}"
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "ensure-compose: Go is needed to build Docker Compose ${version} (or install the compose plugin and set RUNWAY_COMPOSE)" >&2
  exit 1
fi

echo "ensure-compose: building Docker Compose v${version} from its Go module into ${dir} (several minutes the first time)" >&2
build="${dir}/build"
mkdir -p "${build}"
cd "${build}"
cat > go.mod <<MOD
module runway.local/compose-build

go 1.25
MOD
rm -f go.sum
go get "github.com/docker/compose/v5/cmd@v${version}" >&2
go build -trimpath -ldflags "-s -w -X github.com/docker/compose/v5/internal.Version=v${version}" -o "${binary}.partial" github.com/docker/compose/v5/cmd >&2
mv "${binary}.partial" "${binary}"
"${binary}" version >&2
echo "${binary}"
