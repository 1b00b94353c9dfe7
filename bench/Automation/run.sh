#!/usr/bin/env bash
# Automation overhead benchmark: ticket create and update cost through the real triggers, as a signed-in agent
# (role authenticated + JWT claims, as PostgREST runs them), against a throwaway PostgreSQL 15 cluster holding the
# AutoCRM migrations and N tickets. Scenarios, measured in the same run and interleaved so that a busy machine slows
# them alike:
#   off             the rule trigger on tickets disabled (the write path without automation)
#   none            automation installed, no rule (the baseline of the acceptance bar)
#   rules20         20 active rules per event (bench/Automation/rules.sql), none matching the writes
#   rules20_firing  the same plus one rule per event that matches every write (bench/Automation/firing.sql)
# Ratios against none; the load average is printed beside every figure. First the CPU time of each write in the
# backend (bench/Automation/cpu.sql), which load distorts far less; then pgbench throughput.
# The engine reads rules and the written ticket by primary key, so its cost does not grow with the number of tickets.
#
#   bash bench/Automation/run.sh                                   # small: 100k tickets, 3 rounds of 8 s
#   bash bench/Automation/run.sh --tickets 1000000 --seconds 30 --rounds 5 --clients 2   # the quiet-machine run
set -euo pipefail

tickets=100000; seconds=8; rounds=3; clients=2
while [ $# -gt 0 ]; do
  case "$1" in
    --tickets) tickets=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --clients) clients=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bin=/usr/lib/postgresql/15/bin
work="$(mktemp -d /tmp/autocrm-automation-bench.XXXXXX)"
port=$((20000 + RANDOM % 20000))
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" -eq 0 ] && chown postgres "$work"
cleanup() { as_pg "$bin/pg_ctl" -D "$work/data" -m fast stop >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT

as_pg "$bin/initdb" -D "$work/data" -U postgres --auth=trust >/dev/null
cat >> "$work/data/postgresql.conf" <<CONF
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$work'
shared_buffers = 256MB
max_wal_size = 4GB
wal_level = logical
CONF
as_pg "$bin/pg_ctl" -D "$work/data" -l "$work/log" -w start >/dev/null
psql_() { "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d bench -v ON_ERROR_STOP=1 -q "$@"; }
"$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -q -c 'create database bench'
psql_ -f "$repo/src/AutoCrm.DevStack/Postgres/Sql/bootstrap.sql" >/dev/null
for f in "$repo"/supabase/migrations/*.sql; do psql_ --single-transaction -f "$f" >/dev/null; done

echo "Loading $tickets tickets ($(date -u +%H:%M:%S) UTC, load average $(cut -d' ' -f1-3 /proc/loadavg))"
psql_ <<SQL
insert into auth.users (id, email) values
  ('b0000000-0000-4000-8000-000000000001', 'agent@bench.local'),
  ('b0000000-0000-4000-8000-00000000000c', 'customer@bench.local');
update public.profiles set role = 'agent' where id = 'b0000000-0000-4000-8000-000000000001';
alter table public.tickets disable trigger tickets_record_events;
insert into public.tickets (subject, requester_id, status, priority, tags, metadata, created_at)
select 'Bench ticket ' || g, 'b0000000-0000-4000-8000-00000000000c',
       (array['new', 'open', 'pending', 'solved'])[1 + g % 4]::public.ticket_status,
       (array['low', 'normal', 'high', 'urgent'])[1 + g % 4]::public.ticket_priority,
       array['t' || (g % 50)],
       jsonb_build_object('channel', (array['email', 'web', 'phone'])[1 + g % 3], 'plan', (array['free', 'pro', 'enterprise'])[1 + g % 3],
                          'seats', g % 500),
       now() - make_interval(mins => g)
  from generate_series(1, $tickets) g;
alter table public.tickets enable trigger tickets_record_events;
vacuum analyze public.tickets;
SQL

claims="{\"sub\": \"b0000000-0000-4000-8000-000000000001\", \"role\": \"authenticated\"}"
setup="select set_config('role', 'authenticated', true), set_config('request.jwt.claims', '$claims', true);"
cat > "$work/create.sql" <<S
\\set r random(1, 1000000000)
begin;
$setup
insert into public.tickets (subject, requester_id, metadata) values ('Created ' || :r, 'b0000000-0000-4000-8000-00000000000c', jsonb_build_object('channel', 'web', 'n', :r));
commit;
S
cat > "$work/update.sql" <<S
\\set r random(1, 1000000000)
\\set t random(1, $tickets)
begin;
$setup
update public.tickets set priority = (array['low', 'normal', 'high'])[1 + :r % 3]::public.ticket_priority, metadata = metadata || jsonb_build_object('n', :r) where number = :t;
commit;
S

here="$repo/bench/Automation"
configure() { # scenario
  psql_ -c 'delete from public.automation_rules'
  case "$1" in
    off) psql_ -c 'alter table public.tickets disable trigger tickets_zz_automation' ;;
    *) psql_ -c 'alter table public.tickets enable trigger tickets_zz_automation' ;;
  esac
  case "$1" in
    rules20) psql_ -f "$here/rules.sql" ;;
    rules20_firing) psql_ -f "$here/rules.sql" -f "$here/firing.sql" ;;
  esac
}
measure() { # script -> tps
  "$bin/pgbench" -h 127.0.0.1 -p "$port" -U postgres -n -c "$clients" -j "$clients" -T "$seconds" -f "$1" bench 2>/dev/null \
    | sed -n 's/^tps = \([0-9.]*\).*/\1/p'
}

echo
echo "CPU time per write in the backend ($rounds rounds of 2000 writes, medians; load average $(cut -d' ' -f1-3 /proc/loadavg) before)"
echo
echo "| Scenario | write | CPU µs | over none |"
echo "|---|---|---:|---:|"
psql_ -At -c "set bench.rounds = $rounds" -c "set bench.batch = 2000" -c "set bench.dir = '$here'" -f "$here/cpu.sql" | grep '^|'
echo "(load average after: $(cut -d' ' -f1-3 /proc/loadavg))"
echo

scenarios=(off none rules20 rules20_firing)
declare -A create update loads
for round in $(seq 1 "$rounds"); do
  for s in "${scenarios[@]}"; do
    configure "$s" >/dev/null
    c=$(measure "$work/create.sql"); u=$(measure "$work/update.sql")
    l=$(cut -d' ' -f1 /proc/loadavg)
    create[$s]+="$c "; update[$s]+="$u "; loads[$s]+="$l "
    printf 'round %s %-14s create %8.1f/s  update %8.1f/s  (load average %s)\n' "$round" "$s" "$c" "$u" "$l"
  done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
echo
echo "$tickets tickets, $clients clients, $rounds rounds of ${seconds}s per figure; medians; time ratio = none's throughput / the scenario's (same run)"
echo
echo "| Scenario | create/s | time ratio | update/s | time ratio | load average (per round) |"
echo "|---|---:|---:|---:|---:|---|"
base_c=$(echo "${create[none]}" | median); base_u=$(echo "${update[none]}" | median)
for s in "${scenarios[@]}"; do
  c=$(echo "${create[$s]}" | median); u=$(echo "${update[$s]}" | median)
  awk -v s="$s" -v c="$c" -v u="$u" -v bc="$base_c" -v bu="$base_u" -v l="${loads[$s]}" \
    'BEGIN { printf "| %s | %.0f | %.2f | %.0f | %.2f | %s|\n", s, c, bc / c, u, bu / u, l }'
done
