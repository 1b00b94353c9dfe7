-- run_due_automations marks the due clocks breached by their row addresses, not by joining the due set back to the table.
--
-- As one `update … from (due clocks, limit 10000, for update skip locked)`, the planner sized the join from its estimate
-- of clocks "due by now": met clocks are history whose due times lie in the past, and it multiplies the selectivities
-- of `due_at <= now` and `fulfilled_at is null` as if independent, so it expected tens of thousands of due clocks and
-- hashed the whole of ticket_slas to join them. At 10^6 clocks a call with a handful due took 0.7–1.2 s (bench/Sla),
-- growing with the table, not with what is due. Now the due clocks are locked first (the partial index on due_at, in
-- due order, skipping clocks another scheduler holds) and their row addresses collected; the update then reads exactly
-- those rows (a TID scan). A locked row cannot move before this transaction updates it, so its address is stable.
create or replace function public.run_due_automations(now timestamptz default now())
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_count integer := 0;
  v_due tid[];
  r record;
begin
  select coalesce(array_agg(d.ctid), '{}') into v_due
    from (select s.ctid
            from public.ticket_slas s
           where s.due_at <= run_due_automations.now and s.fulfilled_at is null and s.breached_at is null
             and s.due_at is not null
           order by s.due_at
           limit 10000
             for update skip locked) d;
  if cardinality(v_due) > 0 then
    for r in
      update public.ticket_slas s
         set breached_at = run_due_automations.now
       where s.ctid = any (v_due)
      returning s.ticket_id, s.metric, s.due_at, s.policy_id
    loop
      insert into public.ticket_events (ticket_id, actor_id, kind, changes, visibility)
      values (r.ticket_id, null, 'sla_breached', jsonb_build_object('metric', r.metric, 'due_at', r.due_at), 'internal');
      perform public.emit_webhook_event('sla.breached',
        jsonb_build_object('ticket_id', r.ticket_id, 'metric', r.metric, 'due_at', r.due_at,
                           'breached_at', run_due_automations.now, 'policy_id', r.policy_id),
        r.ticket_id, false);
      v_count := v_count + 1;
    end loop;
  end if;
  return v_count + autocrm_private.run_time_rules(run_due_automations.now);
end;
$$;
comment on function public.run_due_automations(timestamptz) is
  'Time-based work due by `now`: records missed SLA targets (sla_breached events, sla.breached webhooks) exactly once, '
  'and runs time_elapsed automation rules once per ticket per period. Returns breaches + rule firings.';
