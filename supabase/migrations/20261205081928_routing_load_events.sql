-- queue:updates carries agent load: where routing is in use (the ticket's queue is automatic or a capacity applies),
-- every change of an agent's open tickets writes an internal ticket event
-- (agent_load_changed, staff only), changes = {"<agent id>": [{"open_tickets", "capacity"} before, … after]}, with the
-- capacity that applies to the ticket's queue, and "assignee_id": [old, new] when the change is an assignment (then the
-- created or assignee_changed event follows it in the same transaction). The SDK's QueueUpdates stream attaches the
-- loads to that Claimed or Released update, and sends the others (a solve, a reopen) as LoadChanged updates.
-- tickets_agent_load starts from 20261205080722_routing.sql's definition; the kind check from
-- 20261205052002_sla_policies.sql's (the newest), plus agent_load_changed.

alter table public.ticket_events drop constraint ticket_events_kind_check;
alter table public.ticket_events add constraint ticket_events_kind_check check (kind in (
  'created', 'status_changed', 'priority_changed', 'assignee_changed', 'queue_changed', 'tags_changed',
  'fields_changed', 'rule_applied', 'rule_loop_stopped', 'sla_breached', 'agent_load_changed')) not valid;
alter table public.ticket_events validate constraint ticket_events_kind_check;

create or replace function public.tickets_agent_load()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_old uuid;
  v_new uuid;
  v_state public.agent_states;
  v_cap integer;
  v_queue uuid := case when tg_op = 'DELETE' then old.queue_id else new.queue_id end;
  v_loads jsonb := '{}'::jsonb;
begin
  if tg_op in ('UPDATE', 'DELETE') and old.assignee_id is not null and old.status in ('new', 'open', 'pending', 'on_hold') then
    v_old := old.assignee_id;
  end if;
  if tg_op in ('INSERT', 'UPDATE') and new.assignee_id is not null and new.status in ('new', 'open', 'pending', 'on_hold') then
    v_new := new.assignee_id;
  end if;
  if v_old is not distinct from v_new then
    return null;
  end if;
  if v_old is not null and v_new is not null then
    -- A reassignment changes two counters: lock them in id order, as routers do.
    perform 1 from public.agent_states s where s.agent_id in (v_old, v_new) order by s.agent_id for update;
  end if;

  if v_new is not null then
    insert into public.agent_states as s (agent_id, open_tickets, last_assigned_at)
    values (v_new, 1, case when tg_op = 'INSERT' or new.assignee_id is distinct from old.assignee_id then clock_timestamp() end)
    on conflict (agent_id) do update
      set open_tickets = s.open_tickets + 1,
          last_assigned_at = coalesce(excluded.last_assigned_at, s.last_assigned_at)
    returning * into v_state;
    -- An assignment (not a reopen of the agent's own ticket) over the cap is refused.
    if (tg_op = 'INSERT' or new.assignee_id is distinct from old.assignee_id)
       and not public.request_is_privileged()
       and current_setting('autocrm.automation_running', true) is distinct from 'on' then
      v_cap := autocrm_private.capacity_for(v_state.capacity, new.queue_id);
      if v_cap is not null and v_state.open_tickets > v_cap then
        raise exception 'field "assignee_id": this agent is at capacity (% open tickets, limit %)', v_state.open_tickets - 1, v_cap
          using errcode = '23514';
      end if;
    end if;
    v_loads := v_loads || jsonb_build_object(v_new::text, jsonb_build_array(
      jsonb_build_object('open_tickets', v_state.open_tickets - 1, 'capacity', autocrm_private.capacity_for(v_state.capacity, v_queue)),
      jsonb_build_object('open_tickets', v_state.open_tickets, 'capacity', autocrm_private.capacity_for(v_state.capacity, v_queue))));
  end if;

  if v_old is not null then
    update public.agent_states s set open_tickets = s.open_tickets - 1 where s.agent_id = v_old
    returning * into v_state;
    if v_state.agent_id is not null then
      v_loads := v_loads || jsonb_build_object(v_old::text, jsonb_build_array(
        jsonb_build_object('open_tickets', v_state.open_tickets + 1, 'capacity', autocrm_private.capacity_for(v_state.capacity, v_queue)),
        jsonb_build_object('open_tickets', v_state.open_tickets, 'capacity', autocrm_private.capacity_for(v_state.capacity, v_queue))));
    end if;
  end if;

  -- The loads after this change, as an internal event (staff only) on the ticket: queue:updates carries it to boards.
  -- Only where routing is in use (an automatic mode or a capacity applies): a help desk without routing settings keeps
  -- the history it had.
  if tg_op <> 'DELETE' and v_loads <> '{}'::jsonb
     and (exists (select 1 from public.queue_routing r where r.queue_id = v_queue and (r.mode <> 'manual' or r.capacity is not null))
          or exists (select 1 from public.routing_settings s where s.default_capacity is not null)
          or exists (select 1 from public.agent_states s where s.agent_id in (v_old, v_new) and s.capacity is not null)) then
    if tg_op = 'INSERT' or new.assignee_id is distinct from old.assignee_id then
      v_loads := v_loads || jsonb_build_object('assignee_id', jsonb_build_array(
        case when tg_op = 'UPDATE' then old.assignee_id end, new.assignee_id));
    end if;
    insert into public.ticket_events (ticket_id, actor_id, kind, changes, visibility)
    values (new.id, (select p.id from public.profiles p where p.id = auth.uid()), 'agent_load_changed', v_loads, 'internal');
  end if;

  if v_old is not null then
    if v_state.status = 'online' then
      perform autocrm_private.fill_agent(v_old, case when tg_op = 'UPDATE' then new.id end);
    end if;
  end if;
  return null;
end;
$$;

