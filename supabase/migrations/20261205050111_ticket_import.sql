-- Bulk ticket import: public.import_tickets(rows jsonb, dry_run boolean) creates up to 1,000 tickets in one call, all
-- or none. Each row is an object of cells keyed by column name, as a CSV file's header names them: the ticket columns
-- below and custom field keys. The database maps and converts the cells, and every value meets the same rules as any
-- other insert (column rules, row-level security, custom field validation), because the rows are ordinary inserts run
-- as the caller.
--
-- Columns: id (uuid; generated when empty), subject, description (the first public message), status, priority,
-- queue (slug or id), requester (email or id; the caller when empty), assignee (email or id), tags (a JSON array, or
-- text separated by ';'), metadata (a JSON object of free-form keys), created_at (kept for trusted writers only: the
-- column rules stamp API users' tickets), and each custom field by its key (text is converted by the field's type:
-- numbers, true/false, multiselect options separated by ';'). number, updated_at and version (as `autocrm export`
-- writes them) are read-only and ignored. Any other column is refused
-- before anything is written. Empty cells mean "no value".
--
-- All or nothing: the rows are inserted in one statement; when that fails, each row is tried again on its own (in a
-- subtransaction) to find every bad one, and then everything is undone. The result lists each bad row (1-based index
-- in `rows`) with the database's message and the field it names. With dry_run nothing is kept even when every row is
-- good: a client that sends a large file in several calls checks them all before writing any.
--
-- Who: agents and admins (and trusted writers: the service_role key, direct sessions). Row-level security and the
-- column rules decide each row as for any insert: an agent creates tickets only in her queues (or with no queue).

-- The import's own column names join the keys a field may not take (started from 20261204230100_ticket_fields.sql).
create or replace function autocrm_private.reserved_field_keys()
returns text[]
language sql
stable
set search_path = ''
as $$
  select array_agg(a.attname::text) || array['conversation_history', 'ticket_messages', 'ticket_events',
                                             'ticket_agent_fields', 'agent_fields', 'fields', 'requester', 'assignee',
                                             'queue', 'description', 'source_key']
    from pg_catalog.pg_attribute a
   where a.attrelid = 'public.tickets'::regclass and a.attnum > 0 and not a.attisdropped;
$$;

-- Idempotent (type created only when missing, functions created or replaced): this file was first landed as
-- 20261205042620_ticket_import.sql, which sorted before migrations already on main, and was renamed to sort after them;
-- a database that applied it under the old name applies it again harmlessly.
do $type$
begin
  if to_regtype('autocrm_private.imported_ticket') is null then
    create type autocrm_private.imported_ticket as (
      id uuid,
      subject text,
      status public.ticket_status,
      priority public.ticket_priority,
      requester_id uuid,
      assignee_id uuid,
      queue_id uuid,
      tags text[],
      metadata jsonb,
      description text,
      created_at timestamptz
    );
  end if;
end
$type$;

-- The custom fields' error shape (a message starting with `field "<key>": `, DETAIL {"field", "rule"}), callable by
-- the importing roles.
create or replace function autocrm_private.raise_import_error(p_key text, p_rule text, p_problem text, p_errcode text default '23514')
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

-- A cell as text, or null when it is missing, JSON null or blank.
create or replace function autocrm_private.import_cell(p_row jsonb, p_column text)
returns text
language sql
immutable
set search_path = ''
as $$
  select nullif(btrim(case jsonb_typeof(p_row -> p_column) when 'string' then p_row ->> p_column
                                                          when 'null' then null
                                                          else (p_row -> p_column)::text end), '');
$$;

-- A custom field's cell as the JSON value its type expects, or null for no value. Text that cannot be read as the type
-- stays a string, so that the field's own validation refuses it with its usual message.
create or replace function autocrm_private.import_field_value(p_value jsonb, p_type text)
returns jsonb
language plpgsql
immutable
set search_path = ''
as $$
declare
  v_text text;
begin
  if p_value is null or jsonb_typeof(p_value) = 'null' then
    return null;
  end if;
  if jsonb_typeof(p_value) <> 'string' then
    return p_value;
  end if;
  v_text := p_value #>> '{}';
  if btrim(v_text) = '' then
    return null;
  end if;
  case p_type
    when 'integer', 'decimal' then
      if btrim(v_text) ~ '^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$' then
        return btrim(v_text)::jsonb;
      end if;
    when 'checkbox' then
      if lower(btrim(v_text)) in ('true', 'false') then
        return to_jsonb(lower(btrim(v_text)) = 'true');
      end if;
    when 'multiselect' then
      return coalesce((select jsonb_agg(btrim(o) order by n)
                         from unnest(string_to_array(v_text, ';')) with ordinality as x(o, n)
                        where btrim(o) <> ''), '[]'::jsonb);
    when 'date', 'dropdown' then
      return to_jsonb(btrim(v_text));
    else
      null;
  end case;
  return p_value;
end;
$$;

-- One row's cells as a ticket. Raises (with the field named as custom fields do) when a cell cannot be read.
create or replace function autocrm_private.import_ticket_row(p_row jsonb, p_types jsonb)
returns autocrm_private.imported_ticket
language plpgsql
stable
set search_path = ''
as $$
declare
  v autocrm_private.imported_ticket;
  v_cell text;
  v_key text;
  v_value jsonb;
  v_user uuid;
begin
  v_cell := autocrm_private.import_cell(p_row, 'id');
  if v_cell is null then
    v.id := gen_random_uuid();
  elsif v_cell ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
    v.id := v_cell::uuid;
  else
    perform autocrm_private.raise_import_error('id', 'type', format('expected a uuid, got %s', to_jsonb(v_cell)));
  end if;

  v.subject := case jsonb_typeof(p_row -> 'subject') when 'string' then p_row ->> 'subject' end;
  v.description := autocrm_private.import_cell(p_row, 'description');
  if v.description is not null then
    v.description := p_row ->> 'description';
  end if;

  v_cell := autocrm_private.import_cell(p_row, 'created_at');
  if v_cell is not null then
    begin
      v.created_at := v_cell::timestamptz;
    exception when datetime_field_overflow or invalid_datetime_format then
      perform autocrm_private.raise_import_error('created_at', 'type', format('expected a timestamp, got %s', to_jsonb(v_cell)));
    end;
  end if;

  v_cell := lower(autocrm_private.import_cell(p_row, 'status'));
  if v_cell is not null then
    if v_cell <> all (enum_range(null::public.ticket_status)::text[]) then
      perform autocrm_private.raise_import_error('status', 'option', format('%s is not one of %s', to_jsonb(v_cell),
        array_to_string(enum_range(null::public.ticket_status)::text[], ', ')));
    end if;
    v.status := v_cell::public.ticket_status;
  end if;

  v_cell := lower(autocrm_private.import_cell(p_row, 'priority'));
  if v_cell is not null then
    if v_cell <> all (enum_range(null::public.ticket_priority)::text[]) then
      perform autocrm_private.raise_import_error('priority', 'option', format('%s is not one of %s', to_jsonb(v_cell),
        array_to_string(enum_range(null::public.ticket_priority)::text[], ', ')));
    end if;
    v.priority := v_cell::public.ticket_priority;
  end if;

  v_cell := autocrm_private.import_cell(p_row, 'queue');
  if v_cell is not null then
    select q.id into v.queue_id
      from public.queues q
     where q.slug = lower(v_cell)
        or (v_cell ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' and q.id = v_cell::uuid)
     limit 1;
    if v.queue_id is null then
      perform autocrm_private.raise_import_error('queue', 'undefined', format('no queue %s', to_jsonb(v_cell)), '23503');
    end if;
  end if;

  foreach v_key in array array['requester', 'assignee'] loop
    v_cell := autocrm_private.import_cell(p_row, v_key);
    continue when v_cell is null;
    v_user := null;
    select p.id into v_user
      from (select p.id from public.profiles p
             where v_cell ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' and p.id = v_cell::uuid
            union all
            select p.id from public.profiles p where lower(p.email) = lower(v_cell)) p
     limit 1;
    if v_user is null then
      perform autocrm_private.raise_import_error(v_key, 'undefined', format('no user %s', to_jsonb(v_cell)), '23503');
    end if;
    if v_key = 'requester' then
      v.requester_id := v_user;
    else
      v.assignee_id := v_user;
    end if;
  end loop;
  v.requester_id := coalesce(v.requester_id, auth.uid());

  v_value := p_row -> 'tags';
  if jsonb_typeof(v_value) = 'array' then
    v.tags := array(select jsonb_array_elements_text(v_value));
  elsif autocrm_private.import_cell(p_row, 'tags') is not null then
    v.tags := array(select btrim(t) from unnest(string_to_array(p_row ->> 'tags', ';')) t where btrim(t) <> '');
  else
    v.tags := '{}';
  end if;

  v_cell := autocrm_private.import_cell(p_row, 'metadata');
  if v_cell is null then
    v.metadata := '{}';
  elsif jsonb_typeof(p_row -> 'metadata') = 'object' then
    v.metadata := p_row -> 'metadata';
  else
    begin
      v.metadata := v_cell::jsonb;
    exception when invalid_text_representation then
      perform autocrm_private.raise_import_error('metadata', 'type', 'expected a JSON object');
    end;
    if jsonb_typeof(v.metadata) <> 'object' then
      perform autocrm_private.raise_import_error('metadata', 'type', 'expected a JSON object');
    end if;
  end if;

  for v_key, v_value in select e.key, e.value from jsonb_each(p_row) e where p_types ? e.key loop
    v_value := autocrm_private.import_field_value(v_value, p_types ->> v_key);
    if v_value is null then
      v.metadata := v.metadata - v_key;
    else
      v.metadata := jsonb_set(v.metadata, array[v_key], v_value);
    end if;
  end loop;
  return v;
end;
$$;

-- Where an error points: the field named in DETAIL (custom fields) or in the message, else the column.
create or replace function autocrm_private.import_problem_field(p_message text, p_detail text, p_column text, p_constraint text)
returns text
language sql
immutable
set search_path = ''
as $$
  select coalesce(
    case when p_detail ~ '^\{"field": ' then (p_detail::jsonb) ->> 'field' end,
    substring(p_message from '^field "([a-z][a-z0-9_]*)": '),
    nullif(p_column, ''),
    substring(p_constraint from '^tickets_([a-z_]+)_(length|format|is_object|no_nulls|positive|check|range|not_blank)$'));
$$;

create or replace function public.import_tickets(rows jsonb, dry_run boolean default false)
returns jsonb
language plpgsql
volatile
set search_path = ''
as $$
declare
  c_columns constant text[] := array['id', 'subject', 'description', 'status', 'priority', 'queue', 'requester',
                                     'assignee', 'tags', 'metadata', 'number', 'created_at', 'updated_at', 'version'];
  v_types jsonb;
  v_column text;
  v_rows autocrm_private.imported_ticket[];
  v_row autocrm_private.imported_ticket;
  v_ids uuid[];
  v_inserted integer := 0;
  v_problems jsonb := '[]';
  v_problem_count integer := 0;
  v_failed boolean := false;
  v_index integer;
  v_element jsonb;
  v_state text;
  v_message text;
  v_detail text;
  v_column_name text;
  v_constraint text;
begin
  if current_user in ('anon', 'authenticated')
     and (select public.current_app_role()) is distinct from 'agent'
     and (select public.current_app_role()) is distinct from 'admin' then
    raise exception 'importing tickets needs an agent or admin' using errcode = '42501';
  end if;
  if rows is null or jsonb_typeof(rows) <> 'array' then
    raise exception 'rows must be a JSON array of objects' using errcode = '22023';
  end if;
  if jsonb_array_length(rows) > 1000 then
    raise exception 'at most 1000 rows per call, got %', jsonb_array_length(rows) using errcode = '22023';
  end if;
  if exists (select 1 from jsonb_array_elements(rows) e where jsonb_typeof(e) <> 'object') then
    raise exception 'rows must be a JSON array of objects' using errcode = '22023';
  end if;

  -- The fields the caller may see (row-level security): a customer-invisible key is as unknown as a made-up one.
  select coalesce(jsonb_object_agg(f.key, f.type), '{}') into v_types from public.ticket_fields f;
  select k into v_column
    from (select distinct jsonb_object_keys(e) as k from jsonb_array_elements(rows) e) keys
   where k <> all (c_columns) and not v_types ? k
   order by k
   limit 1;
  if v_column is not null then
    perform autocrm_private.raise_import_error(v_column, 'undefined',
      'not a ticket column or a custom field (columns: ' || array_to_string(c_columns[1:10], ', ')
      || ', and the keys of custom fields)', '22023');
  end if;

  begin
    -- Fast path: every row in one statement.
    begin
      select array_agg(autocrm_private.import_ticket_row(x.e, v_types) order by x.n) into v_rows
        from jsonb_array_elements(rows) with ordinality as x(e, n);
      with inserted as (
        insert into public.tickets (id, subject, status, priority, requester_id, assignee_id, queue_id, tags, metadata, created_at)
        select r.id, r.subject, coalesce(r.status, 'new'), coalesce(r.priority, 'normal'), r.requester_id, r.assignee_id,
               r.queue_id, r.tags, r.metadata, coalesce(r.created_at, now())
          from unnest(v_rows) r
        on conflict (id) do nothing
        returning id)
      select coalesce(array_agg(id), '{}') into v_ids from inserted;
      insert into public.ticket_messages (ticket_id, author_id, visibility, body)
      select r.id, coalesce(auth.uid(), r.requester_id), 'public', r.description
        from unnest(v_rows) r
       where r.description is not null and r.id = any (v_ids);
      v_inserted := cardinality(v_ids);
    exception when others then
      v_failed := true;
    end;

    -- Slow path: row by row, to report every bad row with the database's own message.
    if v_failed then
      v_inserted := 0;
      for v_element, v_index in select x.e, x.n from jsonb_array_elements(rows) with ordinality as x(e, n) loop
        begin
          v_row := autocrm_private.import_ticket_row(v_element, v_types);
          insert into public.tickets (id, subject, status, priority, requester_id, assignee_id, queue_id, tags, metadata, created_at)
          values (v_row.id, v_row.subject, coalesce(v_row.status, 'new'), coalesce(v_row.priority, 'normal'),
                  v_row.requester_id, v_row.assignee_id, v_row.queue_id, v_row.tags, v_row.metadata,
                  coalesce(v_row.created_at, now()))
          on conflict (id) do nothing;
          if found then
            v_inserted := v_inserted + 1;
            if v_row.description is not null then
              insert into public.ticket_messages (ticket_id, author_id, visibility, body)
              values (v_row.id, coalesce(auth.uid(), v_row.requester_id), 'public', v_row.description);
            end if;
          end if;
        exception when others then
          get stacked diagnostics v_state = returned_sqlstate, v_message = message_text, v_detail = pg_exception_detail,
                                  v_column_name = column_name, v_constraint = constraint_name;
          v_problem_count := v_problem_count + 1;
          if v_problem_count <= 100 then
            v_problems := v_problems || jsonb_build_object(
              'row', v_index, 'code', v_state, 'message', v_message,
              'field', autocrm_private.import_problem_field(v_message, v_detail, v_column_name, v_constraint));
          end if;
        end;
      end loop;
      if v_problem_count = 0 then
        -- The statement failed but no single row does (e.g. two rows with one id): say so rather than import.
        v_problem_count := 1;
        v_problems := jsonb_build_array(jsonb_build_object('row', null, 'code', 'P0001', 'field', null,
          'message', 'the rows could not be inserted together; try a smaller batch'));
      end if;
    end if;

    if dry_run or v_problem_count > 0 then
      raise exception using errcode = 'AI001', message = 'import rolled back';
    end if;
  exception when sqlstate 'AI001' then
    null;  -- everything since the outer block began is undone
  end;

  return jsonb_build_object(
    'rows', jsonb_array_length(rows),
    'inserted', case when v_problem_count = 0 then v_inserted else 0 end,
    'already_present', case when v_problem_count = 0 then jsonb_array_length(rows) - v_inserted else 0 end,
    'committed', not dry_run and v_problem_count = 0,
    'problem_count', v_problem_count,
    'problems', v_problems);
end;
$$;
comment on function public.import_tickets(jsonb, boolean) is
  'Creates up to 1000 tickets from rows of cells (ticket columns and custom field keys), all or none, as the caller; '
  'returns {rows, inserted, already_present, committed, problem_count, problems: [{row, field, code, message}]}.';

revoke execute on function public.import_tickets(jsonb, boolean) from public, anon;
grant execute on function public.import_tickets(jsonb, boolean) to authenticated, service_role;
revoke execute on function autocrm_private.raise_import_error(text, text, text, text), autocrm_private.import_cell(jsonb, text), autocrm_private.import_field_value(jsonb, text),
  autocrm_private.import_ticket_row(jsonb, jsonb), autocrm_private.import_problem_field(text, text, text, text)
  from public;
grant execute on function autocrm_private.raise_import_error(text, text, text, text), autocrm_private.import_cell(jsonb, text), autocrm_private.import_field_value(jsonb, text),
  autocrm_private.import_ticket_row(jsonb, jsonb), autocrm_private.import_problem_field(text, text, text, text)
  to authenticated, service_role;
grant usage on type autocrm_private.imported_ticket to authenticated, service_role;
