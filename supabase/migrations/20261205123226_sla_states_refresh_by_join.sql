-- ticket_sla_states_refresh found a ticket's next running clock with `where ticket_id = … order by due_at limit 1`,
-- which matches the partial due index exactly: the planner may walk that index in due order and filter on the ticket
-- (it expects a hit within a few rows), which costs a scan of every running clock per ticket. A statement writing
-- 100,000 clocks (a bulk load; SlaPlanTests' setup before the statistics exist) then ran for many minutes. Each ticket's
-- clocks (at most three) are now read by the primary key alone (`offset 0` keeps that subquery from being merged into
-- the ordered one), and the ids are a relation (unnest) rather than `= any (array)`. Starts from
-- 20261205115313_ticket_sla_states.sql's definition (the only one); the results are the same.
create or replace function autocrm_private.ticket_sla_states_refresh(p_ticket_ids uuid[])
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  if cardinality(p_ticket_ids) = 0 then
    return;
  end if;
  delete from public.ticket_sla_states st
   using unnest(p_ticket_ids) as u (id)
   where st.ticket_id = u.id
     and not exists (select 1 from public.ticket_slas s
                      where s.ticket_id = st.ticket_id and s.fulfilled_at is null
                        and (s.due_at is not null or s.breached_at is not null));
  insert into public.ticket_sla_states as st (ticket_id, metric, due_at, target_minutes, breached_metric, breached_at,
                                              queue_id, assignee_id)
  select k.id, n.metric, n.due_at, n.target_minutes, b.metric, b.breached_at, k.queue_id, k.assignee_id
    from (select distinct x.id from unnest(p_ticket_ids) as x (id)) as u
    join public.tickets k on k.id = u.id
    left join lateral (select s.metric, s.due_at, s.target_minutes
                         from (select c.metric, c.due_at, c.target_minutes, c.fulfilled_at, c.breached_at
                                 from public.ticket_slas c where c.ticket_id = k.id offset 0) s
                        where s.due_at is not null and s.fulfilled_at is null and s.breached_at is null
                        order by s.due_at, s.metric limit 1) n on true
    left join lateral (select s.metric, s.breached_at
                         from (select c.metric, c.fulfilled_at, c.breached_at
                                 from public.ticket_slas c where c.ticket_id = k.id offset 0) s
                        where s.breached_at is not null and s.fulfilled_at is null
                        order by s.breached_at, s.metric limit 1) b on true
   where n.metric is not null or b.metric is not null
  on conflict (ticket_id) do update
    set metric = excluded.metric, due_at = excluded.due_at, target_minutes = excluded.target_minutes,
        breached_metric = excluded.breached_metric, breached_at = excluded.breached_at,
        queue_id = excluded.queue_id, assignee_id = excluded.assignee_id
    where (st.metric, st.due_at, st.target_minutes, st.breached_metric, st.breached_at, st.queue_id, st.assignee_id)
          is distinct from (excluded.metric, excluded.due_at, excluded.target_minutes, excluded.breached_metric,
                            excluded.breached_at, excluded.queue_id, excluded.assignee_id);
end;
$$;
