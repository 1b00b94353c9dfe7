#!/usr/bin/env bash
# The REST benchmark, base build against this work tree's build, in one run (alternating rounds, same load):
#   bash bench/rest-compare.sh [base-ref, default main] [seconds per round, default 3] [rounds, default 3]
# Builds the base ref's DevStack in a temporary git worktree, then runs bench/AutoCrm.DevStack.Bench --compare.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
base_ref="${1:-main}"; seconds="${2:-3}"; rounds="${3:-3}"
work="$(mktemp -d /tmp/autocrm-rest-compare.XXXXXX)"
cleanup() { git -C "$repo" worktree remove --force "$work/base" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT

git -C "$repo" worktree add --detach "$work/base" "$base_ref" >/dev/null
echo "base: $base_ref ($(git -C "$work/base" rev-parse --short HEAD)); candidate: $(git -C "$repo" rev-parse --short HEAD)$(git -C "$repo" diff --quiet || echo ' + uncommitted changes')" >&2
dotnet build "$work/base/src/AutoCrm.DevStack" -c Release -nologo -clp:ErrorsOnly >&2
dotnet build "$repo/bench/AutoCrm.DevStack.Bench" -c Release -nologo -clp:ErrorsOnly >&2
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
dotnet run -c Release --no-build --project "$repo/bench/AutoCrm.DevStack.Bench" -- --compare \
  "$work/base/src/AutoCrm.DevStack/bin/Release/net10.0/AutoCrm.DevStack.dll" \
  "$repo/src/AutoCrm.DevStack/bin/Release/net10.0/AutoCrm.DevStack.dll" \
  --seconds "$seconds" --rounds "$rounds"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
