-- AutoCRM tickets: tickets, ticket_messages (the conversation), ticket_events (audit log),
-- their triggers, column rules, row-level security and indexes. Forward-only.
--
-- Column rules apply to API users (current_user anon/authenticated). Trusted writers — the
-- service_role key, direct database sessions, and this schema's own security definer
-- functions (which run as their owner) — are not stopped by them.
-- Rule violations raise SQLSTATE 42501 (insufficient_privilege) with a message naming the rule.

-- ---------------------------------------------------------------------------
-- tickets
-- ---------------------------------------------------------------------------
create table public.tickets (
  id uuid not null primary key default gen_random_uuid(),
  number bigint generated always as identity,
  subject text not null,
  status public.ticket_status not null default 'new',
  priority public.ticket_priority not null default 'normal',
  requester_id uuid not null default auth.uid() references public.profiles (id) on delete cascade,
  assignee_id uuid references public.profiles (id) on delete set null,
  queue_id uuid references public.queues (id) on delete set null,
  tags text[] not null default '{}'::text[],
  metadata jsonb not null default '{}'::jsonb,
  version integer not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  first_response_at timestamptz,
  solved_at timestamptz,
  closed_at timestamptz,
  constraint tickets_number_key unique (number),
  constraint tickets_subject_length check (char_length(btrim(subject)) >= 1 and char_length(subject) <= 300),
  constraint tickets_metadata_is_object check (jsonb_typeof(metadata) = 'object'),
  constraint tickets_tags_no_nulls check (array_position(tags, null) is null),
  constraint tickets_version_positive check (version >= 1)
);
comment on table public.tickets is 'Support tickets. version is bumped on every update (optimistic concurrency).';
comment on column public.tickets.number is 'Human-friendly ticket number.';
comment on column public.tickets.version is 'Incremented by the database on every update; compare it to detect concurrent edits.';

-- Agents may only assign a ticket to staff who work its queue (admins may assign any staff).
create function public.check_assignee(p_assignee uuid, p_queue uuid, p_caller_role public.app_role)
returns void
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if p_assignee is null then
    return;
  end if;
  if not exists (select 1 from public.profiles p where p.id = p_assignee and p.role in ('agent', 'admin')) then
    raise exception 'assignee % is not an agent or admin', p_assignee using errcode = '23514';
  end if;
  if p_caller_role is distinct from 'admin' and p_queue is not null
     and not exists (select 1 from public.queue_members qm where qm.queue_id = p_queue and qm.agent_id = p_assignee) then
    raise exception 'assignee % is not a member of the ticket''s queue', p_assignee using errcode = '42501';
  end if;
end;
$$;

create function public.tickets_before_insert()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  v_role public.app_role;
begin
  if current_user in ('anon', 'authenticated') then
    v_role := (select public.current_app_role());
    if new.version is distinct from 1 then
      raise exception 'tickets.version is maintained by the database' using errcode = '42501';
    end if;
    if new.first_response_at is not null or new.solved_at is not null or new.closed_at is not null then
      raise exception 'first_response_at, solved_at and closed_at are maintained by the database' using errcode = '42501';
    end if;
    new.created_at := now();
    if v_role is distinct from 'agent' and v_role is distinct from 'admin' then
      if new.assignee_id is not null then
        raise exception 'customers cannot assign tickets' using errcode = '42501';
      end if;
      if new.status is distinct from 'new' then
        raise exception 'a customer''s new ticket starts in status new' using errcode = '42501';
      end if;
    else
      perform public.check_assignee(new.assignee_id, new.queue_id, v_role);
    end if;
  end if;

  new.updated_at := now();
  if new.status in ('solved', 'closed') then
    new.solved_at := coalesce(new.solved_at, now());
  else
    new.solved_at := null;
  end if;
  if new.status = 'closed' then
    new.closed_at := coalesce(new.closed_at, now());
  else
    new.closed_at := null;
  end if;
  return new;
end;
$$;

create function public.tickets_before_update()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  v_role public.app_role;
begin
  if current_user in ('anon', 'authenticated') then
    v_role := (select public.current_app_role());
    if new.id is distinct from old.id then
      raise exception 'tickets.id cannot be changed' using errcode = '42501';
    end if;
    if new.created_at is distinct from old.created_at then
      raise exception 'tickets.created_at cannot be changed' using errcode = '42501';
    end if;
    if new.version is distinct from old.version then
      raise exception 'tickets.version is maintained by the database' using errcode = '42501';
    end if;
    if new.first_response_at is distinct from old.first_response_at
       or new.solved_at is distinct from old.solved_at
       or new.closed_at is distinct from old.closed_at then
      raise exception 'first_response_at, solved_at and closed_at are maintained by the database' using errcode = '42501';
    end if;

    if v_role is distinct from 'agent' and v_role is distinct from 'admin' then
      -- customer (or a user without a profile)
      if new.requester_id is distinct from old.requester_id then
        raise exception 'customers cannot change the requester' using errcode = '42501';
      end if;
      if new.assignee_id is distinct from old.assignee_id then
        raise exception 'customers cannot change the assignee' using errcode = '42501';
      end if;
      if new.queue_id is distinct from old.queue_id then
        raise exception 'customers cannot change the queue of a ticket' using errcode = '42501';
      end if;
      if new.status is distinct from old.status
         and not (new.status = 'closed'
                  or (new.status = 'open' and old.status in ('pending', 'solved', 'closed'))) then
        raise exception 'customers can only close or reopen their ticket (status % -> %)', old.status, new.status
          using errcode = '42501';
      end if;
    else
      if v_role = 'agent' and new.requester_id is distinct from old.requester_id then
        raise exception 'agents cannot change the requester' using errcode = '42501';
      end if;
      if v_role = 'agent' and new.queue_id is distinct from old.queue_id and new.queue_id is not null
         and not public.is_queue_member(new.queue_id, auth.uid()) then
        raise exception 'use transfer_ticket to move a ticket to a queue you are not a member of' using errcode = '42501';
      end if;
      if new.assignee_id is distinct from old.assignee_id or new.queue_id is distinct from old.queue_id then
        perform public.check_assignee(new.assignee_id, new.queue_id, v_role);
      end if;
    end if;
  end if;

  -- API users cannot touch version (checked above); trusted writers may set it explicitly.
  if new.version is not distinct from old.version then
    new.version := old.version + 1;
  end if;
  new.updated_at := now();

  if new.status in ('solved', 'closed') then
    if old.status not in ('solved', 'closed') and new.solved_at is not distinct from old.solved_at then
      new.solved_at := now();
    end if;
    new.solved_at := coalesce(new.solved_at, now());
  else
    new.solved_at := null;
  end if;
  if new.status = 'closed' then
    if old.status <> 'closed' and new.closed_at is not distinct from old.closed_at then
      new.closed_at := now();
    end if;
    new.closed_at := coalesce(new.closed_at, now());
  else
    new.closed_at := null;
  end if;
  return new;
end;
$$;

create trigger tickets_before_insert
  before insert on public.tickets
  for each row execute function public.tickets_before_insert();

create trigger tickets_before_update
  before update on public.tickets
  for each row execute function public.tickets_before_update();

-- ---------------------------------------------------------------------------
-- ticket_events (append-only audit log, written only by triggers)
-- ---------------------------------------------------------------------------
create table public.ticket_events (
  id bigint generated always as identity primary key,
  ticket_id uuid not null references public.tickets (id) on delete cascade,
  actor_id uuid references public.profiles (id) on delete set null,
  kind text not null,
  changes jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  constraint ticket_events_kind_check check (kind in (
    'created', 'status_changed', 'priority_changed', 'assignee_changed', 'queue_changed', 'tags_changed')),
  constraint ticket_events_changes_is_object check (jsonb_typeof(changes) = 'object')
);
comment on table public.ticket_events is
  'Append-only ticket history written by triggers: one row per creation and per changed field; changes = {field: [old, new]}.';

create function public.tickets_record_events()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_actor uuid := (select p.id from public.profiles p where p.id = auth.uid());
begin
  if tg_op = 'INSERT' then
    insert into public.ticket_events (ticket_id, actor_id, kind, changes)
    values (new.id, v_actor, 'created', jsonb_build_object(
      'status', jsonb_build_array(null, new.status),
      'priority', jsonb_build_array(null, new.priority),
      'assignee_id', jsonb_build_array(null, new.assignee_id),
      'queue_id', jsonb_build_array(null, new.queue_id),
      'tags', jsonb_build_array(null, to_jsonb(new.tags))));
    return new;
  end if;

  if new.status is distinct from old.status then
    insert into public.ticket_events (ticket_id, actor_id, kind, changes)
    values (new.id, v_actor, 'status_changed',
            jsonb_build_object('status', jsonb_build_array(old.status, new.status)));
  end if;
  if new.priority is distinct from old.priority then
    insert into public.ticket_events (ticket_id, actor_id, kind, changes)
    values (new.id, v_actor, 'priority_changed',
            jsonb_build_object('priority', jsonb_build_array(old.priority, new.priority)));
  end if;
  if new.assignee_id is distinct from old.assignee_id then
    insert into public.ticket_events (ticket_id, actor_id, kind, changes)
    values (new.id, v_actor, 'assignee_changed',
            jsonb_build_object('assignee_id', jsonb_build_array(old.assignee_id, new.assignee_id)));
  end if;
  if new.queue_id is distinct from old.queue_id then
    insert into public.ticket_events (ticket_id, actor_id, kind, changes)
    values (new.id, v_actor, 'queue_changed',
            jsonb_build_object('queue_id', jsonb_build_array(old.queue_id, new.queue_id)));
  end if;
  if new.tags is distinct from old.tags then
    insert into public.ticket_events (ticket_id, actor_id, kind, changes)
    values (new.id, v_actor, 'tags_changed',
            jsonb_build_object('tags', jsonb_build_array(to_jsonb(old.tags), to_jsonb(new.tags))));
  end if;
  return new;
end;
$$;

create trigger tickets_record_events
  after insert or update on public.tickets
  for each row execute function public.tickets_record_events();

-- ---------------------------------------------------------------------------
-- ticket_messages (the conversation; embedded as conversation_history)
-- ---------------------------------------------------------------------------
create table public.ticket_messages (
  id uuid not null primary key default gen_random_uuid(),
  ticket_id uuid not null references public.tickets (id) on delete cascade,
  author_id uuid default auth.uid() references public.profiles (id) on delete set null,
  visibility public.message_visibility not null default 'public',
  body text not null,
  metadata jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  constraint ticket_messages_body_length check (char_length(btrim(body)) >= 1 and char_length(body) <= 100000),
  constraint ticket_messages_metadata_is_object check (jsonb_typeof(metadata) = 'object')
);
comment on table public.ticket_messages is
  'One row per message of a ticket''s conversation; internal notes are visible to staff only.';

create function public.ticket_messages_before_insert()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if current_user in ('anon', 'authenticated') then
    if new.author_id is distinct from auth.uid() then
      raise exception 'ticket_messages.author_id must be the signed-in user' using errcode = '42501';
    end if;
    if new.visibility = 'internal'
       and (select public.current_app_role()) is distinct from 'agent'
       and (select public.current_app_role()) is distinct from 'admin' then
      raise exception 'only agents and admins can write internal notes' using errcode = '42501';
    end if;
    new.created_at := now();
  end if;
  return new;
end;
$$;

create function public.ticket_messages_before_update()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if current_user in ('anon', 'authenticated') then
    if new.id is distinct from old.id or new.ticket_id is distinct from old.ticket_id
       or new.author_id is distinct from old.author_id or new.created_at is distinct from old.created_at then
      raise exception 'only body, visibility and metadata of a message can be changed' using errcode = '42501';
    end if;
  end if;
  return new;
end;
$$;

-- A message touches its ticket (updated_at, version); the first public staff reply sets
-- first_response_at; a requester's public reply reopens a pending or solved ticket.
create function public.ticket_messages_after_insert()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_requester uuid;
  v_author_role public.app_role;
begin
  select t.requester_id into v_requester from public.tickets t where t.id = new.ticket_id;
  select p.role into v_author_role from public.profiles p where p.id = new.author_id;

  update public.tickets t
     set status = case
                    when new.visibility = 'public' and new.author_id = v_requester
                         and t.status in ('pending', 'solved') then 'open'::public.ticket_status
                    else t.status
                  end,
         first_response_at = case
                    when new.visibility = 'public' and new.author_id is distinct from v_requester
                         and v_author_role in ('agent', 'admin') then coalesce(t.first_response_at, new.created_at)
                    else t.first_response_at
                  end
   where t.id = new.ticket_id;
  return new;
end;
$$;

create trigger ticket_messages_before_insert
  before insert on public.ticket_messages
  for each row execute function public.ticket_messages_before_insert();

create trigger ticket_messages_before_update
  before update on public.ticket_messages
  for each row execute function public.ticket_messages_before_update();

create trigger ticket_messages_after_insert
  after insert on public.ticket_messages
  for each row execute function public.ticket_messages_after_insert();

-- ---------------------------------------------------------------------------
-- Row-level security
-- ---------------------------------------------------------------------------
alter table public.tickets enable row level security;
alter table public.ticket_messages enable row level security;
alter table public.ticket_events enable row level security;

-- Customers: their own tickets. Agents: tickets of their queues, unqueued tickets and tickets
-- assigned to them. Admins: all.
create policy tickets_select on public.tickets
  for select to authenticated
  using (
    requester_id = (select auth.uid())
    or (select public.current_app_role()) = 'admin'
    or ((select public.current_app_role()) = 'agent'
        and (queue_id is null
             or assignee_id = (select auth.uid())
             or queue_id = any ((select public.current_queue_ids())::uuid[])))
  );

create policy tickets_insert on public.tickets
  for insert to authenticated
  with check (
    requester_id = (select auth.uid())
    or (select public.current_app_role()) = 'admin'
    or ((select public.current_app_role()) = 'agent'
        and (queue_id is null or queue_id = any ((select public.current_queue_ids())::uuid[])))
  );

create policy tickets_update on public.tickets
  for update to authenticated
  using (
    requester_id = (select auth.uid())
    or (select public.current_app_role()) = 'admin'
    or ((select public.current_app_role()) = 'agent'
        and (queue_id is null
             or assignee_id = (select auth.uid())
             or queue_id = any ((select public.current_queue_ids())::uuid[])))
  )
  with check (
    requester_id = (select auth.uid())
    or (select public.current_app_role()) = 'admin'
    or ((select public.current_app_role()) = 'agent'
        and (queue_id is null
             or assignee_id = (select auth.uid())
             or queue_id = any ((select public.current_queue_ids())::uuid[])))
  );

create policy tickets_delete on public.tickets
  for delete to authenticated
  using ((select public.current_app_role()) = 'admin');

-- Messages: visible with their ticket; internal notes to staff only.
create policy ticket_messages_select on public.ticket_messages
  for select to authenticated
  using (
    exists (select 1 from public.tickets t where t.id = ticket_messages.ticket_id)
    and (visibility = 'public' or (select public.current_app_role()) in ('agent', 'admin'))
  );

create policy ticket_messages_insert on public.ticket_messages
  for insert to authenticated
  with check (
    author_id = (select auth.uid())
    and exists (select 1 from public.tickets t where t.id = ticket_messages.ticket_id)
    and (visibility = 'public' or (select public.current_app_role()) in ('agent', 'admin'))
  );

create policy ticket_messages_update on public.ticket_messages
  for update to authenticated
  using ((select public.current_app_role()) = 'admin')
  with check ((select public.current_app_role()) = 'admin');

create policy ticket_messages_delete on public.ticket_messages
  for delete to authenticated
  using ((select public.current_app_role()) = 'admin');

-- Events: readable with their ticket; never written through the API.
create policy ticket_events_select on public.ticket_events
  for select to authenticated
  using (exists (select 1 from public.tickets t where t.id = ticket_events.ticket_id));

revoke insert, update, delete, truncate on public.ticket_events from anon, authenticated;
revoke truncate on public.tickets, public.ticket_messages from anon, authenticated;

-- ---------------------------------------------------------------------------
-- Indexes for the SDK's access paths
-- ---------------------------------------------------------------------------
create index tickets_status_queue_updated_idx on public.tickets (status, queue_id, updated_at desc);
create index tickets_queue_status_updated_idx on public.tickets (queue_id, status, updated_at desc);
create index tickets_updated_at_idx on public.tickets (updated_at desc, id);
create index tickets_assignee_status_idx on public.tickets (assignee_id, status, updated_at desc);
create index tickets_requester_created_idx on public.tickets (requester_id, created_at desc);
create index tickets_created_at_id_idx on public.tickets (created_at, id);
create index tickets_tags_idx on public.tickets using gin (tags);
create index tickets_metadata_idx on public.tickets using gin (metadata jsonb_path_ops);
-- claim_next_ticket: unassigned, claimable tickets of a queue in claim order.
create index tickets_claimable_idx on public.tickets (queue_id, priority desc, created_at, id)
  where assignee_id is null and status in ('new', 'open');

create index ticket_messages_ticket_created_idx on public.ticket_messages (ticket_id, created_at, id);
create index ticket_messages_author_idx on public.ticket_messages (author_id);
create index ticket_events_ticket_id_idx on public.ticket_events (ticket_id, id);
create index ticket_events_created_at_idx on public.ticket_events (created_at, id);
