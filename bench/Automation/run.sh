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
#   bash bench/Automation/run.sh --tickets 20000 --instructions-only                      # instructions only (valgrind), any load
#   (--skip-instructions leaves the valgrind table out)
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/../Shared/write-bench.sh"
write_bench_options "$@"
write_bench_start automation

setup="$(write_bench_session_setup)"
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

scenarios=(off none rules20 rules20_firing)
if [ -z "$instructions_only" ]; then
echo
echo "CPU time per write in the backend ($rounds rounds of 2000 writes, medians; load average $(cut -d' ' -f1-3 /proc/loadavg) before)"
echo
echo "| Scenario | write | CPU µs | over none |"
echo "|---|---|---:|---:|"
psql_ -At -c "set bench.rounds = $rounds" -c "set bench.batch = 2000" -c "set bench.dir = '$here'" -f "$here/cpu.sql" | grep '^|'
echo "(load average after: $(cut -d' ' -f1-3 /proc/loadavg))"
echo

declare -A create update loads
for round in $(seq 1 "$rounds"); do
  for s in "${scenarios[@]}"; do
    configure "$s" >/dev/null
    c=$(write_bench_measure "$work/create.sql"); u=$(write_bench_measure "$work/update.sql")
    l=$(cut -d' ' -f1 /proc/loadavg)
    create[$s]+="$c "; update[$s]+="$u "; loads[$s]+="$l "
    printf 'round %s %-14s create %8.1f/s  update %8.1f/s  (load average %s)\n' "$round" "$s" "$c" "$u" "$l"
  done
done

echo
echo "$tickets tickets, $clients clients, $rounds rounds of ${seconds}s per figure; medians; time ratio = none's throughput / the scenario's (same run)"
echo
echo "| Scenario | create/s | time ratio | update/s | time ratio | load average (per round) |"
echo "|---|---:|---:|---:|---:|---|"
base_c=$(echo "${create[none]}" | write_bench_median); base_u=$(echo "${update[none]}" | write_bench_median)
for s in "${scenarios[@]}"; do
  c=$(echo "${create[$s]}" | write_bench_median); u=$(echo "${update[$s]}" | write_bench_median)
  awk -v s="$s" -v c="$c" -v u="$u" -v bc="$base_c" -v bu="$base_u" -v l="${loads[$s]}" \
    'BEGIN { printf "| %s | %.0f | %.2f | %.0f | %.2f | %s|\n", s, c, bc / c, u, bu / u, l }'
done

fi

# Instructions per write (valgrind; load-independent). Stops the cluster, so it comes last.
if [ -z "$skip_instructions" ]; then
claims='{"sub": "b0000000-0000-4000-8000-000000000001", "role": "authenticated"}'
instr_create() { printf "begin;\nselect set_config('role', 'authenticated', true), set_config('request.jwt.claims', '%s', true);\ninsert into public.tickets (subject, requester_id, metadata) values ('Created %s', 'b0000000-0000-4000-8000-00000000000c', jsonb_build_object('channel', 'web', 'n', %s));\ncommit;\n" "$claims" "$1" "$1"; }
instr_update() { printf "begin;\nselect set_config('role', 'authenticated', true), set_config('request.jwt.claims', '%s', true);\nupdate public.tickets set priority = (array['low', 'normal', 'high'])[1 + %s %% 3]::public.ticket_priority, metadata = metadata || jsonb_build_object('n', %s) where number = %s;\ncommit;\n" "$claims" "$1" "$1" "$(( 1 + ($1 * 7919) % tickets ))"; }
instr_setup() { # scenario -> setup file
  {
    echo 'delete from public.automation_rules;'
    if [ "$1" = off ]; then echo 'alter table public.tickets disable trigger tickets_zz_automation;'
    else echo 'alter table public.tickets enable trigger tickets_zz_automation;'; fi
    case "$1" in rules20) cat "$here/rules.sql" ;; rules20_firing) cat "$here/rules.sql" "$here/firing.sql" ;; esac
  } > "$work/setup-$1.sql"
  echo "$work/setup-$1.sql"
}
echo
echo "Instructions per write (valgrind callgrind, single-user backend, steady state: (60 writes - 10 writes) / 50; each write its own transaction)"
echo
echo "| Scenario | create instructions | over none | update instructions | over none |"
echo "|---|---:|---:|---:|---:|"
declare -A icreate iupdate
for s in "${scenarios[@]}"; do
  setup=$(instr_setup "$s")
  icreate[$s]=$(write_bench_instructions "$setup" instr_create)
  iupdate[$s]=$(write_bench_instructions "$setup" instr_update)
done
for s in "${scenarios[@]}"; do
  awk -v s="$s" -v c="${icreate[$s]}" -v u="${iupdate[$s]}" -v bc="${icreate[none]}" -v bu="${iupdate[none]}" \
    'BEGIN { printf "| %s | %.2f M | %.2f | %.2f M | %.2f |\n", s, c / 1e6, c / bc, u / 1e6, u / bu }'
done
fi
