-- A ticket's SLA state at a glance: one row per ticket that has clocks, with its next running target and its missed
-- ones, kept current by a trigger on public.ticket_slas in the transaction of every clock change. Ticket lists embed it
-- (staff only, like the clocks) and list "due soonest" and "breached" from its partial indexes, so those lists cost a
-- page, not the table (docs/sla.md, "A ticket's SLA state"). Forward-only.
--
-- Why a table of its own and not columns on public.tickets: the clocks change in AFTER triggers of tickets and
-- messages and in run_due_automations; writing the ticket row from there would fire the ticket's own update triggers
-- again (version, updated_at, history, webhooks, automation), and customers, who read their tickets' columns, must not
-- read SLA data.

create table public.ticket_sla_states (
  ticket_id uuid primary key references public.tickets (id) on delete cascade,
  metric text,
  due_at timestamptz,
  target_minutes integer,
  breached_metric text,
  breached_at timestamptz,
  constraint ticket_sla_states_metric_check check (metric in ('first_reply', 'next_reply', 'resolution')),
  constraint ticket_sla_states_breached_metric_check
    check (breached_metric in ('first_reply', 'next_reply', 'resolution')),
  constraint ticket_sla_states_next_check check ((metric is null) = (due_at is null) and (metric is null) = (target_minutes is null)),
  constraint ticket_sla_states_breached_check check ((breached_metric is null) = (breached_at is null))
);
comment on table public.ticket_sla_states is
  'A ticket''s SLA state, derived from its clocks (public.ticket_slas): metric, due_at and target_minutes of the running '
  'clock due first (neither met nor breached); breached_metric and breached_at of the earliest breached clock not met '
  'since. Written only by the database; staff read the states of the tickets they see (docs/sla.md).';

-- "Due soonest": the running targets in due order, a page at a time (keyset on due_at, ticket_id).
create index ticket_sla_states_due_idx on public.ticket_sla_states (due_at, ticket_id) where due_at is not null;
-- "Breached": the few tickets with a missed target that is still unmet.
create index ticket_sla_states_breached_idx on public.ticket_sla_states (breached_at, ticket_id) where breached_at is not null;

alter table public.ticket_sla_states enable row level security;
create policy ticket_sla_states_select on public.ticket_sla_states
  for select to authenticated
  using ((select public.current_app_role()) in ('agent', 'admin')
         and exists (select 1 from public.tickets t where t.id = ticket_sla_states.ticket_id));
revoke all on public.ticket_sla_states from anon;
revoke insert, update, delete, truncate on public.ticket_sla_states from authenticated;

-- Recomputes one ticket's state from its clocks (at most three rows, read by the primary key). A ticket without a
-- running or breached clock has no state row. Skips a ticket that is being deleted (its clocks go by cascade).
create function autocrm_private.ticket_sla_state_refresh(p_ticket_id uuid)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_next public.ticket_slas;
  v_breached public.ticket_slas;
begin
  select * into v_next from public.ticket_slas s
   where s.ticket_id = p_ticket_id and s.due_at is not null and s.fulfilled_at is null and s.breached_at is null
   order by s.due_at, s.metric limit 1;
  select * into v_breached from public.ticket_slas s
   where s.ticket_id = p_ticket_id and s.breached_at is not null and s.fulfilled_at is null
   order by s.breached_at, s.metric limit 1;
  if v_next.ticket_id is null and v_breached.ticket_id is null then
    delete from public.ticket_sla_states st where st.ticket_id = p_ticket_id;
    return;
  end if;
  if not exists (select 1 from public.tickets t where t.id = p_ticket_id) then
    return;
  end if;
  insert into public.ticket_sla_states as st (ticket_id, metric, due_at, target_minutes, breached_metric, breached_at)
  values (p_ticket_id, v_next.metric, v_next.due_at, v_next.target_minutes, v_breached.metric, v_breached.breached_at)
  on conflict (ticket_id) do update
    set metric = excluded.metric, due_at = excluded.due_at, target_minutes = excluded.target_minutes,
        breached_metric = excluded.breached_metric, breached_at = excluded.breached_at
    where (st.metric, st.due_at, st.target_minutes, st.breached_metric, st.breached_at)
          is distinct from (excluded.metric, excluded.due_at, excluded.target_minutes, excluded.breached_metric,
                            excluded.breached_at);
end;
$$;

create function public.ticket_slas_refresh_state()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op = 'DELETE' then
    perform autocrm_private.ticket_sla_state_refresh(old.ticket_id);
  else
    perform autocrm_private.ticket_sla_state_refresh(new.ticket_id);
  end if;
  return null;
end;
$$;

revoke execute on function autocrm_private.ticket_sla_state_refresh(uuid), public.ticket_slas_refresh_state()
  from public, anon, authenticated;

create trigger ticket_slas_refresh_state
  after insert or update or delete on public.ticket_slas
  for each row execute function public.ticket_slas_refresh_state();

-- The states of the clocks that exist already.
insert into public.ticket_sla_states (ticket_id, metric, due_at, target_minutes, breached_metric, breached_at)
select t.ticket_id, n.metric, n.due_at, n.target_minutes, b.metric, b.breached_at
  from (select distinct s.ticket_id from public.ticket_slas s
         where (s.due_at is not null or s.breached_at is not null) and s.fulfilled_at is null) t
  left join lateral (select s.metric, s.due_at, s.target_minutes from public.ticket_slas s
                      where s.ticket_id = t.ticket_id and s.due_at is not null and s.fulfilled_at is null
                        and s.breached_at is null
                      order by s.due_at, s.metric limit 1) n on true
  left join lateral (select s.metric, s.breached_at from public.ticket_slas s
                      where s.ticket_id = t.ticket_id and s.breached_at is not null and s.fulfilled_at is null
                      order by s.breached_at, s.metric limit 1) b on true
 where n.metric is not null or b.metric is not null;
