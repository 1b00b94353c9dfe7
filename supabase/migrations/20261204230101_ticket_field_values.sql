-- AutoCRM custom field values: where they are stored, the ticket triggers that validate every write against the
-- definitions (20261204230100_ticket_fields.sql), field changes in ticket_events, and the SQL entry points
-- set_ticket_field and ticket_field_values. Forward-only.
--
-- Storage: a customer-visible field's value lives in tickets.metadata under its key, next to free-form keys. An
-- agent-only field's value (customer_visible = false) never enters the tickets row, so no path that shows a
-- customer their ticket (select, embeds, RPC results, realtime payloads of tickets, exports) can carry it: the
-- ticket triggers move it to public.ticket_agent_fields, which row-level security shows to staff only. Writers use
-- one interface for both: a key in tickets.metadata (JSON null, "" or [] clears the field; an agent-only key left
-- out of a metadata update keeps its value) or public.set_ticket_field.

-- ---------------------------------------------------------------------------
-- ticket_agent_fields: the agent-only values of a ticket (one row per ticket that has any)
-- ---------------------------------------------------------------------------
create table public.ticket_agent_fields (
  ticket_id uuid not null primary key references public.tickets (id) on delete cascade,
  metadata jsonb not null default '{}'::jsonb,
  updated_at timestamptz not null default now(),
  constraint ticket_agent_fields_metadata_is_object check (jsonb_typeof(metadata) = 'object')
);
comment on table public.ticket_agent_fields is
  'Values of agent-only ticket fields, by key (staff only; written by the ticket triggers and set_ticket_field). '
  'Embed it with the ticket: tickets?select=*,ticket_agent_fields(metadata).';

alter table public.ticket_agent_fields enable row level security;

-- Staff who can see the ticket; customers never (whatever the ticket).
create policy ticket_agent_fields_select on public.ticket_agent_fields
  for select to authenticated
  using (
    (select public.current_app_role()) in ('agent', 'admin')
    and exists (select 1 from public.tickets t where t.id = ticket_agent_fields.ticket_id)
  );
-- No write policies and no write privileges: values change only through tickets (the triggers below).
revoke insert, update, delete, truncate on public.ticket_agent_fields from anon, authenticated;
revoke select on public.ticket_agent_fields from anon;

-- ---------------------------------------------------------------------------
-- ticket_events: field changes are recorded as kind 'fields_changed', changes = {"<key>": [old, new]}; changes of
-- agent-only fields go in a separate event with visibility 'internal', which customers cannot read.
-- ---------------------------------------------------------------------------
alter table public.ticket_events
  add column visibility public.message_visibility not null default 'public';
comment on column public.ticket_events.visibility is 'internal: staff only (changes of agent-only fields).';

alter table public.ticket_events drop constraint ticket_events_kind_check;
alter table public.ticket_events add constraint ticket_events_kind_check check (kind in (
  'created', 'status_changed', 'priority_changed', 'assignee_changed', 'queue_changed', 'tags_changed',
  'fields_changed')) not valid;
alter table public.ticket_events validate constraint ticket_events_kind_check;

drop policy ticket_events_select on public.ticket_events;
create policy ticket_events_select on public.ticket_events
  for select to authenticated
  using (
    exists (select 1 from public.tickets t where t.id = ticket_events.ticket_id)
    and (visibility = 'public' or (select public.current_app_role()) in ('agent', 'admin'))
  );

-- ---------------------------------------------------------------------------
-- Where an INSERT's row trigger leaves a new ticket's agent-only values for its AFTER trigger: the ticket row does
-- not exist yet when the BEFORE trigger validates it, and an INSERT ... ON CONFLICT may still skip the row, so they
-- are kept here, per transaction, and stored only for rows really inserted.
-- Unlogged: it only ever holds rows of transactions in progress.
-- ---------------------------------------------------------------------------
create unlogged table autocrm_private.ticket_field_stash (
  xact xid8 not null,
  ticket_id uuid not null,
  agent_values jsonb not null,
  constraint ticket_field_stash_pkey primary key (xact, ticket_id)
);

-- ---------------------------------------------------------------------------
-- The rules, for one written ticket row. Called by the tickets BEFORE trigger with the caller's standing:
-- p_trusted is true for the service_role key, direct database sessions and this schema's security definer
-- functions (as for the ticket column rules); otherwise the caller's role decides.
--   every writer: a changed value must fit its field's type and options/pattern, and archived fields accept no
--                 new value (clearing is allowed);
--   customers:    may change customer-editable fields only (agent-only keys are refused); on create they must give
--                 every active field required_for_customers; they cannot clear one;
--   agents/admins: on create they must give every active field required_for_agents and cannot clear one later;
--                 moving a ticket into solved or closed needs every active required_to_solve field to have a value.
-- Only values that change are checked, so a definition change (fewer options, a new required field) never blocks
-- unrelated updates of old tickets. Returns the metadata to store: agent-only keys removed, empty values removed,
-- integers in canonical form.
-- ---------------------------------------------------------------------------
create function autocrm_private.apply_ticket_fields(
  p_op text,
  p_ticket_id uuid,
  p_old_metadata jsonb,
  p_new_metadata jsonb,
  p_old_status public.ticket_status,
  p_new_status public.ticket_status,
  p_trusted boolean)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_schema jsonb;
  v_fields jsonb;
  v_caller text;             -- 'trusted', 'staff' (agent, admin) or 'customer'; looked up when a rule needs it
  v_meta jsonb := p_new_metadata;
  v_key text;
  v_raw jsonb;
  v_value jsonb;
  v_old jsonb;
  v_def jsonb;
  v_visible boolean;
  v_check record;
  v_public_changes jsonb := '{}'::jsonb;
  v_agent_changes jsonb := '{}'::jsonb;
  v_agent_stored jsonb;      -- agent-only values stored now (loaded when first needed)
  v_agent jsonb;             -- agent-only values after this write (null: unchanged)
  v_exists boolean;          -- INSERT: a ticket with this id already exists (looked up when it matters)
  v_actor uuid;
begin
  if pg_trigger_depth() = 0 then
    raise exception 'apply_ticket_fields runs only inside the tickets triggers' using errcode = '42501';
  end if;
  -- Shared for the transaction; a definition change takes it exclusively (see compile_ticket_fields).
  perform pg_advisory_xact_lock_shared(autocrm_private.ticket_fields_lock_key());
  -- '{}' || decompresses the stored definitions once, instead of once per -> below.
  v_schema := '{}'::jsonb || (select s.definitions from autocrm_private.ticket_field_schema s where s.id);
  v_fields := v_schema -> 'fields';
  if v_fields is null or v_fields = '{}'::jsonb then
    return p_new_metadata;
  end if;
  if p_trusted then
    v_caller := 'trusted';
  end if;
  if p_op = 'INSERT' then
    v_agent_stored := '{}'::jsonb;
  end if;

  -- Keys present in the new metadata.
  for v_key, v_raw in select e.key, e.value from jsonb_each(p_new_metadata) e loop
    v_def := v_fields -> v_key;
    continue when v_def is null;
    v_value := case when v_raw in ('null'::jsonb, '""'::jsonb, '[]'::jsonb) then null else v_raw end;
    v_visible := (v_def ->> 'visible')::boolean;

    if v_visible then
      v_old := p_old_metadata -> v_key;
      if v_value is null then
        v_meta := v_meta - v_key;
      end if;
      continue when v_value is not distinct from v_old;
      if v_old is null and v_value is not null and p_op = 'UPDATE' then
        -- The field was agent-only until now and its value is moving back into the ticket row: not a change.
        v_agent_stored := coalesce(v_agent_stored,
          (select a.metadata from public.ticket_agent_fields a where a.ticket_id = p_ticket_id), '{}'::jsonb);
        if v_agent_stored -> v_key = v_value then
          v_agent := coalesce(v_agent, v_agent_stored) - v_key;
          continue;
        end if;
      end if;
    else
      v_meta := v_meta - v_key;
      if v_caller is null then
        v_caller := case when public.current_app_role() in ('agent', 'admin') then 'staff' else 'customer' end;
      end if;
      if v_caller = 'customer' then
        perform autocrm_private.raise_field_error(v_key, 'not_editable', 'customers cannot change this field', '42501');
      end if;
      if p_op = 'INSERT' then
        v_exists := coalesce(v_exists, autocrm_private.lock_existing_ticket(p_ticket_id));
        if v_exists then
          -- The INSERT cannot add this row (its id is taken, and the row is locked until we commit): it fails,
          -- or ON CONFLICT skips it or turns it into an UPDATE, whose trigger sees these values again.
          return p_new_metadata;
        end if;
      end if;
      v_agent_stored := coalesce(v_agent_stored,
        (select a.metadata from public.ticket_agent_fields a where a.ticket_id = p_ticket_id), '{}'::jsonb);
      v_agent := coalesce(v_agent, v_agent_stored);
      v_old := v_agent_stored -> v_key;
      continue when v_value is not distinct from v_old;
    end if;

    -- The value changes.
    if v_caller is null then
      v_caller := case when public.current_app_role() in ('agent', 'admin') then 'staff' else 'customer' end;
    end if;
    if v_caller = 'customer' and not (v_def ->> 'editable')::boolean then
      perform autocrm_private.raise_field_error(v_key, 'not_editable', 'customers cannot change this field', '42501');
    end if;
    if v_value is not null then
      if not (v_def ->> 'active')::boolean then
        perform autocrm_private.raise_field_error(v_key, 'archived', 'is archived and accepts no new values');
      end if;
      v_check := autocrm_private.field_value_problem(v_def, v_value);
      if v_check.rule is not null then
        perform autocrm_private.raise_field_error(v_key, v_check.rule, v_check.problem);
      end if;
      v_value := v_check.normalized;
      continue when v_value is not distinct from v_old;
    end if;
    if v_visible then
      if v_value is distinct from v_raw and v_value is not null then
        v_meta := jsonb_set(v_meta, array[v_key], v_value);
      end if;
      v_public_changes := v_public_changes || jsonb_build_object(v_key, jsonb_build_array(v_old, v_value));
    else
      v_agent := case when v_value is null then v_agent - v_key else v_agent || jsonb_build_object(v_key, v_value) end;
      v_agent_changes := v_agent_changes || jsonb_build_object(v_key, jsonb_build_array(v_old, v_value));
    end if;
  end loop;

  -- Customer-visible keys the update removed: the field is cleared. (An agent-only key is never in the row.)
  if p_op = 'UPDATE' then
    for v_key, v_old in
      select e.key, e.value from jsonb_each(p_old_metadata) e
       where not p_new_metadata ? e.key and (v_fields -> e.key ->> 'visible')::boolean
    loop
      if v_caller is null then
        v_caller := case when public.current_app_role() in ('agent', 'admin') then 'staff' else 'customer' end;
      end if;
      if v_caller = 'customer' and not (v_fields -> v_key ->> 'editable')::boolean then
        perform autocrm_private.raise_field_error(v_key, 'not_editable', 'customers cannot change this field', '42501');
      end if;
      v_public_changes := v_public_changes || jsonb_build_object(v_key, jsonb_build_array(v_old, null));
    end loop;
  end if;

  -- Required fields, for API callers.
  if v_schema -> 'required_for_customers' <> '[]'::jsonb or v_schema -> 'required_for_agents' <> '[]'::jsonb
     or (v_schema -> 'required_to_solve' <> '[]'::jsonb and p_new_status in ('solved', 'closed')) then
    if v_caller is null then
      v_caller := case when public.current_app_role() in ('agent', 'admin') then 'staff' else 'customer' end;
    end if;
  end if;
  if v_caller = 'customer' and v_schema -> 'required_for_customers' <> '[]'::jsonb then
    for v_key in select jsonb_array_elements_text(v_schema -> 'required_for_customers') loop
      if (p_op = 'INSERT' and not v_meta ? v_key) or v_public_changes -> v_key -> 1 = 'null'::jsonb then
        if p_op = 'INSERT' and coalesce(v_exists, autocrm_private.lock_existing_ticket(p_ticket_id)) then
          return p_new_metadata;  -- not a new ticket after all (see above)
        end if;
        perform autocrm_private.raise_field_error(v_key, 'required', 'a value is required');
      end if;
    end loop;
  elsif v_caller = 'staff' then
    if v_schema -> 'required_for_agents' <> '[]'::jsonb then
      for v_key in select jsonb_array_elements_text(v_schema -> 'required_for_agents') loop
        if p_op = 'INSERT' then
          continue when v_meta ? v_key or coalesce(v_agent, '{}'::jsonb) ? v_key;
          if coalesce(v_exists, autocrm_private.lock_existing_ticket(p_ticket_id)) then
            return p_new_metadata;
          end if;
        else
          continue when coalesce(v_public_changes -> v_key, v_agent_changes -> v_key) -> 1 is distinct from 'null'::jsonb;
        end if;
        perform autocrm_private.raise_field_error(v_key, 'required', 'a value is required');
      end loop;
    end if;
    if p_new_status in ('solved', 'closed') and (p_op = 'INSERT' or p_old_status not in ('solved', 'closed'))
       and v_schema -> 'required_to_solve' <> '[]'::jsonb then
      for v_key in select jsonb_array_elements_text(v_schema -> 'required_to_solve') loop
        if (v_fields -> v_key ->> 'visible')::boolean then
          continue when v_meta ? v_key;
        else
          v_agent_stored := coalesce(v_agent_stored,
            (select a.metadata from public.ticket_agent_fields a where a.ticket_id = p_ticket_id), '{}'::jsonb);
          continue when coalesce(v_agent, v_agent_stored) ? v_key;
        end if;
        if p_op = 'INSERT' and coalesce(v_exists, autocrm_private.lock_existing_ticket(p_ticket_id)) then
          return p_new_metadata;
        end if;
        perform autocrm_private.raise_field_error(v_key, 'required_to_solve', 'a value is required to solve the ticket');
      end loop;
    end if;
  end if;

  if p_op = 'UPDATE' then
    if v_agent is distinct from v_agent_stored and v_agent is not null then
      insert into public.ticket_agent_fields as a (ticket_id, metadata)
      values (p_ticket_id, v_agent)
      on conflict (ticket_id) do update set metadata = excluded.metadata, updated_at = now();
    end if;
    if v_public_changes <> '{}'::jsonb or v_agent_changes <> '{}'::jsonb then
      v_actor := (select p.id from public.profiles p where p.id = auth.uid());
      insert into public.ticket_events (ticket_id, actor_id, kind, changes, visibility)
      select p_ticket_id, v_actor, 'fields_changed', c.changes, c.visibility
        from (values (v_public_changes, 'public'::public.message_visibility),
                     (v_agent_changes, 'internal'::public.message_visibility)) c(changes, visibility)
       where c.changes <> '{}'::jsonb;
    end if;
  elsif coalesce(v_agent, '{}'::jsonb) <> '{}'::jsonb then
    insert into autocrm_private.ticket_field_stash as s (xact, ticket_id, agent_values)
    values (pg_current_xact_id(), p_ticket_id, v_agent)
    on conflict (xact, ticket_id) do update set agent_values = excluded.agent_values;
    perform set_config('autocrm.ticket_fields_after_insert', 'stash', true);
  elsif v_public_changes <> '{}'::jsonb
        and current_setting('autocrm.ticket_fields_after_insert', true) is distinct from 'stash' then
    perform set_config('autocrm.ticket_fields_after_insert', 'events', true);
  end if;
  return v_meta;
end;
$$;
comment on function autocrm_private.apply_ticket_fields(text, uuid, jsonb, jsonb, public.ticket_status, public.ticket_status, boolean) is
  'The custom field rules for one written ticket row (called by the tickets triggers only).';

-- INSERT only: whether a ticket with this id exists already; if so it is locked (FOR KEY SHARE) so that it cannot
-- vanish before the INSERT reaches its unique check.
create function autocrm_private.lock_existing_ticket(p_ticket_id uuid)
returns boolean
language plpgsql
volatile
set search_path = ''
as $$
begin
  perform 1 from public.tickets t where t.id = p_ticket_id for key share;
  return found;
end;
$$;

-- ---------------------------------------------------------------------------
-- The tickets triggers. The BEFORE trigger runs as the caller, so that current_user tells API users (anon,
-- authenticated) from trusted writers, and hands the work to apply_ticket_fields.
-- ---------------------------------------------------------------------------
create function public.tickets_fields_before_write()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if jsonb_typeof(new.metadata) is distinct from 'object' then
    return new;  -- tickets_metadata_is_object refuses it
  end if;
  if tg_op = 'UPDATE' and new.metadata = old.metadata
     and not (new.status in ('solved', 'closed') and old.status not in ('solved', 'closed')) then
    return new;
  end if;
  new.metadata := autocrm_private.apply_ticket_fields(
    tg_op, new.id,
    case when tg_op = 'UPDATE' then old.metadata end, new.metadata,
    case when tg_op = 'UPDATE' then old.status end, new.status,
    current_user not in ('anon', 'authenticated'));
  return new;
end;
$$;

-- Rows really inserted: record the new ticket's field values (customer-visible ones are in the row; agent-only ones
-- were stashed by the BEFORE trigger) and store its agent-only values. It fires only in transactions where the BEFORE
-- trigger saw field values on an INSERT (the WHEN hint, a transaction-local setting: a hint only, the stash row is
-- what counts and both roll back together). Named so that it runs before AFTER triggers whose names sort later
-- (tickets_record_events; automation rules reading agent-only values of a new ticket must sort after it too).
create function public.tickets_fields_after_insert()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_visible jsonb := (select s.definitions -> 'visible' from autocrm_private.ticket_field_schema s where s.id);
  v_public jsonb;
  v_agent jsonb;
  v_actor uuid := (select p.id from public.profiles p where p.id = auth.uid());
begin
  select jsonb_object_agg(e.key, jsonb_build_array(null, e.value)) into v_public
    from jsonb_each(new.metadata) e
   where v_visible ? e.key;
  if current_setting('autocrm.ticket_fields_after_insert', true) = 'stash' then
    delete from autocrm_private.ticket_field_stash s
     where s.xact = pg_current_xact_id() and s.ticket_id = new.id
    returning s.agent_values into v_agent;
  end if;
  if v_agent is not null then
    insert into public.ticket_agent_fields (ticket_id, metadata) values (new.id, v_agent);
  end if;
  insert into public.ticket_events (ticket_id, actor_id, kind, changes, visibility)
  select new.id, v_actor, 'fields_changed', c.changes, c.visibility
    from (values (v_public, 'public'::public.message_visibility),
                 ((select jsonb_object_agg(e.key, jsonb_build_array(null, e.value)) from jsonb_each(v_agent) e),
                  'internal'::public.message_visibility)) c(changes, visibility)
   where c.changes is not null;
  return null;
end;
$$;

create trigger tickets_fields_before_write
  before insert or update on public.tickets
  for each row execute function public.tickets_fields_before_write();

create trigger tickets_fields_after_insert
  after insert on public.tickets
  for each row
  when (current_setting('autocrm.ticket_fields_after_insert', true) in ('events', 'stash'))
  execute function public.tickets_fields_after_insert();

revoke execute on function public.tickets_fields_before_write() from public, anon, authenticated;
revoke execute on function public.tickets_fields_after_insert() from public, anon, authenticated;

-- ---------------------------------------------------------------------------
-- Definition changes move values between the two stores, in the same transaction (after ticket_fields_compile has
-- recompiled the definitions, under its exclusive lock):
--   a new agent-only field, or a field made agent-only: values under its key leave tickets.metadata;
--   a field made customer-visible: values move back into tickets.metadata (not recorded as changes);
--   a deleted agent-only field: its values are deleted (a deleted visible field's values stay as free-form keys).
-- These scan the tickets (metadata has no key index); they are rare administrative changes.
-- ---------------------------------------------------------------------------
create function public.ticket_fields_move_values()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_key text;
  v_to_agent text[] := '{}';
  v_to_ticket text[] := '{}';
begin
  -- Rows of transactions that are over: left only when an INSERT racing another with the same id was skipped.
  delete from autocrm_private.ticket_field_stash s where s.xact < pg_snapshot_xmin(pg_current_snapshot());
  if tg_op = 'INSERT' then
    select coalesce(array_agg(n.key), '{}') into v_to_agent from new_fields n where not n.customer_visible;
  elsif tg_op = 'UPDATE' then
    select coalesce(array_agg(n.key) filter (where not n.customer_visible), '{}'),
           coalesce(array_agg(n.key) filter (where n.customer_visible), '{}')
      into v_to_agent, v_to_ticket
      from new_fields n join old_fields o on o.id = n.id
     where n.customer_visible is distinct from o.customer_visible;
  else
    for v_key in select o.key from old_fields o where not o.customer_visible loop
      update public.ticket_agent_fields a set metadata = a.metadata - v_key, updated_at = now()
       where a.metadata ? v_key;
    end loop;
    return null;
  end if;

  foreach v_key in array v_to_agent loop
    insert into public.ticket_agent_fields as a (ticket_id, metadata)
    select t.id, jsonb_build_object(v_key, t.metadata -> v_key)
      from public.tickets t
     where t.metadata ? v_key and t.metadata -> v_key not in ('null'::jsonb, '""'::jsonb, '[]'::jsonb)
    on conflict (ticket_id) do update set metadata = a.metadata || excluded.metadata, updated_at = now();
    update public.tickets t set metadata = t.metadata - v_key where t.metadata ? v_key;
  end loop;
  foreach v_key in array v_to_ticket loop
    update public.tickets t set metadata = t.metadata || jsonb_build_object(v_key, a.metadata -> v_key)
      from public.ticket_agent_fields a
     where a.ticket_id = t.id and a.metadata ? v_key;
  end loop;
  return null;
end;
$$;
revoke execute on function public.ticket_fields_move_values() from public, anon, authenticated;

create trigger ticket_fields_move_values_on_insert
  after insert on public.ticket_fields
  referencing new table as new_fields
  for each statement execute function public.ticket_fields_move_values();
create trigger ticket_fields_move_values_on_update
  after update on public.ticket_fields
  referencing old table as old_fields new table as new_fields
  for each statement execute function public.ticket_fields_move_values();
create trigger ticket_fields_move_values_on_delete
  after delete on public.ticket_fields
  referencing old table as old_fields
  for each statement execute function public.ticket_fields_move_values();

-- ---------------------------------------------------------------------------
-- ticket_field_values: the caller's view of a ticket's field values, {"<key>": value} for every defined field with
-- a value (agent-only ones for staff only). Runs as the caller, so row-level security decides; called from security
-- definer code it returns every value.
-- ---------------------------------------------------------------------------
create function public.ticket_field_values(ticket_id uuid)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
declare
  v_metadata jsonb;
  v_agent jsonb;
begin
  select t.metadata into v_metadata from public.tickets t where t.id = ticket_field_values.ticket_id;
  if not found then
    raise exception 'ticket % not found', ticket_field_values.ticket_id using errcode = 'PT404';
  end if;
  select a.metadata into v_agent from public.ticket_agent_fields a where a.ticket_id = ticket_field_values.ticket_id;
  return coalesce((
    select jsonb_object_agg(f.key, v.value)
      from public.ticket_fields f
     cross join lateral (select case when f.customer_visible then v_metadata -> f.key else v_agent -> f.key end) v(value)
     where v.value is not null), '{}'::jsonb);
end;
$$;
comment on function public.ticket_field_values(uuid) is
  'The defined field values of a ticket that the caller may read: {"<key>": value}.';
revoke execute on function public.ticket_field_values(uuid) from public, anon;

-- ---------------------------------------------------------------------------
-- set_ticket_field: sets (or, with JSON null, clears) one defined field, with the caller's permissions and the same
-- rules as a metadata write (it is one); returns the ticket's field values as ticket_field_values does.
-- ---------------------------------------------------------------------------
create function public.set_ticket_field(ticket_id uuid, key text, value jsonb)
returns jsonb
language plpgsql
volatile
set search_path = ''
as $$
begin
  -- Row-level security shows customers the customer-visible definitions only.
  if not exists (select 1 from public.ticket_fields f where f.key = set_ticket_field.key) then
    raise exception using
      errcode = '22023',
      message = format('field "%s": no such field', set_ticket_field.key),
      detail = format('{"field": %s, "rule": "undefined"}', to_jsonb(set_ticket_field.key));
  end if;
  update public.tickets t
     set metadata = t.metadata || jsonb_build_object(set_ticket_field.key, coalesce(set_ticket_field.value, 'null'::jsonb))
   where t.id = set_ticket_field.ticket_id;
  if not found then
    raise exception 'ticket % not found', set_ticket_field.ticket_id using errcode = 'PT404';
  end if;
  return public.ticket_field_values(set_ticket_field.ticket_id);
end;
$$;
comment on function public.set_ticket_field(uuid, text, jsonb) is
  'Sets one defined field of a ticket (JSON null clears it) with the caller''s permissions; returns its field values.';
revoke execute on function public.set_ticket_field(uuid, text, jsonb) from public, anon;

revoke execute on all functions in schema autocrm_private from public;
-- The BEFORE trigger runs as the caller: it may call its worker, which refuses to run outside a trigger.
grant usage on schema autocrm_private to service_role;
grant execute on function autocrm_private.apply_ticket_fields(
  text, uuid, jsonb, jsonb, public.ticket_status, public.ticket_status, boolean) to anon, authenticated, service_role;
