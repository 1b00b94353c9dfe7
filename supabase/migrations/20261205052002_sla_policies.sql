-- SLA policies and per-ticket SLA clocks, kept current in the transaction of every ticket and message change, and
-- public.run_due_automations(now), which records missed targets exactly once (scheduled every minute by pg_cron
-- where it is enabled). docs/sla.md describes the semantics. Forward-only.
--
-- Trigger order. Triggers of one kind fire in name order:
--   tickets AFTER:          tickets_count_*, tickets_emit_webhooks, tickets_fields_*, tickets_record_events,
--                           tickets_search_document_*, tickets_sla_insert / tickets_sla_status, tickets_zz_automation
--   ticket_messages AFTER:  ticket_messages_after_insert (touches the ticket: a requester's reply reopens it, which
--                           resumes its clocks first), ticket_messages_emit_webhooks, ticket_messages_search_document_*,
--                           ticket_messages_sla, ticket_messages_zz_automation
-- The SLA triggers are new triggers beside main's (no existing trigger function is redefined); "sla" sorts before
-- "zz", so the clocks are current when rules run, and a rule's own update of the ticket passes through them again.

-- The business-time helpers of 20261205042636_business_hours.sql, made inlinable: a SQL function with its own
-- search_path is not inlined, and PostgreSQL 15 then plans its query again on every call (about 0.5 ms per due time,
-- paid twice on every ticket insert under a policy with a calendar). Their bodies name every object by schema
-- (pg_catalog is always searched first), so they do not need the setting.
alter function autocrm_private.business_week(jsonb) reset search_path;
alter function autocrm_private.business_intervals(text, int4multirange, date[], date, integer) reset search_path;

-- ---------------------------------------------------------------------------
-- sla_policies (admins write, staff read)
-- ---------------------------------------------------------------------------
create table public.sla_policies (
  id uuid not null primary key default gen_random_uuid(),
  name text not null,
  position integer not null default 0,
  active boolean not null default true,
  conditions jsonb not null default '{}'::jsonb,
  targets jsonb not null,
  business_hours_id uuid references public.business_hours (id) on delete restrict,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint sla_policies_name_length check (char_length(btrim(name)) between 1 and 100)
);
comment on table public.sla_policies is
  'SLA policies: the first active policy (by position) whose conditions hold sets a ticket''s targets (docs/sla.md).';
comment on column public.sla_policies.targets is
  '{"<priority>": {"first_reply": minutes, "next_reply": minutes, "resolution": minutes}}; a missing entry: no target.';
comment on column public.sla_policies.business_hours_id is 'The calendar targets are counted in; null: calendar time.';
create index sla_policies_active_position_idx on public.sla_policies (position, id) where active;

create function autocrm_private.raise_sla_policy_error(p_field text, p_path text, p_problem text)
returns void
language plpgsql
immutable
set search_path = ''
as $$
begin
  raise exception 'field "%": %', p_field, case when p_path = '' then p_problem else p_path || ': ' || p_problem end
    using errcode = '23514',
          detail = jsonb_build_object('field', p_field, 'rule', 'sla_policy', 'path', p_path)::text;
end;
$$;

create function public.sla_policies_before_write()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_priority text;
  v_metric text;
  v_value jsonb;
begin
  new.name := btrim(new.name);
  -- The shared vocabulary, on ticket fields (a policy is chosen when a clock starts, not for a message).
  perform public.validate_conditions(new.conditions, 'ticket_updated', 'conditions');
  if jsonb_typeof(new.targets) is distinct from 'object' or new.targets = '{}'::jsonb then
    perform autocrm_private.raise_sla_policy_error('targets', '',
      'an object of priorities, e.g. {"urgent": {"first_reply": 30, "resolution": 240}}');
  end if;
  for v_priority, v_value in select key, value from jsonb_each(new.targets) loop
    if v_priority not in ('low', 'normal', 'high', 'urgent') then
      perform autocrm_private.raise_sla_policy_error('targets', v_priority, 'not a priority; use low, normal, high or urgent');
    end if;
    if jsonb_typeof(v_value) is distinct from 'object' or v_value = '{}'::jsonb then
      perform autocrm_private.raise_sla_policy_error('targets', v_priority,
        'an object of metrics {"first_reply", "next_reply", "resolution"} in minutes');
    end if;
    for v_metric in select jsonb_object_keys(v_value) loop
      if v_metric not in ('first_reply', 'next_reply', 'resolution') then
        perform autocrm_private.raise_sla_policy_error('targets', v_priority || '.' || v_metric,
          'not a metric; use first_reply, next_reply or resolution');
      end if;
      if jsonb_typeof(v_value -> v_metric) is distinct from 'number'
         or (v_value ->> v_metric)::numeric <> trunc((v_value ->> v_metric)::numeric)
         or (v_value ->> v_metric)::numeric not between 1 and 525600 then
        perform autocrm_private.raise_sla_policy_error('targets', v_priority || '.' || v_metric,
          'a whole number of minutes from 1 to 525600 (a year)');
      end if;
    end loop;
  end loop;
  if tg_op = 'UPDATE' then
    new.id := old.id;
    new.created_at := old.created_at;
  else
    new.created_at := now();
  end if;
  new.updated_at := now();
  return new;
end;
$$;

create trigger sla_policies_before_write
  before insert or update on public.sla_policies
  for each row execute function public.sla_policies_before_write();

alter table public.sla_policies enable row level security;
create policy sla_policies_select on public.sla_policies
  for select to authenticated
  using ((select public.current_app_role()) in ('agent', 'admin'));
create policy sla_policies_admin_insert on public.sla_policies
  for insert to authenticated
  with check ((select public.current_app_role()) = 'admin');
create policy sla_policies_admin_update on public.sla_policies
  for update to authenticated
  using ((select public.current_app_role()) = 'admin')
  with check ((select public.current_app_role()) = 'admin');
create policy sla_policies_admin_delete on public.sla_policies
  for delete to authenticated
  using ((select public.current_app_role()) = 'admin');
revoke all on public.sla_policies from anon;
revoke truncate on public.sla_policies from authenticated;

-- ---------------------------------------------------------------------------
-- ticket_slas: one clock per ticket and metric (written only by the database; staff read those of tickets they see)
-- ---------------------------------------------------------------------------
create table public.ticket_slas (
  ticket_id uuid not null references public.tickets (id) on delete cascade,
  metric text not null,
  policy_id uuid references public.sla_policies (id) on delete set null,
  business_hours_id uuid references public.business_hours (id) on delete set null,
  target_minutes integer not null,
  started_at timestamptz not null,
  due_at timestamptz,
  paused_at timestamptz,
  remaining_minutes numeric,
  fulfilled_at timestamptz,
  breached_at timestamptz,
  primary key (ticket_id, metric),
  constraint ticket_slas_metric_check check (metric in ('first_reply', 'next_reply', 'resolution')),
  constraint ticket_slas_paused_check check ((paused_at is null) = (remaining_minutes is null)
                                             and (paused_at is null or due_at is null))
);
comment on table public.ticket_slas is
  'SLA clocks: due_at while running; paused_at and remaining_minutes (business minutes left) while the ticket is pending, '
  'on hold, solved or closed; fulfilled_at when met; breached_at when run_due_automations found it missed (docs/sla.md).';

-- run_due_automations reads the running clocks in due order: the work is proportional to what is due, not to the table.
create index ticket_slas_due_idx on public.ticket_slas (due_at)
  where fulfilled_at is null and breached_at is null and due_at is not null;

alter table public.ticket_slas enable row level security;
create policy ticket_slas_select on public.ticket_slas
  for select to authenticated
  using ((select public.current_app_role()) in ('agent', 'admin')
         and exists (select 1 from public.tickets t where t.id = ticket_slas.ticket_id));
revoke all on public.ticket_slas from anon;
revoke insert, update, delete, truncate on public.ticket_slas from authenticated;

-- ---------------------------------------------------------------------------
-- The clocks
-- ---------------------------------------------------------------------------

-- A clock runs while its ticket is new or open.
create function autocrm_private.sla_status_runs(p_status public.ticket_status)
returns boolean
language sql
immutable
parallel safe
set search_path = ''
as $$ select p_status in ('new', 'open') $$;

-- The active policies compiled into one function, as the rule engine compiles its rules (docs/automation.md, "Cost"):
-- autocrm_private.sla_policy_match(context) returns the id of the first active policy, by position, whose conditions
-- hold, with every condition a constant the planner folds down (evaluating the stored conditions generically costs
-- milliseconds per ticket write). Recompiled after every change of sla_policies.
create function autocrm_private.sla_policy_match(c jsonb)
returns uuid language sql immutable set search_path = '' as $$ select null::uuid $$;

create function autocrm_private.compile_sla_policies()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_body text := '';
  v_all text;
  v_any text;
  r record;
begin
  if tg_when = 'BEFORE' then
    -- One writer at a time, so the compilation after the statement sees every committed policy (as for rules).
    perform pg_advisory_xact_lock(hashtext('autocrm.sla_policies'));
    return null;
  end if;
  for r in select p.id, p.conditions from public.sla_policies p where p.active order by p.position, p.id loop
    select string_agg(format('public.condition_holds(%L::jsonb, c)', e::text), ' and ') into v_all
      from jsonb_array_elements(coalesce(r.conditions -> 'all', '[]'::jsonb)) e;
    select string_agg(format('public.condition_holds(%L::jsonb, c)', e::text), ' or ') into v_any
      from jsonb_array_elements(coalesce(r.conditions -> 'any', '[]'::jsonb)) e;
    v_body := v_body || format(E'  if %s and %s then\n    return %L::uuid;\n  end if;\n',
      coalesce(v_all, 'true'), coalesce('(' || v_any || ')', 'true'), r.id);
  end loop;
  execute format('create or replace function autocrm_private.sla_policy_match(c jsonb) returns uuid language plpgsql '
                 'immutable set search_path = '''' as %L', E'begin\n' || v_body || E'  return null;\nend');
  return null;
end;
$$;

create trigger sla_policies_compile_lock
  before insert or update or delete or truncate on public.sla_policies
  for each statement execute function autocrm_private.compile_sla_policies();
create trigger sla_policies_compile
  after insert or update or delete or truncate on public.sla_policies
  for each statement execute function autocrm_private.compile_sla_policies();

-- The policy for a ticket now: the first active one, by position, whose conditions hold.
create function autocrm_private.sla_policy_for(p_ticket_id uuid)
returns public.sla_policies
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_id uuid;
  v_policy public.sla_policies;
begin
  if not exists (select 1 from public.sla_policies p where p.active) then
    return null;
  end if;
  v_id := autocrm_private.sla_policy_match(jsonb_build_object(
    'ticket', autocrm_private.automation_ticket(p_ticket_id), 'old', null, 'message', null,
    'actor_role', autocrm_private.automation_actor_role()));
  if v_id is not null then
    select p.* into v_policy from public.sla_policies p where p.id = v_id;
  end if;
  return v_policy;
end;
$$;

-- Starts (or restarts) one clock of a ticket with the policy's target for the ticket's priority; no target, no clock
-- (an earlier clock of that metric is then left as it was).
create function autocrm_private.sla_start_clock(
  p_ticket public.tickets, p_policy public.sla_policies, p_metric text, p_at timestamptz)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_target integer := (p_policy.targets -> p_ticket.priority::text ->> p_metric)::integer;
  v_runs boolean := autocrm_private.sla_status_runs(p_ticket.status);
begin
  if p_policy.id is null or v_target is null then
    return;
  end if;
  insert into public.ticket_slas as s (ticket_id, metric, policy_id, business_hours_id, target_minutes, started_at,
                                       due_at, paused_at, remaining_minutes, fulfilled_at, breached_at)
  values (p_ticket.id, p_metric, p_policy.id, p_policy.business_hours_id, v_target, p_at,
          case when v_runs then autocrm_private.sla_add(p_policy.business_hours_id, p_at, v_target) end,
          case when v_runs then null else p_at end,
          case when v_runs then null else v_target end,
          null, null)
  on conflict (ticket_id, metric) do update
    set policy_id = excluded.policy_id, business_hours_id = excluded.business_hours_id,
        target_minutes = excluded.target_minutes, started_at = excluded.started_at, due_at = excluded.due_at,
        paused_at = excluded.paused_at, remaining_minutes = excluded.remaining_minutes,
        fulfilled_at = null, breached_at = null;
end;
$$;

-- Business-time arithmetic on a calendar id as the database owner (the clocks' calendars, whoever writes the ticket).
create function autocrm_private.sla_add(p_calendar uuid, p_from timestamptz, p_minutes numeric)
returns timestamptz
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_calendar public.business_hours;
begin
  if p_calendar is not null then
    select * into v_calendar from public.business_hours b where b.id = p_calendar;
  end if;
  if v_calendar.id is null then
    return p_from + round(p_minutes * 60000000)::float8 * interval '1 microsecond';
  end if;
  return autocrm_private.business_time_add(v_calendar.time_zone, autocrm_private.business_week(v_calendar.intervals),
                                           v_calendar.holidays, p_from, p_minutes);
end;
$$;

create function autocrm_private.sla_minutes_between(p_calendar uuid, p_from timestamptz, p_to timestamptz)
returns numeric
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_calendar public.business_hours;
begin
  if p_calendar is not null then
    select * into v_calendar from public.business_hours b where b.id = p_calendar;
  end if;
  if v_calendar.id is null then
    return (extract(epoch from p_to) - extract(epoch from p_from)) / 60;
  end if;
  return autocrm_private.business_minutes_between(v_calendar.time_zone,
    autocrm_private.business_week(v_calendar.intervals), v_calendar.holidays, p_from, p_to);
end;
$$;

-- A new ticket: first_reply and resolution clocks from the policy that holds for it.
create function public.tickets_sla_insert()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_policy public.sla_policies := autocrm_private.sla_policy_for(new.id);
begin
  if v_policy.id is null then
    return null;
  end if;
  perform autocrm_private.sla_start_clock(new, v_policy, 'first_reply', now());
  perform autocrm_private.sla_start_clock(new, v_policy, 'resolution', now());
  if new.status in ('solved', 'closed') then
    update public.ticket_slas s set fulfilled_at = now(), paused_at = null, remaining_minutes = null
     where s.ticket_id = new.id and s.metric = 'resolution';
  end if;
  return null;
end;
$$;

-- A status change: pause (pending, on_hold, solved, closed) keeping the business time left, resume with it (new,
-- open), fulfil resolution on solve, and restart resolution when a solved or closed ticket is reopened.
create function public.tickets_sla_status()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_now timestamptz := now();
  v_runs boolean := autocrm_private.sla_status_runs(new.status);
  v_ran boolean := autocrm_private.sla_status_runs(old.status);
begin
  if new.status in ('solved', 'closed') and old.status not in ('solved', 'closed') then
    update public.ticket_slas s set fulfilled_at = v_now, paused_at = null, remaining_minutes = null
     where s.ticket_id = new.id and s.metric = 'resolution' and s.fulfilled_at is null;
  end if;
  if v_ran and not v_runs then
    update public.ticket_slas s
       set paused_at = v_now,
           remaining_minutes = greatest(autocrm_private.sla_minutes_between(s.business_hours_id, v_now, s.due_at), 0),
           due_at = null
     where s.ticket_id = new.id and s.fulfilled_at is null and s.due_at is not null;
  elsif v_runs and not v_ran then
    update public.ticket_slas s
       set due_at = autocrm_private.sla_add(s.business_hours_id, v_now, s.remaining_minutes),
           paused_at = null, remaining_minutes = null
     where s.ticket_id = new.id and s.fulfilled_at is null and s.paused_at is not null;
    if old.status in ('solved', 'closed') then
      perform autocrm_private.sla_start_clock(new, autocrm_private.sla_policy_for(new.id), 'resolution', v_now);
    end if;
  end if;
  return null;
end;
$$;

-- A public message: an agent's or admin's reply fulfils first_reply and next_reply; the requester's message starts a
-- next_reply clock once an agent has replied, unless one is already running (the oldest unanswered message counts).
-- Internal notes never reach this trigger, and replies without an author (automation) fulfil nothing.
create function public.ticket_messages_sla()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_ticket public.tickets;
  v_author_role public.app_role := (select p.role from public.profiles p where p.id = new.author_id);
begin
  select * into v_ticket from public.tickets t where t.id = new.ticket_id;
  if new.author_id is distinct from v_ticket.requester_id and v_author_role in ('agent', 'admin') then
    update public.ticket_slas s set fulfilled_at = new.created_at, paused_at = null, remaining_minutes = null
     where s.ticket_id = new.ticket_id and s.metric in ('first_reply', 'next_reply') and s.fulfilled_at is null;
  elsif new.author_id = v_ticket.requester_id and v_ticket.first_response_at is not null
        and not exists (select 1 from public.ticket_slas s
                         where s.ticket_id = new.ticket_id and s.metric = 'next_reply' and s.fulfilled_at is null) then
    perform autocrm_private.sla_start_clock(v_ticket, autocrm_private.sla_policy_for(new.ticket_id), 'next_reply',
                                            new.created_at);
  end if;
  return null;
end;
$$;

revoke execute on function autocrm_private.raise_sla_policy_error(text, text, text),
  autocrm_private.sla_policy_match(jsonb), autocrm_private.compile_sla_policies(),
  autocrm_private.sla_status_runs(public.ticket_status), autocrm_private.sla_policy_for(uuid),
  autocrm_private.sla_start_clock(public.tickets, public.sla_policies, text, timestamptz),
  autocrm_private.sla_add(uuid, timestamptz, numeric), autocrm_private.sla_minutes_between(uuid, timestamptz, timestamptz),
  public.sla_policies_before_write(), public.tickets_sla_insert(), public.tickets_sla_status(),
  public.ticket_messages_sla()
  from public, anon, authenticated;

create trigger tickets_sla_insert
  after insert on public.tickets
  for each row execute function public.tickets_sla_insert();
create trigger tickets_sla_status
  after update of status on public.tickets
  for each row when (old.status is distinct from new.status)
  execute function public.tickets_sla_status();
create trigger ticket_messages_sla
  after insert on public.ticket_messages
  for each row when (new.visibility = 'public')
  execute function public.ticket_messages_sla();

-- ---------------------------------------------------------------------------
-- ticket_events: sla_breached (internal: staff only), changes = {"metric", "due_at"}
-- ---------------------------------------------------------------------------
-- From 20261205014501_automation_rules.sql (the newest definition), plus sla_breached.
alter table public.ticket_events drop constraint ticket_events_kind_check;
alter table public.ticket_events add constraint ticket_events_kind_check check (kind in (
  'created', 'status_changed', 'priority_changed', 'assignee_changed', 'queue_changed', 'tags_changed',
  'fields_changed', 'rule_applied', 'rule_loop_stopped', 'sla_breached')) not valid;
alter table public.ticket_events validate constraint ticket_events_kind_check;

-- ---------------------------------------------------------------------------
-- Time-based work
-- ---------------------------------------------------------------------------

-- Records the clocks that are due by `now` and not met as breached: one sla_breached event and one sla.breached
-- webhook event each, exactly once however many sessions run it at the same moment (the due clocks are locked with
-- SKIP LOCKED, and a clock another session has just marked no longer qualifies when it is re-read). At most 10,000
-- per call, earliest first; the rest on the next call. Returns how many it recorded.
create function public.run_due_automations(now timestamptz default now())
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_count integer := 0;
  r record;
begin
  for r in
    with due as (
      select s.ticket_id, s.metric
        from public.ticket_slas s
       where s.due_at <= run_due_automations.now and s.fulfilled_at is null and s.breached_at is null
         and s.due_at is not null
       order by s.due_at
       limit 10000
         for update skip locked
    )
    update public.ticket_slas s
       set breached_at = run_due_automations.now
      from due
     where s.ticket_id = due.ticket_id and s.metric = due.metric
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
  return v_count;
end;
$$;
comment on function public.run_due_automations(timestamptz) is
  'Time-based work due by `now`: records missed SLA targets (sla_breached events, sla.breached webhooks) exactly once.';
revoke execute on function public.run_due_automations(timestamptz) from public, anon, authenticated;
grant execute on function public.run_due_automations(timestamptz) to service_role;

-- Every minute, where pg_cron is enabled (docs/deploy.md#pg_cron); databases without it call the function themselves.
do $$
begin
  if exists (select 1 from pg_extension where extname = 'pg_cron') then
    perform cron.schedule('autocrm-run-due-automations', '* * * * *', 'select public.run_due_automations()');
  end if;
end
$$;
