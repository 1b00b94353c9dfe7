-- AutoCRM: profile sync with auth.users updates, ticket history under cascades, and
-- tighter helper functions. Forward-only (follows 20261126100000..100300).

-- ---------------------------------------------------------------------------
-- Profiles follow auth.users: email, and display_name when user metadata sets a new one
-- (auth.updateUser({ data: { display_name } })).
-- ---------------------------------------------------------------------------
drop trigger on_auth_user_email_changed on auth.users;
drop function public.handle_user_email_change();

create function public.handle_user_updated()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_name text := left(nullif(btrim(new.raw_user_meta_data ->> 'display_name'), ''), 200);
begin
  update public.profiles p
     set email = new.email,
         display_name = case
           when v_name is not null
                and v_name is distinct from left(nullif(btrim(old.raw_user_meta_data ->> 'display_name'), ''), 200)
             then v_name
           else p.display_name
         end
   where p.id = new.id;
  return new;
end;
$$;

create trigger on_auth_user_updated
  after update of email, raw_user_meta_data on auth.users
  for each row
  when (old.email is distinct from new.email or old.raw_user_meta_data is distinct from new.raw_user_meta_data)
  execute function public.handle_user_updated();

-- ---------------------------------------------------------------------------
-- Ticket history: skip tickets deleted by the same cascade that updated them.
-- ---------------------------------------------------------------------------
create or replace function public.tickets_record_events()
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

  -- A cascade can update and delete the same ticket in one statement (e.g. deleting a user who
  -- is both requester and assignee): nothing to record for a ticket that is gone.
  if not exists (select 1 from public.tickets t where t.id = new.id) then
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


-- ---------------------------------------------------------------------------
-- Helpers callable as RPC must not reveal queue membership to customers or anon.
-- ---------------------------------------------------------------------------
create or replace function public.is_queue_member(queue_id uuid, agent_id uuid)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select (is_queue_member.agent_id = auth.uid()
          or public.request_is_privileged()
          or public.current_app_role() in ('agent', 'admin'))
     and exists (
           select 1 from public.queue_members qm
           where qm.queue_id = is_queue_member.queue_id and qm.agent_id = is_queue_member.agent_id
         );
$$;

create or replace function public.check_assignee(p_assignee uuid, p_queue uuid, p_caller_role public.app_role)
returns void
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if not public.request_is_privileged() and public.current_app_role() is distinct from 'agent'
     and public.current_app_role() is distinct from 'admin' then
    raise exception 'only agents and admins can assign tickets' using errcode = '42501';
  end if;
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

revoke execute on function public.is_queue_member(uuid, uuid) from public, anon;
revoke execute on function public.check_assignee(uuid, uuid, public.app_role) from public, anon;
revoke execute on function public.request_is_privileged() from public, anon;
revoke execute on function public.current_queue_ids() from public, anon;
