#!/usr/bin/env bash
# Reports benchmark, write path (docs/reports.md): what the metric-fact triggers cost the writes they measure. bash +
# psql, no .NET build: a throwaway PostgreSQL 15 cluster with the AutoCRM migrations and N tickets (with facts).
#
# CPU time of the backend per write (user + system time of the backend process, which load distorts far less than
# throughput), as a signed-in agent through the real triggers, each batch rolled back; scenarios interleaved per round,
# medians, load average beside the table:
#   off       the fact triggers disabled (the write path before reports: the baseline)
#   facts     the fact triggers on, no reporting calendar (calendar minutes only)
#   calendar  the fact triggers on and a business-hours calendar in report_settings (business minutes too)
# for three writes: create a ticket; solve or reopen a ticket (each writes a resolution or reopen fact); a customer
# message followed by an agent reply (the reply writes a first or next reply fact). Ratio = scenario / off.
#
#   bash bench/Reports/write-path.sh                                   # small: 20k tickets
#   bash bench/Reports/write-path.sh --tickets 1000000 --rounds 5      # the quiet-machine run
set -euo pipefail

tickets=20000; rounds=3; batch=500
while [ $# -gt 0 ]; do
  case "$1" in
    --tickets) tickets=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --batch) batch=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[ "$batch" -le "$tickets" ] || { echo "--batch must not exceed --tickets" >&2; exit 2; }

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bin=/usr/lib/postgresql/15/bin
work="$(mktemp -d /tmp/autocrm-reports-bench.XXXXXX)"
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
psql_ -f "$repo/src/AutoCrm.DevStack/Postgres/Sql/bootstrap.sql" >/dev/null 2>&1
for f in "$repo"/supabase/migrations/*.sql; do psql_ --single-transaction -f "$f" >/dev/null; done

echo "Loading $tickets tickets ($(date -u +%H:%M:%S) UTC, load average $(load))"
psql_ <<SQL
insert into auth.users (id, email) values
  ('b0000000-0000-4000-8000-000000000001', 'agent@bench.local'),
  ('b0000000-0000-4000-8000-00000000000c', 'customer@bench.local');
update public.profiles set role = 'agent' where id = 'b0000000-0000-4000-8000-000000000001';
insert into public.queues (id, slug, name) values ('b2000000-0000-4000-8000-000000000001', 'bench', 'Bench');
insert into public.queue_members (queue_id, agent_id) values ('b2000000-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000001');
alter table public.tickets disable trigger tickets_record_events;
insert into public.tickets (subject, requester_id, queue_id, assignee_id, status, priority, metadata, created_at)
select 'Bench ticket ' || g, 'b0000000-0000-4000-8000-00000000000c', 'b2000000-0000-4000-8000-000000000001',
       'b0000000-0000-4000-8000-000000000001',
       (array['open', 'solved'])[1 + g % 2]::public.ticket_status,
       (array['low', 'normal', 'high', 'urgent'])[1 + g % 4]::public.ticket_priority,
       jsonb_build_object('channel', (array['email', 'web', 'chat'])[1 + g % 3]),
       now() - make_interval(mins => g * 7)
  from generate_series(1, $tickets) g;
alter table public.tickets enable trigger tickets_record_events;
insert into public.business_hours (id, name, time_zone, intervals, holidays) values
  ('b1000000-0000-4000-8000-000000000001', 'Office', 'Europe/Berlin',
   '[{"day": "monday", "start": "08:00", "end": "18:00"}, {"day": "tuesday", "start": "08:00", "end": "18:00"},
     {"day": "wednesday", "start": "08:00", "end": "18:00"}, {"day": "thursday", "start": "08:00", "end": "18:00"},
     {"day": "friday", "start": "08:00", "end": "12:00"}, {"day": "friday", "start": "13:00", "end": "17:00"}]',
   '{2026-12-24,2026-12-25,2026-12-26,2027-01-01}');
vacuum analyze public.tickets, public.ticket_metric_facts;
SQL

psql_ <<'SQL'
create function public.bench_cpu_ms() returns numeric language sql security definer as $$
  select (split_part(s, ' ', 12)::numeric + split_part(s, ' ', 13)::numeric) * 10
    from (select split_part(pg_read_file('/proc/self/stat', 0, 1000), ') ', 2) s) x
$$;
create function public.bench_as(p_who uuid) returns void language sql as $$
  select set_config('role', 'authenticated', true),
         set_config('request.jwt.claims', json_build_object('sub', p_who, 'role', 'authenticated')::text, true);
$$;
create function public.bench_cpu(p_scenario text, p_write text, p_n integer) returns numeric language plpgsql as $$
declare
  c0 numeric;
  v_us numeric;
  v_id uuid;
begin
  begin
    if p_scenario = 'off' then
      alter table public.tickets disable trigger tickets_metric_facts_insert, disable trigger tickets_metric_facts_status;
      alter table public.ticket_messages disable trigger ticket_messages_metric_facts;
    elsif p_scenario = 'calendar' then
      update public.report_settings set business_hours_id = 'b1000000-0000-4000-8000-000000000001';
    end if;
    c0 := public.bench_cpu_ms();
    for i in 1..p_n loop
      if p_write = 'create' then
        perform public.bench_as('b0000000-0000-4000-8000-000000000001');
        insert into public.tickets (subject, requester_id, queue_id, priority, metadata)
        values ('Created', 'b0000000-0000-4000-8000-00000000000c', 'b2000000-0000-4000-8000-000000000001',
                (array['low', 'normal', 'high', 'urgent'])[1 + i % 4]::public.ticket_priority, '{"channel": "web"}');
      elsif p_write = 'solve_reopen' then
        perform public.bench_as('b0000000-0000-4000-8000-000000000001');
        update public.tickets set status = case when status = 'solved' then 'open' else 'solved' end::public.ticket_status
         where number = i;
      else
        select id into v_id from public.tickets where number = i;
        perform public.bench_as('b0000000-0000-4000-8000-00000000000c');
        insert into public.ticket_messages (ticket_id, body) values (v_id, 'Customer message');
        perform public.bench_as('b0000000-0000-4000-8000-000000000001');
        insert into public.ticket_messages (ticket_id, body) values (v_id, 'Agent reply');
      end if;
      perform set_config('role', 'none', true);
    end loop;
    v_us := (public.bench_cpu_ms() - c0) * 1000 / p_n;
    raise exception 'rollback';
  exception when raise_exception then
    return v_us;
  end;
end $$;
SQL

declare -A cpu
for round in $(seq 1 "$rounds"); do
  order=(off facts calendar); [ $((round % 2)) -eq 0 ] && order=(calendar facts off)
  for s in "${order[@]}"; do
    for w in create solve_reopen conversation; do
      cpu[$s.$w]+="$(psql_ -At -c "select public.bench_cpu('$s', '$w', $batch)") "
    done
  done
  echo "round $round done (load average $(load))"
done
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
echo
echo "$tickets tickets; CPU time per write in the backend ($rounds rounds of $batch writes, medians; load average $(load) after)"
echo
echo "| write | off µs | facts µs | ratio | calendar µs | ratio |"
echo "|---|---:|---:|---:|---:|---:|"
for w in create solve_reopen conversation; do
  o=$(echo "${cpu[off.$w]}" | median); f=$(echo "${cpu[facts.$w]}" | median); c=$(echo "${cpu[calendar.$w]}" | median)
  awk -v w="$w" -v o="$o" -v f="$f" -v c="$c" 'BEGIN { printf "| %s | %.0f | %.0f | %.2f | %.0f | %.2f |\n", w, o, f, f / o, c, c / o }'
done
