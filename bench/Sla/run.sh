#!/usr/bin/env bash
# SLA benchmark (docs/sla.md), bash + pgbench, no .NET build: a throwaway PostgreSQL 15 cluster with the AutoCRM
# migrations, N tickets and M open SLA clocks.
#
# 1. run_due_automations: the time of one call with nothing due, and with 100 / 1,000 / 10,000 clocks due (each call
#    rolled back so the next finds the same clocks), median of the rounds, load average beside each figure. The claim
#    to check: with nothing due it stays far under a second at 10^6 tickets, and it grows with what is due, not with N.
# 2. The write path, as a signed-in agent through the real triggers: first the backend's CPU time per write (which load
#    distorts far less), then pgbench throughput, both in interleaved rounds of the same run (medians):
#      off       the SLA triggers disabled (the write path before SLAs: the baseline)
#      policies  three active policies (one counted in a business-hours calendar): every new ticket starts two clocks,
#                status changes pause and resume them, replies fulfil them
#    for three writes: create a ticket, toggle a ticket open <-> pending, add a public agent reply.
#    Ratio = policies / off.
#
#   bash bench/Sla/run.sh                                                                        # small: 20k tickets
#   bash bench/Sla/run.sh --tickets 1000000 --clocks 50000 --seconds 30 --rounds 5 --clients 2   # the quiet-machine run
set -euo pipefail

tickets=20000; clocks=5000; seconds=5; rounds=3; clients=2
while [ $# -gt 0 ]; do
  case "$1" in
    --tickets) tickets=$2; shift 2 ;;
    --clocks) clocks=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --clients) clients=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[ "$clocks" -le "$tickets" ] || { echo "--clocks must not exceed --tickets" >&2; exit 2; }

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bin=/usr/lib/postgresql/15/bin
work="$(mktemp -d /tmp/autocrm-sla-bench.XXXXXX)"
port=$((20000 + RANDOM % 20000))
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" -eq 0 ] && chown postgres "$work"
cleanup() { as_pg "$bin/pg_ctl" -D "$work/data" -m fast stop >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
load() { cut -d' ' -f1-3 /proc/loadavg; }

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

echo "Loading $tickets tickets and $clocks open clocks ($(date -u +%H:%M:%S) UTC, load average $(load))"
psql_ <<SQL
insert into auth.users (id, email) values
  ('b0000000-0000-4000-8000-000000000001', 'agent@bench.local'),
  ('b0000000-0000-4000-8000-00000000000c', 'customer@bench.local');
update public.profiles set role = 'agent' where id = 'b0000000-0000-4000-8000-000000000001';
-- The load bypasses the tickets' user triggers (history, search documents, counters, metric facts, routing): one
-- statement inserting 10^6 tickets through them spent over an hour in the per-day counter rows it updates once per
-- ticket (each update of a row this transaction already updated walks that row's earlier versions). What this bench
-- reads is the tickets table and the clocks below; the write-path half runs with every trigger on.
alter table public.tickets disable trigger user;
insert into public.tickets (subject, requester_id, status, priority, tags, created_at)
select 'Bench ticket ' || g, 'b0000000-0000-4000-8000-00000000000c',
       case when g <= $clocks then 'open' else (array['new', 'open', 'pending', 'solved'])[1 + g % 4] end::public.ticket_status,
       (array['low', 'normal', 'high', 'urgent'])[1 + g % 4]::public.ticket_priority,
       array['t' || (g % 50)], now() - make_interval(mins => g)
  from generate_series(1, $tickets) g;
alter table public.tickets enable trigger user;
insert into public.business_hours (id, name, time_zone, intervals, holidays) values
  ('b1000000-0000-4000-8000-000000000001', 'Office', 'Europe/Berlin',
   '[{"day": "monday", "start": "08:00", "end": "18:00"}, {"day": "tuesday", "start": "08:00", "end": "18:00"},
     {"day": "wednesday", "start": "08:00", "end": "18:00"}, {"day": "thursday", "start": "08:00", "end": "18:00"},
     {"day": "friday", "start": "08:00", "end": "12:00"}, {"day": "friday", "start": "13:00", "end": "17:00"}]',
   '{2026-12-24,2026-12-25,2026-12-26,2027-01-01}');
insert into public.sla_policies (name, position, conditions, targets, business_hours_id, active) values
  ('Urgent', 10, '{"all": [{"field": "priority", "operator": "is", "value": "urgent"}]}',
   '{"urgent": {"first_reply": 30, "next_reply": 30, "resolution": 240}}', null, false),
  ('Tagged', 20, '{"any": [{"field": "tags", "operator": "contains", "value": "t7"}, {"field": "tags", "operator": "contains", "value": "t8"}]}',
   '{"low": {"first_reply": 480}, "normal": {"first_reply": 240, "resolution": 2880}, "high": {"first_reply": 60, "resolution": 960}, "urgent": {"first_reply": 30, "resolution": 480}}',
   'b1000000-0000-4000-8000-000000000001', false),
  ('Everyone', 30, '{}',
   '{"low": {"first_reply": 1440, "next_reply": 1440, "resolution": 10080}, "normal": {"first_reply": 480, "next_reply": 480, "resolution": 4320}, "high": {"first_reply": 120, "next_reply": 120, "resolution": 1440}, "urgent": {"first_reply": 30, "next_reply": 60, "resolution": 480}}',
   'b1000000-0000-4000-8000-000000000001', false);
-- The open clocks: the first M tickets, one first_reply clock each, due one a minute from now on.
insert into public.ticket_slas (ticket_id, metric, policy_id, target_minutes, started_at, due_at)
select t.id, 'first_reply', (select id from public.sla_policies where name = 'Everyone'), 60, now(), now() + make_interval(mins => t.number::int)
  from public.tickets t where t.number <= $clocks;
-- Fulfilled and breached history beside them, as a real table has (not read by run_due_automations).
insert into public.ticket_slas (ticket_id, metric, target_minutes, started_at, due_at, fulfilled_at)
select t.id, 'resolution', 60, now() - interval '1 day', now() - interval '20 hours', now() - interval '21 hours'
  from public.tickets t where t.number > $clocks;
vacuum analyze public.tickets, public.ticket_slas;
SQL

# 1. run_due_automations
psql_ <<'SQL'
create function public.bench_time_run(p_minutes integer) returns numeric language plpgsql as $$
declare
  t0 timestamptz;
  v_ms numeric;
  v_count integer;
begin
  begin
    t0 := clock_timestamp();
    v_count := public.run_due_automations(now() + make_interval(mins => p_minutes));
    v_ms := extract(epoch from clock_timestamp() - t0) * 1000;
    raise exception 'rollback' using detail = v_ms || ' ' || v_count;
  exception when raise_exception then
    return v_ms;
  end;
end $$;
SQL
echo
echo "run_due_automations over $tickets tickets and $clocks open clocks; median of $rounds calls, each rolled back"
echo
echo "| due | ms | load average |"
echo "|---:|---:|---|"
for due in 0 100 1000 10000; do
  [ "$due" -le "$clocks" ] || continue
  ms=$(psql_ -At -c "select percentile_cont(0.5) within group (order by public.bench_time_run($due)) from generate_series(1, $rounds)")
  printf '| %s | %.2f | %s |\n' "$due" "$ms" "$(load)"
done
echo
echo "Plan with nothing due (the partial index on due_at, no table scan):"
psql_ -At -c "explain (costs off) select s.ticket_id from public.ticket_slas s where s.due_at <= now() and s.fulfilled_at is null and s.breached_at is null and s.due_at is not null order by s.due_at limit 10000 for update skip locked" | sed 's/^/    /'

# 2. the write path, first as CPU time per write inside one backend (user + system time of the backend process from
# /proc/self/stat), which load distorts far less than throughput: each figure is a batch of writes as the agent,
# rolled back afterwards; the scenarios alternate their order per round.
psql_ <<'SQL'
create function public.bench_cpu_ms() returns numeric language sql security definer as $$
  select (split_part(s, ' ', 12)::numeric + split_part(s, ' ', 13)::numeric) * 10
    from (select split_part(pg_read_file('/proc/self/stat', 0, 1000), ') ', 2) s) x
$$;
create function public.bench_cpu(p_scenario text, p_write text, p_n integer) returns numeric language plpgsql as $$
declare
  c0 numeric;
  v_us numeric;
begin
  begin
    if p_scenario = 'off' then
      update public.sla_policies set active = false;
      alter table public.tickets disable trigger tickets_sla_insert, disable trigger tickets_sla_status;
      alter table public.ticket_messages disable trigger ticket_messages_sla;
    else
      update public.sla_policies set active = true;
    end if;
    perform set_config('role', 'authenticated', true),
            set_config('request.jwt.claims', '{"sub": "b0000000-0000-4000-8000-000000000001", "role": "authenticated"}', true);
    c0 := public.bench_cpu_ms();
    for i in 1..p_n loop
      if p_write = 'create' then
        insert into public.tickets (subject, requester_id, tags, priority)
        values ('Created', 'b0000000-0000-4000-8000-00000000000c', array['t' || (i % 50)],
                (array['low', 'normal', 'high', 'urgent'])[1 + i % 4]::public.ticket_priority);
      elsif p_write = 'status' then
        update public.tickets set status = case when status = 'pending' then 'open' else 'pending' end::public.ticket_status
         where number = i;
      else
        insert into public.ticket_messages (ticket_id, author_id, body)
        select id, 'b0000000-0000-4000-8000-000000000001', 'Bench reply' from public.tickets where number = i;
      end if;
    end loop;
    v_us := (public.bench_cpu_ms() - c0) * 1000 / p_n;
    perform set_config('role', 'none', true);
    raise exception 'rollback';
  exception when raise_exception then
    return v_us;
  end;
end $$;
SQL
batch=$(( clocks < 1000 ? clocks : 1000 ))
declare -A cpu
for round in $(seq 1 "$rounds"); do
  order=(off policies); [ $((round % 2)) -eq 0 ] && order=(policies off)
  for s in "${order[@]}"; do
    for w in create status reply; do
      cpu[$s.$w]+="$(psql_ -At -c "select public.bench_cpu('$s', '$w', $batch)") "
    done
  done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
echo
echo "CPU time per write in the backend ($rounds rounds of $batch writes, medians; load average $(load) after)"
echo
echo "| write | off µs | policies µs | ratio |"
echo "|---|---:|---:|---:|"
for w in create status reply; do
  o=$(echo "${cpu[off.$w]}" | median); p=$(echo "${cpu[policies.$w]}" | median)
  awk -v w="$w" -v o="$o" -v p="$p" 'BEGIN { printf "| %s | %.0f | %.0f | %.2f |\n", w, o, p, p / o }'
done

# then as throughput with pgbench
claims="{\"sub\": \"b0000000-0000-4000-8000-000000000001\", \"role\": \"authenticated\"}"
setup="select set_config('role', 'authenticated', true), set_config('request.jwt.claims', '$claims', true);"
cat > "$work/create.sql" <<S
\\set r random(1, 50)
begin;
$setup
insert into public.tickets (subject, requester_id, tags, priority) values ('Created', 'b0000000-0000-4000-8000-00000000000c', array['t' || :r], (array['low', 'normal', 'high', 'urgent'])[1 + :r % 4]::public.ticket_priority);
commit;
S
cat > "$work/status.sql" <<S
\\set t random(1, $clocks)
begin;
$setup
update public.tickets set status = case when status = 'pending' then 'open' else 'pending' end::public.ticket_status where number = :t;
commit;
S
cat > "$work/reply.sql" <<S
\\set t random(1, $clocks)
begin;
$setup
insert into public.ticket_messages (ticket_id, author_id, body) select id, 'b0000000-0000-4000-8000-000000000001', 'Bench reply' from public.tickets where number = :t;
commit;
S

configure() { # scenario
  case "$1" in
    off) psql_ -c 'update public.sla_policies set active = false' \
               -c 'alter table public.tickets disable trigger tickets_sla_insert, disable trigger tickets_sla_status' \
               -c 'alter table public.ticket_messages disable trigger ticket_messages_sla' ;;
    policies) psql_ -c 'update public.sla_policies set active = true' \
               -c 'alter table public.tickets enable trigger tickets_sla_insert, enable trigger tickets_sla_status' \
               -c 'alter table public.ticket_messages enable trigger ticket_messages_sla' ;;
  esac
}
measure() { # script -> tps
  "$bin/pgbench" -h 127.0.0.1 -p "$port" -U postgres -n -c "$clients" -j "$clients" -T "$seconds" -f "$1" bench 2>/dev/null \
    | sed -n 's/^tps = \([0-9.]*\).*/\1/p'
}

echo
scenarios=(off policies)
writes=(create status reply)
declare -A tps loads
for round in $(seq 1 "$rounds"); do
  for s in "${scenarios[@]}"; do
    configure "$s" >/dev/null
    for w in "${writes[@]}"; do
      v=$(measure "$work/$w.sql"); l=$(cut -d' ' -f1 /proc/loadavg)
      tps[$s.$w]+="$v "; loads[$s.$w]+="$l "
      printf 'round %s %-8s %-6s %8.1f/s  (load average %s)\n' "$round" "$s" "$w" "$v" "$l"
    done
  done
done

echo
echo "$tickets tickets, $clients clients, $rounds rounds of ${seconds}s per figure; medians; ratio = policies / off (same run)"
echo
echo "| write | off/s | policies/s | ratio | load average (off; policies, per round) |"
echo "|---|---:|---:|---:|---|"
for w in "${writes[@]}"; do
  o=$(echo "${tps[off.$w]}" | median); p=$(echo "${tps[policies.$w]}" | median)
  awk -v w="$w" -v o="$o" -v p="$p" -v lo="${loads[off.$w]}" -v lp="${loads[policies.$w]}" \
    'BEGIN { printf "| %s | %.0f | %.0f | %.2f | %s; %s|\n", w, o, p, p / o, lo, lp }'
done
