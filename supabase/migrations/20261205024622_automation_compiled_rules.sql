-- The rule engine, faster on every ticket write (docs/automation.md, bench/Automation): each event's active rules are
-- compiled into one function when rules change, with every condition a constant the planner folds down to the few
-- operations it needs, instead of a generic query that re-reads every condition's field and operator on each write.
-- The triggers hand the written row to the engine (no second read of the ticket), skip events without rules before
-- building anything, and template values are read only for rules that write notes or replies. Same semantics as
-- 20261205014501_automation_rules.sql, whose functions this replaces (evaluate_automation_rules and
-- run_automation_rules gain a parameter, so the old signatures are dropped). Forward-only.

drop function public.evaluate_automation_rules(jsonb, jsonb, jsonb, jsonb, text);
drop function autocrm_private.run_automation_rules(text, uuid, jsonb, jsonb);

-- Each event's rules are also compiled into a function, autocrm_private.automation_match_<event>(context, after):
-- one IF per rule, in order, each with its conditions as constants, so that the planner folds condition_holds down
-- to the few operations that condition needs (a generic evaluation re-reads every condition's field and operator on
-- every write). It returns [index, rule] for the first rule after index `after` whose conditions hold, or null. The
-- rule is returned whole, so a write never mixes one compilation's matcher with another's rule list.
create function autocrm_private.automation_match_ticket_created(c jsonb, after bigint)
returns jsonb language sql immutable set search_path = '' as $$ select null::jsonb $$;
create function autocrm_private.automation_match_ticket_updated(c jsonb, after bigint)
returns jsonb language sql immutable set search_path = '' as $$ select null::jsonb $$;
create function autocrm_private.automation_match_message_created(c jsonb, after bigint)
returns jsonb language sql immutable set search_path = '' as $$ select null::jsonb $$;

-- The source of an event's matcher. Rules reach it only as quoted literals (format %L) of validated vocabulary.
create function autocrm_private.automation_matcher_sql(p_event text, p_rules jsonb)
returns text
language plpgsql
immutable
set search_path = ''
as $$
declare
  v_body text := '';
  v_rule jsonb;
  v_index bigint;
  v_all text;
  v_any text;
begin
  if p_event not in ('ticket_created', 'ticket_updated', 'message_created') then
    raise exception 'unknown automation event %', p_event;
  end if;
  for v_rule, v_index in select x.r, x.o from jsonb_array_elements(coalesce(p_rules, '[]'::jsonb)) with ordinality x(r, o) loop
    select string_agg(format('public.condition_holds(%L::jsonb, c)', e::text), ' and ') into v_all
      from jsonb_array_elements(coalesce(v_rule -> 'conditions' -> 'all', '[]'::jsonb)) e;
    select string_agg(format('public.condition_holds(%L::jsonb, c)', e::text), ' or ') into v_any
      from jsonb_array_elements(coalesce(v_rule -> 'conditions' -> 'any', '[]'::jsonb)) e;
    v_body := v_body || format(E'  if after < %s and %s and %s then\n    return %L::jsonb;\n  end if;\n',
      v_index, coalesce(v_all, 'true'), coalesce('(' || v_any || ')', 'true'), jsonb_build_array(v_index, v_rule)::text);
  end loop;
  return format('create or replace function autocrm_private.%I(c jsonb, after bigint) returns jsonb language plpgsql '
                'immutable set search_path = '''' as %L', 'automation_match_' || p_event,
                E'begin\n' || v_body || E'  return null;\nend');
end;
$$;

create or replace function autocrm_private.compile_automation_rules()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_event text;
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
  foreach v_event in array array['ticket_created', 'ticket_updated', 'message_created'] loop
    execute autocrm_private.automation_matcher_sql(v_event,
      (select s.rules from autocrm_private.automation_rule_sets s where s.event = v_event));
  end loop;
  return null;
end;
$$;
revoke execute on function autocrm_private.compile_automation_rules() from public, anon, authenticated;

-- Evaluates rules (a JSON array of {"id", "name", "conditions", "actions"} in order; or, with compiled_event, the
-- saved active rules of that event through their compiled matcher) for one change, without writing. Round 1 evaluates every rule against the change; each rule that matches runs its actions on the ticket
-- as later rules see it. While a round changed the ticket, another round evaluates the rules again against the
-- whole change so far (old = before the triggering change): rules that have not fired yet may fire. A rule fires
-- at most once; a rule that matches again and would change the ticket again is a loop, and is recorded as stopped.
-- Returns {"ticket", "fields", "fired": [{"rule_id", "rule_name", "public", "internal", "notes", "replies",
-- "notify"}], "stopped": [{"rule_id", "rule_name", "reason"}]}.
create function public.evaluate_automation_rules(
  rules jsonb, ticket jsonb, old jsonb, message jsonb, actor_role text, compiled_event text default null)
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
  v_match jsonb;
begin
  loop
    v_round := v_round + 1;
    v_changed := false;
    v_cursor := 0;
    loop
      -- The next rule (in order) whose conditions hold now.
      if compiled_event is not null then
        v_match := case compiled_event
                     when 'ticket_created' then autocrm_private.automation_match_ticket_created(v_context, v_cursor)
                     when 'ticket_updated' then autocrm_private.automation_match_ticket_updated(v_context, v_cursor)
                     when 'message_created' then autocrm_private.automation_match_message_created(v_context, v_cursor)
                   end;
        exit when v_match is null;
        v_cursor := (v_match ->> 0)::bigint;
        v_rule := v_match -> 1;
        continue when v_stopped_ids ? (v_rule ->> 'id');
      else
        -- One query over the rules, with the conditions inlined. A function scan returns the array in order, so the
        -- first row that passes is the next rule.
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
      end if;
      if v_vars is null and (v_rule -> 'actions' @> '[{"type": "send_reply"}]' or v_rule -> 'actions' @> '[{"type": "add_internal_note"}]') then
        v_vars := public.ticket_template_vars(v_ticket);
      end if;
      v_plan := public.plan_ticket_actions(v_ticket, v_rule -> 'actions', coalesce(v_vars, '{}'::jsonb));
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
      if v_agent_keys is null and exists (select 1 from jsonb_object_keys(v_changes) k
                                            where k not in ('status', 'priority', 'queue_id', 'assignee_id', 'tags')) then
        v_agent_keys := coalesce((select array_agg(f.key) from public.ticket_fields f where not f.customer_visible), '{}');
      end if;
      v_public := (select coalesce(jsonb_object_agg(c.key, c.value), '{}'::jsonb) from jsonb_each(v_changes) c
                    where not (c.key = any (coalesce(v_agent_keys, '{}'))));
      v_internal := (select coalesce(jsonb_object_agg(c.key, c.value), '{}'::jsonb) from jsonb_each(v_changes) c
                      where c.key = any (coalesce(v_agent_keys, '{}')));
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

comment on function public.evaluate_automation_rules(jsonb, jsonb, jsonb, jsonb, text, text) is
  'What rules would do for one change, without writing (the engine and dry runs use it).';
revoke execute on function public.evaluate_automation_rules(jsonb, jsonb, jsonb, jsonb, text, text) from public, anon, authenticated;

-- Runs the rules of one event for one ticket and writes what they do, in the caller's transaction. Rule actions
-- run as the database owner (a rule may route to any queue); their own writes do not trigger rules again (the
-- rounds above already followed the chain).
create function autocrm_private.run_automation_rules(p_event text, p_ticket_id uuid, p_ticket jsonb, p_old jsonb, p_message jsonb)
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_ticket jsonb := p_ticket;
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

-- The triggers (names and order unchanged: tickets_zz_automation and ticket_messages_zz_automation fire last).
create or replace function public.tickets_run_automation()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_agent jsonb;
begin
  if current_setting('autocrm.automation_running', true) = 'on'
     or not exists (select 1 from autocrm_private.automation_rule_sets s
                     where s.event = case tg_op when 'INSERT' then 'ticket_created' else 'ticket_updated' end) then
    return null;
  end if;
  -- Rules see agent-only values in metadata (the AFTER trigger of the field rules has stored them).
  v_agent := coalesce((select a.metadata from public.ticket_agent_fields a where a.ticket_id = new.id), '{}'::jsonb);
  if tg_op = 'INSERT' then
    perform autocrm_private.run_automation_rules('ticket_created', new.id,
      jsonb_set(to_jsonb(new), '{metadata}', new.metadata || v_agent), null, null);
  else
    perform autocrm_private.run_automation_rules('ticket_updated', new.id,
      jsonb_set(to_jsonb(new), '{metadata}', new.metadata || v_agent),
      jsonb_set(to_jsonb(old), '{metadata}', old.metadata || v_agent), null);
  end if;
  return null;
end;
$$;

create or replace function public.ticket_messages_run_automation()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if current_setting('autocrm.automation_running', true) = 'on' then
    return null;
  end if;
  perform autocrm_private.run_automation_rules('message_created', new.ticket_id, null, null,
    jsonb_build_object('body', new.body, 'visibility', new.visibility,
                       'author_role', coalesce((select p.role::text from public.profiles p where p.id = new.author_id), 'system')));
  return null;
end;
$$;

revoke execute on function autocrm_private.run_automation_rules(text, uuid, jsonb, jsonb, jsonb),
  autocrm_private.automation_matcher_sql(text, jsonb), autocrm_private.automation_match_ticket_created(jsonb, bigint),
  autocrm_private.automation_match_ticket_updated(jsonb, bigint), autocrm_private.automation_match_message_created(jsonb, bigint)
  from public, anon, authenticated;

-- Compile the rules saved so far.
do $$
declare
  v_event text;
begin
  foreach v_event in array array['ticket_created', 'ticket_updated', 'message_created'] loop
    execute autocrm_private.automation_matcher_sql(v_event,
      (select s.rules from autocrm_private.automation_rule_sets s where s.event = v_event));
  end loop;
end
$$;
