#!/usr/bin/env bash
# Where a claim's time goes (issue #13's claims goals): claim_next_ticket() as a signed-in agent, with each part of it
# switched off in turn, against a throwaway PostgreSQL 15 cluster holding the AutoCRM migrations, N tickets spread over
# 20 queues, 50 agents (3 queues each) and a backlog of waiting tickets. Two measures, both load-tolerant:
#   1. instructions per claim (valgrind callgrind, single-user backend): exact and repeatable whatever the load;
#   2. the backend's CPU time per claim (bench/Claims/profile.sql: /proc/self/stat around batches of claims, medians
#      of interleaved rounds), and the function calls per claim with their own and total time.
# Every claim is its own transaction (role and JWT claims set first, as PostgREST does) and is rolled back, so each
# scenario claims from the same backlog and nothing drifts between scenarios.
#
#   bash bench/Claims/run.sh                                   # 100k tickets + 20k waiting; both tables
#   bash bench/Claims/run.sh --tickets 1000000 --backlog 200000 --rounds 5 --batch 2000   # the quiet-machine run
#   bash bench/Claims/run.sh --instructions-only                # only the valgrind table (any load)
#   (--only TEXT: only the valgrind scenarios whose name contains TEXT, besides "everything on")
set -euo pipefail

backlog=20000; batch=1000; claim_rounds=3; only=""; pass=()
while [ $# -gt 0 ]; do
  case "$1" in
    --backlog) backlog=$2; shift 2 ;;
    --batch) batch=$2; shift 2 ;;
    --rounds) claim_rounds=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    *) pass+=("$1"); shift ;;
  esac
done
. "$(dirname "${BASH_SOURCE[0]}")/../Shared/write-bench.sh"
write_bench_options "${pass[@]}"
write_bench_start claims
here="$repo/bench/Claims"

echo "Queues, agents and $backlog waiting tickets ($(date -u +%H:%M:%S) UTC, load average $(cut -d' ' -f1-3 /proc/loadavg))"
psql_ -v backlog="$backlog" <<'SQL'
insert into public.queues (id, slug, name)
select ('c0000000-0000-4000-8000-' || lpad(g::text, 12, '0'))::uuid, 'queue-' || g, 'Queue ' || g from generate_series(1, 20) g;
insert into auth.users (id, email)
select ('a0000000-0000-4000-8000-' || lpad(g::text, 12, '0'))::uuid, 'agent' || g || '@bench.local' from generate_series(1, 50) g;
update public.profiles set role = 'agent' where email like 'agent%@bench.local';
insert into public.queue_members (queue_id, agent_id)
select ('c0000000-0000-4000-8000-' || lpad((1 + (g * 7 + k * 5) % 20)::text, 12, '0'))::uuid,
       ('a0000000-0000-4000-8000-' || lpad(g::text, 12, '0'))::uuid
  from generate_series(1, 50) g, generate_series(0, 2) k;
set session_replication_role = replica;
update public.tickets set queue_id = ('c0000000-0000-4000-8000-' || lpad((1 + number % 20)::text, 12, '0'))::uuid,
                          assignee_id = case when status <> 'new' then 'b0000000-0000-4000-8000-000000000001'::uuid end;
insert into public.tickets (subject, status, priority, requester_id, queue_id, created_at, updated_at)
select 'Waiting ticket ' || g, 'new', (array['low', 'normal', 'normal', 'normal', 'high', 'urgent'])[1 + g % 6]::public.ticket_priority,
       'b0000000-0000-4000-8000-00000000000c', ('c0000000-0000-4000-8000-' || lpad((1 + (g * 7919) % 20)::text, 12, '0'))::uuid,
       now() - make_interval(secs => g), now() - make_interval(secs => g)
  from generate_series(1, :backlog) g;
create table bench_plain_claims as
  select id, queue_id, priority, created_at, status, assignee_id from public.tickets
   where assignee_id is null and status in ('new', 'open') and queue_id is not null;
alter table bench_plain_claims add primary key (id);
create index on bench_plain_claims (priority desc, created_at, id) where assignee_id is null and status in ('new', 'open');
reset session_replication_role;
select public.refresh_generated_data();
select public.recount_agent_loads();
vacuum analyze;
SQL

# The same scenarios as profile.sql, kept in a schema (a single-user backend starts a new session for every run).
bench_schema() {
  echo 'create schema if not exists bench;'
  sed -n '/^create temp table bench_agents/,/limit 50) a;/p' "$here/profile.sql" | sed 's/create temp table bench_agents/create table bench.agents/'
  sed -n '/^create procedure pg_temp.loop/,/^end \$\$;/p' "$here/profile.sql" | sed 's/pg_temp\.loop/bench.loop/; s/pg_temp\.bench_agents/bench.agents/g'
}
bench_schema | psql_ >/dev/null

if [ -z "$instructions_only" ]; then
echo
echo "CPU time per claim ($claim_rounds rounds of $batch claims per scenario; load average $(cut -d' ' -f1-3 /proc/loadavg) before)"
psql_ -X -At -v rounds="$claim_rounds" -v batch="$batch" -f "$here/profile.sql"
echo "(load average after: $(cut -d' ' -f1-3 /proc/loadavg))"
fi

# Instructions per claim: (25 claims - 5 claims) / 20 in a single-user backend under callgrind, counting statement
# execution (PortalRun). The scenario's set-up runs in both counted sessions, so it cancels out.
instructions() { # setup-sql kind -> instructions per claim
  local n out a=0 b=0 total
  write_bench_as_pg "$bin/pg_ctl" -D "$work/data" -m fast -w stop >/dev/null 2>&1 || true
  chmod 755 "$work"
  for n in 5 25; do
    printf '%s\n\ncall bench.loop(%s, %s);\n\n' "$1" "'$2'" "$n" > "$work/instr.sql"; chmod 644 "$work/instr.sql"
    write_bench_as_pg valgrind --tool=callgrind --toggle-collect=PortalRun --callgrind-out-file="$work/instr.out" \
      "$bin/postgres" --single -j -D "$work/data" -c fsync=off bench < "$work/instr.sql" > "$work/instr.log" 2>&1
    if grep -q ERROR "$work/instr.log"; then echo "error: $(grep -m1 ERROR "$work/instr.log")" >&2; fi
    total=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$work/instr.out"); rm -f "$work/instr.out"
    if [ "$n" = 5 ]; then a=$total; else b=$total; fi
  done
  echo $(( (b - a) / 20 ))
}

if [ -z "$skip_instructions" ] && command -v valgrind >/dev/null; then
  on='alter table public.tickets enable trigger user;'
  scenarios=(
    "claim_next_ticket(), everything on|$on|claim"
    "without tickets_record_events (history: status_changed and assignee_changed rows)|$on alter table public.tickets disable trigger tickets_record_events;|claim"
    "without tickets_agent_load_update (the agent's open tickets, capacity check)|$on alter table public.tickets disable trigger tickets_agent_load_update;|claim"
    "without tickets_count_update (queue counters)|$on alter table public.tickets disable trigger tickets_count_update;|claim"
    "without tickets_sla_status and tickets_sla_state_access (SLA clocks)|$on alter table public.tickets disable trigger tickets_sla_status; alter table public.tickets disable trigger tickets_sla_state_access;|claim"
    "without tickets_metric_facts_status (metric facts)|$on alter table public.tickets disable trigger tickets_metric_facts_status;|claim"
    "without tickets_zz_automation (automation rules)|$on alter table public.tickets disable trigger tickets_zz_automation;|claim"
    "without tickets_emit_webhooks (webhook outbox)|$on alter table public.tickets disable trigger tickets_emit_webhooks;|claim"
    "without tickets_zz_route (routing)|$on alter table public.tickets disable trigger tickets_zz_route;|claim"
    "without tickets_before_update, tickets_fields_before_write, tickets_timer_moments (write rules, custom fields, timer moments)|$on alter table public.tickets disable trigger tickets_before_update; alter table public.tickets disable trigger tickets_fields_before_write; alter table public.tickets disable trigger tickets_timer_moments;|claim"
    "claim_next_ticket(), no trigger of tickets|alter table public.tickets disable trigger user;|claim"
    "the claim's statement alone (superuser, no trigger of tickets)|alter table public.tickets disable trigger user;|statement"
    "the index probes alone (each queue's first candidate, locked)|$on|probe"
    "role + JWT claims set per transaction, nothing else|$on|config"
    "bare SKIP LOCKED update on a plain table|$on|plain"
  )
  echo
  echo "Instructions per claim (valgrind callgrind, single-user backend, (25 claims - 5 claims) / 20, each rolled back; load average $(cut -d' ' -f1-3 /proc/loadavg))"
  echo
  echo "| scenario | instructions | saves | share of the claim |"
  echo "|---|---:|---:|---:|"
  full=""
  for s in "${scenarios[@]}"; do
    IFS='|' read -r name setup kind <<< "$s"
    if [ -n "$full" ] && [ -n "$only" ] && [[ "$name" != *"$only"* ]]; then continue; fi
    i=$(instructions "$setup" "$kind")
    [ -z "$full" ] && full=$i
    if [ "$kind" = claim ]; then
      awk -v n="$name" -v i="$i" -v f="$full" 'BEGIN { if (n ~ /everything on/) printf "| %s | %.2f M | | |\n", n, i / 1e6;
                                                        else printf "| %s | %.2f M | %.2f M | %.0f %% |\n", n, i / 1e6, (f - i) / 1e6, 100 * (f - i) / f }'
    else
      awk -v n="$name" -v i="$i" -v f="$full" 'BEGIN { printf "| %s | %.2f M | | %.0f %% of the claim |\n", n, i / 1e6, 100 * i / f }'
    fi
  done
fi
