-- Time-based automation rules (event time_elapsed): "pending for 3 days -> solve with a note", "unassigned for 30
-- minutes -> priority high". A rule's timer names a moment of the ticket (created, updated, status_changed,
-- assignee_changed) and a number of minutes; public.run_due_automations(now) runs the rule once per ticket per period
-- (a period is the time during which that moment stays the same), recording each firing in ticket_events like event
-- rules. docs/automation.md ("Time-based rules") describes the semantics. Forward-only.
--
-- Cost. Each time rule keeps a cursor (moment, ticket id) in autocrm_private.automation_timer_cursors. A call reads,
-- per active time rule, the tickets whose moment lies after the cursor and at or before now - minutes, through a
-- (moment, id) index, in that order, and moves the cursor past them: a call costs one index probe per time rule plus
-- the tickets whose time has come since the last call, never a scan of every ticket.

-- ---------------------------------------------------------------------------
-- The moments: tickets.status_changed_at and tickets.assignee_changed_at (created_at and updated_at exist)
-- ---------------------------------------------------------------------------
alter table public.tickets
  add column status_changed_at timestamptz,
  add column assignee_changed_at timestamptz;
comment on column public.tickets.status_changed_at is
  'When the status last changed (the creation time until it does; null on tickets older than this column: created_at).';
comment on column public.tickets.assignee_changed_at is
  'When the assignee last changed (the creation time until it does; null on tickets older than this column: created_at).';

-- Kept by the database: API callers (anon, authenticated) cannot set them; trusted writers (the service role, direct
-- SQL, an import) may, as they may set created_at. Named to fire after tickets_before_insert / tickets_before_update
-- (BEFORE triggers fire in name order), which settle created_at.
create function public.tickets_timer_moments()
returns trigger
language plpgsql
set search_path = ''  -- not security definer: current_user is the writer
as $$
declare
  v_trusted boolean := current_user not in ('anon', 'authenticated');
begin
  if tg_op = 'INSERT' then
    new.status_changed_at := case when v_trusted then coalesce(new.status_changed_at, new.created_at) else new.created_at end;
    new.assignee_changed_at := case when v_trusted then coalesce(new.assignee_changed_at, new.created_at) else new.created_at end;
  else
    if not (v_trusted and new.status_changed_at is distinct from old.status_changed_at) then
      new.status_changed_at := case when new.status is distinct from old.status then now() else old.status_changed_at end;
    end if;
    if not (v_trusted and new.assignee_changed_at is distinct from old.assignee_changed_at) then
      new.assignee_changed_at := case when new.assignee_id is distinct from old.assignee_id then now()
                                      else old.assignee_changed_at end;
    end if;
  end if;
  return new;
end;
$$;
revoke execute on function public.tickets_timer_moments() from public, anon, authenticated;
create trigger tickets_timer_moments
  before insert or update on public.tickets
  for each row execute function public.tickets_timer_moments();

-- Rows written before these columns existed have nulls: the creation time stands in (no backfill of every ticket).
create index tickets_status_changed_id_idx on public.tickets ((coalesce(status_changed_at, created_at)), id);
create index tickets_assignee_changed_id_idx on public.tickets ((coalesce(assignee_changed_at, created_at)), id);
-- created: tickets_created_at_id_idx (created_at, id); updated: tickets_updated_at_id_idx (updated_at, id).

-- ---------------------------------------------------------------------------
-- automation_rules: event time_elapsed and its timer
-- ---------------------------------------------------------------------------
alter table public.automation_rules add column timer jsonb;
comment on column public.automation_rules.timer is
  'time_elapsed rules: {"since": "created" | "updated" | "status_changed" | "assignee_changed", "minutes": 1..525600}; '
  'null for event rules.';

-- From 20261205014501_automation_rules.sql, plus time_elapsed.
alter table public.automation_rules drop constraint automation_rules_event_check;
alter table public.automation_rules add constraint automation_rules_event_check
  check (event in ('ticket_created', 'ticket_updated', 'message_created', 'time_elapsed'));

-- The moments a timer may count from.
create function public.automation_timer_moments()
returns text[]
language sql
immutable
parallel safe
set search_path = ''
as $$ select array['created', 'updated', 'status_changed', 'assignee_changed'] $$;

-- Refuses a timer that could not run as written (and one on an event rule), in the vocabulary's error form.
create function autocrm_private.validate_automation_timer(p_event text, p_timer jsonb, p_conditions jsonb)
returns void
language plpgsql
immutable
set search_path = ''
as $$
declare
  v_key text;
  v_group text;
  v_condition jsonb;
  v_index integer;
begin
  if p_event is distinct from 'time_elapsed' then
    if p_timer is not null then
      perform autocrm_private.raise_vocabulary_error('timer', '', 'only time_elapsed rules have a timer');
    end if;
    return;
  end if;
  if p_timer is null or jsonb_typeof(p_timer) <> 'object' then
    perform autocrm_private.raise_vocabulary_error('timer', '',
      'a time_elapsed rule needs a timer {"since": "status_changed", "minutes": 4320}');
  end if;
  for v_key in select jsonb_object_keys(p_timer) loop
    if v_key not in ('since', 'minutes') then
      perform autocrm_private.raise_vocabulary_error('timer', v_key, 'unknown key; a timer has "since" and "minutes"');
    end if;
  end loop;
  if jsonb_typeof(p_timer -> 'since') is distinct from 'string'
     or not (p_timer ->> 'since' = any (public.automation_timer_moments())) then
    perform autocrm_private.raise_vocabulary_error('timer', 'since',
      format('%s is not a moment; use one of %s', coalesce(autocrm_private.vocabulary_quote(p_timer -> 'since'), 'nothing'),
             array_to_string(public.automation_timer_moments(), ', ')));
  end if;
  if jsonb_typeof(p_timer -> 'minutes') is distinct from 'number'
     or (p_timer ->> 'minutes')::numeric <> trunc((p_timer ->> 'minutes')::numeric)
     or (p_timer ->> 'minutes')::numeric not between 1 and 525600 then
    perform autocrm_private.raise_vocabulary_error('timer', 'minutes', 'a whole number of minutes from 1 to 525600 (a year)');
  end if;
  -- Time passing changes nothing and has no actor: the change operators and actor_role have no meaning here.
  foreach v_group in array array['all', 'any'] loop
    v_index := 0;
    for v_condition in select e from jsonb_array_elements(case when jsonb_typeof(p_conditions -> v_group) = 'array'
                                                             then p_conditions -> v_group else '[]'::jsonb end) e loop
      if v_condition ->> 'field' = 'actor_role' then
        perform autocrm_private.raise_vocabulary_error('conditions', format('%s[%s].field', v_group, v_index),
          'actor_role has no meaning for time_elapsed rules (time passing has no actor)');
      end if;
      if v_condition ->> 'operator' in ('changed', 'changed_to', 'changed_from') then
        perform autocrm_private.raise_vocabulary_error('conditions', format('%s[%s].operator', v_group, v_index),
          format('%s has no meaning for time_elapsed rules (nothing changes when time passes); use is or is_not',
                 v_condition ->> 'operator'));
      end if;
      v_index := v_index + 1;
    end loop;
  end loop;
end;
$$;

-- From 20261205014501_automation_rules.sql (the newest definition), plus the timer.
create or replace function public.automation_rules_before_write()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  new.name := btrim(new.name);
  perform public.validate_conditions(new.conditions, new.event, 'conditions');
  perform autocrm_private.validate_automation_timer(new.event, new.timer, new.conditions);
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

-- Where each time rule has got to: the (moment, ticket id) of the last ticket it looked at, for the moment it counts
-- from (a rule whose timer changes to another moment starts again from the beginning).
create table autocrm_private.automation_timer_cursors (
  rule_id uuid not null primary key references public.automation_rules (id) on delete cascade,
  since text,
  moment_at timestamptz,
  ticket_id uuid
);
comment on table autocrm_private.automation_timer_cursors is
  'Per time_elapsed rule: the (moment, ticket id) run_due_automations has looked at up to (docs/automation.md).';

-- ---------------------------------------------------------------------------
-- ticket_events: rule_failed (internal), when a time rule's actions could not run on a ticket
-- ---------------------------------------------------------------------------
-- From 20261205081928_routing_load_events.sql (the newest definition), plus rule_failed.
alter table public.ticket_events drop constraint ticket_events_kind_check;
alter table public.ticket_events add constraint ticket_events_kind_check check (kind in (
  'created', 'status_changed', 'priority_changed', 'assignee_changed', 'queue_changed', 'tags_changed',
  'fields_changed', 'rule_applied', 'rule_loop_stopped', 'sla_breached', 'agent_load_changed', 'rule_failed')) not valid;
alter table public.ticket_events validate constraint ticket_events_kind_check;

-- ---------------------------------------------------------------------------
-- Writing what rules did (shared by event rules and time rules)
-- ---------------------------------------------------------------------------

-- Writes the result of evaluate_automation_rules for one ticket: one update of the ticket, the notes, replies and
-- notifications, and the rule_applied / rule_loop_stopped events. The writes do not trigger rules again. Taken out of
-- autocrm_private.run_automation_rules (20261205024622_automation_compiled_rules.sql) unchanged.
create function autocrm_private.write_automation_result(p_ticket_id uuid, p_ticket jsonb, p_result jsonb)
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
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
  perform set_config('autocrm.automation_running', 'on', true);
  v_final := p_result -> 'ticket';
  begin
    if v_final is distinct from p_ticket then
      update public.tickets t
         set status = (v_final ->> 'status')::public.ticket_status,
             priority = (v_final ->> 'priority')::public.ticket_priority,
             queue_id = (v_final ->> 'queue_id')::uuid,
             assignee_id = (v_final ->> 'assignee_id')::uuid,
             tags = coalesce((select array_agg(x) from jsonb_array_elements_text(v_final -> 'tags') x), '{}'::text[]),
             metadata = t.metadata || (p_result -> 'fields')
       where t.id = p_ticket_id;
    end if;

    for v_firing in select f from jsonb_array_elements(p_result -> 'fired') f loop
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

    for v_stop in select s from jsonb_array_elements(p_result -> 'stopped') s loop
      insert into public.ticket_events (ticket_id, actor_id, kind, changes, visibility, rule_id, rule_name)
      values (p_ticket_id, null, 'rule_loop_stopped', jsonb_build_object('reason', jsonb_build_array(null, v_stop -> 'reason')),
              'internal', (v_stop ->> 'rule_id')::uuid, v_stop ->> 'rule_name');
    end loop;
  exception when others then
    get stacked diagnostics v_state = returned_sqlstate, v_message = message_text, v_detail = pg_exception_detail;
    raise exception 'automation rules (%) could not apply their actions: %',
      (select string_agg(format('"%s"', f ->> 'rule_name'), ', ') from jsonb_array_elements(p_result -> 'fired') f), v_message
      using errcode = v_state, detail = coalesce(v_detail, '');
  end;
  perform set_config('autocrm.automation_running', '', true);
end;
$$;

-- From 20261205024622_automation_compiled_rules.sql (the newest definition); the writing moved into
-- write_automation_result, nothing else changed.
create or replace function autocrm_private.run_automation_rules(p_event text, p_ticket_id uuid, p_ticket jsonb, p_old jsonb, p_message jsonb)
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_ticket jsonb := p_ticket;
  v_result jsonb;
begin
  if not exists (select 1 from autocrm_private.automation_rule_sets s where s.event = p_event) then
    return;
  end if;
  v_ticket := coalesce(v_ticket, autocrm_private.automation_ticket(p_ticket_id));
  if v_ticket is null then
    return;
  end if;
  v_result := public.evaluate_automation_rules(null, v_ticket,
    case when p_event = 'message_created' then v_ticket else p_old end, p_message, autocrm_private.automation_actor_role(),
    p_event);
  if jsonb_array_length(v_result -> 'fired') = 0 and jsonb_array_length(v_result -> 'stopped') = 0 then
    return;
  end if;
  perform autocrm_private.write_automation_result(p_ticket_id, v_ticket, v_result);
end;
$$;

-- ---------------------------------------------------------------------------
-- Running the time rules
-- ---------------------------------------------------------------------------

-- The SQL expression of a timer's moment on public.tickets t; only these fixed texts reach the queries below.
create function autocrm_private.automation_timer_moment_sql(p_since text)
returns text
language sql
immutable
parallel safe
set search_path = ''
as $$
  select case p_since
           when 'created' then 't.created_at'
           when 'updated' then 't.updated_at'
           when 'status_changed' then 'coalesce(t.status_changed_at, t.created_at)'
           when 'assignee_changed' then 'coalesce(t.assignee_changed_at, t.created_at)'
         end
$$;

-- Runs the active time_elapsed rules whose time has come by p_now, at most p_batch tickets per rule and call (the
-- rest on the next call). For each rule: the tickets whose moment is after the rule's cursor and at or before
-- p_now - minutes, in (moment, id) order through the moment's index. Each ticket is locked, its moment read again (a
-- ticket whose moment moved meanwhile is in a new period, looked at when that one's time comes), and the rule is
-- evaluated on it as it is then: when its conditions hold, its actions run and are recorded like an event rule's.
-- The cursor then moves past the tickets looked at, so a ticket is looked at once per period. A rule whose actions
-- fail on a ticket (a queue deleted since it was saved) leaves that ticket unchanged and records a rule_failed event.
-- One session at a time runs the time rules: a session that finds another one at it (a transaction-level advisory
-- lock) skips them, so two schedulers never lock the same tickets in different orders. Tickets are locked FOR NO KEY
-- UPDATE, which does not conflict with the key-share locks of rows that reference them (the breaches' events).
-- Returns how many times rules fired.
create function autocrm_private.run_time_rules(p_now timestamptz, p_batch integer default 10000)
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_count integer := 0;
  v_rule public.automation_rules;
  v_cursor autocrm_private.automation_timer_cursors;
  v_since text;
  v_moment text;
  v_after_moment timestamptz;
  v_after_id uuid;
  v_current timestamptz;
  v_ticket jsonb;
  v_result jsonb;
  v_message text;
  c record;
begin
  if not pg_try_advisory_xact_lock(hashtext('autocrm.run_time_rules')) then
    return 0;  -- another session is running the time rules now
  end if;
  for v_rule in
    select r.* from public.automation_rules r where r.active and r.event = 'time_elapsed' order by r.position, r.id
  loop
    insert into autocrm_private.automation_timer_cursors (rule_id) values (v_rule.id) on conflict do nothing;
    select * into v_cursor from autocrm_private.automation_timer_cursors k where k.rule_id = v_rule.id for update;
    v_since := v_rule.timer ->> 'since';
    v_moment := autocrm_private.automation_timer_moment_sql(v_since);
    if v_cursor.since is distinct from v_since then
      v_after_moment := '-infinity';
      v_after_id := '00000000-0000-0000-0000-000000000000';
    else
      v_after_moment := coalesce(v_cursor.moment_at, '-infinity');
      v_after_id := coalesce(v_cursor.ticket_id, '00000000-0000-0000-0000-000000000000');
    end if;
    for c in execute format(
        'select t.id, %1$s as moment_at from public.tickets t
          where (%1$s, t.id) > ($1, $2) and %1$s <= $3
          order by %1$s, t.id
          limit $4', v_moment)
      using v_after_moment, v_after_id, p_now - make_interval(mins => (v_rule.timer ->> 'minutes')::integer), p_batch
    loop
      v_after_moment := c.moment_at;
      v_after_id := c.id;
      execute format('select %s from public.tickets t where t.id = $1 for no key update', v_moment) into v_current using c.id;
      continue when v_current is distinct from c.moment_at;
      v_ticket := autocrm_private.automation_ticket(c.id);
      -- One ticket's failure (an action that no longer fits, e.g. a queue deleted since the rule was saved) is
      -- recorded on that ticket and rolled back alone: the other tickets and the breaches of this call go on.
      begin
        v_result := public.evaluate_automation_rules(
          jsonb_build_array(jsonb_build_object('id', v_rule.id, 'name', v_rule.name, 'conditions', v_rule.conditions,
                                               'actions', v_rule.actions)),
          v_ticket, v_ticket, null, 'system');
        continue when jsonb_array_length(v_result -> 'fired') = 0;
        perform autocrm_private.write_automation_result(c.id, v_ticket, v_result);
        v_count := v_count + 1;
      exception when others then
        get stacked diagnostics v_message = message_text;
        insert into public.ticket_events (ticket_id, actor_id, kind, changes, visibility, rule_id, rule_name)
        values (c.id, null, 'rule_failed', jsonb_build_object('error', jsonb_build_array(null, v_message)), 'internal',
                v_rule.id, v_rule.name);
      end;
    end loop;
    update autocrm_private.automation_timer_cursors k
       set since = v_since, moment_at = v_after_moment, ticket_id = v_after_id
     where k.rule_id = v_rule.id;
  end loop;
  return v_count;
end;
$$;

revoke execute on function autocrm_private.validate_automation_timer(text, jsonb, jsonb),
  autocrm_private.write_automation_result(uuid, jsonb, jsonb), autocrm_private.automation_timer_moment_sql(text),
  autocrm_private.run_time_rules(timestamptz, integer)
  from public, anon, authenticated;

-- From 20261205052002_sla_policies.sql (the newest definition), plus the time rules after the breaches.
create or replace function public.run_due_automations(now timestamptz default now())
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
  return v_count + autocrm_private.run_time_rules(run_due_automations.now);
end;
$$;
comment on function public.run_due_automations(timestamptz) is
  'Time-based work due by `now`: records missed SLA targets (sla_breached events, sla.breached webhooks) exactly once, '
  'and runs time_elapsed automation rules once per ticket per period. Returns breaches + rule firings.';
