-- Routing: agent availability, capacity and skills; a routing mode per queue; automatic assignment in the transaction
-- that makes a ticket waiting or makes an agent able to take one; claim_next_ticket bounded by capacity and skills.
-- Forward-only; claim_next_ticket starts from 20261205004332_scale_ticket_indexes_and_queue_counts.sql's definition,
-- refresh_generated_data from 20261205072300_csat_and_metric_facts.sql's; deployment_status from
-- 20261205005211_deployment_checks.sql's. docs/routing.md describes the rules; this file says how they hold.
--
-- Load: an agent's open tickets are the tickets assigned to them whose status is new, open, pending or on_hold. It is
-- kept in agent_states.open_tickets by an after trigger on tickets (exact, one row per agent), never counted.
--
-- Capacity for a ticket of queue Q: the agent's own capacity if set, else Q's capacity if set, else the default
-- (routing_settings.default_capacity); null at every level means no limit (the behaviour before routing existed).
--
-- Locking, the part that keeps the cap under concurrency:
--   * every change of an agent's load, status, capacity or skills updates (so locks) that agent's agent_states row;
--   * whoever checks "load < capacity" and then assigns (claim, router, sweep) holds that row's lock from the check to
--     its commit, so two assignments to one agent are serialized and the second sees the first's count;
--   * an assignment by any other path (assign_ticket, a REST update) is checked by the counter trigger itself after
--     it has updated (locked) the row: over the cap is refused, unless the caller is the service role (imports) or an
--     automation rule (an explicit rule outranks the cap; docs/routing.md).
-- No waiting ticket is forgotten when an agent frees capacity at the same moment as a ticket arrives: the router locks
-- the agent_states rows of every member of the ticket's queue (in agent id order, so two routers never deadlock)
-- before it reads their load and status, so it waits for a concurrent "agent frees capacity / comes online" to commit
-- and then sees it; and a transaction that frees capacity sweeps waiting tickets after its own change (seeing every
-- ticket committed before it, and the router of any later ticket sees its change). A sweep never waits for a ticket:
-- it skips a ticket another transaction holds, and that transaction routes the ticket itself (every change of a
-- waiting ticket routes it, waiting for the agents' rows). route_waiting_tickets(), run every minute by pg_cron, is the
-- safety net for what does not follow that rule: claim_next_ticket keeps each of the caller's queues' first candidate
-- locked until it commits (the scale migration's design), and a membership or setting change can race a new ticket.

-- ---------------------------------------------------------------------------
-- Types and settings
-- ---------------------------------------------------------------------------
create type public.agent_status as enum ('online', 'away', 'offline');
create type public.routing_mode as enum ('manual', 'round_robin', 'least_loaded');

-- One row: the default capacity. Staff read it; admins change it through set_routing_defaults().
create table public.routing_settings (
  id boolean primary key default true constraint routing_settings_id_check check (id),
  default_capacity integer constraint routing_settings_default_capacity_range check (default_capacity between 0 and 1000),
  updated_at timestamptz not null default now()
);
comment on table public.routing_settings is
  'Routing defaults (one row). default_capacity: open tickets per agent when neither the agent nor the queue sets one; null = no limit.';
insert into public.routing_settings (id) values (true);

alter table public.routing_settings enable row level security;
create policy routing_settings_select on public.routing_settings
  for select to authenticated
  using ((select public.current_app_role()) in ('agent', 'admin'));
revoke all on public.routing_settings from anon, authenticated;
grant select on public.routing_settings to authenticated;
grant select on public.routing_settings to service_role;

-- Per queue: how tickets are distributed and the queue's capacity override. No row = manual, no override.
create table public.queue_routing (
  queue_id uuid primary key references public.queues (id) on delete cascade,
  mode public.routing_mode not null default 'manual',
  capacity integer constraint queue_routing_capacity_range check (capacity between 0 and 1000),
  updated_at timestamptz not null default now()
);
comment on table public.queue_routing is
  'A queue''s routing mode (manual, round_robin, least_loaded) and capacity override (open tickets per agent for this queue''s tickets; null = inherit). Written by set_queue_routing().';

alter table public.queue_routing enable row level security;
create policy queue_routing_select on public.queue_routing
  for select to authenticated
  using ((select public.current_app_role()) in ('agent', 'admin'));
revoke all on public.queue_routing from anon, authenticated;
grant select on public.queue_routing to authenticated;
grant select on public.queue_routing to service_role;

-- Per agent: availability (set by the agent), capacity override and skills (set by admins), and the load counter and
-- last assignment time (kept by triggers). Staff read every agent's row (boards show load); customers read nothing;
-- nobody writes it directly.
create table public.agent_states (
  agent_id uuid primary key references public.profiles (id) on delete cascade,
  status public.agent_status not null default 'offline',
  status_changed_at timestamptz not null default now(),
  capacity integer constraint agent_states_capacity_range check (capacity between 0 and 1000),
  skills text[] not null default '{}',
  open_tickets integer not null default 0,
  last_assigned_at timestamptz,
  constraint agent_states_open_tickets_check check (open_tickets >= 0)
);
comment on table public.agent_states is
  'Routing state per agent: status (online/away/offline), capacity override (null = inherit), skills, open_tickets (assigned tickets in new/open/pending/on_hold, kept by a trigger) and last_assigned_at (round robin order).';

alter table public.agent_states enable row level security;
create policy agent_states_select on public.agent_states
  for select to authenticated
  using ((select public.current_app_role()) in ('agent', 'admin'));
revoke all on public.agent_states from anon, authenticated;
grant select on public.agent_states to authenticated;
grant select on public.agent_states to service_role;

-- Skills a ticket needs: only agents who have all of them receive or claim it. Staff set them (REST, a rule, the SDK);
-- customers cannot.
alter table public.tickets add column required_skills text[] not null default '{}';
comment on column public.tickets.required_skills is
  'Skills an agent needs to receive or claim this ticket (all of them). Set by staff or rules; customers cannot.';

-- Skill names: lowercase words (a-z, 0-9, _ and -), 1-40 characters, at most 50 per agent or ticket, no duplicates.
create function autocrm_private.normalize_skills(p_skills text[], p_field text)
returns text[]
language plpgsql
immutable
set search_path = ''
as $$
declare
  v_skill text;
  v_out text[] := '{}';
begin
  if p_skills is null then
    raise exception 'field "%": skills must be a list (use an empty list for none)', p_field using errcode = '23514';
  end if;
  foreach v_skill in array p_skills loop
    if v_skill is null or v_skill !~ '^[a-z0-9][a-z0-9_-]{0,39}$' then
      raise exception 'field "%": "%" is not a skill name (lowercase letters, digits, _ and -, up to 40 characters)',
        p_field, coalesce(v_skill, 'null') using errcode = '23514';
    end if;
    if not v_skill = any (v_out) then
      v_out := v_out || v_skill;
    end if;
  end loop;
  if cardinality(v_out) > 50 then
    raise exception 'field "%": at most 50 skills', p_field using errcode = '23514';
  end if;
  return (select coalesce(array_agg(s order by s), '{}') from unnest(v_out) as s);
end;
$$;

-- Every queue member has a state row (so a router can lock it); staff who join a queue get one.
insert into public.agent_states (agent_id)
select distinct qm.agent_id from public.queue_members qm
on conflict (agent_id) do nothing;

-- ---------------------------------------------------------------------------
-- Capacity and the chooser
-- ---------------------------------------------------------------------------
-- The capacity that applies to an agent for a ticket of a queue (null = no limit).
create function autocrm_private.capacity_for(p_agent_capacity integer, p_queue_id uuid)
returns integer
language sql
stable
set search_path = ''
as $$
  select coalesce(p_agent_capacity,
                  (select r.capacity from public.queue_routing r where r.queue_id = p_queue_id),
                  (select s.default_capacity from public.routing_settings s));
$$;

-- Locks the state rows of every member of a queue, and of p_also (the ticket's previous assignee, whose count the
-- same change lowers), in agent id order (see the header: routers never deadlock and never miss a concurrent change
-- of an agent).
create function autocrm_private.lock_queue_agents(p_queue_id uuid, p_also uuid default null)
returns void
language sql
volatile
set search_path = ''
as $$
  select 1 from public.agent_states s
   where s.agent_id in (select qm.agent_id from public.queue_members qm where qm.queue_id = p_queue_id)
      or s.agent_id = p_also
   order by s.agent_id
   for update of s;
$$;

-- The agent who gets a ticket of queue p_queue_id needing p_skills, or null: online members with all the skills and
-- spare capacity; round robin = longest since last assignment (never assigned first), least loaded = most spare
-- capacity (no limit counts as most), then fewest open tickets, then longest since last assignment. Ties by agent id,
-- so the choice is deterministic. The caller has locked the rows (lock_queue_agents).
create function autocrm_private.pick_agent(p_queue_id uuid, p_mode public.routing_mode, p_skills text[], p_exclude uuid)
returns uuid
language sql
stable
set search_path = ''
as $$
  select s.agent_id
    from public.queue_members qm
    join public.agent_states s on s.agent_id = qm.agent_id
    cross join lateral (select autocrm_private.capacity_for(s.capacity, p_queue_id) as cap) c
   where qm.queue_id = p_queue_id
     and s.status = 'online'
     and s.skills @> p_skills
     and s.agent_id is distinct from p_exclude
     and (c.cap is null or s.open_tickets < c.cap)
   order by case when p_mode = 'least_loaded' then c.cap - s.open_tickets end desc nulls first,
            case when p_mode = 'least_loaded' then s.open_tickets end,
            s.last_assigned_at nulls first,
            s.agent_id
   limit 1;
$$;

-- ---------------------------------------------------------------------------
-- Sweeps: give waiting tickets to an agent who can take more, or to a queue's agents
-- ---------------------------------------------------------------------------
-- Assigns waiting tickets (unassigned, new or open) of the agent's automatic queues to the agent while they are online
-- and under capacity, most urgent then oldest first, skipping p_exclude (a ticket its assignee just released). Returns
-- how many. Candidates are read without locks and only the one taken is locked (skip locked): a ticket this sweep
-- skips is being changed by a transaction whose own routing (tickets_zz_route routes a waiting ticket on every update)
-- waits for this agent's row and then sees the room made here. Locking candidates it does not take would leave them
-- waiting with nobody to look at them again.
create function autocrm_private.fill_agent(p_agent_id uuid, p_exclude uuid default null)
returns integer
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_state public.agent_states;
  v_candidate record;
  v_ticket uuid;
  v_seen integer;
  v_count integer := 0;
  -- Where the scan is in the claim order (priority desc, created_at, id): skipped tickets are never looked at again.
  v_priority public.ticket_priority;
  v_created timestamptz;
  v_id uuid;
begin
  <<fill>>
  loop
    select * into v_state from public.agent_states s where s.agent_id = p_agent_id for update;
    exit when v_state.agent_id is null or v_state.status <> 'online';
    v_ticket := null;
    v_seen := 0;
    for v_candidate in
      select c.id, c.priority, c.created_at
        from public.queue_members qm
        join public.queue_routing r on r.queue_id = qm.queue_id and r.mode <> 'manual'
        cross join lateral (
          select t.id, t.priority, t.created_at
            from public.tickets t
           where t.queue_id = qm.queue_id and t.assignee_id is null and t.status in ('new', 'open')
             and t.required_skills <@ v_state.skills
             and t.id is distinct from p_exclude
             and (v_id is null or t.priority < v_priority
                  or (t.priority = v_priority and (t.created_at, t.id) > (v_created, v_id)))
           order by t.priority desc, t.created_at, t.id
           limit 20) as c
       where qm.agent_id = p_agent_id
         and (autocrm_private.capacity_for(v_state.capacity, qm.queue_id) is null
              or v_state.open_tickets < autocrm_private.capacity_for(v_state.capacity, qm.queue_id))
       order by c.priority desc, c.created_at, c.id
       limit 20
    loop
      v_seen := v_seen + 1;
      v_priority := v_candidate.priority;
      v_created := v_candidate.created_at;
      v_id := v_candidate.id;
      select t.id into v_ticket
        from public.tickets t
       where t.id = v_candidate.id and t.assignee_id is null and t.status in ('new', 'open')
       for no key update skip locked;
      exit when v_ticket is not null;
    end loop;
    if v_ticket is null then
      exit fill when v_seen = 0;  -- nothing left to look at
      continue fill;              -- every candidate of this batch was held by others: the next batch
    end if;
    update public.tickets t
       set assignee_id = p_agent_id,
           status = case when t.status = 'new' then 'open'::public.ticket_status else t.status end
     where t.id = v_ticket;
    v_count := v_count + 1;
  end loop;
  return v_count;
end;
$$;

-- Assigns a queue's waiting tickets (most urgent, oldest first) to its agents by the queue's mode, until no waiting
-- ticket can be placed. Used when a queue becomes automatic or its capacity changes, and by route_waiting_tickets().
create function autocrm_private.fill_queue(p_queue_id uuid)
returns integer
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_mode public.routing_mode;
  v_ticket record;
  v_agent uuid;
  v_count integer := 0;
begin
  select r.mode into v_mode from public.queue_routing r where r.queue_id = p_queue_id;
  if v_mode is null or v_mode = 'manual' then
    return 0;
  end if;
  perform autocrm_private.lock_queue_agents(p_queue_id);
  for v_ticket in
    select t.id, t.required_skills
      from public.tickets t
     where t.queue_id = p_queue_id and t.assignee_id is null and t.status in ('new', 'open')
     order by t.priority desc, t.created_at, t.id
     for update of t skip locked
  loop
    v_agent := autocrm_private.pick_agent(p_queue_id, v_mode, v_ticket.required_skills, null);
    if v_agent is not null then
      update public.tickets t
         set assignee_id = v_agent,
             status = case when t.status = 'new' then 'open'::public.ticket_status else t.status end
       where t.id = v_ticket.id;
      v_count := v_count + 1;
    elsif not exists (select 1 from public.agent_states s join public.queue_members qm on qm.agent_id = s.agent_id
                       where qm.queue_id = p_queue_id and s.status = 'online'
                         and (autocrm_private.capacity_for(s.capacity, p_queue_id) is null
                              or s.open_tickets < autocrm_private.capacity_for(s.capacity, p_queue_id))) then
      exit;  -- nobody online has room: the rest waits too
    end if;
  end loop;
  return v_count;
end;
$$;

-- The safety net (pg_cron, every minute) and a back-office tool: fills every automatic queue. Service role only.
create function public.route_waiting_tickets()
returns integer
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_queue uuid;
  v_count integer := 0;
begin
  if not public.request_is_privileged() then
    raise exception 'only the service role can run the routing sweep' using errcode = '42501';
  end if;
  for v_queue in select r.queue_id from public.queue_routing r where r.mode <> 'manual' order by r.queue_id loop
    v_count := v_count + autocrm_private.fill_queue(v_queue);
  end loop;
  return v_count;
end;
$$;
comment on function public.route_waiting_tickets() is
  'Assigns waiting tickets of every automatic queue to eligible agents with capacity; returns how many. Run every minute by pg_cron as a safety net.';
revoke execute on function public.route_waiting_tickets() from public, anon, authenticated;
grant execute on function public.route_waiting_tickets() to service_role;

do $$
begin
  if exists (select 1 from pg_extension where extname = 'pg_cron') then
    perform cron.schedule('autocrm-route-waiting-tickets', '* * * * *', 'select public.route_waiting_tickets()');
  end if;
end
$$;

-- deployment_status() (autocrm doctor) expects the sweep to be scheduled: 20261205005211's definition with
-- route_waiting_tickets added to the scheduled functions.
create or replace function public.deployment_status()
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_migrations jsonb;
  v_cron_enabled boolean := exists (select 1 from pg_catalog.pg_extension where extname = 'pg_cron');
  v_scheduled jsonb := '[]'::jsonb;
  v_function text;
  v_present boolean;
  v_is_scheduled boolean;
begin
  -- The Supabase CLI's history; absent when the migrations were applied some other way.
  if to_regclass('supabase_migrations.schema_migrations') is not null then
    execute 'select coalesce(jsonb_agg(version order by version), ''[]''::jsonb) from supabase_migrations.schema_migrations'
      into v_migrations;
  end if;

  -- Functions the schema expects pg_cron to run once they exist. A migration that adds such a function adds its
  -- name here; the check starts applying when the function appears.
  foreach v_function in array array['run_due_automations', 'route_waiting_tickets'] loop
    v_present := exists (
      select 1 from pg_catalog.pg_proc p
      where p.pronamespace = 'public'::regnamespace and p.proname = v_function);
    v_is_scheduled := false;
    if v_present and v_cron_enabled then
      execute 'select exists (select 1 from cron.job where active and command ~ $1)'
        into v_is_scheduled
        using '\m' || v_function || '\M';
    end if;
    v_scheduled := v_scheduled || jsonb_build_object('function', v_function, 'present', v_present, 'scheduled', v_is_scheduled);
  end loop;

  return jsonb_build_object(
    'migrations', v_migrations,
    'tables', (
      select coalesce(jsonb_agg(c.relname::text order by c.relname), '[]'::jsonb)
      from pg_catalog.pg_class c
      where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p') and not c.relispartition),
    'tables_without_rls', (
      select coalesce(jsonb_agg(c.relname::text order by c.relname), '[]'::jsonb)
      from pg_catalog.pg_class c
      where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p') and not c.relispartition
        and not c.relrowsecurity),
    'realtime_tables', (
      select coalesce(jsonb_agg(t.tablename::text order by t.tablename), '[]'::jsonb)
      from pg_catalog.pg_publication_tables t
      where t.pubname = 'supabase_realtime' and t.schemaname = 'public'),
    'functions', (
      select coalesce(jsonb_agg(distinct p.proname::text), '[]'::jsonb)
      from pg_catalog.pg_proc p
      where p.pronamespace = 'public'::regnamespace and p.prokind = 'f'
        and pg_catalog.has_function_privilege('authenticated', p.oid, 'execute')),
    'pg_cron', jsonb_build_object('enabled', v_cron_enabled, 'scheduled_functions', v_scheduled)
  );
end
$$;


-- ---------------------------------------------------------------------------
-- Triggers on tickets
-- ---------------------------------------------------------------------------
-- Before insert or update, after every other before trigger (name order; "zz" sorts last): validates required_skills
-- (customers may not set them), and routes an unassigned ticket of an automatic queue: a new ticket, a released one
-- (not back to the agent who released it), one moved into the queue, one reopened, any change of a waiting one; and
-- one whose required skills its assignee lacks or whose assignee is not in its new queue (taken from them, routed).
create function public.tickets_zz_route()
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
    if new.required_skills is distinct from '{}'::text[] and not public.request_is_privileged()
       and coalesce(public.current_app_role()::text, '') not in ('agent', 'admin')
       and current_setting('autocrm.automation_running', true) is distinct from 'on' then
      raise exception 'field "required_skills": only agents and admins set the skills a ticket needs' using errcode = '42501';
    end if;
    new.required_skills := autocrm_private.normalize_skills(new.required_skills, 'required_skills');
  end if;

  if new.queue_id is null or new.status not in ('new', 'open') then
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

create trigger tickets_zz_route
  before insert or update on public.tickets
  for each row execute function public.tickets_zz_route();

-- After insert, update or delete: keeps agent_states.open_tickets and last_assigned_at, refuses an assignment over
-- capacity (see the header for who may exceed it), and lets an online agent whose load dropped take waiting work.
create function public.tickets_agent_load()
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
  end if;

  if v_old is not null then
    update public.agent_states s set open_tickets = s.open_tickets - 1 where s.agent_id = v_old
    returning * into v_state;
    if v_state.status = 'online' then
      perform autocrm_private.fill_agent(v_old, case when tg_op = 'UPDATE' then new.id end);
    end if;
  end if;
  return null;
end;
$$;

-- Only changes that move a count call it (a reply, which touches updated_at, does not).
create trigger tickets_agent_load_insert
  after insert on public.tickets
  for each row when (new.assignee_id is not null)
  execute function public.tickets_agent_load();
create trigger tickets_agent_load_update
  after update on public.tickets
  for each row when (old.assignee_id is distinct from new.assignee_id or old.status is distinct from new.status)
  execute function public.tickets_agent_load();
create trigger tickets_agent_load_delete
  after delete on public.tickets
  for each row when (old.assignee_id is not null)
  execute function public.tickets_agent_load();

-- A new queue member gets a state row (routers lock it) and, if online, the queue's waiting work.
create function public.queue_members_routing()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into public.agent_states (agent_id) values (new.agent_id) on conflict (agent_id) do nothing;
  perform autocrm_private.fill_agent(new.agent_id);
  return null;
end;
$$;

create trigger queue_members_routing
  after insert on public.queue_members
  for each row execute function public.queue_members_routing();

revoke execute on function public.tickets_zz_route(), public.tickets_agent_load(), public.queue_members_routing(),
  autocrm_private.normalize_skills(text[], text), autocrm_private.capacity_for(integer, uuid),
  autocrm_private.lock_queue_agents(uuid, uuid), autocrm_private.pick_agent(uuid, public.routing_mode, text[], uuid),
  autocrm_private.fill_agent(uuid, uuid), autocrm_private.fill_queue(uuid)
  from public, anon, authenticated;

-- Load of the tickets that exist already.
create function public.recount_agent_loads()
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into public.agent_states (agent_id)
  select distinct t.assignee_id from public.tickets t
   where t.assignee_id is not null and t.status in ('new', 'open', 'pending', 'on_hold')
  on conflict (agent_id) do nothing;
  update public.agent_states s
     set open_tickets = coalesce((select count(*) from public.tickets t
                                   where t.assignee_id = s.agent_id
                                     and t.status in ('new', 'open', 'pending', 'on_hold')), 0);
end;
$$;
comment on function public.recount_agent_loads() is
  'Recounts agent_states.open_tickets from the tickets (after a bulk load with triggers off). Back-office only.';
revoke execute on function public.recount_agent_loads() from public, anon, authenticated, service_role;
select public.recount_agent_loads();

-- Starts from 20261205072300_csat_and_metric_facts.sql's definition (the newest) and adds the agent loads.
create or replace function public.refresh_generated_data()
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  perform public.rebuild_ticket_staff_activity();
  perform autocrm_private.build_missing_search_documents();
  perform public.recount_queue_tickets();
  perform autocrm_private.backfill_ticket_metric_facts();
  perform public.recount_agent_loads();
end;
$$;
comment on function public.refresh_generated_data() is
  'Rebuilds trigger-maintained data (staff activity, search documents, vocabulary, queue counters, metric facts, agent loads) after a bulk load with triggers off.';

-- ---------------------------------------------------------------------------
-- The API
-- ---------------------------------------------------------------------------
-- set_agent_status: an agent sets their own status (admins and the service role may set anyone's; the hosts set
-- offline on sign-out). Coming online takes waiting work up to capacity in the same transaction.
create function public.set_agent_status(status public.agent_status, agent_id uuid default null)
returns public.agent_states
language plpgsql
volatile
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_uid uuid := auth.uid();
  v_role public.app_role := public.current_app_role();
  v_privileged boolean := public.request_is_privileged();
  v_agent uuid := coalesce(set_agent_status.agent_id, v_uid);
  v_state public.agent_states;
begin
  if set_agent_status.status is null then
    raise exception 'field "status": status must be online, away or offline' using errcode = '23514';
  end if;
  if v_agent is null then
    raise exception 'set_agent_status needs a signed-in agent or an agent_id' using errcode = '42501';
  end if;
  if not v_privileged and v_role is distinct from 'agent' and v_role is distinct from 'admin' then
    raise exception 'only agents have a status' using errcode = '42501';
  end if;
  if not v_privileged and v_role is distinct from 'admin' and v_agent is distinct from v_uid then
    raise exception 'agents set only their own status' using errcode = '42501';
  end if;
  if not exists (select 1 from public.profiles p where p.id = v_agent and p.role in ('agent', 'admin')) then
    raise exception 'agent % not found', v_agent using errcode = 'PT404';
  end if;
  insert into public.agent_states as s (agent_id, status, status_changed_at)
  values (v_agent, set_agent_status.status, now())
  on conflict (agent_id) do update
    set status = excluded.status,
        status_changed_at = case when s.status = excluded.status then s.status_changed_at else excluded.status_changed_at end
  returning * into v_state;
  if v_state.status = 'online' then
    perform autocrm_private.fill_agent(v_agent);
    select * into v_state from public.agent_states s where s.agent_id = v_agent;
  end if;
  return v_state;
end;
$$;
comment on function public.set_agent_status(public.agent_status, uuid) is
  'Sets an agent''s availability (own; admins: anyone). Online takes waiting tickets of automatic queues up to capacity.';

-- set_agent_capacity: admins set an agent's capacity override (null = inherit). Raising it gives waiting work at once.
create function public.set_agent_capacity(agent_id uuid, capacity integer)
returns public.agent_states
language plpgsql
volatile
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_state public.agent_states;
begin
  if not public.request_is_privileged() and public.current_app_role() is distinct from 'admin' then
    raise exception 'only an admin can change capacity' using errcode = '42501';
  end if;
  if set_agent_capacity.capacity is not null and set_agent_capacity.capacity not between 0 and 1000 then
    raise exception 'field "capacity": capacity must be a whole number from 0 to 1000 (or null to inherit)' using errcode = '23514';
  end if;
  if not exists (select 1 from public.profiles p where p.id = set_agent_capacity.agent_id and p.role in ('agent', 'admin')) then
    raise exception 'agent % not found', set_agent_capacity.agent_id using errcode = 'PT404';
  end if;
  insert into public.agent_states as s (agent_id, capacity) values (set_agent_capacity.agent_id, set_agent_capacity.capacity)
  on conflict (agent_id) do update set capacity = excluded.capacity
  returning * into v_state;
  perform autocrm_private.fill_agent(v_state.agent_id);
  select * into v_state from public.agent_states s where s.agent_id = set_agent_capacity.agent_id;
  return v_state;
end;
$$;
comment on function public.set_agent_capacity(uuid, integer) is
  'Sets an agent''s capacity override (admin; null inherits the queue''s or the default).';

-- set_agent_skills: admins set an agent's skills (the whole list).
create function public.set_agent_skills(agent_id uuid, skills text[])
returns public.agent_states
language plpgsql
volatile
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_skills text[];
  v_state public.agent_states;
begin
  if not public.request_is_privileged() and public.current_app_role() is distinct from 'admin' then
    raise exception 'only an admin can change skills' using errcode = '42501';
  end if;
  v_skills := autocrm_private.normalize_skills(set_agent_skills.skills, 'skills');
  if not exists (select 1 from public.profiles p where p.id = set_agent_skills.agent_id and p.role in ('agent', 'admin')) then
    raise exception 'agent % not found', set_agent_skills.agent_id using errcode = 'PT404';
  end if;
  insert into public.agent_states as s (agent_id, skills) values (set_agent_skills.agent_id, v_skills)
  on conflict (agent_id) do update set skills = excluded.skills
  returning * into v_state;
  perform autocrm_private.fill_agent(v_state.agent_id);
  select * into v_state from public.agent_states s where s.agent_id = set_agent_skills.agent_id;
  return v_state;
end;
$$;
comment on function public.set_agent_skills(uuid, text[]) is 'Sets an agent''s skills (admin; the whole list).';

-- set_queue_routing: admins set a queue's mode and capacity override. Becoming automatic (or raising the capacity)
-- places the queue's waiting tickets at once.
create function public.set_queue_routing(queue_id uuid, mode public.routing_mode, capacity integer default null)
returns public.queue_routing
language plpgsql
volatile
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_row public.queue_routing;
begin
  if not public.request_is_privileged() and public.current_app_role() is distinct from 'admin' then
    raise exception 'only an admin can change a queue''s routing' using errcode = '42501';
  end if;
  if set_queue_routing.mode is null then
    raise exception 'field "mode": mode must be manual, round_robin or least_loaded' using errcode = '23514';
  end if;
  if set_queue_routing.capacity is not null and set_queue_routing.capacity not between 0 and 1000 then
    raise exception 'field "capacity": capacity must be a whole number from 0 to 1000 (or null to inherit)' using errcode = '23514';
  end if;
  if not exists (select 1 from public.queues q where q.id = set_queue_routing.queue_id) then
    raise exception 'queue % not found', set_queue_routing.queue_id using errcode = 'PT404';
  end if;
  insert into public.queue_routing as r (queue_id, mode, capacity, updated_at)
  values (set_queue_routing.queue_id, set_queue_routing.mode, set_queue_routing.capacity, now())
  on conflict (queue_id) do update set mode = excluded.mode, capacity = excluded.capacity, updated_at = excluded.updated_at
  returning * into v_row;
  perform autocrm_private.fill_queue(v_row.queue_id);
  return v_row;
end;
$$;
comment on function public.set_queue_routing(uuid, public.routing_mode, integer) is
  'Sets a queue''s routing mode and capacity override (admin). Automatic modes place waiting tickets at once.';

-- set_routing_defaults: admins set the default capacity (null = no limit).
create function public.set_routing_defaults(default_capacity integer)
returns public.routing_settings
language plpgsql
volatile
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_row public.routing_settings;
  v_queue uuid;
begin
  if not public.request_is_privileged() and public.current_app_role() is distinct from 'admin' then
    raise exception 'only an admin can change routing defaults' using errcode = '42501';
  end if;
  if set_routing_defaults.default_capacity is not null and set_routing_defaults.default_capacity not between 0 and 1000 then
    raise exception 'field "default_capacity": capacity must be a whole number from 0 to 1000 (or null for no limit)'
      using errcode = '23514';
  end if;
  update public.routing_settings s set default_capacity = set_routing_defaults.default_capacity, updated_at = now()
  returning * into v_row;
  for v_queue in select r.queue_id from public.queue_routing r where r.mode <> 'manual' order by r.queue_id loop
    perform autocrm_private.fill_queue(v_queue);
  end loop;
  return v_row;
end;
$$;
comment on function public.set_routing_defaults(integer) is 'Sets the default capacity per agent (admin; null = no limit).';

revoke execute on function public.set_agent_status(public.agent_status, uuid), public.set_agent_capacity(uuid, integer),
  public.set_agent_skills(uuid, text[]), public.set_queue_routing(uuid, public.routing_mode, integer),
  public.set_routing_defaults(integer)
  from public, anon;
grant execute on function public.set_agent_status(public.agent_status, uuid), public.set_agent_capacity(uuid, integer),
  public.set_agent_skills(uuid, text[]), public.set_queue_routing(uuid, public.routing_mode, integer),
  public.set_routing_defaults(integer)
  to authenticated, service_role;

-- ---------------------------------------------------------------------------
-- claim_next_ticket: 20261205004332's contract and statement, bounded by the caller's capacity and skills in every
-- mode. The caller's state row is locked first (blocking: a concurrent assignment to the same agent commits, then this
-- claim sees its count); a queue whose capacity the caller has reached offers nothing; tickets needing a skill the
-- caller lacks are skipped. Returns no row when nothing is claimable (nothing waiting, or the caller is full).
-- ---------------------------------------------------------------------------
create or replace function public.claim_next_ticket(queue_id uuid default null)
returns setof public.tickets
language plpgsql
volatile
security definer
set search_path = ''
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

  -- Only the queues where the caller has room.
  v_queues := array(select q.queue_id from unnest(v_queues) as q (queue_id)
                     where autocrm_private.capacity_for(v_state.capacity, q.queue_id) is null
                        or v_state.open_tickets < autocrm_private.capacity_for(v_state.capacity, q.queue_id));

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
comment on function public.claim_next_ticket(uuid) is
  'Claims the next unassigned new/open ticket (urgent first, then oldest) from the caller''s queues or the named queue, within the caller''s capacity and skills; returns it, or no row.';
