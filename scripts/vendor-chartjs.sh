#!/usr/bin/env bash
# Refreshes the vendored Chart.js in samples/WebHost/wwwroot/lib/chartjs from the npm package (npm checks the package's
# published integrity hash). The files are committed, so neither the build, the tests nor a running WebHost needs npm or
# the network; run this only to move to another version: bash scripts/vendor-chartjs.sh 4.6.1
set -euo pipefail
version="${1:-4.6.1}"
root="$(cd "$(dirname "$0")/.." && pwd)"
target="$root/samples/WebHost/wwwroot/lib/chartjs"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "chart.js@$version" >/dev/null && tar xzf "chart.js-$version.tgz")
mkdir -p "$target"
cp "$work/package/dist/chart.umd.min.js" "$target/chart.umd.min.js"
cp "$work/package/LICENSE.md" "$target/LICENSE.md"
echo "$version" > "$target/VERSION"
echo "Chart.js $version copied to $target"
