-- AutoCRM custom field definitions: public.ticket_fields (typed fields whose values live in the ticket's metadata),
-- their row-level security, the checks on a definition, the value rules shared by every writer, and the compiled
-- copy of the definitions that the ticket write path reads. Forward-only (follows 20261204213706).
--
-- Values, their storage (agent-only values live in public.ticket_agent_fields) and the ticket triggers that enforce
-- the rules are in the next migration, 20261204230101_ticket_field_values.sql. docs/custom-fields.md describes both.

-- Internals out of the API's reach: PostgREST exposes only the schemas `public` and `graphql_public`. API roles
-- get no privilege on any table here, and may execute only what is granted explicitly (the ticket triggers, which
-- run as the caller, call one function here). Security definer functions use the rest.
create schema autocrm_private;
revoke all on schema autocrm_private from public;
grant usage on schema autocrm_private to anon, authenticated;
comment on schema autocrm_private is
  'AutoCRM internals, not exposed through the API: no table privileges for API roles; functions by explicit grant only.';

create type public.ticket_field_type as enum (
  'text', 'textarea', 'integer', 'decimal', 'checkbox', 'date', 'dropdown', 'multiselect', 'regex');

-- ---------------------------------------------------------------------------
-- ticket_fields
-- ---------------------------------------------------------------------------
create table public.ticket_fields (
  id uuid not null primary key default gen_random_uuid(),
  key text not null,
  label text not null,
  description text not null default '',
  type public.ticket_field_type not null,
  options jsonb not null default '[]'::jsonb,
  pattern text,
  required_for_customers boolean not null default false,
  required_for_agents boolean not null default false,
  required_to_solve boolean not null default false,
  customer_visible boolean not null default false,
  customer_editable boolean not null default false,
  position integer not null default 0,
  active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint ticket_fields_key_key unique (key),
  constraint ticket_fields_key_format check (key ~ '^[a-z][a-z0-9_]{0,62}$'),
  constraint ticket_fields_label_length check (char_length(btrim(label)) between 1 and 100),
  constraint ticket_fields_description_length check (char_length(description) <= 1000),
  constraint ticket_fields_options_is_array check (jsonb_typeof(options) = 'array'),
  constraint ticket_fields_options_by_type check ((type in ('dropdown', 'multiselect')) = (jsonb_array_length(options) > 0)),
  constraint ticket_fields_pattern_by_type check ((type = 'regex') = (pattern is not null)),
  constraint ticket_fields_editable_needs_visible check (not customer_editable or customer_visible),
  constraint ticket_fields_customer_required_needs_editable check (not required_for_customers or customer_editable)
);
comment on table public.ticket_fields is
  'Custom ticket field definitions. Values live in tickets.metadata under the key (agent-only ones in ticket_agent_fields).';
comment on column public.ticket_fields.key is
  'The metadata key: a slug that is not a tickets column; it cannot change once created.';
comment on column public.ticket_fields.options is
  'dropdown/multiselect choices: [{"value": "pro", "label": "Pro"}, ...]; values are what is stored.';
comment on column public.ticket_fields.pattern is
  'regex fields: a PostgreSQL regular expression the whole value must match.';
comment on column public.ticket_fields.customer_visible is
  'false: an agent-only field, stored apart from the ticket row and never readable by customers.';
comment on column public.ticket_fields.active is
  'false: archived; values are kept but no new value is accepted.';

create index ticket_fields_position_idx on public.ticket_fields (position, key);

-- Definitions are checked here (before the constraints) so that a bad one gets an error naming what is wrong.
-- Security definer only to reach autocrm_private (the error helper and the reserved keys).
create function public.ticket_fields_before_write()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_options jsonb := '[]'::jsonb;
  v_option jsonb;
  v_value text;
  v_label text;
  v_seen text[] := '{}';
begin
  if tg_op = 'UPDATE' then
    if new.key is distinct from old.key then
      perform autocrm_private.raise_field_error(old.key, 'definition',
        'the key of a field cannot change (create a new field and archive this one)');
    end if;
    if new.type is distinct from old.type then
      perform autocrm_private.raise_field_error(old.key, 'definition',
        'the type of a field cannot change (create a new field and archive this one)');
    end if;
    if new.id is distinct from old.id or new.created_at is distinct from old.created_at then
      perform autocrm_private.raise_field_error(old.key, 'definition', 'id and created_at cannot change');
    end if;
    new.updated_at := now();
  else
    if new.key is null or new.key !~ '^[a-z][a-z0-9_]{0,62}$' then
      perform autocrm_private.raise_field_error(coalesce(new.key, ''), 'definition',
        'a key is a lower-case letter followed by up to 62 lower-case letters, digits or underscores');
    end if;
    if new.key = any (autocrm_private.reserved_field_keys()) then
      perform autocrm_private.raise_field_error(new.key, 'definition',
        'the key clashes with a ticket column or a name the API uses for tickets');
    end if;
    new.created_at := now();
    new.updated_at := new.created_at;
  end if;

  new.label := btrim(coalesce(new.label, ''));
  if char_length(new.label) not between 1 and 100 then
    perform autocrm_private.raise_field_error(new.key, 'definition', 'a label of 1 to 100 characters is required');
  end if;
  new.description := coalesce(new.description, '');
  new.options := coalesce(new.options, '[]'::jsonb);

  if new.type in ('dropdown', 'multiselect') then
    if jsonb_typeof(new.options) is distinct from 'array' or jsonb_array_length(new.options) = 0 then
      perform autocrm_private.raise_field_error(new.key, 'definition',
        format('%s fields need a non-empty options array of {"value", "label"}', new.type));
    end if;
    if jsonb_array_length(new.options) > 500 then
      perform autocrm_private.raise_field_error(new.key, 'definition', 'at most 500 options');
    end if;
    for v_option in select o from jsonb_array_elements(new.options) o loop
      if jsonb_typeof(v_option) = 'string' then
        v_value := v_option #>> '{}';
        v_label := v_value;
      elsif jsonb_typeof(v_option) = 'object' and jsonb_typeof(v_option -> 'value') = 'string'
            and coalesce(jsonb_typeof(v_option -> 'label'), 'string') = 'string' then
        v_value := v_option ->> 'value';
        v_label := btrim(coalesce(v_option ->> 'label', v_value));
      else
        perform autocrm_private.raise_field_error(new.key, 'definition',
          format('option %s is not a string or a {"value", "label"} object', left(v_option::text, 100)));
      end if;
      if char_length(v_value) not between 1 and 100 or v_value ~ '[\r\n]' then
        perform autocrm_private.raise_field_error(new.key, 'definition',
          format('option value %s must be one line of 1 to 100 characters', left(to_jsonb(v_value)::text, 110)));
      end if;
      if char_length(v_label) not between 1 and 200 then
        perform autocrm_private.raise_field_error(new.key, 'definition',
          format('the label of option %s must have 1 to 200 characters', to_jsonb(v_value)::text));
      end if;
      if v_value = any (v_seen) then
        perform autocrm_private.raise_field_error(new.key, 'definition',
          format('option %s appears twice', to_jsonb(v_value)::text));
      end if;
      v_seen := v_seen || v_value;
      v_options := v_options || jsonb_build_array(jsonb_build_object('value', v_value, 'label', v_label));
    end loop;
    new.options := v_options;
  elsif new.options is distinct from '[]'::jsonb then
    perform autocrm_private.raise_field_error(new.key, 'definition', format('%s fields have no options', new.type));
  end if;

  if new.type = 'regex' then
    if new.pattern is null or char_length(new.pattern) not between 1 and 500 then
      perform autocrm_private.raise_field_error(new.key, 'definition', 'regex fields need a pattern of 1 to 500 characters');
    end if;
    begin
      -- Both the pattern and the anchored form used for values must compile.
      perform '' ~ new.pattern, '' ~ ('^(?:' || new.pattern || ')$');
    exception when invalid_regular_expression then
      perform autocrm_private.raise_field_error(new.key, 'definition',
        format('the pattern is not a valid regular expression (%s)', sqlerrm));
    end;
  elsif new.pattern is not null then
    perform autocrm_private.raise_field_error(new.key, 'definition', format('%s fields have no pattern', new.type));
  end if;

  if new.customer_editable and not new.customer_visible then
    perform autocrm_private.raise_field_error(new.key, 'definition', 'a customer-editable field must be customer-visible');
  end if;
  if new.required_for_customers and not new.customer_editable then
    perform autocrm_private.raise_field_error(new.key, 'definition',
      'a field required for customers must be customer-editable');
  end if;
  return new;
end;
$$;

create trigger ticket_fields_before_write
  before insert or update on public.ticket_fields
  for each row execute function public.ticket_fields_before_write();

alter table public.ticket_fields enable row level security;

-- Staff read every definition; customers read the customer-visible ones (archived included, for their labels).
create policy ticket_fields_select on public.ticket_fields
  for select to authenticated
  using (customer_visible or (select public.current_app_role()) in ('agent', 'admin'));
create policy ticket_fields_insert on public.ticket_fields
  for insert to authenticated
  with check ((select public.current_app_role()) = 'admin');
create policy ticket_fields_update on public.ticket_fields
  for update to authenticated
  using ((select public.current_app_role()) = 'admin')
  with check ((select public.current_app_role()) = 'admin');
create policy ticket_fields_delete on public.ticket_fields
  for delete to authenticated
  using ((select public.current_app_role()) = 'admin');

revoke all on public.ticket_fields from anon;
revoke execute on function public.ticket_fields_before_write() from public, anon, authenticated;
revoke truncate on public.ticket_fields from authenticated;

-- ---------------------------------------------------------------------------
-- Errors: SQLSTATE 23514 (HTTP 400 through PostgREST) unless said otherwise; the message starts with
-- `field "<key>": `, and DETAIL is the JSON {"field": "<key>", "rule": "<rule>"} so that clients can point at the
-- field without parsing the message.
-- ---------------------------------------------------------------------------
create function autocrm_private.raise_field_error(p_key text, p_rule text, p_problem text, p_errcode text default '23514')
returns void
language plpgsql
set search_path = ''
as $$
begin
  raise exception using
    errcode = p_errcode,
    message = format('field "%s": %s', p_key, p_problem),
    detail = format('{"field": %s, "rule": %s}', to_jsonb(p_key), to_jsonb(p_rule));
end;
$$;

-- Keys a field may not take: every tickets column (today's and tomorrow's, read from the catalog) and the names
-- the API uses next to ticket columns (embeds, the agent-only values).
create function autocrm_private.reserved_field_keys()
returns text[]
language sql
stable
set search_path = ''
as $$
  select array_agg(a.attname::text) || array['conversation_history', 'ticket_messages', 'ticket_events',
                                             'ticket_agent_fields', 'agent_fields', 'fields', 'requester', 'assignee',
                                             'queue']
    from pg_catalog.pg_attribute a
   where a.attrelid = 'public.tickets'::regclass and a.attnum > 0 and not a.attisdropped;
$$;

-- A value as JSON text for an error message, cut at 100 characters.
create function autocrm_private.shown_value(p_value jsonb)
returns text
language sql
immutable
set search_path = ''
as $$
  select case when char_length(p_value::text) > 100 then left(p_value::text, 100) || '…' else p_value::text end;
$$;

-- ---------------------------------------------------------------------------
-- Value rules. One function decides whether a value fits a compiled definition (see compile_ticket_fields) and
-- returns the value in its stored form; the ticket triggers and public.ticket_field_value_problem use it.
-- `value` is never JSON null, "" or [] here: those mean "no value" and are removed before the check.
-- ---------------------------------------------------------------------------
create function autocrm_private.field_value_problem(
  p_def jsonb, p_value jsonb, out rule text, out problem text, out normalized jsonb)
language plpgsql
immutable
set search_path = ''
as $$
declare
  v_type text := p_def ->> 'type';
  v_json text := jsonb_typeof(p_value);
  v_text text;
  v_number numeric;
  v_item jsonb;
  v_seen text[] := '{}';
  v_year int;
  v_month int;
  v_day int;
begin
  normalized := p_value;
  if v_type in ('text', 'textarea', 'regex') then
    if v_json <> 'string' then
      rule := 'type'; problem := 'expected text, got ' || autocrm_private.shown_value(p_value); return;
    end if;
    v_text := p_value #>> '{}';
    if v_type <> 'textarea' and (strpos(v_text, E'\n') > 0 or strpos(v_text, E'\r') > 0) then
      rule := 'type'; problem := 'expected one line of text'; return;
    end if;
    if char_length(v_text) > (case when v_type = 'textarea' then 10000 else 1000 end) then
      rule := 'length';
      problem := format('is longer than %s characters', case when v_type = 'textarea' then 10000 else 1000 end);
      return;
    end if;
    if v_type = 'regex' and v_text !~ ('^(?:' || (p_def ->> 'pattern') || ')$') then
      rule := 'pattern'; problem := format('%s does not match the pattern %s', autocrm_private.shown_value(p_value), p_def ->> 'pattern'); return;
    end if;
  elsif v_type = 'integer' then
    if v_json <> 'number' then
      rule := 'type'; problem := 'expected an integer, got ' || autocrm_private.shown_value(p_value); return;
    end if;
    v_number := p_value::numeric;
    if v_number <> trunc(v_number) then
      rule := 'type'; problem := 'expected an integer, got ' || autocrm_private.shown_value(p_value); return;
    end if;
    if abs(v_number) > 9007199254740991 then
      rule := 'range'; problem := autocrm_private.shown_value(p_value) || ' is outside -9007199254740991..9007199254740991'; return;
    end if;
    if scale(v_number) > 0 then
      normalized := to_jsonb(trunc(v_number));
    end if;
  elsif v_type = 'decimal' then
    if v_json <> 'number' then
      rule := 'type'; problem := 'expected a number, got ' || autocrm_private.shown_value(p_value); return;
    end if;
    v_number := p_value::numeric;
    if abs(v_number) > 79228162514264337593543950335 then
      rule := 'range'; problem := autocrm_private.shown_value(p_value) || ' is too large (at most 79228162514264337593543950335)'; return;
    end if;
    if scale(v_number) > 28 then
      rule := 'range'; problem := autocrm_private.shown_value(p_value) || ' has more than 28 decimal places'; return;
    end if;
  elsif v_type = 'checkbox' then
    if v_json <> 'boolean' then
      rule := 'type'; problem := 'expected true or false, got ' || autocrm_private.shown_value(p_value); return;
    end if;
  elsif v_type = 'date' then
    v_text := case when v_json = 'string' then p_value #>> '{}' end;
    if v_text is null or v_text !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' then
      rule := 'type'; problem := 'expected a date as "YYYY-MM-DD", got ' || autocrm_private.shown_value(p_value); return;
    end if;
    v_year := substr(v_text, 1, 4)::int;
    v_month := substr(v_text, 6, 2)::int;
    v_day := substr(v_text, 9, 2)::int;
    if v_year < 1 or v_month not between 1 and 12 or v_day < 1
       or v_day > extract(day from make_date(v_year, v_month, 1) + interval '1 month - 1 day') then
      rule := 'type'; problem := autocrm_private.shown_value(p_value) || ' is not a calendar date'; return;
    end if;
  elsif v_type = 'dropdown' then
    if v_json <> 'string' then
      rule := 'type'; problem := 'expected one of the options as text, got ' || autocrm_private.shown_value(p_value); return;
    end if;
    if not (p_def -> 'options') ? (p_value #>> '{}') then
      rule := 'option'; problem := autocrm_private.shown_value(p_value) || ' is not one of ' || autocrm_private.option_list(p_def); return;
    end if;
  elsif v_type = 'multiselect' then
    if v_json <> 'array' then
      rule := 'type'; problem := 'expected an array of options, got ' || autocrm_private.shown_value(p_value); return;
    end if;
    for v_item in select e from jsonb_array_elements(p_value) e loop
      if jsonb_typeof(v_item) <> 'string' then
        rule := 'type'; problem := 'expected an array of options as text, got ' || autocrm_private.shown_value(p_value); return;
      end if;
      if not (p_def -> 'options') ? (v_item #>> '{}') then
        rule := 'option'; problem := v_item::text || ' is not one of ' || autocrm_private.option_list(p_def); return;
      end if;
      if (v_item #>> '{}') = any (v_seen) then
        rule := 'duplicate'; problem := v_item::text || ' is selected twice'; return;
      end if;
      v_seen := v_seen || (v_item #>> '{}');
    end loop;
  else
    rule := 'type'; problem := format('unknown field type %s', coalesce(v_type, 'null'));
  end if;
end;
$$;

-- "free, pro, enterprise" (the first 20 options, then "…").
create function autocrm_private.option_list(p_def jsonb)
returns text
language sql
immutable
set search_path = ''
as $$
  select string_agg(e.value, ', ' order by e.n)
         || case when jsonb_array_length(p_def -> 'options') > 20 then ', …' else '' end
    from jsonb_array_elements_text(p_def -> 'options') with ordinality e(value, n)
   where e.n <= 20;
$$;

-- JSON null, "" and [] mean "no value": the field is removed rather than stored.
create function autocrm_private.field_value_is_empty(p_value jsonb)
returns boolean
language sql
immutable
set search_path = ''
as $$
  select p_value is null or p_value = 'null'::jsonb or p_value = '""'::jsonb or p_value = '[]'::jsonb;
$$;

-- ---------------------------------------------------------------------------
-- The compiled definitions: one row that the ticket write path reads by primary key (one index read of a small
-- jsonb per written ticket; public.ticket_fields itself is never scanned there). Kept in step by a statement
-- trigger on ticket_fields. Shape:
--   {"fields": {"<key>": {"type", "visible", "editable", "active", "options": [values], "pattern"}},
--    "visible": [keys], "agent_only": [keys],
--    "required_for_customers": [keys], "required_for_agents": [keys], "required_to_solve": [keys]}
-- (the required lists hold active fields only).
-- ---------------------------------------------------------------------------
create table autocrm_private.ticket_field_schema (
  id boolean not null primary key default true,
  definitions jsonb not null,
  updated_at timestamptz not null default now(),
  constraint ticket_field_schema_one_row check (id)
);

-- Field definition changes and ticket writes that read them are serialised by this advisory lock: ticket writes
-- hold it shared for their transaction, definition changes take it exclusively before recompiling, so no ticket
-- write uses definitions that a committed change has replaced (e.g. a value stored as customer-visible after its
-- field became agent-only). The key is 'AUTOCRMF' in ASCII.
create function autocrm_private.ticket_fields_lock_key()
returns bigint
language sql
immutable
as $$ select 4707761684894338374::bigint $$;

create function autocrm_private.compile_ticket_fields()
returns void
language plpgsql
set search_path = ''
as $$
begin
  perform pg_advisory_xact_lock(autocrm_private.ticket_fields_lock_key());
  -- Read the definitions after the lock, in a new statement, so that a concurrent change committed meanwhile is seen.
  if (select count(*) from public.ticket_fields) > 256 then
    raise exception 'at most 256 ticket fields can be defined (archive or delete unused ones)'
      using errcode = '23514', detail = jsonb_build_object('rule', 'definition')::text;
  end if;
  update autocrm_private.ticket_field_schema s
     set definitions = (
           select jsonb_build_object(
                    'fields', coalesce(jsonb_object_agg(f.key, jsonb_build_object(
                                'type', f.type,
                                'visible', f.customer_visible,
                                'editable', f.customer_editable,
                                'active', f.active,
                                'options', (select coalesce(jsonb_agg(o ->> 'value'), '[]'::jsonb)
                                              from jsonb_array_elements(f.options) o),
                                'pattern', f.pattern)), '{}'::jsonb),
                    'visible', coalesce(jsonb_agg(f.key) filter (where f.customer_visible), '[]'::jsonb),
                    'agent_only', coalesce(jsonb_agg(f.key) filter (where not f.customer_visible), '[]'::jsonb),
                    'required_for_customers',
                      coalesce(jsonb_agg(f.key) filter (where f.active and f.required_for_customers), '[]'::jsonb),
                    'required_for_agents',
                      coalesce(jsonb_agg(f.key) filter (where f.active and f.required_for_agents), '[]'::jsonb),
                    'required_to_solve',
                      coalesce(jsonb_agg(f.key) filter (where f.active and f.required_to_solve), '[]'::jsonb))
             from public.ticket_fields f),
         updated_at = now()
   where s.id;
end;
$$;

insert into autocrm_private.ticket_field_schema (id, definitions) values (true, '{}'::jsonb);
select autocrm_private.compile_ticket_fields();

create function public.ticket_fields_compile()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform autocrm_private.compile_ticket_fields();
  return null;
end;
$$;
revoke execute on function public.ticket_fields_compile() from public, anon, authenticated;

-- Statement triggers fire in name order: this one (compile) before ticket_fields_move_values (next migration).
create trigger ticket_fields_compile
  after insert or update or delete or truncate on public.ticket_fields
  for each statement execute function public.ticket_fields_compile();

-- ---------------------------------------------------------------------------
-- Entry points for database code (automation rules, SLA policies, imports): whether a value fits a field, without
-- raising. Returns null when it does, else {"field", "rule", "message"} with the message the ticket triggers raise.
-- Not callable through the API (it would describe agent-only fields to customers).
-- ---------------------------------------------------------------------------
create function public.ticket_field_value_problem(key text, value jsonb)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_def jsonb := (select s.definitions -> 'fields' -> ticket_field_value_problem.key
                    from autocrm_private.ticket_field_schema s where s.id);
  v_check record;
begin
  if v_def is null then
    return jsonb_build_object('field', key, 'rule', 'undefined', 'message', format('field "%s": no such field', key));
  end if;
  if autocrm_private.field_value_is_empty(value) then
    return null;
  end if;
  if not (v_def ->> 'active')::boolean then
    return jsonb_build_object('field', key, 'rule', 'archived',
                              'message', format('field "%s": is archived and accepts no new values', key));
  end if;
  v_check := autocrm_private.field_value_problem(v_def, value);
  if v_check.rule is null then
    return null;
  end if;
  return jsonb_build_object('field', key, 'rule', v_check.rule, 'message', format('field "%s": %s', key, v_check.problem));
end;
$$;
comment on function public.ticket_field_value_problem(text, jsonb) is
  'null when value fits the field (or is empty), else {"field", "rule", "message"}; for database code, not the API.';
revoke execute on function public.ticket_field_value_problem(text, jsonb) from public, anon, authenticated;

-- ---------------------------------------------------------------------------
-- reorder_ticket_fields: admins put fields in order in one statement; position = index in keys (1-based).
-- Fields not named keep their position.
-- ---------------------------------------------------------------------------
create function public.reorder_ticket_fields(keys text[])
returns setof public.ticket_fields
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_missing text;
begin
  if not public.request_is_privileged() and (select public.current_app_role()) is distinct from 'admin' then
    raise exception 'only an admin can reorder ticket fields' using errcode = '42501';
  end if;
  if keys is null or cardinality(keys) <> (select count(distinct k) from unnest(keys) k) then
    raise exception 'keys must name each field at most once' using errcode = '22023';
  end if;
  select k into v_missing from unnest(keys) k
   where not exists (select 1 from public.ticket_fields f where f.key = k) limit 1;
  if v_missing is not null then
    raise exception 'field "%" not found', v_missing using errcode = 'PT404';
  end if;
  update public.ticket_fields f
     set position = k.n
    from unnest(keys) with ordinality k(key, n)
   where f.key = k.key and f.position is distinct from k.n::int;
  return query select * from public.ticket_fields f order by f.position, f.key;
end;
$$;
comment on function public.reorder_ticket_fields(text[]) is
  'Sets position = index in keys for the named fields (admin only); returns every field in order.';
revoke execute on function public.reorder_ticket_fields(text[]) from public, anon;

-- Nothing in autocrm_private is executable by API roles unless granted explicitly (functions default to PUBLIC).
revoke execute on all functions in schema autocrm_private from public;
