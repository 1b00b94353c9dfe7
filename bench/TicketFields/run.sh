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

. "$(dirname "${BASH_SOURCE[0]}")/../Shared/write-bench.sh"
write_bench_options "$@"
write_bench_start fields

setup="$(write_bench_session_setup)"
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
    c=$(write_bench_measure "$work/create_$kind.sql"); u=$(write_bench_measure "$work/update_$kind.sql")
    l=$(cut -d' ' -f1 /proc/loadavg)
    create[$s]+="$c "; update[$s]+="$u "; loads[$s]+="$l "
    printf 'round %s %-8s create %8.1f/s  update %8.1f/s  (load average %s)\n' "$round" "$s" "$c" "$u" "$l"
  done
done

echo
echo "$tickets tickets, $clients clients, $rounds rounds of ${seconds}s per figure; medians; ratio = scenario / its baseline (same run)"
echo
echo "| Scenario | create/s | ratio | update/s | ratio | load average (per round) |"
echo "|---|---:|---:|---:|---:|---|"
for s in "${scenarios[@]}"; do
  base=off; case "$s" in values5|off_values) base=off_values ;; esac
  base_c=$(echo "${create[$base]}" | write_bench_median); base_u=$(echo "${update[$base]}" | write_bench_median)
  c=$(echo "${create[$s]}" | write_bench_median); u=$(echo "${update[$s]}" | write_bench_median)
  awk -v s="$s" -v c="$c" -v u="$u" -v bc="$base_c" -v bu="$base_u" -v l="${loads[$s]}" \
    'BEGIN { printf "| %s | %.0f | %.2f | %.0f | %.2f | %s|\n", s, c, c / bc, u, u / bu, l }'
done
