-- Macros: named sets of actions (the automation action vocabulary) and an optional reply template that an agent
-- applies to a ticket in one step. Personal macros belong to one agent; shared ones (admins make them) are for the
-- whole team. apply_macro runs as the calling agent: their row-level security and column rules decide, exactly as
-- if they made each change by hand, and it is atomic. docs/automation.md describes them. Forward-only.

create table public.macros (
  id uuid not null primary key default gen_random_uuid(),
  name text not null,
  description text not null default '',
  actions jsonb not null default '[]'::jsonb,
  reply text,
  shared boolean not null default false,
  owner_id uuid not null default auth.uid() references public.profiles (id) on delete cascade,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint macros_name_length check (char_length(btrim(name)) between 1 and 100),
  constraint macros_description_length check (char_length(description) <= 1000)
);
comment on table public.macros is
  'Actions plus an optional reply template that agents apply to a ticket in one step (apply_macro); shared or personal.';
create index macros_owner_idx on public.macros (owner_id, name);
create index macros_shared_idx on public.macros (name) where shared;

create function public.macros_before_write()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  new.name := btrim(new.name);
  perform public.validate_actions(new.actions, 'macro', 'actions');
  perform public.validate_ticket_template(new.reply, 'reply');
  if jsonb_array_length(new.actions) = 0 and new.reply is null then
    raise exception 'field "actions": a macro needs at least one action or a reply' using errcode = '23514',
      detail = jsonb_build_object('field', 'actions', 'rule', 'vocabulary', 'path', '')::text;
  end if;
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
revoke execute on function public.macros_before_write() from public, anon, authenticated;

create trigger macros_before_write
  before insert or update on public.macros
  for each row execute function public.macros_before_write();

alter table public.macros enable row level security;
-- Staff read shared macros and their own; admins read all. Agents write their own personal macros; admins write
-- any macro, shared ones included. Customers see none.
create policy macros_select on public.macros
  for select to authenticated
  using (
    (select public.current_app_role()) = 'admin'
    or ((select public.current_app_role()) = 'agent' and (shared or owner_id = (select auth.uid())))
  );
create policy macros_insert on public.macros
  for insert to authenticated
  with check (
    (select public.current_app_role()) = 'admin'
    or ((select public.current_app_role()) = 'agent' and not shared and owner_id = (select auth.uid()))
  );
create policy macros_update on public.macros
  for update to authenticated
  using (
    (select public.current_app_role()) = 'admin'
    or ((select public.current_app_role()) = 'agent' and not shared and owner_id = (select auth.uid()))
  )
  with check (
    (select public.current_app_role()) = 'admin'
    or ((select public.current_app_role()) = 'agent' and not shared and owner_id = (select auth.uid()))
  );
create policy macros_delete on public.macros
  for delete to authenticated
  using (
    (select public.current_app_role()) = 'admin'
    or ((select public.current_app_role()) = 'agent' and not shared and owner_id = (select auth.uid()))
  );
revoke all on public.macros from anon;

-- What a macro would do to a ticket, for the caller: {"ticket", "fields", "notes", "replies"} (the reply template
-- filled in as the last reply). Runs as the caller; a macro or ticket the caller cannot see is PT404.
create function public.preview_macro(ticket_id uuid, macro_id uuid)
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
declare
  v_macro public.macros;
  v_ticket jsonb;
  v_vars jsonb;
  v_plan jsonb;
begin
  if public.current_app_role() is distinct from 'agent' and public.current_app_role() is distinct from 'admin' then
    raise exception 'only agents and admins use macros' using errcode = '42501';
  end if;
  select m.* into v_macro from public.macros m where m.id = preview_macro.macro_id;
  if not found then
    raise exception 'macro % not found', preview_macro.macro_id using errcode = 'PT404';
  end if;
  select jsonb_set(to_jsonb(t), '{metadata}', t.metadata || coalesce(
           (select a.metadata from public.ticket_agent_fields a where a.ticket_id = t.id), '{}'::jsonb))
    into v_ticket
    from public.tickets t where t.id = preview_macro.ticket_id;
  if v_ticket is null then
    raise exception 'ticket % not found', preview_macro.ticket_id using errcode = 'PT404';
  end if;
  v_vars := public.ticket_template_vars(v_ticket);
  v_plan := public.plan_ticket_actions(v_ticket, v_macro.actions, v_vars);
  if v_macro.reply is not null then
    v_plan := jsonb_set(v_plan, '{replies}', (v_plan -> 'replies') || to_jsonb(public.render_ticket_template(v_macro.reply, v_vars)));
  end if;
  return v_plan - 'notify';
end;
$$;
comment on function public.preview_macro(uuid, uuid) is
  'What a macro would do to a ticket (ticket after it, notes, replies with placeholders filled), for the caller; writes nothing.';

-- Applies a macro to a ticket as the caller, atomically: one ticket update (row-level security and the column rules
-- apply: an agent cannot move a ticket to a queue they are not a member of), then its notes and replies, written by
-- the caller. Returns the ticket.
create function public.apply_macro(ticket_id uuid, macro_id uuid)
returns setof public.tickets
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_plan jsonb := public.preview_macro(apply_macro.ticket_id, apply_macro.macro_id);
  v_final jsonb := v_plan -> 'ticket';
  v_name text := (select m.name from public.macros m where m.id = apply_macro.macro_id);
  v_body jsonb;
  v_count integer;
begin
  if public.current_app_role() = 'agent' and (v_final ->> 'queue_id') is not null
     and (v_final ->> 'queue_id')::uuid is distinct from (select t.queue_id from public.tickets t where t.id = apply_macro.ticket_id)
     and not public.is_queue_member((v_final ->> 'queue_id')::uuid, auth.uid()) then
    raise exception 'macro "%": set_queue: you are not a member of that queue, so this macro cannot move the ticket there', v_name
      using errcode = '42501';
  end if;
  update public.tickets t
     set status = (v_final ->> 'status')::public.ticket_status,
         priority = (v_final ->> 'priority')::public.ticket_priority,
         queue_id = (v_final ->> 'queue_id')::uuid,
         assignee_id = (v_final ->> 'assignee_id')::uuid,
         tags = coalesce((select array_agg(x) from jsonb_array_elements_text(v_final -> 'tags') x), '{}'::text[]),
         metadata = t.metadata || (v_plan -> 'fields')
   where t.id = apply_macro.ticket_id;
  get diagnostics v_count = row_count;
  if v_count = 0 then
    raise exception 'ticket % cannot be updated by the caller', apply_macro.ticket_id using errcode = 'PT404';
  end if;
  for v_body in select b from jsonb_array_elements(v_plan -> 'notes') b loop
    insert into public.ticket_messages (ticket_id, visibility, body) values (apply_macro.ticket_id, 'internal', v_body #>> '{}');
  end loop;
  for v_body in select b from jsonb_array_elements(v_plan -> 'replies') b loop
    insert into public.ticket_messages (ticket_id, visibility, body) values (apply_macro.ticket_id, 'public', v_body #>> '{}');
  end loop;
  return query select t.* from public.tickets t where t.id = apply_macro.ticket_id;
end;
$$;
comment on function public.apply_macro(uuid, uuid) is
  'Applies a macro to a ticket as the caller (their permissions), atomically; returns the ticket.';
revoke execute on function public.apply_macro(uuid, uuid), public.preview_macro(uuid, uuid) from public, anon;
grant execute on function public.apply_macro(uuid, uuid), public.preview_macro(uuid, uuid) to authenticated, service_role;

-- TRUNCATE bypasses row-level security: no API role may run it on these tables.
revoke truncate on public.automation_rules, public.macros from anon, authenticated;
