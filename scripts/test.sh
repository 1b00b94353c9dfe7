#!/usr/bin/env bash
# The test command: installs and starts everything the tests need, runs every
# tier (pgTAP through the DevStack tests, .NET tests, supabase-js conformance)
# and ends with one plain line "N passed, N failed, N skipped".
set -uo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
results="$repo/test-results"
rm -rf "$results" && mkdir -p "$results"

log() { printf '\n==> %s\n' "$*"; }

need_apt=()
# "install ok installed" only: a removed package whose config files remain still answers dpkg -s.
need_package() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed" || need_apt+=("$1"); }

log "Checking system packages"
need_package postgresql-15
need_package postgresql-contrib
need_package postgresql-15-pgtap
need_package libtap-parser-sourcehandler-pgtap-perl
# Native AOT (the documentation app) links with the platform toolchain.
need_package gcc
need_package zlib1g-dev
# pg_cron, which Supabase ships: the DevStack preloads it when installed and schedules jobs with it.
need_package postgresql-15-cron
if [ -d samples/WebHost ] || [ -d tests/AutoCrm.WebHost.Tests ]; then need_package chromium; fi
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "Missing packages: ${need_apt[*]} (run as root, or: sudo apt-get install -y ${need_apt[*]})" >&2
    exit 1
  fi
  log "Installing ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null || { echo "apt-get install failed" >&2; exit 1; }
fi

log "Installing the conformance suite's npm packages"
(cd tests/conformance && npm ci --no-audit --no-fund --loglevel=error) || { echo "npm ci failed" >&2; exit 1; }

log "Building (Release)"
dotnet build AutoCrm.Sdk.sln -c Release -nologo -clp:ErrorsOnly || { echo "0 passed, 1 failed"; exit 1; }

passed=0; failed=0; skipped=0; status=0

# The documentation app (tests/AutoCrm.Sdk.PackageConsumer) consumes the packed package, as a reader's app would; the
# package tests read the same nupkg.
log "Packing AutoCrm.Sdk into artifacts/packages"
step_start=$SECONDS
rm -rf artifacts/packages && mkdir -p artifacts/packages
sdk_version=""
if dotnet pack src/AutoCrm.Sdk -c Release --no-build -nologo -o artifacts/packages >"$results/pack.log" 2>&1; then
  sdk_version="$(ls artifacts/packages/AutoCrm.Sdk.*.nupkg | sed -n 's|.*/AutoCrm\.Sdk\.\(.*\)\.nupkg$|\1|p' | head -1)"
fi
echo "packed AutoCrm.Sdk ${sdk_version:-(failed, see $results/pack.log)} in $((SECONDS - step_start)) s"

log "Publishing the documentation app with Native AOT (the C# of docs/*.md on the packed package)"
step_start=$SECONDS
docs_app=""
if [ -n "$sdk_version" ]; then
  # Its own packages folder: a re-packed AutoCrm.Sdk of the same version must not come from a stale cache.
  rm -rf artifacts/consumer-packages/autocrm.sdk artifacts/consumer
  dotnet publish tests/AutoCrm.Sdk.PackageConsumer -c Release -nologo -clp:NoSummary -p:AutoCrmSdkVersion="$sdk_version" \
    -o artifacts/consumer >"$results/docs-publish.log" 2>&1
  publish_exit=$?
  publish_warnings=$(grep -c -E ': warning [A-Z]+[0-9]+' "$results/docs-publish.log")
  if [ "$publish_exit" -eq 0 ] && [ "$publish_warnings" -eq 0 ] && [ -x artifacts/consumer/AutoCrm.Sdk.PackageConsumer ]; then
    docs_app=artifacts/consumer/AutoCrm.Sdk.PackageConsumer
  else
    grep -E ': (warning|error) ' "$results/docs-publish.log" | sort -u >&2
    echo "The documentation app did not publish cleanly (exit $publish_exit, $publish_warnings warning(s)); see $results/docs-publish.log" >&2
  fi
fi
echo "documentation app published in $((SECONDS - step_start)) s"
if [ -z "$docs_app" ]; then status=1; failed=$((failed + 1)); fi

log ".NET tests"
dotnet test --solution AutoCrm.Sdk.sln -c Release --no-build --no-ansi --max-parallel-test-modules 1 \
  --results-directory "$results" --timeout 40m 2>&1 | tee "$results/dotnet.log"
dotnet_exit=${PIPESTATUS[0]}
summary="$(sed -n '/^Test run summary/,$p' "$results/dotnet.log")"
d_total=$(printf '%s\n' "$summary" | sed -n 's/^ *total: *\([0-9]*\).*/\1/p' | tail -1)
d_failed=$(printf '%s\n' "$summary" | sed -n 's/^ *failed: *\([0-9]*\).*/\1/p' | tail -1)
d_passed=$(printf '%s\n' "$summary" | sed -n 's/^ *succeeded: *\([0-9]*\).*/\1/p' | tail -1)
d_skipped=$(printf '%s\n' "$summary" | sed -n 's/^ *skipped: *\([0-9]*\).*/\1/p' | tail -1)
passed=$((passed + ${d_passed:-0})); failed=$((failed + ${d_failed:-0})); skipped=$((skipped + ${d_skipped:-0}))
if [ "$dotnet_exit" -ne 0 ]; then
  status=1
  # A crashed or timed-out test host reports no failed count of its own; count it as one failure.
  if [ "${d_failed:-0}" -eq 0 ]; then failed=$((failed + 1)); fi
fi

log "supabase-js conformance against a DevStack"
devstack_dir="$(mktemp -d /tmp/autocrm-conformance.XXXXXX)"
devstack_out="$results/devstack.log"
# The suites sign in far more often than a person does, all from this machine: the sign-in rate limits, on by default,
# are turned off here (one conformance test starts its own DevStack with them on). The keys are this data directory's
# own (random); the suites read them from the DevStack's output.
dotnet src/AutoCrm.DevStack/bin/Release/net10.0/AutoCrm.DevStack.dll --port 0 --data-dir "$devstack_dir/data" --no-auth-rate-limits >"$devstack_out" 2>&1 &
devstack_pid=$!
for _ in $(seq 1 240); do
  grep -q '^service_role key: ' "$devstack_out" 2>/dev/null && break
  kill -0 "$devstack_pid" 2>/dev/null || break
  sleep 0.5
done
if grep -q '^service_role key: ' "$devstack_out"; then
  export SUPABASE_URL="$(sed -n 's/^API URL: //p' "$devstack_out")"
  export SUPABASE_DB_URL="$(sed -n 's/^DB URL: //p' "$devstack_out")"
  export SUPABASE_ANON_KEY="$(sed -n 's/^anon key: //p' "$devstack_out")"
  export SUPABASE_SERVICE_ROLE_KEY="$(sed -n 's/^service_role key: //p' "$devstack_out")"
  (cd tests/conformance && timeout 900 node --test --test-concurrency=1 \
      --test-reporter=spec --test-reporter-destination=stdout \
      --test-reporter=tap --test-reporter-destination="$results/conformance.tap" ./*.test.mjs)
  node_exit=$?
  n_passed=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$results/conformance.tap" | tail -1)
  n_failed=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$results/conformance.tap" | tail -1)
  n_skipped=$(sed -n 's/^# skipped \([0-9]*\)$/\1/p' "$results/conformance.tap" | tail -1)
  passed=$((passed + ${n_passed:-0})); failed=$((failed + ${n_failed:-0})); skipped=$((skipped + ${n_skipped:-0}))
  if [ "$node_exit" -ne 0 ]; then status=1; [ "${n_failed:-0}" -eq 0 ] && failed=$((failed + 1)); fi

  if [ -n "$docs_app" ]; then
    log "Documentation programs (docs/*.md, Native AOT) against the DevStack"
    step_start=$SECONDS
    AUTOCRM_URL="$SUPABASE_URL" AUTOCRM_ANON_KEY="$SUPABASE_ANON_KEY" timeout 900 "$docs_app" 2>&1 | tee "$results/docs-programs.log"
    docs_exit=${PIPESTATUS[0]}
    docs_summary="$(sed -n 's/^documentation programs: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$results/docs-programs.log" | tail -1)"
    docs_passed=${docs_summary% *}; docs_failed=${docs_summary#* }
    passed=$((passed + ${docs_passed:-0})); failed=$((failed + ${docs_failed:-0}))
    if [ "$docs_exit" -ne 0 ]; then status=1; [ "${docs_failed:-0}" -eq 0 ] && failed=$((failed + 1)); fi
    echo "documentation programs ran in $((SECONDS - step_start)) s"
  fi
else
  echo "The DevStack did not start; its output:" >&2
  cat "$devstack_out" >&2
  status=1; failed=$((failed + 1))
fi
kill -TERM "$devstack_pid" 2>/dev/null
for _ in $(seq 1 60); do kill -0 "$devstack_pid" 2>/dev/null || break; sleep 0.5; done
kill -KILL "$devstack_pid" 2>/dev/null
# A DevStack that had to be killed cannot stop its cluster; make sure nothing is left running.
if [ -f "$devstack_dir/data/pgdata/postmaster.pid" ]; then
  runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl stop -D "$devstack_dir/data/pgdata" -m immediate >/dev/null 2>&1 \
    || pg_ctl stop -D "$devstack_dir/data/pgdata" -m immediate >/dev/null 2>&1
fi
rm -rf "$devstack_dir"

# Repeat the names of the failures last, next to the counts, where a truncated CI log still shows them.
# Each .NET failure comes with the first lines of its message, so a CI log alone says why it failed.
failures="$(awk '/^failed /{n=10; print; next} n>0 && /^ /{print; n--; next} {n=0}' "$results/dotnet.log" 2>/dev/null; grep -hE '^ *not ok ' "$results/conformance.tap" 2>/dev/null; grep -h ': failed' "$results/docs-programs.log" 2>/dev/null)"
if [ -n "$failures" ]; then
  echo
  echo "Failures:"
  printf '%s\n' "$failures" | head -80
fi
echo
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$status" -eq 0 ]
