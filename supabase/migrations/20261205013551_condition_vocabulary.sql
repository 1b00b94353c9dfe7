-- The condition vocabulary shared by automation rules, SLA policies and saved views: a JSON object
--   {"all": [condition, ...], "any": [condition, ...]}        condition = {"field": ..., "operator": ..., "value": ...}
-- matches when every condition of "all" holds and, if "any" has conditions, at least one of them does ({} matches
-- everything). docs/automation.md has the full vocabulary. Forward-only.
--
-- Conditions are checked when they are saved (validate_conditions, errors naming the bad part as
-- 'field "conditions": all[0].operator: ...') and evaluated against a context object (conditions_match):
--   {"ticket": <tickets row as JSON, metadata including agent-only values>,
--    "old": <the row before the change, or null for a new ticket>,
--    "message": {"body", "visibility", "author_role"} or null,
--    "actor_role": "customer" | "agent" | "admin" | "system"}
-- Both are pure functions for database code (other features' triggers and security definer functions); they are
-- not part of the API.

-- ---------------------------------------------------------------------------
-- The vocabulary's word lists, in one place.
-- ---------------------------------------------------------------------------
create function public.condition_operators()
returns text[]
language sql
immutable
parallel safe
set search_path = ''
as $$
  select array['is', 'is_not', 'in', 'not_in', 'contains', 'not_contains', 'matches', 'greater_than', 'less_than',
               'is_empty', 'is_not_empty', 'changed', 'changed_to', 'changed_from']
$$;
comment on function public.condition_operators() is 'The operators of the shared condition vocabulary.';

-- The fields a condition may name (besides metadata.<key>). message.* exist only where a message triggered the
-- evaluation (automation rules of event message_created).
create function public.condition_fields()
returns text[]
language sql
immutable
parallel safe
set search_path = ''
as $$
  select array['status', 'priority', 'queue_id', 'assignee_id', 'requester_id', 'tags', 'subject', 'number',
               'message.body', 'message.visibility', 'message.author_role', 'actor_role']
$$;
comment on function public.condition_fields() is 'The fields of the shared condition vocabulary, besides metadata.<key>.';

-- Raises the vocabulary's validation error: SQLSTATE 23514, message 'field "<field>": <path>: <problem>', details
-- naming the field, the rule and the path (the convention of every value the database refuses).
create function autocrm_private.raise_vocabulary_error(p_field text, p_path text, p_problem text)
returns void
language plpgsql
immutable
set search_path = ''
as $$
begin
  raise exception 'field "%": %', p_field, case when p_path = '' then p_problem else p_path || ': ' || p_problem end
    using errcode = '23514',
          detail = jsonb_build_object('field', p_field, 'rule', 'vocabulary', 'path', p_path)::text;
end;
$$;

-- A JSON value as a short quoted string for error messages.
create function autocrm_private.vocabulary_quote(p_value jsonb)
returns text
language sql
immutable
parallel safe
set search_path = ''
as $$
  select case when p_value is null then 'nothing' else left(p_value::text, 80) end
$$;

-- ---------------------------------------------------------------------------
-- validate_conditions: refuses conditions that could never be evaluated as meant. p_event (an automation rule's
-- event, or null for features without one) decides whether message.* fields exist.
-- ---------------------------------------------------------------------------
create function public.validate_conditions(conditions jsonb, event text default null, field text default 'conditions')
returns void
language plpgsql
immutable
set search_path = ''
as $$
declare
  v_group text;
  v_list jsonb;
  v_condition jsonb;
  v_index integer;
  v_path text;
  v_field text;
  v_operator text;
  v_value jsonb;
  v_has_value boolean;
  v_key text;
  v_allowed text[];
  v_element jsonb;
begin
  if conditions is null or jsonb_typeof(conditions) is distinct from 'object' then
    perform autocrm_private.raise_vocabulary_error(field, '', 'conditions are a JSON object {"all": [...], "any": [...]}');
  end if;
  for v_key in select jsonb_object_keys(conditions) loop
    if v_key not in ('all', 'any') then
      perform autocrm_private.raise_vocabulary_error(field, v_key, 'unknown key; conditions have only "all" and "any"');
    end if;
  end loop;

  foreach v_group in array array['all', 'any'] loop
    v_list := conditions -> v_group;
    continue when v_list is null;
    if jsonb_typeof(v_list) <> 'array' then
      perform autocrm_private.raise_vocabulary_error(field, v_group, 'must be an array of conditions');
    end if;
    if jsonb_array_length(v_list) > 50 then
      perform autocrm_private.raise_vocabulary_error(field, v_group, 'at most 50 conditions');
    end if;
    v_index := 0;
    for v_condition in select e from jsonb_array_elements(v_list) e loop
      v_path := format('%s[%s]', v_group, v_index);
      v_index := v_index + 1;
      if jsonb_typeof(v_condition) <> 'object' then
        perform autocrm_private.raise_vocabulary_error(field, v_path, 'a condition is an object {"field", "operator", "value"}');
      end if;
      for v_key in select jsonb_object_keys(v_condition) loop
        if v_key not in ('field', 'operator', 'value') then
          perform autocrm_private.raise_vocabulary_error(field, v_path || '.' || v_key,
            'unknown key; a condition has "field", "operator" and "value"');
        end if;
      end loop;

      -- field
      if jsonb_typeof(v_condition -> 'field') is distinct from 'string' then
        perform autocrm_private.raise_vocabulary_error(field, v_path || '.field', 'a field name (a string) is required');
      end if;
      v_field := v_condition ->> 'field';
      if v_field like 'metadata.%' then
        if char_length(v_field) > 109 or v_field = 'metadata.' then
          perform autocrm_private.raise_vocabulary_error(field, v_path || '.field',
            'metadata.<key> names a key of 1 to 100 characters');
        end if;
      elsif not (v_field = any (public.condition_fields())) then
        perform autocrm_private.raise_vocabulary_error(field, v_path || '.field',
          format('"%s" is not a condition field; use one of %s or metadata.<key>', left(v_field, 80),
                 array_to_string(public.condition_fields(), ', ')));
      elsif v_field like 'message.%' and event is not null and event <> 'message_created' then
        perform autocrm_private.raise_vocabulary_error(field, v_path || '.field',
          format('%s exists only for the message_created event', v_field));
      end if;

      -- operator
      if jsonb_typeof(v_condition -> 'operator') is distinct from 'string' then
        perform autocrm_private.raise_vocabulary_error(field, v_path || '.operator', 'an operator (a string) is required');
      end if;
      v_operator := v_condition ->> 'operator';
      if not (v_operator = any (public.condition_operators())) then
        perform autocrm_private.raise_vocabulary_error(field, v_path || '.operator',
          format('"%s" is not an operator; use one of %s', left(v_operator, 80),
                 array_to_string(public.condition_operators(), ', ')));
      end if;
      if v_operator in ('changed', 'changed_to', 'changed_from')
         and (v_field like 'message.%' or v_field = 'actor_role') then
        perform autocrm_private.raise_vocabulary_error(field, v_path || '.operator',
          format('%s does not change; %s applies to ticket fields and metadata', v_field, v_operator));
      end if;
      if v_operator in ('is', 'is_not') and v_field = 'tags' then
        perform autocrm_private.raise_vocabulary_error(field, v_path || '.operator',
          'tags is a list; use contains, not_contains, in, not_in, is_empty or is_not_empty');
      end if;

      -- value
      v_value := v_condition -> 'value';
      v_has_value := v_value is not null and v_value <> 'null'::jsonb;
      if v_operator in ('is_empty', 'is_not_empty', 'changed') then
        if v_has_value then
          perform autocrm_private.raise_vocabulary_error(field, v_path || '.value', format('%s takes no value', v_operator));
        end if;
        continue;
      end if;
      if not v_has_value then
        perform autocrm_private.raise_vocabulary_error(field, v_path || '.value', format('%s needs a value', v_operator));
      end if;
      if v_operator in ('in', 'not_in') then
        if jsonb_typeof(v_value) <> 'array' or jsonb_array_length(v_value) = 0 or jsonb_array_length(v_value) > 500 then
          perform autocrm_private.raise_vocabulary_error(field, v_path || '.value',
            format('%s needs an array of 1 to 500 values', v_operator));
        end if;
      elsif v_operator in ('contains', 'not_contains') and v_field = 'tags' then
        if not (jsonb_typeof(v_value) = 'string'
                or (jsonb_typeof(v_value) = 'array' and jsonb_array_length(v_value) > 0
                    and not exists (select 1 from jsonb_array_elements(v_value) e where jsonb_typeof(e) <> 'string'))) then
          perform autocrm_private.raise_vocabulary_error(field, v_path || '.value', 'a tag or a non-empty array of tags');
        end if;
      elsif v_operator in ('contains', 'not_contains', 'matches') then
        if jsonb_typeof(v_value) <> 'string' or v_value = '""'::jsonb or char_length(v_value #>> '{}') > 1000 then
          perform autocrm_private.raise_vocabulary_error(field, v_path || '.value',
            format('%s needs a text of 1 to 1000 characters', v_operator));
        end if;
        if v_operator = 'matches' then
          begin
            perform '' ~ (v_value #>> '{}');
          exception when invalid_regular_expression then
            perform autocrm_private.raise_vocabulary_error(field, v_path || '.value',
              format('%s is not a valid regular expression (%s)', autocrm_private.vocabulary_quote(v_value), sqlerrm));
          end;
        end if;
      elsif v_operator in ('greater_than', 'less_than') then
        if jsonb_typeof(v_value) not in ('number', 'string') then
          perform autocrm_private.raise_vocabulary_error(field, v_path || '.value',
            format('%s needs a number or a text', v_operator));
        end if;
      elsif jsonb_typeof(v_value) not in ('string', 'number', 'boolean') then
        perform autocrm_private.raise_vocabulary_error(field, v_path || '.value',
          format('%s needs a single value (a string, number or boolean)', v_operator));
      end if;

      -- values of fields with a fixed set of values
      v_allowed := case v_field
        when 'status' then enum_range(null::public.ticket_status)::text[]
        when 'priority' then enum_range(null::public.ticket_priority)::text[]
        when 'message.visibility' then enum_range(null::public.message_visibility)::text[]
        when 'message.author_role' then enum_range(null::public.app_role)::text[] || array['system']
        when 'actor_role' then enum_range(null::public.app_role)::text[] || array['system']
      end;
      if v_operator in ('matches', 'contains', 'not_contains') then
        continue;
      end if;
      for v_element in
        select e from jsonb_array_elements(case when jsonb_typeof(v_value) = 'array' then v_value else jsonb_build_array(v_value) end) e
      loop
        if v_allowed is not null and not (jsonb_typeof(v_element) = 'string' and (v_element #>> '{}') = any (v_allowed)) then
          perform autocrm_private.raise_vocabulary_error(field, v_path || '.value',
            format('%s is not a %s; use one of %s', autocrm_private.vocabulary_quote(v_element), v_field,
                   array_to_string(v_allowed, ', ')));
        end if;
        if v_field in ('queue_id', 'assignee_id', 'requester_id')
           and not (jsonb_typeof(v_element) = 'string'
                    and (v_element #>> '{}') ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$') then
          perform autocrm_private.raise_vocabulary_error(field, v_path || '.value',
            format('%s is not an id (a UUID); %s compares ids', autocrm_private.vocabulary_quote(v_element), v_field));
        end if;
        if v_operator not in ('greater_than', 'less_than') and jsonb_typeof(v_element) not in ('string', 'number', 'boolean') then
          perform autocrm_private.raise_vocabulary_error(field, v_path || '.value',
            format('%s is not a single value', autocrm_private.vocabulary_quote(v_element)));
        end if;
      end loop;
    end loop;
  end loop;
end;
$$;
comment on function public.validate_conditions(jsonb, text, text) is
  'Raises 23514 ''field "<field>": <path>: <problem>'' when conditions are not valid vocabulary (event: an automation rule''s event, or null).';

-- The same check as a value: null when the conditions are valid, else {"field", "path", "message"}.
create function public.conditions_problem(conditions jsonb, event text default null, field text default 'conditions')
returns jsonb
language plpgsql
immutable
set search_path = ''
as $$
declare
  v_detail text;
begin
  perform public.validate_conditions(conditions, event, field);
  return null;
exception when check_violation then
  get stacked diagnostics v_detail = pg_exception_detail;
  return jsonb_build_object('field', field, 'path', v_detail::jsonb ->> 'path', 'message', sqlerrm);
end;
$$;
comment on function public.conditions_problem(jsonb, text, text) is
  'null when conditions are valid vocabulary, else {"field", "path", "message"} (the message validate_conditions raises).';

-- ---------------------------------------------------------------------------
-- Evaluation.
-- ---------------------------------------------------------------------------

-- Evaluation is plain SQL expressions, so that the planner inlines condition_holds into the query that evaluates
-- every rule of an event at once (a rule engine pays this on every ticket write). A SQL function is inlined only
-- when it has no SET clause and no sub-select: these functions name every object with its schema instead of
-- setting search_path, and leave list work (any element of one array in another) to the helpers below.

-- What a condition field holds in a context (old: in the ticket before the change). Empty values ("", [], {},
-- JSON null) are null: "no value" is one thing.
create function public.condition_field_value(field text, context jsonb, old boolean default false)
returns jsonb
language sql
immutable
parallel safe
as $$
  select nullif(nullif(nullif(nullif(
           case
             when field like 'message.%' then context -> 'message' -> substr(field, 9)
             when field = 'actor_role' then context -> 'actor_role'
             when field like 'metadata.%' then
               context -> (case when old then 'old' else 'ticket' end) -> 'metadata' -> substr(field, 10)
             else context -> (case when old then 'old' else 'ticket' end) -> field
           end, 'null'::jsonb), '""'::jsonb), '[]'::jsonb), '{}'::jsonb)
$$;
comment on function public.condition_field_value(text, jsonb, boolean) is
  'The value a condition field has in an evaluation context (old: before the change); empty values are null.';

-- Whether an element of the list p_values is one of p_allowed (in / not_in on tags).
create function autocrm_private.condition_any_in(p_values jsonb, p_allowed jsonb)
returns boolean
language sql
immutable
parallel safe
set search_path = ''
as $$
  select exists (select 1 from jsonb_array_elements(p_values) e where p_allowed @> jsonb_build_array(e))
$$;

-- Whether an element of the list p_values matches the regular expression (matches on tags).
create function autocrm_private.condition_any_matches(p_values jsonb, p_pattern text)
returns boolean
language sql
immutable
parallel safe
set search_path = ''
as $$
  select exists (select 1 from jsonb_array_elements_text(p_values) e where e ~ p_pattern)
$$;

-- A value's rank for greater_than/less_than: priorities and statuses by their order, numbers as numbers; null
-- when it has none (then the texts are compared).
create function public.condition_rank(field text, value jsonb)
returns numeric
language sql
immutable
parallel safe
as $$
  select case
           when field = 'priority' then pg_catalog.array_position(array['low', 'normal', 'high', 'urgent'], value #>> '{}')
           when field = 'status' then
             pg_catalog.array_position(array['new', 'open', 'pending', 'on_hold', 'solved', 'closed'], value #>> '{}')
           when pg_catalog.jsonb_typeof(value) = 'number' then (value #>> '{}')::numeric
         end
$$;

-- -1, 0 or 1: how the field's value compares with the condition's value (null: not comparable).
create function public.condition_compare(field text, current jsonb, value jsonb)
returns integer
language sql
immutable
parallel safe
as $$
  select case
           when current is null or pg_catalog.jsonb_typeof(current) = 'array' then null
           when public.condition_rank(field, current) is not null and public.condition_rank(field, value) is not null
             then pg_catalog.sign(public.condition_rank(field, current) - public.condition_rank(field, value))::integer
           when (current #>> '{}') > (value #>> '{}') then 1
           when (current #>> '{}') < (value #>> '{}') then -1
           else 0
         end
$$;

-- Whether one (valid) condition holds in a context.
create function public.condition_holds(condition jsonb, context jsonb)
returns boolean
language sql
immutable
parallel safe
as $$
  select case condition ->> 'operator'
    when 'is' then
      coalesce(public.condition_field_value(condition ->> 'field', context) = condition -> 'value', false)
    when 'is_not' then
      public.condition_field_value(condition ->> 'field', context) is distinct from condition -> 'value'
    when 'in' then coalesce(
      case when pg_catalog.jsonb_typeof(public.condition_field_value(condition ->> 'field', context)) = 'array'
           then autocrm_private.condition_any_in(public.condition_field_value(condition ->> 'field', context), condition -> 'value')
           else condition -> 'value' @> ('[]'::jsonb || public.condition_field_value(condition ->> 'field', context)) end,
      false)
    when 'not_in' then not coalesce(
      case when pg_catalog.jsonb_typeof(public.condition_field_value(condition ->> 'field', context)) = 'array'
           then autocrm_private.condition_any_in(public.condition_field_value(condition ->> 'field', context), condition -> 'value')
           else condition -> 'value' @> ('[]'::jsonb || public.condition_field_value(condition ->> 'field', context)) end,
      false)
    -- ('[]' || v) is [v] for a single value and v itself for a list (jsonb_build_array is not immutable).
    when 'contains' then coalesce(
      case when pg_catalog.jsonb_typeof(public.condition_field_value(condition ->> 'field', context)) = 'array'
           then public.condition_field_value(condition ->> 'field', context)
                @> case when pg_catalog.jsonb_typeof(condition -> 'value') = 'array' then condition -> 'value'
                        else ('[]'::jsonb || (condition -> 'value')) end
           else pg_catalog.strpos(pg_catalog.lower(public.condition_field_value(condition ->> 'field', context) #>> '{}'),
                                  pg_catalog.lower(condition ->> 'value')) > 0 end,
      false)
    when 'not_contains' then not coalesce(
      case when pg_catalog.jsonb_typeof(public.condition_field_value(condition ->> 'field', context)) = 'array'
           then public.condition_field_value(condition ->> 'field', context)
                @> case when pg_catalog.jsonb_typeof(condition -> 'value') = 'array' then condition -> 'value'
                        else ('[]'::jsonb || (condition -> 'value')) end
           else pg_catalog.strpos(pg_catalog.lower(public.condition_field_value(condition ->> 'field', context) #>> '{}'),
                                  pg_catalog.lower(condition ->> 'value')) > 0 end,
      false)
    when 'matches' then coalesce(
      case when pg_catalog.jsonb_typeof(public.condition_field_value(condition ->> 'field', context)) = 'array'
           then autocrm_private.condition_any_matches(public.condition_field_value(condition ->> 'field', context), condition ->> 'value')
           else (public.condition_field_value(condition ->> 'field', context) #>> '{}') ~ (condition ->> 'value') end,
      false)
    when 'greater_than' then
      coalesce(public.condition_compare(condition ->> 'field', public.condition_field_value(condition ->> 'field', context),
                                        condition -> 'value') > 0, false)
    when 'less_than' then
      coalesce(public.condition_compare(condition ->> 'field', public.condition_field_value(condition ->> 'field', context),
                                        condition -> 'value') < 0, false)
    when 'is_empty' then public.condition_field_value(condition ->> 'field', context) is null
    when 'is_not_empty' then public.condition_field_value(condition ->> 'field', context) is not null
    -- A new ticket (no "old") changed every field that has a value. On tags, changed_to / changed_from mean that
    -- the tag was added / removed.
    when 'changed' then
      public.condition_field_value(condition ->> 'field', context)
        is distinct from public.condition_field_value(condition ->> 'field', context, true)
    when 'changed_to' then
      case when condition ->> 'field' = 'tags'
           then coalesce(public.condition_field_value('tags', context) @> ('[]'::jsonb || (condition -> 'value')), false)
                and not coalesce(public.condition_field_value('tags', context, true) @> ('[]'::jsonb || (condition -> 'value')), false)
           else public.condition_field_value(condition ->> 'field', context)
                  is distinct from public.condition_field_value(condition ->> 'field', context, true)
                and coalesce(public.condition_field_value(condition ->> 'field', context) = condition -> 'value', false) end
    when 'changed_from' then
      case when condition ->> 'field' = 'tags'
           then coalesce(public.condition_field_value('tags', context, true) @> ('[]'::jsonb || (condition -> 'value')), false)
                and not coalesce(public.condition_field_value('tags', context) @> ('[]'::jsonb || (condition -> 'value')), false)
           else public.condition_field_value(condition ->> 'field', context)
                  is distinct from public.condition_field_value(condition ->> 'field', context, true)
                and coalesce(public.condition_field_value(condition ->> 'field', context, true) = condition -> 'value', false) end
    else false
  end
$$;
comment on function public.condition_holds(jsonb, jsonb) is 'Whether one condition (already validated) holds in an evaluation context.';

-- Whether conditions {"all": [...], "any": [...]} hold in a context: every "all" condition and, when "any" has
-- conditions, at least one of them.
create function public.conditions_match(conditions jsonb, context jsonb)
returns boolean
language sql
immutable
parallel safe
as $$
  select not exists (select 1 from pg_catalog.jsonb_array_elements(coalesce(conditions -> 'all', '[]'::jsonb)) c
                      where not public.condition_holds(c, context))
     and (coalesce(pg_catalog.jsonb_array_length(conditions -> 'any'), 0) = 0
          or exists (select 1 from pg_catalog.jsonb_array_elements(conditions -> 'any') c
                      where public.condition_holds(c, context)))
$$;
comment on function public.conditions_match(jsonb, jsonb) is
  'Whether validated conditions {"all": [...], "any": [...]} hold in an evaluation context (docs/automation.md).';

-- Database code only: nothing here is an API call.
revoke execute on function public.condition_operators(), public.condition_fields(),
  public.validate_conditions(jsonb, text, text), public.conditions_problem(jsonb, text, text),
  public.condition_field_value(text, jsonb, boolean), public.condition_holds(jsonb, jsonb),
  public.conditions_match(jsonb, jsonb), public.condition_rank(text, jsonb), public.condition_compare(text, jsonb, jsonb)
  from public, anon, authenticated;
revoke execute on function autocrm_private.raise_vocabulary_error(text, text, text), autocrm_private.vocabulary_quote(jsonb),
  autocrm_private.condition_any_in(jsonb, jsonb), autocrm_private.condition_any_matches(jsonb, text)
  from public, anon, authenticated;
