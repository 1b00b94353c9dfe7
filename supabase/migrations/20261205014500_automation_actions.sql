-- The action vocabulary shared by automation rules and macros: a JSON array of {"type": ..., "value": ...}.
-- validate_actions checks it when a rule or macro is saved (errors name the bad part: 'field "actions": [1].value:
-- ...'); plan_ticket_actions computes what the actions do to a ticket, without writing; render_ticket_template fills
-- the placeholders of notes and replies. docs/automation.md has the full vocabulary. Forward-only.

-- The placeholders a template may use: {{ticket.number}}, {{requester.name}}, ...
create function public.ticket_template_placeholders()
returns text[]
language sql
immutable
parallel safe
set search_path = ''
as $$
  select array['ticket.id', 'ticket.number', 'ticket.subject', 'ticket.status', 'ticket.priority',
               'requester.name', 'requester.email', 'assignee.name', 'assignee.email', 'queue.name']
$$;
comment on function public.ticket_template_placeholders() is 'The placeholders templates of notes, replies and macros may use.';

-- Fills {{placeholder}} from vars ({"ticket.number": "42", ...}); a placeholder without a value becomes empty.
create function public.render_ticket_template(template text, vars jsonb)
returns text
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
declare
  v_result text := template;
  v_name text;
begin
  foreach v_name in array public.ticket_template_placeholders() loop
    continue when strpos(v_result, '{{') = 0;
    v_result := regexp_replace(v_result, '\{\{\s*' || replace(v_name, '.', '\.') || '\s*\}\}',
                               replace(coalesce(vars ->> v_name, ''), '\', '\\'), 'g');
  end loop;
  return v_result;
end;
$$;
comment on function public.render_ticket_template(text, jsonb) is
  'A template with its {{placeholders}} filled from vars (ticket_template_vars); unknown or empty ones become empty.';

-- The values of the placeholders for a ticket (a tickets row as JSON). Runs as the caller: row-level security
-- decides which names and emails it reads (rules run it as the database owner).
create function public.ticket_template_vars(ticket jsonb)
returns jsonb
language sql
stable
set search_path = ''
as $$
  select jsonb_build_object(
    'ticket.id', ticket ->> 'id',
    'ticket.number', ticket ->> 'number',
    'ticket.subject', ticket ->> 'subject',
    'ticket.status', ticket ->> 'status',
    'ticket.priority', ticket ->> 'priority',
    'requester.name', (select coalesce(nullif(p.display_name, ''), p.email) from public.profiles p
                        where p.id = (ticket ->> 'requester_id')::uuid),
    'requester.email', (select p.email from public.profiles p where p.id = (ticket ->> 'requester_id')::uuid),
    'assignee.name', (select coalesce(nullif(p.display_name, ''), p.email) from public.profiles p
                       where p.id = (ticket ->> 'assignee_id')::uuid),
    'assignee.email', (select p.email from public.profiles p where p.id = (ticket ->> 'assignee_id')::uuid),
    'queue.name', (select q.name from public.queues q where q.id = (ticket ->> 'queue_id')::uuid))
$$;
comment on function public.ticket_template_vars(jsonb) is
  'Placeholder values for a ticket row (as JSON), read with the caller''s permissions.';

-- ---------------------------------------------------------------------------
-- validate_actions: p_kind is 'rule' or 'macro' (macros act as the agent and have no notify).
-- ---------------------------------------------------------------------------
create function public.validate_actions(actions jsonb, kind text default 'rule', field text default 'actions')
returns void
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_action jsonb;
  v_index integer := 0;
  v_path text;
  v_type text;
  v_value jsonb;
  v_key text;
  v_problem jsonb;
  v_placeholder text;
  v_types text[] := array['set_status', 'set_priority', 'set_queue', 'assign', 'add_tags', 'remove_tags', 'set_field',
                          'add_internal_note', 'send_reply', 'notify'];
begin
  if actions is null or jsonb_typeof(actions) is distinct from 'array' then
    perform autocrm_private.raise_vocabulary_error(field, '', 'actions are a JSON array of {"type", "value"}');
  end if;
  if kind = 'rule' and jsonb_array_length(actions) = 0 then
    perform autocrm_private.raise_vocabulary_error(field, '', 'a rule needs at least one action');
  end if;
  if jsonb_array_length(actions) > 50 then
    perform autocrm_private.raise_vocabulary_error(field, '', 'at most 50 actions');
  end if;
  for v_action in select e from jsonb_array_elements(actions) e loop
    v_path := format('[%s]', v_index);
    v_index := v_index + 1;
    if jsonb_typeof(v_action) <> 'object' then
      perform autocrm_private.raise_vocabulary_error(field, v_path, 'an action is an object {"type", "value"}');
    end if;
    for v_key in select jsonb_object_keys(v_action) loop
      if v_key not in ('type', 'value') then
        perform autocrm_private.raise_vocabulary_error(field, v_path || '.' || v_key,
          'unknown key; an action has "type" and "value"');
      end if;
    end loop;
    v_type := v_action ->> 'type';
    if jsonb_typeof(v_action -> 'type') is distinct from 'string' or not (v_type = any (v_types)) then
      perform autocrm_private.raise_vocabulary_error(field, v_path || '.type',
        format('%s is not an action; use one of %s', autocrm_private.vocabulary_quote(v_action -> 'type'),
               array_to_string(v_types, ', ')));
    end if;
    if v_type = 'notify' and kind = 'macro' then
      perform autocrm_private.raise_vocabulary_error(field, v_path || '.type',
        'notify is an automation rule action; macros act as the agent who applies them');
    end if;
    if not (v_action ? 'value') then
      perform autocrm_private.raise_vocabulary_error(field, v_path || '.value', format('%s needs a value', v_type));
    end if;
    v_value := v_action -> 'value';
    v_path := v_path || '.value';

    case v_type
      when 'set_status' then
        if jsonb_typeof(v_value) is distinct from 'string'
           or not ((v_value #>> '{}') = any (enum_range(null::public.ticket_status)::text[])) then
          perform autocrm_private.raise_vocabulary_error(field, v_path, format('%s is not a status; use one of %s',
            autocrm_private.vocabulary_quote(v_value), array_to_string(enum_range(null::public.ticket_status)::text[], ', ')));
        end if;
      when 'set_priority' then
        if jsonb_typeof(v_value) is distinct from 'string'
           or not ((v_value #>> '{}') = any (enum_range(null::public.ticket_priority)::text[])) then
          perform autocrm_private.raise_vocabulary_error(field, v_path, format('%s is not a priority; use one of %s',
            autocrm_private.vocabulary_quote(v_value), array_to_string(enum_range(null::public.ticket_priority)::text[], ', ')));
        end if;
      when 'set_queue' then
        if v_value <> 'null'::jsonb and not (jsonb_typeof(v_value) = 'string'
            and (v_value #>> '{}') ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
            and exists (select 1 from public.queues q where q.id = (v_value #>> '{}')::uuid)) then
          perform autocrm_private.raise_vocabulary_error(field, v_path,
            format('%s is not the id of a queue (null takes the ticket out of its queue)', autocrm_private.vocabulary_quote(v_value)));
        end if;
      when 'assign' then
        if v_value <> '"none"'::jsonb and not (jsonb_typeof(v_value) = 'string'
            and (v_value #>> '{}') ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
            and exists (select 1 from public.profiles p where p.id = (v_value #>> '{}')::uuid and p.role in ('agent', 'admin'))) then
          perform autocrm_private.raise_vocabulary_error(field, v_path,
            format('%s is not the id of an agent or admin ("none" unassigns)', autocrm_private.vocabulary_quote(v_value)));
        end if;
      when 'add_tags', 'remove_tags' then
        if jsonb_typeof(v_value) is distinct from 'array' or jsonb_array_length(v_value) not between 1 and 50
           or exists (select 1 from jsonb_array_elements(v_value) e
                       where jsonb_typeof(e) <> 'string' or btrim(e #>> '{}') = '' or char_length(e #>> '{}') > 100) then
          perform autocrm_private.raise_vocabulary_error(field, v_path, 'an array of 1 to 50 tags (texts of 1 to 100 characters)');
        end if;
      when 'set_field' then
        if jsonb_typeof(v_value) is distinct from 'object' or jsonb_typeof(v_value -> 'key') is distinct from 'string'
           or not (v_value ? 'value') or (select count(*) from jsonb_object_keys(v_value)) <> 2 then
          perform autocrm_private.raise_vocabulary_error(field, v_path, '{"key": <field key>, "value": <value, null clears>}');
        end if;
        v_problem := public.ticket_field_value_problem(v_value ->> 'key', v_value -> 'value');
        if v_problem is not null then
          perform autocrm_private.raise_vocabulary_error(field, v_path, v_problem ->> 'message');
        end if;
      when 'add_internal_note', 'send_reply' then
        if jsonb_typeof(v_value) is distinct from 'string' or btrim(v_value #>> '{}') = ''
           or char_length(v_value #>> '{}') > 10000 then
          perform autocrm_private.raise_vocabulary_error(field, v_path, 'a text of 1 to 10,000 characters');
        end if;
        for v_placeholder in select m[1] from regexp_matches(v_value #>> '{}', '\{\{\s*([^}]*?)\s*\}\}', 'g') m loop
          if not (v_placeholder = any (public.ticket_template_placeholders())) then
            perform autocrm_private.raise_vocabulary_error(field, v_path, format('{{%s}} is not a placeholder; use one of %s',
              left(v_placeholder, 80), array_to_string(public.ticket_template_placeholders(), ', ')));
          end if;
        end loop;
      when 'notify' then
        if not ((jsonb_typeof(v_value) = 'string' and btrim(v_value #>> '{}') <> '' and char_length(v_value #>> '{}') <= 1000)
                or (jsonb_typeof(v_value) = 'object' and octet_length(v_value::text) <= 10000)) then
          perform autocrm_private.raise_vocabulary_error(field, v_path,
            'a text of 1 to 1,000 characters or a JSON object of at most 10,000 bytes (passed on to integrations)');
        end if;
    end case;
  end loop;
end;
$$;
comment on function public.validate_actions(jsonb, text, text) is
  'Raises 23514 ''field "<field>": <path>: <problem>'' when actions are not valid vocabulary (kind: rule or macro).';

-- A template (a macro's reply) checked like the text of a send_reply action.
create function public.validate_ticket_template(template text, field text default 'reply')
returns void
language plpgsql
immutable
set search_path = ''
as $$
declare
  v_placeholder text;
begin
  if template is null then
    return;
  end if;
  if btrim(template) = '' or char_length(template) > 10000 then
    perform autocrm_private.raise_vocabulary_error(field, '', 'a text of 1 to 10,000 characters');
  end if;
  for v_placeholder in select m[1] from regexp_matches(template, '\{\{\s*([^}]*?)\s*\}\}', 'g') m loop
    if not (v_placeholder = any (public.ticket_template_placeholders())) then
      perform autocrm_private.raise_vocabulary_error(field, '', format('{{%s}} is not a placeholder; use one of %s',
        left(v_placeholder, 80), array_to_string(public.ticket_template_placeholders(), ', ')));
    end if;
  end loop;
end;
$$;

-- ---------------------------------------------------------------------------
-- plan_ticket_actions: what (validated) actions do to a ticket, without writing anything.
--   ticket: a tickets row as JSON (metadata may include agent-only values); vars: ticket_template_vars.
-- Returns {"ticket": the ticket after the actions, "fields": {key: value} set by set_field (null clears),
--          "notes": [text], "replies": [text], "notify": [value]}.
-- ---------------------------------------------------------------------------
create function public.plan_ticket_actions(ticket jsonb, actions jsonb, vars jsonb)
returns jsonb
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
declare
  v_ticket jsonb := ticket;
  v_fields jsonb := '{}'::jsonb;
  v_notes jsonb := '[]'::jsonb;
  v_replies jsonb := '[]'::jsonb;
  v_notify jsonb := '[]'::jsonb;
  v_action jsonb;
  v_value jsonb;
begin
  for v_action in select e from jsonb_array_elements(actions) e loop
    v_value := v_action -> 'value';
    case v_action ->> 'type'
      when 'set_status' then v_ticket := jsonb_set(v_ticket, '{status}', v_value);
      when 'set_priority' then v_ticket := jsonb_set(v_ticket, '{priority}', v_value);
      when 'set_queue' then v_ticket := jsonb_set(v_ticket, '{queue_id}', v_value);
      when 'assign' then
        v_ticket := jsonb_set(v_ticket, '{assignee_id}', case when v_value = '"none"'::jsonb then 'null'::jsonb else v_value end);
      when 'add_tags' then
        v_ticket := jsonb_set(v_ticket, '{tags}', coalesce(v_ticket -> 'tags', '[]'::jsonb)
          || coalesce((select jsonb_agg(t order by o) from jsonb_array_elements(v_value) with ordinality x(t, o)
                        where not coalesce(v_ticket -> 'tags', '[]'::jsonb) @> jsonb_build_array(t)
                          and not exists (select 1 from jsonb_array_elements(v_value) with ordinality y(u, p)
                                           where y.u = x.t and y.p < x.o)), '[]'::jsonb));
      when 'remove_tags' then
        v_ticket := jsonb_set(v_ticket, '{tags}', coalesce(
          (select jsonb_agg(t order by o) from jsonb_array_elements(coalesce(v_ticket -> 'tags', '[]'::jsonb)) with ordinality x(t, o)
            where not v_value @> jsonb_build_array(t)), '[]'::jsonb));
      when 'set_field' then
        v_fields := v_fields || jsonb_build_object(v_value ->> 'key', v_value -> 'value');
        v_ticket := jsonb_set(v_ticket, '{metadata}',
          case when v_value -> 'value' in ('null'::jsonb, '""'::jsonb, '[]'::jsonb)
               then coalesce(v_ticket -> 'metadata', '{}'::jsonb) - (v_value ->> 'key')
               else coalesce(v_ticket -> 'metadata', '{}'::jsonb) || jsonb_build_object(v_value ->> 'key', v_value -> 'value') end);
      when 'add_internal_note' then
        v_notes := v_notes || to_jsonb(public.render_ticket_template(v_value #>> '{}', vars));
      when 'send_reply' then
        v_replies := v_replies || to_jsonb(public.render_ticket_template(v_value #>> '{}', vars));
      when 'notify' then
        v_notify := v_notify || jsonb_build_array(v_value);
      else
        raise exception 'field "actions": "%" is not an action', v_action ->> 'type' using errcode = '23514';
    end case;
  end loop;
  return jsonb_build_object('ticket', v_ticket, 'fields', v_fields, 'notes', v_notes, 'replies', v_replies, 'notify', v_notify);
end;
$$;
comment on function public.plan_ticket_actions(jsonb, jsonb, jsonb) is
  'What validated actions do to a ticket (as JSON), without writing: {"ticket", "fields", "notes", "replies", "notify"}.';

-- The vocabulary checks are for database code; planning, rendering and the placeholder values are pure or run as
-- the caller, and macros (which run as the caller) use them.
revoke execute on function public.validate_actions(jsonb, text, text), public.validate_ticket_template(text, text)
  from public, anon, authenticated;
revoke execute on function public.ticket_template_placeholders(), public.render_ticket_template(text, jsonb),
  public.ticket_template_vars(jsonb), public.plan_ticket_actions(jsonb, jsonb, jsonb) from public, anon;
grant execute on function public.ticket_template_placeholders(), public.render_ticket_template(text, jsonb),
  public.ticket_template_vars(jsonb), public.plan_ticket_actions(jsonb, jsonb, jsonb) to authenticated, service_role;
