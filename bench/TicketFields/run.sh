#!/usr/bin/env bash
# Custom-field write-path benchmark: ticket create and update throughput through the real triggers, as a signed-in
# agent (role authenticated + JWT claims, as PostgREST runs them), with pgbench against a throwaway PostgreSQL 15
# cluster holding the AutoCRM migrations and N tickets. Scenarios, measured in the same run, in rounds (interleaved,
# median reported) so that a busy machine slows them alike:
#   off         the field triggers disabled: the write path as it was before custom fields (the baseline)
#   none        custom fields installed, no field defined
#   defs20      20 fields defined (bench/TicketFields/fields.sql), writes carry free-form metadata only
#   off_values  the field triggers disabled, writes carry the metadata of values5 (its baseline: same row sizes)
#   values5     20 fields defined, each write sets 5 field values (3 customer-visible, 2 agent-only)
# Ratios: none and defs20 against off, values5 against off_values. The load average is printed beside every figure.
# First, the CPU time of each write in the backend (bench/TicketFields/cpu.sql), which load distorts far less.
#
#   bash bench/TicketFields/run.sh                                   # small: 100k tickets, 3 rounds of 8 s
#   bash bench/TicketFields/run.sh --tickets 1000000 --seconds 30 --rounds 5 --clients 2   # the quiet-machine run
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
work="$(mktemp -d /tmp/autocrm-fields-bench.XXXXXX)"
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
free_meta="jsonb_build_object('channel', 'web', 'source', 'bench', 'n', :r)"
values_meta="jsonb_build_object('channel', 'web', 'n', :r, 'plan', (array['free', 'pro', 'enterprise'])[1 + :r % 3], 'seats', :r % 900,
             'renewal', '2027-0' || (1 + :r % 9) || '-15', 'vip', :r % 2 = 0, 'tier', (array['gold', 'silver', 'bronze'])[1 + :r % 3])"
write_script() { # name metadata-expression
  cat > "$work/create_$1.sql" <<S
\\set r random(1, 1000000000)
begin;
$setup
insert into public.tickets (subject, requester_id, metadata) values ('Created', 'b0000000-0000-4000-8000-00000000000c', $2);
commit;
S
  cat > "$work/update_$1.sql" <<S
\\set r random(1, 1000000000)
\\set t random(1, $tickets)
begin;
$setup
update public.tickets set metadata = metadata || $2 where number = :t;
commit;
S
}
write_script free "$free_meta"
write_script values "$values_meta"

configure() { # scenario
  case "$1" in
    off|off_values) psql_ -c 'delete from public.ticket_fields' \
               -c 'alter table public.tickets disable trigger tickets_fields_before_write, disable trigger tickets_fields_after_insert' ;;
    none) psql_ -c 'delete from public.ticket_fields' \
                -c 'alter table public.tickets enable trigger tickets_fields_before_write, enable trigger tickets_fields_after_insert' ;;
    defs20|values5) psql_ -c 'alter table public.tickets enable trigger tickets_fields_before_write, enable trigger tickets_fields_after_insert' \
                          -c 'delete from public.ticket_fields' -f "$repo/bench/TicketFields/fields.sql" ;;
  esac
}
measure() { # script -> tps
  "$bin/pgbench" -h 127.0.0.1 -p "$port" -U postgres -n -c "$clients" -j "$clients" -T "$seconds" -f "$1" bench 2>/dev/null \
    | sed -n 's/^tps = \([0-9.]*\).*/\1/p'
}

psql_ -f "$repo/bench/TicketFields/fields.sql"
echo
echo "CPU time per write in the backend ($rounds rounds of 2000 writes, medians; load average $(cut -d' ' -f1-3 /proc/loadavg) before)"
echo
echo "| Scenario | write | CPU µs | over its baseline |"
echo "|---|---|---:|---:|"
psql_ -At -c "set bench.rounds = $rounds" -c "set bench.batch = 2000" -f "$repo/bench/TicketFields/cpu.sql" | grep '^|'
echo "(load average after: $(cut -d' ' -f1-3 /proc/loadavg))"
echo

scenarios=(off none defs20 off_values values5)
declare -A create update loads
for round in $(seq 1 "$rounds"); do
  for s in "${scenarios[@]}"; do
    configure "$s" >/dev/null
    kind=free; case "$s" in values5|off_values) kind=values ;; esac
    c=$(measure "$work/create_$kind.sql"); u=$(measure "$work/update_$kind.sql")
    l=$(cut -d' ' -f1 /proc/loadavg)
    create[$s]+="$c "; update[$s]+="$u "; loads[$s]+="$l "
    printf 'round %s %-8s create %8.1f/s  update %8.1f/s  (load average %s)\n' "$round" "$s" "$c" "$u" "$l"
  done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
echo
echo "$tickets tickets, $clients clients, $rounds rounds of ${seconds}s per figure; medians; ratio = scenario / its baseline (same run)"
echo
echo "| Scenario | create/s | ratio | update/s | ratio | load average (per round) |"
echo "|---|---:|---:|---:|---:|---|"
for s in "${scenarios[@]}"; do
  base=off; case "$s" in values5|off_values) base=off_values ;; esac
  base_c=$(echo "${create[$base]}" | median); base_u=$(echo "${update[$base]}" | median)
  c=$(echo "${create[$s]}" | median); u=$(echo "${update[$s]}" | median)
  awk -v s="$s" -v c="$c" -v u="$u" -v bc="$base_c" -v bu="$base_u" -v l="${loads[$s]}" \
    'BEGIN { printf "| %s | %.0f | %.2f | %.0f | %.2f | %s|\n", s, c, c / bc, u, u / bu, l }'
done
