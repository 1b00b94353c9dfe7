-- Automation rules: admins define event rules (conditions + actions, shared vocabulary); the database runs them in
-- the transaction of the change that triggers them, records every firing in ticket_events and stops loops.
-- docs/automation.md describes the semantics. Forward-only.

-- ---------------------------------------------------------------------------
-- automation_rules (admins only)
-- ---------------------------------------------------------------------------
create table public.automation_rules (
  id uuid not null primary key default gen_random_uuid(),
  name text not null,
  description text not null default '',
  position integer not null default 0,
  active boolean not null default true,
  event text not null,
  conditions jsonb not null default '{}'::jsonb,
  actions jsonb not null,
  created_by uuid default auth.uid() references public.profiles (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint automation_rules_name_length check (char_length(btrim(name)) between 1 and 100),
  constraint automation_rules_description_length check (char_length(description) <= 1000),
  constraint automation_rules_event_check check (event in ('ticket_created', 'ticket_updated', 'message_created'))
);
comment on table public.automation_rules is
  'Event rules run by the database in position order in the transaction of each ticket change (docs/automation.md).';

-- The engine reads the active rules of one event in order.
create index automation_rules_event_position_idx on public.automation_rules (event, position, id) where active;

-- Validate on write: a rule that could not run as written is refused with an error naming the bad part.
create function public.automation_rules_before_write()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  new.name := btrim(new.name);
  perform public.validate_conditions(new.conditions, new.event, 'conditions');
  perform public.validate_actions(new.actions, 'rule', 'actions');
  if tg_op = 'UPDATE' then
    new.id := old.id;
    new.created_at := old.created_at;
    new.created_by := old.created_by;
  else
    new.created_at := now();
  end if;
  new.updated_at := now();
  return new;
end;
$$;

create trigger automation_rules_before_write
  before insert or update on public.automation_rules
  for each row execute function public.automation_rules_before_write();

alter table public.automation_rules enable row level security;
create policy automation_rules_admin on public.automation_rules
  for all to authenticated
  using ((select public.current_app_role()) = 'admin')
  with check ((select public.current_app_role()) = 'admin');
revoke all on public.automation_rules from anon;

-- ---------------------------------------------------------------------------
-- automation_notifications: what notify actions recorded, for integrations to pick up (admins read it; the engine
-- writes it). When the webhooks outbox (public.emit_webhook_event) exists, each one is also queued there as a
-- rule.notify event.
-- ---------------------------------------------------------------------------
create table public.automation_notifications (
  id bigint generated always as identity primary key,
  ticket_id uuid not null references public.tickets (id) on delete cascade,
  rule_id uuid references public.automation_rules (id) on delete set null,
  rule_name text not null,
  payload jsonb not null,
  created_at timestamptz not null default now()
);
comment on table public.automation_notifications is
  'One row per notify action an automation rule ran (payload = the action''s value); the outbox for integrations.';
create index automation_notifications_ticket_idx on public.automation_notifications (ticket_id, id);

alter table public.automation_notifications enable row level security;
create policy automation_notifications_select on public.automation_notifications
  for select to authenticated
  using ((select public.current_app_role()) = 'admin');
revoke insert, update, delete, truncate on public.automation_notifications from anon, authenticated;
revoke all on public.automation_notifications from anon;

-- ---------------------------------------------------------------------------
-- ticket_events: rule_applied (one event per firing and visibility: public changes, and an internal event for
-- notes, notifications and agent-only fields) and rule_loop_stopped (internal), with the rule's id and name.
-- ---------------------------------------------------------------------------
alter table public.ticket_events
  add column rule_id uuid references public.automation_rules (id) on delete set null,
  add column rule_name text;
comment on column public.ticket_events.rule_id is 'rule_applied / rule_loop_stopped: the automation rule (null once deleted).';
comment on column public.ticket_events.rule_name is 'rule_applied / rule_loop_stopped: the rule''s name when it ran.';

-- From 20261204230101_ticket_field_values.sql (the newest definition), plus the two automation kinds.
alter table public.ticket_events drop constraint ticket_events_kind_check;
alter table public.ticket_events add constraint ticket_events_kind_check check (kind in (
  'created', 'status_changed', 'priority_changed', 'assignee_changed', 'queue_changed', 'tags_changed',
  'fields_changed', 'rule_applied', 'rule_loop_stopped')) not valid;
alter table public.ticket_events validate constraint ticket_events_kind_check;

-- ---------------------------------------------------------------------------
-- The engine.
-- ---------------------------------------------------------------------------

-- How many rounds of rules one change may cause: round 1 runs on the change, each later round on the changes of the
-- round before. A chain longer than this is stopped and recorded (rule_loop_stopped, reason depth).
create function public.automation_max_depth()
returns integer
language sql
immutable
parallel safe
set search_path = ''
as $$ select 5 $$;

-- The ticket columns rules can change, and how a ticket (as JSON) differs in them: {field: [old, new]}, including
-- metadata keys (custom fields).
create function autocrm_private.automation_changes(p_before jsonb, p_after jsonb)
returns jsonb
language sql
immutable
parallel safe
set search_path = ''
as $$
  select coalesce(jsonb_object_agg(c.field, jsonb_build_array(c.old, c.new)), '{}'::jsonb)
    from (select f as field, p_before -> f as old, p_after -> f as new
            from unnest(array['status', 'priority', 'queue_id', 'assignee_id', 'tags']) f
          union all
          select k, p_before -> 'metadata' -> k, p_after -> 'metadata' -> k
            from (select jsonb_object_keys(coalesce(p_before -> 'metadata', '{}'::jsonb)) k
                  union
                  select jsonb_object_keys(coalesce(p_after -> 'metadata', '{}'::jsonb))) keys) c
   where c.old is distinct from c.new
$$;

-- Raises an action's problem at run time, naming the rule (the triggering change rolls back with it).
create function autocrm_private.raise_rule_error(p_rule jsonb, p_action text, p_problem text, p_errcode text)
returns void
language plpgsql
immutable
set search_path = ''
as $$
begin
  raise exception 'automation rule "%": %: %', p_rule ->> 'name', p_action, p_problem
    using errcode = p_errcode,
          detail = jsonb_build_object('rule_id', p_rule ->> 'id', 'rule_name', p_rule ->> 'name', 'action', p_action)::text;
end;
$$;

-- Checks at run time what may have changed since a rule was saved (a queue deleted, an agent demoted, a field
-- redefined), so that a failing action names its rule.
create function autocrm_private.check_rule_actions(p_rule jsonb)
returns void
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_action jsonb;
  v_value jsonb;
  v_problem jsonb;
begin
  for v_action in select e from jsonb_array_elements(p_rule -> 'actions') e loop
    v_value := v_action -> 'value';
    case v_action ->> 'type'
      when 'set_queue' then
        if v_value <> 'null'::jsonb and not exists (select 1 from public.queues q where q.id = (v_value #>> '{}')::uuid) then
          perform autocrm_private.raise_rule_error(p_rule, 'set_queue', format('queue %s no longer exists', v_value #>> '{}'), '23503');
        end if;
      when 'assign' then
        if v_value <> '"none"'::jsonb and not exists (
             select 1 from public.profiles p where p.id = (v_value #>> '{}')::uuid and p.role in ('agent', 'admin')) then
          perform autocrm_private.raise_rule_error(p_rule, 'assign',
            format('%s is no longer an agent or admin', v_value #>> '{}'), '23514');
        end if;
      when 'set_field' then
        v_problem := public.ticket_field_value_problem(v_value ->> 'key', v_value -> 'value');
        if v_problem is not null then
          perform autocrm_private.raise_rule_error(p_rule, 'set_field', v_problem ->> 'message', '23514');
        end if;
      else
        null;
    end case;
  end loop;
end;
$$;

-- Evaluates rules (a JSON array of {"id", "name", "conditions", "actions"} in order) for one change, without
-- writing. Round 1 evaluates every rule against the change; each rule that matches runs its actions on the ticket
-- as later rules see it. While a round changed the ticket, another round evaluates the rules again against the
-- whole change so far (old = before the triggering change): rules that have not fired yet may fire. A rule fires
-- at most once; a rule that matches again and would change the ticket again is a loop, and is recorded as stopped.
-- Returns {"ticket", "fields", "fired": [{"rule_id", "rule_name", "public", "internal", "notes", "replies",
-- "notify"}], "stopped": [{"rule_id", "rule_name", "reason"}]}.
create function public.evaluate_automation_rules(
  rules jsonb, ticket jsonb, old jsonb, message jsonb, actor_role text)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
-- The rule query inlines every operator into one large expression: planning it costs milliseconds, running it
-- microseconds. A generic plan is made once per session; custom plans would be made on every ticket write.
set plan_cache_mode = 'force_generic_plan'
as $$
declare
  v_ticket jsonb := ticket;
  v_context jsonb := jsonb_build_object('ticket', ticket, 'old', old, 'message', message, 'actor_role', actor_role);
  v_agent_keys text[];
  v_vars jsonb;
  v_rule jsonb;
  v_plan jsonb;
  v_changes jsonb;
  v_public jsonb;
  v_internal jsonb;
  v_fired_ids jsonb := '{}'::jsonb;
  v_stopped_ids jsonb := '{}'::jsonb;
  v_fired jsonb := '[]'::jsonb;
  v_stopped jsonb := '[]'::jsonb;
  v_fields jsonb := '{}'::jsonb;
  v_round integer := 0;
  v_changed boolean;
  v_cursor bigint;
begin
  loop
    v_round := v_round + 1;
    v_changed := false;
    v_cursor := 0;
    loop
      -- The next rule (in order) whose conditions hold now: one query over the rules, with the conditions inlined.
      -- A function scan returns the array in order, so the first row that passes is the next rule.
      select x.rule, x.o into v_rule, v_cursor
        from jsonb_array_elements(rules) with ordinality x(rule, o)
       where x.o > v_cursor
         and not v_stopped_ids ? (x.rule ->> 'id')
         and not exists (select 1 from jsonb_array_elements(coalesce(x.rule -> 'conditions' -> 'all', '[]'::jsonb)) c
                          where not public.condition_holds(c, v_context))
         and (coalesce(jsonb_array_length(x.rule -> 'conditions' -> 'any'), 0) = 0
              or exists (select 1 from jsonb_array_elements(x.rule -> 'conditions' -> 'any') c
                          where public.condition_holds(c, v_context)))
       limit 1;
      exit when not found;
      v_vars := coalesce(v_vars, public.ticket_template_vars(v_ticket));
      v_plan := public.plan_ticket_actions(v_ticket, v_rule -> 'actions', v_vars);
      if v_fired_ids ? (v_rule ->> 'id') then
        if v_plan -> 'ticket' is distinct from v_ticket then
          v_stopped_ids := v_stopped_ids || jsonb_build_object(v_rule ->> 'id', true);
          v_stopped := v_stopped || jsonb_build_object('rule_id', v_rule -> 'id', 'rule_name', v_rule -> 'name',
            'reason', 'loop: it matched again after it ran and would change the ticket again');
        end if;
        continue;
      end if;
      perform autocrm_private.check_rule_actions(v_rule);
      v_fired_ids := v_fired_ids || jsonb_build_object(v_rule ->> 'id', true);
      v_changes := autocrm_private.automation_changes(v_ticket, v_plan -> 'ticket');
      if v_agent_keys is null then
        v_agent_keys := coalesce((select array_agg(f.key) from public.ticket_fields f where not f.customer_visible), '{}');
      end if;
      v_public := (select coalesce(jsonb_object_agg(c.key, c.value), '{}'::jsonb) from jsonb_each(v_changes) c
                    where not (c.key = any (v_agent_keys)));
      v_internal := (select coalesce(jsonb_object_agg(c.key, c.value), '{}'::jsonb) from jsonb_each(v_changes) c
                      where c.key = any (v_agent_keys));
      v_fired := v_fired || jsonb_build_object('rule_id', v_rule -> 'id', 'rule_name', v_rule -> 'name',
        'public', v_public, 'internal', v_internal,
        'notes', v_plan -> 'notes', 'replies', v_plan -> 'replies', 'notify', v_plan -> 'notify');
      v_fields := v_fields || (v_plan -> 'fields');
      if v_plan -> 'ticket' is distinct from v_ticket then
        v_ticket := v_plan -> 'ticket';
        v_changed := true;
        v_vars := null;
        v_context := jsonb_set(v_context, '{ticket}', v_ticket);
      end if;
    end loop;
    -- Only a round in which a rule changed the ticket can make a rule match that did not (or match again).
    exit when not v_changed;
    if v_round >= public.automation_max_depth() then
      v_stopped := v_stopped || jsonb_build_object('rule_id', null, 'rule_name', null,
        'reason', format('depth: rules kept changing the ticket for %s rounds', v_round));
      exit;
    end if;
  end loop;
  return jsonb_build_object('ticket', v_ticket, 'fields', v_fields, 'fired', v_fired, 'stopped', v_stopped);
end;
$$;
comment on function public.evaluate_automation_rules(jsonb, jsonb, jsonb, jsonb, text) is
  'What rules would do for one change, without writing (the engine and dry runs use it).';
revoke execute on function public.evaluate_automation_rules(jsonb, jsonb, jsonb, jsonb, text) from public, anon, authenticated;
revoke execute on function public.automation_max_depth() from public, anon;

-- The active rules of each event, in order, as evaluate_automation_rules takes them: compiled by a statement trigger
-- whenever rules change, so that a ticket write reads one row by primary key instead of the rules table.
create table autocrm_private.automation_rule_sets (
  event text not null primary key,
  rules jsonb not null
);

create function autocrm_private.compile_automation_rules()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_when = 'BEFORE' then
    -- One writer of rules at a time (readers are not blocked): the compilation after the statement then sees every
    -- committed rule, so two admins saving at once cannot leave a stale rule set behind. (An advisory lock: a table
    -- lock taken here, after the statement's own row-exclusive lock, could deadlock two writers.)
    perform pg_advisory_xact_lock(hashtext('autocrm.automation_rules'));
    return null;
  end if;
  delete from autocrm_private.automation_rule_sets;
  insert into autocrm_private.automation_rule_sets (event, rules)
  select r.event, jsonb_agg(jsonb_build_object('id', r.id, 'name', r.name, 'conditions', r.conditions, 'actions', r.actions)
                            order by r.position, r.id)
    from public.automation_rules r
   where r.active
   group by r.event;
  return null;
end;
$$;
revoke execute on function autocrm_private.compile_automation_rules() from public, anon, authenticated;

create trigger automation_rules_lock
  before insert or update or delete or truncate on public.automation_rules
  for each statement execute function autocrm_private.compile_automation_rules();
create trigger automation_rules_compile
  after insert or update or delete or truncate on public.automation_rules
  for each statement execute function autocrm_private.compile_automation_rules();

create function autocrm_private.active_automation_rules(p_event text)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce((select s.rules from autocrm_private.automation_rule_sets s where s.event = p_event), '[]'::jsonb)
$$;

-- A ticket as rules see it: the row as JSON with its agent-only field values in metadata.
create function autocrm_private.automation_ticket(p_ticket_id uuid)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select jsonb_set(to_jsonb(t), '{metadata}', t.metadata || coalesce(a.metadata, '{}'::jsonb))
    from public.tickets t
    left join public.ticket_agent_fields a on a.ticket_id = t.id
   where t.id = p_ticket_id
$$;

-- Who made the change: the signed-in user's role, or system (service_role key, direct database sessions).
create function autocrm_private.automation_actor_role()
returns text
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce((select p.role::text from public.profiles p where p.id = auth.uid()), 'system')
$$;

-- Runs the rules of one event for one ticket and writes what they do, in the caller's transaction. Rule actions
-- run as the database owner (a rule may route to any queue); their own writes do not trigger rules again (the
-- rounds above already followed the chain).
create function autocrm_private.run_automation_rules(p_event text, p_ticket_id uuid, p_old jsonb, p_message jsonb)
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_rules jsonb := autocrm_private.active_automation_rules(p_event);
  v_ticket jsonb;
  v_result jsonb;
  v_final jsonb;
  v_firing jsonb;
  v_body jsonb;
  v_stop jsonb;
  v_rule_id uuid;
  v_has_outbox boolean;
  v_state text;
  v_message text;
  v_detail text;
begin
  if jsonb_array_length(v_rules) = 0 then
    return;
  end if;
  v_ticket := autocrm_private.automation_ticket(p_ticket_id);
  if v_ticket is null then
    return;
  end if;
  v_result := public.evaluate_automation_rules(v_rules, v_ticket,
    case when p_event = 'message_created' then v_ticket else p_old end, p_message, autocrm_private.automation_actor_role());
  if jsonb_array_length(v_result -> 'fired') = 0 and jsonb_array_length(v_result -> 'stopped') = 0 then
    return;
  end if;

  perform set_config('autocrm.automation_running', 'on', true);
  v_final := v_result -> 'ticket';
  begin
    if v_final is distinct from v_ticket then
      update public.tickets t
         set status = (v_final ->> 'status')::public.ticket_status,
             priority = (v_final ->> 'priority')::public.ticket_priority,
             queue_id = (v_final ->> 'queue_id')::uuid,
             assignee_id = (v_final ->> 'assignee_id')::uuid,
             tags = coalesce((select array_agg(x) from jsonb_array_elements_text(v_final -> 'tags') x), '{}'::text[]),
             metadata = t.metadata || (v_result -> 'fields')
       where t.id = p_ticket_id;
    end if;

    for v_firing in select f from jsonb_array_elements(v_result -> 'fired') f loop
      v_rule_id := (v_firing ->> 'rule_id')::uuid;
      for v_body in select b from jsonb_array_elements(v_firing -> 'notes') b loop
        insert into public.ticket_messages (ticket_id, author_id, visibility, body, metadata)
        values (p_ticket_id, null, 'internal', v_body #>> '{}', jsonb_build_object('automation_rule_id', v_rule_id));
      end loop;
      for v_body in select b from jsonb_array_elements(v_firing -> 'replies') b loop
        insert into public.ticket_messages (ticket_id, author_id, visibility, body, metadata)
        values (p_ticket_id, null, 'public', v_body #>> '{}', jsonb_build_object('automation_rule_id', v_rule_id));
      end loop;
      for v_body in select b from jsonb_array_elements(v_firing -> 'notify') b loop
        insert into public.automation_notifications (ticket_id, rule_id, rule_name, payload)
        values (p_ticket_id, v_rule_id, v_firing ->> 'rule_name', v_body);
        v_has_outbox := coalesce(v_has_outbox,
          to_regprocedure('public.emit_webhook_event(text, jsonb, uuid, boolean)') is not null);
        if v_has_outbox then
          execute 'select public.emit_webhook_event($1, $2, $3, $4)'
            using 'rule.notify',
                  jsonb_build_object('ticket_id', p_ticket_id, 'rule_id', v_rule_id, 'rule_name', v_firing ->> 'rule_name',
                                     'value', v_body),
                  p_ticket_id, true;
        end if;
      end loop;

      if v_firing -> 'public' <> '{}'::jsonb or jsonb_array_length(v_firing -> 'replies') > 0 then
        insert into public.ticket_events (ticket_id, actor_id, kind, changes, visibility, rule_id, rule_name)
        values (p_ticket_id, null, 'rule_applied',
                (v_firing -> 'public') || case when jsonb_array_length(v_firing -> 'replies') > 0
                  then jsonb_build_object('reply', jsonb_build_array(null, v_firing -> 'replies')) else '{}'::jsonb end,
                'public', v_rule_id, v_firing ->> 'rule_name');
      end if;
      if v_firing -> 'internal' <> '{}'::jsonb or jsonb_array_length(v_firing -> 'notes') > 0
         or jsonb_array_length(v_firing -> 'notify') > 0
         or (v_firing -> 'public' = '{}'::jsonb and jsonb_array_length(v_firing -> 'replies') = 0) then
        -- Internal-only effects, and firings that changed nothing, are for staff only.
        insert into public.ticket_events (ticket_id, actor_id, kind, changes, visibility, rule_id, rule_name)
        values (p_ticket_id, null, 'rule_applied',
                (v_firing -> 'internal')
                || case when jsonb_array_length(v_firing -> 'notes') > 0
                     then jsonb_build_object('internal_note', jsonb_build_array(null, v_firing -> 'notes')) else '{}'::jsonb end
                || case when jsonb_array_length(v_firing -> 'notify') > 0
                     then jsonb_build_object('notify', jsonb_build_array(null, v_firing -> 'notify')) else '{}'::jsonb end,
                'internal', v_rule_id, v_firing ->> 'rule_name');
      end if;
    end loop;

    for v_stop in select s from jsonb_array_elements(v_result -> 'stopped') s loop
      insert into public.ticket_events (ticket_id, actor_id, kind, changes, visibility, rule_id, rule_name)
      values (p_ticket_id, null, 'rule_loop_stopped', jsonb_build_object('reason', jsonb_build_array(null, v_stop -> 'reason')),
              'internal', (v_stop ->> 'rule_id')::uuid, v_stop ->> 'rule_name');
    end loop;
  exception when others then
    get stacked diagnostics v_state = returned_sqlstate, v_message = message_text, v_detail = pg_exception_detail;
    raise exception 'automation rules (%) could not apply their actions: %',
      (select string_agg(format('"%s"', f ->> 'rule_name'), ', ') from jsonb_array_elements(v_result -> 'fired') f), v_message
      using errcode = v_state, detail = coalesce(v_detail, '');
  end;
  perform set_config('autocrm.automation_running', '', true);
end;
$$;

-- The triggers. They run after every other AFTER trigger of their table (triggers of one kind fire in name order,
-- and "zz" sorts last): agent-only values are stored, the change's own events written, before rules look.
create function public.tickets_run_automation()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if current_setting('autocrm.automation_running', true) = 'on' then
    return null;
  end if;
  if tg_op = 'INSERT' then
    perform autocrm_private.run_automation_rules('ticket_created', new.id, null, null);
  else
    perform autocrm_private.run_automation_rules('ticket_updated', new.id,
      jsonb_set(to_jsonb(old), '{metadata}',
        old.metadata || coalesce((select a.metadata from public.ticket_agent_fields a where a.ticket_id = new.id), '{}'::jsonb)),
      null);
  end if;
  return null;
end;
$$;

create trigger tickets_zz_automation
  after insert or update on public.tickets
  for each row execute function public.tickets_run_automation();

create function public.ticket_messages_run_automation()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if current_setting('autocrm.automation_running', true) = 'on' then
    return null;
  end if;
  perform autocrm_private.run_automation_rules('message_created', new.ticket_id, null,
    jsonb_build_object('body', new.body, 'visibility', new.visibility,
                       'author_role', coalesce((select p.role::text from public.profiles p where p.id = new.author_id), 'system')));
  return null;
end;
$$;

create trigger ticket_messages_zz_automation
  after insert on public.ticket_messages
  for each row execute function public.ticket_messages_run_automation();

revoke execute on function public.tickets_run_automation(), public.ticket_messages_run_automation(),
  public.automation_rules_before_write() from public, anon, authenticated;

-- ---------------------------------------------------------------------------
-- test_automation_rules: the dry run. Which rules would fire for a ticket and a change, and what they would do;
-- nothing is written. event: ticket_created, ticket_updated or message_created; changes: the ticket fields the
-- change sets ({"priority": "high", "tags": [...], "metadata": {...}}); message: {"body", "visibility"} for
-- message_created; rules: rules to try instead of the saved active ones (an editor's unsaved rule). Admins only.
-- ---------------------------------------------------------------------------
create function public.test_automation_rules(
  ticket_id uuid, event text default 'ticket_updated', changes jsonb default '{}'::jsonb,
  message jsonb default null, rules jsonb default null)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_ticket jsonb;
  v_new jsonb;
  v_rules jsonb;
  v_rule jsonb;
  v_key text;
  v_index integer := 0;
begin
  if not (public.request_is_privileged() or public.current_app_role() = 'admin') then
    raise exception 'only admins can test automation rules' using errcode = '42501';
  end if;
  if event is null or event not in ('ticket_created', 'ticket_updated', 'message_created') then
    raise exception 'field "event": use ticket_created, ticket_updated or message_created' using errcode = '22023';
  end if;
  if changes is null or jsonb_typeof(changes) <> 'object' then
    raise exception 'field "changes": the change is a JSON object of ticket fields' using errcode = '22023';
  end if;
  for v_key in select jsonb_object_keys(changes) loop
    if v_key not in ('subject', 'status', 'priority', 'queue_id', 'assignee_id', 'requester_id', 'tags', 'metadata') then
      raise exception 'field "changes": % is not a field a change can set', v_key using errcode = '22023';
    end if;
  end loop;
  if event = 'message_created' and (message is null or jsonb_typeof(message) <> 'object'
                                     or jsonb_typeof(message -> 'body') is distinct from 'string') then
    raise exception 'field "message": message_created needs a message {"body", "visibility"}' using errcode = '22023';
  end if;

  v_ticket := autocrm_private.automation_ticket(test_automation_rules.ticket_id);
  if v_ticket is null then
    raise exception 'ticket % not found', test_automation_rules.ticket_id using errcode = 'PT404';
  end if;
  v_new := v_ticket || (changes - 'metadata')
    || case when changes ? 'metadata' then jsonb_build_object('metadata', (v_ticket -> 'metadata') || (changes -> 'metadata'))
            else '{}'::jsonb end;

  if rules is null then
    v_rules := autocrm_private.active_automation_rules(event);
  else
    if jsonb_typeof(rules) <> 'array' then
      raise exception 'field "rules": an array of rules {"name", "conditions", "actions"}' using errcode = '22023';
    end if;
    v_rules := '[]'::jsonb;
    for v_rule in select r from jsonb_array_elements(rules) r loop
      if jsonb_typeof(v_rule) <> 'object' then
        raise exception 'field "rules": [%] is not a rule', v_index using errcode = '22023';
      end if;
      perform public.validate_conditions(coalesce(v_rule -> 'conditions', '{}'::jsonb), event, format('rules[%s].conditions', v_index));
      perform public.validate_actions(v_rule -> 'actions', 'rule', format('rules[%s].actions', v_index));
      v_rules := v_rules || jsonb_build_object('id', coalesce(v_rule -> 'id', to_jsonb(format('rules[%s]', v_index))),
        'name', coalesce(v_rule -> 'name', to_jsonb(format('rules[%s]', v_index))),
        'conditions', coalesce(v_rule -> 'conditions', '{}'::jsonb), 'actions', v_rule -> 'actions');
      v_index := v_index + 1;
    end loop;
  end if;

  return public.evaluate_automation_rules(v_rules, v_new,
    case event when 'ticket_created' then null when 'message_created' then v_new else v_ticket end,
    case when event = 'message_created'
         then jsonb_build_object('body', message -> 'body', 'visibility', coalesce(message -> 'visibility', '"public"'::jsonb),
                                 'author_role', coalesce(message -> 'author_role', '"customer"'::jsonb))
    end,
    'admin') - 'fields';
end;
$$;
comment on function public.test_automation_rules(uuid, text, jsonb, jsonb, jsonb) is
  'Dry run (admins): which rules would fire for a ticket and a change and what they would do; writes nothing.';
revoke execute on function public.test_automation_rules(uuid, text, jsonb, jsonb, jsonb) from public, anon;
grant execute on function public.test_automation_rules(uuid, text, jsonb, jsonb, jsonb) to authenticated, service_role;

-- autocrm_private is usable by API roles (the field triggers run as the caller); nothing of the engine is callable
-- or readable by them.
revoke all on autocrm_private.automation_rule_sets from public, anon, authenticated;
revoke execute on function autocrm_private.automation_changes(jsonb, jsonb),
  autocrm_private.raise_rule_error(jsonb, text, text, text), autocrm_private.check_rule_actions(jsonb),
  autocrm_private.active_automation_rules(text), autocrm_private.automation_ticket(uuid),
  autocrm_private.automation_actor_role(), autocrm_private.run_automation_rules(text, uuid, jsonb, jsonb)
  from public, anon, authenticated;
