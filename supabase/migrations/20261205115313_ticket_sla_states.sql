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
  queue_id uuid,
  assignee_id uuid,
  constraint ticket_sla_states_metric_check check (metric in ('first_reply', 'next_reply', 'resolution')),
  constraint ticket_sla_states_breached_metric_check
    check (breached_metric in ('first_reply', 'next_reply', 'resolution')),
  constraint ticket_sla_states_next_check check ((metric is null) = (due_at is null) and (metric is null) = (target_minutes is null)),
  constraint ticket_sla_states_breached_check check ((breached_metric is null) = (breached_at is null))
);
comment on table public.ticket_sla_states is
  'A ticket''s SLA state, derived from its clocks (public.ticket_slas): metric, due_at and target_minutes of the running '
  'clock due first (neither met nor breached); breached_metric and breached_at of the earliest breached clock not met '
  'since; queue_id and assignee_id copy the ticket''s, for row-level security. Written only by the database; staff read '
  'the states of the tickets they see (docs/sla.md).';

-- "Due soonest": the running targets in due order, a page at a time (keyset on due_at, ticket_id).
create index ticket_sla_states_due_idx on public.ticket_sla_states (due_at, ticket_id) where due_at is not null;
-- "Breached": the tickets with a missed target that is still unmet; and those of them still running, in due order.
create index ticket_sla_states_breached_idx on public.ticket_sla_states (breached_at, ticket_id) where breached_at is not null;
create index ticket_sla_states_breached_due_idx on public.ticket_sla_states (due_at, ticket_id)
  where due_at is not null and breached_at is not null;

-- Staff read the states of the tickets they see: the staff branches of tickets_select, on the copies of the ticket's
-- queue and assignee (kept by tickets_sla_state_access below). Not `exists (select … from tickets)`: every ticket list
-- embeds the state, and with a join in the policy the planner materialised every visible state and rescanned it for
-- each listed ticket; with plain column tests each embed is one primary-key probe. Customers read none.
alter table public.ticket_sla_states enable row level security;
create policy ticket_sla_states_select on public.ticket_sla_states
  for select to authenticated
  using ((select public.current_app_role() = 'admin')
         or ((select public.current_app_role() = 'agent')
             and (queue_id is null
                  or assignee_id = (select auth.uid())
                  or queue_id = any ((select public.current_queue_ids())::uuid[]))));
revoke all on public.ticket_sla_states from anon;
revoke insert, update, delete, truncate on public.ticket_sla_states from authenticated;

-- Recomputes the states of some tickets from their clocks (at most three rows each, read by the primary key), set-based
-- so that a statement writing many clocks (run_due_automations marking a batch, a bulk load) refreshes once. A ticket
-- without a running or breached clock has no state row; a ticket that is being deleted (its clocks go by cascade) gets
-- none either.
create function autocrm_private.ticket_sla_states_refresh(p_ticket_ids uuid[])
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
   where st.ticket_id = any (p_ticket_ids)
     and not exists (select 1 from public.ticket_slas s
                      where s.ticket_id = st.ticket_id and s.fulfilled_at is null
                        and (s.due_at is not null or s.breached_at is not null));
  insert into public.ticket_sla_states as st (ticket_id, metric, due_at, target_minutes, breached_metric, breached_at,
                                              queue_id, assignee_id)
  select k.id, n.metric, n.due_at, n.target_minutes, b.metric, b.breached_at, k.queue_id, k.assignee_id
    from public.tickets k
    left join lateral (select s.metric, s.due_at, s.target_minutes from public.ticket_slas s
                        where s.ticket_id = k.id and s.due_at is not null and s.fulfilled_at is null
                          and s.breached_at is null
                        order by s.due_at, s.metric limit 1) n on true
    left join lateral (select s.metric, s.breached_at from public.ticket_slas s
                        where s.ticket_id = k.id and s.breached_at is not null and s.fulfilled_at is null
                        order by s.breached_at, s.metric limit 1) b on true
   where k.id = any (p_ticket_ids) and (n.metric is not null or b.metric is not null)
  on conflict (ticket_id) do update
    set metric = excluded.metric, due_at = excluded.due_at, target_minutes = excluded.target_minutes,
        breached_metric = excluded.breached_metric, breached_at = excluded.breached_at,
        queue_id = excluded.queue_id, assignee_id = excluded.assignee_id
    where (st.metric, st.due_at, st.target_minutes, st.breached_metric, st.breached_at, st.queue_id, st.assignee_id)
          is distinct from (excluded.metric, excluded.due_at, excluded.target_minutes, excluded.breached_metric,
                            excluded.breached_at, excluded.queue_id, excluded.assignee_id);
end;
$$;

-- Statement-level, with the changed clocks as a transition table (one trigger per event: PostgreSQL allows transition
-- tables only on single-event triggers). A clock's ticket_id never changes, so the new rows name every ticket touched.
create function public.ticket_slas_refresh_states()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op = 'DELETE' then
    perform autocrm_private.ticket_sla_states_refresh(array(select distinct o.ticket_id from changed_clocks o));
  else
    perform autocrm_private.ticket_sla_states_refresh(array(select distinct n.ticket_id from changed_clocks n));
  end if;
  return null;
end;
$$;

-- A ticket's SLA state as the caller may read it, for select lists (a computed field: `tickets?select=*,sla:ticket_sla`):
-- null for customers (row-level security on the states) and for tickets without a running or missed target. A scalar
-- subquery per returned row, by the primary key: an embed of the table instead let the planner hash or materialise
-- every visible state for each page. Runs as the caller and sets no search_path, so that it is inlined.
create function public.ticket_sla(p_ticket public.tickets)
returns jsonb
language sql
stable
as $$
  select jsonb_build_object('metric', st.metric, 'due_at', st.due_at, 'target_minutes', st.target_minutes,
                            'breached_metric', st.breached_metric, 'breached_at', st.breached_at)
    from public.ticket_sla_states st
   where st.ticket_id = p_ticket.id
$$;
comment on function public.ticket_sla(public.tickets) is
  'A ticket''s SLA state (metric, due_at, target_minutes, breached_metric, breached_at) as the caller may read it; '
  'select it as a computed field: tickets?select=*,sla:ticket_sla (docs/sla.md).';
revoke execute on function public.ticket_sla(public.tickets) from public, anon;
grant execute on function public.ticket_sla(public.tickets) to authenticated, service_role;

-- A ticket's queue or assignee changed: its state follows, so row-level security sees what tickets_select sees.
create function public.tickets_sla_state_access()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  update public.ticket_sla_states st set queue_id = new.queue_id, assignee_id = new.assignee_id
   where st.ticket_id = new.id;
  return null;
end;
$$;

revoke execute on function autocrm_private.ticket_sla_states_refresh(uuid[]), public.ticket_slas_refresh_states(),
  public.tickets_sla_state_access()
  from public, anon, authenticated;

create trigger ticket_slas_refresh_states_insert
  after insert on public.ticket_slas referencing new table as changed_clocks
  for each statement execute function public.ticket_slas_refresh_states();
create trigger ticket_slas_refresh_states_update
  after update on public.ticket_slas referencing new table as changed_clocks
  for each statement execute function public.ticket_slas_refresh_states();
create trigger ticket_slas_refresh_states_delete
  after delete on public.ticket_slas referencing old table as changed_clocks
  for each statement execute function public.ticket_slas_refresh_states();
create trigger tickets_sla_state_access
  after update of queue_id, assignee_id on public.tickets
  for each row when (old.queue_id is distinct from new.queue_id or old.assignee_id is distinct from new.assignee_id)
  execute function public.tickets_sla_state_access();

-- The states of the clocks that exist already.
select autocrm_private.ticket_sla_states_refresh(array(
  select distinct s.ticket_id from public.ticket_slas s
   where s.fulfilled_at is null and (s.due_at is not null or s.breached_at is not null)));
