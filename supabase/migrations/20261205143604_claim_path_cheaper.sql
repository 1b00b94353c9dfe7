-- A claim does the same work for less: measured with bench/Claims/profile.sql (the backend's CPU time and the function
-- calls per claim_next_ticket(), see bench/README.md, "Where a claim's time goes"). Nothing a claim checks, locks,
-- counts or records changes; forward-only.
--
-- 1. autocrm_private.capacity_for is a SQL function with a SET clause, so PostgreSQL cannot inline it and its SQL-function
--    executor parses and plans the body again in every statement that calls it. A claim called it twice per queue of
--    the caller (the capacity filter) and three times more in tickets_agent_load: about ten plans per claim. In
--    PL/pgSQL the plan is kept for the session (as 20261205073030_write_path_helpers_plpgsql.sql did for the write
--    path's helpers). Same name, arguments, result, volatility, owner and grants.
-- 2. claim_next_ticket asks for each queue's capacity once (`open < capacity is not false`: no capacity is no limit),
--    and keeps its plans: its statements take arrays (the caller's queues, their skills), for which PL/pgSQL's plan
--    cache judged a plan made for the values cheaper than the kept one and so planned the claim statement, and its
--    probe of each queue, again on every call (about a quarter of a claim's CPU time). The kept (generic) plan is the
--    same plan: one probe of tickets_claimable_idx per queue. The setting holds while the function runs, so the
--    statements of the triggers a claim fires keep their plans too; they are key lookups and writes, whose kept plans
--    are the plans made for the values. Starts from 20261205080722_routing.sql's definition.
-- 3. tickets_agent_load asks for an agent's capacity once per change and reuses it for the cap check and the
--    agent_load_changed event. Starts from 20261205081928_routing_load_events.sql's definition.
-- 4. tickets_zz_route returns before looking up the queue's routing mode when an update leaves an assigned ticket's
--    queue and skills as they were (a claim, a reply, a priority change): every path after that lookup returned the
--    row unchanged for such an update. Starts from 20261205114117_customers_keep_required_skills.sql's definition.

create or replace function autocrm_private.capacity_for(p_agent_capacity integer, p_queue_id uuid)
returns integer
language plpgsql
stable
set search_path = ''
as $$
begin
  return coalesce(p_agent_capacity,
                  (select r.capacity from public.queue_routing r where r.queue_id = p_queue_id),
                  (select s.default_capacity from public.routing_settings s));
end;
$$;

create or replace function public.claim_next_ticket(queue_id uuid default null)
returns setof public.tickets
language plpgsql
volatile
security definer
set search_path = ''
set plan_cache_mode = force_generic_plan
rows 1
as $$
#variable_conflict use_column
declare
  v_uid uuid := auth.uid();
  v_role public.app_role;
  v_queue uuid := claim_next_ticket.queue_id;
  v_queues uuid[];
  v_state public.agent_states;
begin
  if v_uid is null then
    raise exception 'claim_next_ticket needs a signed-in agent' using errcode = '42501';
  end if;
  v_role := public.current_app_role();
  if v_role is distinct from 'agent' and v_role is distinct from 'admin' and not public.request_is_privileged() then
    raise exception 'only agents can claim tickets' using errcode = '42501';
  end if;

  if v_queue is not null then
    if not exists (select 1 from public.queue_members qm where qm.queue_id = v_queue and qm.agent_id = v_uid) then
      if not exists (select 1 from public.queues q where q.id = v_queue) then
        raise exception 'queue % not found', v_queue using errcode = 'PT404';
      end if;
      if v_role is distinct from 'admin' and not public.request_is_privileged() then
        raise exception 'you are not a member of queue %', v_queue using errcode = '42501';
      end if;
    end if;
    v_queues := array[v_queue];
  else
    v_queues := array(select qm.queue_id from public.queue_members qm where qm.agent_id = v_uid);
  end if;

  select * into v_state from public.agent_states s where s.agent_id = v_uid for update;
  if v_state.agent_id is null then
    insert into public.agent_states (agent_id) values (v_uid) on conflict (agent_id) do nothing;
    select * into v_state from public.agent_states s where s.agent_id = v_uid for update;
  end if;

  -- Only the queues where the caller has room (no capacity: no limit, the comparison is null).
  v_queues := array(select q.queue_id from unnest(v_queues) as q (queue_id)
                     where (v_state.open_tickets < autocrm_private.capacity_for(v_state.capacity, q.queue_id)) is not false);

  return query
    update public.tickets u
       set assignee_id = v_uid,
           status = case when u.status = 'new' then 'open'::public.ticket_status else u.status end
     where u.id = (select c.id
                     from unnest(v_queues) as q (queue_id)
                     cross join lateral (
                       select t.id, t.priority, t.created_at
                         from public.tickets t
                        where t.queue_id = q.queue_id and t.assignee_id is null and t.status in ('new', 'open')
                          and t.required_skills <@ v_state.skills
                        order by t.priority desc, t.created_at, t.id
                        limit 1
                        for update of t skip locked) as c
                    order by c.priority desc, c.created_at, c.id
                    limit 1)
    returning u.*;
end;
$$;

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
    -- The capacity that applies in the ticket's queue (v_queue is new.queue_id here), asked once.
    v_cap := autocrm_private.capacity_for(v_state.capacity, v_queue);
    -- An assignment (not a reopen of the agent's own ticket) over the cap is refused.
    if (tg_op = 'INSERT' or new.assignee_id is distinct from old.assignee_id)
       and not public.request_is_privileged()
       and current_setting('autocrm.automation_running', true) is distinct from 'on' then
      if v_cap is not null and v_state.open_tickets > v_cap then
        raise exception 'field "assignee_id": this agent is at capacity (% open tickets, limit %)', v_state.open_tickets - 1, v_cap
          using errcode = '23514';
      end if;
    end if;
    v_loads := v_loads || jsonb_build_object(v_new::text, jsonb_build_array(
      jsonb_build_object('open_tickets', v_state.open_tickets - 1, 'capacity', v_cap),
      jsonb_build_object('open_tickets', v_state.open_tickets, 'capacity', v_cap)));
  end if;

  if v_old is not null then
    update public.agent_states s set open_tickets = s.open_tickets - 1 where s.agent_id = v_old
    returning * into v_state;
    if v_state.agent_id is not null then
      v_cap := autocrm_private.capacity_for(v_state.capacity, v_queue);
      v_loads := v_loads || jsonb_build_object(v_old::text, jsonb_build_array(
        jsonb_build_object('open_tickets', v_state.open_tickets + 1, 'capacity', v_cap),
        jsonb_build_object('open_tickets', v_state.open_tickets, 'capacity', v_cap)));
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

create or replace function public.tickets_zz_route()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_mode public.routing_mode;
  v_exclude uuid;
  v_agent uuid;
begin
  if tg_op = 'INSERT' or new.required_skills is distinct from old.required_skills then
    if (tg_op = 'UPDATE' or new.required_skills is distinct from '{}'::text[]) and not public.request_is_privileged()
       and coalesce(public.current_app_role()::text, '') not in ('agent', 'admin')
       and current_setting('autocrm.automation_running', true) is distinct from 'on' then
      raise exception 'field "required_skills": only agents and admins set the skills a ticket needs' using errcode = '42501';
    end if;
    new.required_skills := autocrm_private.normalize_skills(new.required_skills, 'required_skills');
  end if;

  if new.queue_id is null or new.status not in ('new', 'open') then
    return new;
  end if;
  -- An assigned ticket whose queue and skills stay as they were keeps its assignee in every mode (see below): no need
  -- to look the mode up.
  if tg_op = 'UPDATE' and new.assignee_id is not null and new.queue_id is not distinct from old.queue_id
     and new.required_skills is not distinct from old.required_skills then
    return new;
  end if;
  select r.mode into v_mode from public.queue_routing r where r.queue_id = new.queue_id;
  if v_mode is null or v_mode = 'manual' then
    return new;
  end if;

  if tg_op = 'UPDATE' then
    if new.assignee_id is not null then
      -- Still assigned: re-route only when the assignee cannot hold it (new skills they lack, or moved to a queue
      -- they are not in).
      if (new.required_skills is distinct from old.required_skills
          and not exists (select 1 from public.agent_states s
                           where s.agent_id = new.assignee_id and s.skills @> new.required_skills))
         or (new.queue_id is distinct from old.queue_id
             and not exists (select 1 from public.queue_members qm
                              where qm.queue_id = new.queue_id and qm.agent_id = new.assignee_id)) then
        v_exclude := new.assignee_id;
        new.assignee_id := null;
      else
        return new;
      end if;
    elsif old.assignee_id is not null then
      v_exclude := old.assignee_id;  -- released
    end if;
    -- Otherwise it was waiting already (or became active again): any change of a waiting ticket routes it again. This
    -- is what lets sweeps skip tickets other transactions hold (fill_agent): the holder routes the ticket itself.
  elsif new.assignee_id is not null then
    return new;  -- created assigned
  end if;

  perform autocrm_private.lock_queue_agents(new.queue_id, case when tg_op = 'UPDATE' then old.assignee_id end);
  v_agent := autocrm_private.pick_agent(new.queue_id, v_mode, new.required_skills, v_exclude);
  if v_agent is not null then
    new.assignee_id := v_agent;
    if new.status = 'new' then
      new.status := 'open';
    end if;
  end if;
  return new;
end;
$$;
