# Shared by the write-path benchmarks (bench/TicketFields/run.sh, bench/Automation/run.sh): a throwaway PostgreSQL 15
# cluster holding the AutoCRM migrations and N generated tickets, pgbench throughput, medians. Source it, then call
#   write_bench_options "$@"        sets tickets, seconds, rounds, clients (defaults: 100000, 8, 3, 2), instructions_only,
#                                   skip_instructions
#   write_bench_start <name>        starts the cluster, applies the migrations, loads the tickets; defines psql_
#   write_bench_session_setup       prints the statement that makes a pgbench transaction a signed-in agent's request
#   write_bench_measure <script>    pgbench tps of one script over $seconds with $clients clients
#   write_bench_median              median of the numbers on stdin (space or newline separated)
# The users are b0000000-…-000000000001 (agent) and b0000000-…-00000000000c (customer, requester of every ticket).

write_bench_options() {
  tickets=100000; seconds=8; rounds=3; clients=2; instructions_only=""; skip_instructions=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --tickets) tickets=$2; shift 2 ;;
      --seconds) seconds=$2; shift 2 ;;
      --rounds) rounds=$2; shift 2 ;;
      --clients) clients=$2; shift 2 ;;
      --instructions-only) instructions_only=1; shift ;;
      --skip-instructions) skip_instructions=1; shift ;;
      *) echo "unknown option $1" >&2; exit 2 ;;
    esac
  done
}

write_bench_as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

write_bench_start() { # name
  repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  bin=/usr/lib/postgresql/15/bin
  work="$(mktemp -d "/tmp/autocrm-$1-bench.XXXXXX")"
  port=$((20000 + RANDOM % 20000))
  [ "$(id -u)" -eq 0 ] && chown postgres "$work"
  trap 'write_bench_as_pg "$bin/pg_ctl" -D "$work/data" -m fast stop >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

  write_bench_as_pg "$bin/initdb" -D "$work/data" -U postgres --auth=trust >/dev/null
  cat >> "$work/data/postgresql.conf" <<CONF
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$work'
shared_buffers = 256MB
max_wal_size = 4GB
wal_level = logical
CONF
  write_bench_as_pg "$bin/pg_ctl" -D "$work/data" -l "$work/log" -w start >/dev/null
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
}

psql_() { "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d bench -v ON_ERROR_STOP=1 -q "$@"; }

write_bench_session_setup() {
  local claims='{"sub": "b0000000-0000-4000-8000-000000000001", "role": "authenticated"}'
  echo "select set_config('role', 'authenticated', true), set_config('request.jwt.claims', '$claims', true);"
}

write_bench_measure() { # script -> tps
  "$bin/pgbench" -h 127.0.0.1 -p "$port" -U postgres -n -c "$clients" -j "$clients" -T "$seconds" -f "$1" bench 2>/dev/null \
    | sed -n 's/^tps = \([0-9.]*\).*/\1/p'
}

write_bench_median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

# Instructions per write, counted by valgrind (callgrind) in a single-user backend: exact and repeatable, so unlike
# throughput and CPU time it does not move with the machine's load. Stops the cluster (the single-user backend needs
# the data directory to itself); call it after the pgbench measurements.
#   write_bench_instructions <setup.sql> <write-generator> -> instructions per write, steady state
# The generator prints one write (a whole transaction; statements end with ';' at the end of a line) for the number it is given. The setup
# runs first, outside valgrind; then two counted runs of 10 and 60 writes, and the figure is their difference / 50,
# so what a session pays once (catalog caches, plans) is left out. Counted: statement execution (PortalRun), which
# includes every trigger; not parsing and planning the top-level statement, which the scenarios share.
write_bench_instructions() {
  [ -n "$skip_instructions" ] && { echo "n/a (--skip-instructions)"; return; }
  command -v valgrind >/dev/null || { echo "n/a (valgrind not installed)"; return; }
  write_bench_as_pg "$bin/pg_ctl" -D "$work/data" -m fast -w stop >/dev/null 2>&1 || true
  chmod 755 "$work"; cp "$1" "$work/instr-setup.sql"; chmod 644 "$work/instr-setup.sql"
  write_bench_as_pg "$bin/postgres" --single -j -D "$work/data" -c fsync=off bench < "$work/instr-setup.sql" > "$work/instr.log" 2>&1
  local n total a=0 b=0
  # A warm-up pass of the same writes, uncounted: the first write to a row or of a word pays once (search terms,
  # side rows, pruning) and would otherwise be charged to whichever scenario runs first.
  for i in $(seq 1 60); do "$2" "$i"; done > "$work/instr-writes.sql"; chmod 644 "$work/instr-writes.sql"
  write_bench_as_pg "$bin/postgres" --single -j -D "$work/data" -c fsync=off bench < "$work/instr-writes.sql" >> "$work/instr.log" 2>&1
  for n in 10 60; do
    for i in $(seq 1 "$n"); do "$2" "$i"; done > "$work/instr-writes.sql"; chmod 644 "$work/instr-writes.sql"
    write_bench_as_pg valgrind --tool=callgrind --toggle-collect=PortalRun --callgrind-out-file="$work/instr.out" \
      "$bin/postgres" --single -j -D "$work/data" -c fsync=off bench < "$work/instr-writes.sql" >> "$work/instr.log" 2>&1
    total=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$work/instr.out"); rm -f "$work/instr.out"
    if [ "$n" = 10 ]; then a=$total; else b=$total; fi
  done
  if grep -q ERROR "$work/instr.log"; then echo "error: $(grep -m1 ERROR "$work/instr.log")" >&2; fi
  echo $(( (b - a) / 50 ))
}
