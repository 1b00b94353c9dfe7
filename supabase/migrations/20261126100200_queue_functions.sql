-- AutoCRM queue functions (RPC). Names and argument names are part of the public contract:
-- callers such as supabase-js pass arguments by name.
--
-- All are security definer with an empty search_path; each checks the caller itself.
-- The service_role key (and trusted direct sessions) pass every rule.
-- Errors: 42501 not allowed, PT404 (HTTP 404 through PostgREST) ticket/queue/user not found
-- or not visible, 23514 an assignee who is not staff.

-- ---------------------------------------------------------------------------
-- claim_next_ticket: the caller takes the next unassigned new/open ticket of their queues
-- (or of one named queue they belong to; admins may name any queue), highest priority first
-- (urgent, high, normal, low), then oldest.
-- Returns the claimed ticket as a one-row set, or no row when nothing is waiting.
-- ---------------------------------------------------------------------------
create function public.claim_next_ticket(queue_id uuid default null)
returns setof public.tickets
language plpgsql
volatile
security definer
set search_path = ''
rows 1
as $$
#variable_conflict use_column
declare
  v_uid uuid := auth.uid();
  v_privileged boolean := public.request_is_privileged();
  v_role public.app_role := public.current_app_role();
  v_queue uuid := claim_next_ticket.queue_id;
  v_ticket_id uuid;
begin
  if v_uid is null then
    raise exception 'claim_next_ticket needs a signed-in agent' using errcode = '42501';
  end if;
  if not v_privileged and v_role is distinct from 'agent' and v_role is distinct from 'admin' then
    raise exception 'only agents can claim tickets' using errcode = '42501';
  end if;
  if v_queue is not null then
    if not exists (select 1 from public.queues q where q.id = v_queue) then
      raise exception 'queue % not found', v_queue using errcode = 'PT404';
    end if;
    if not v_privileged and v_role is distinct from 'admin' and not public.is_queue_member(v_queue, v_uid) then
      raise exception 'you are not a member of queue %', v_queue using errcode = '42501';
    end if;
  end if;

  select t.id into v_ticket_id
    from public.tickets t
   where t.assignee_id is null
     and t.status in ('new', 'open')
     and t.queue_id is not null
     and ((v_queue is not null and t.queue_id = v_queue)
          or (v_queue is null and t.queue_id in (select qm.queue_id from public.queue_members qm
                                                  where qm.agent_id = v_uid)))
   order by t.priority desc, t.created_at, t.id
   limit 1
   for update of t skip locked;

  if v_ticket_id is null then
    return;
  end if;

  return query
    update public.tickets t
       set assignee_id = v_uid,
           status = case when t.status = 'new' then 'open'::public.ticket_status else t.status end
     where t.id = v_ticket_id
    returning t.*;
end;
$$;
comment on function public.claim_next_ticket(uuid) is
  'Claims the next unassigned new/open ticket (urgent first, then oldest) from the caller''s queues or the named queue; returns it, or no row.';

-- ---------------------------------------------------------------------------
-- Helpers: load a ticket the caller may work on.
-- ---------------------------------------------------------------------------
create function public.ticket_for_staff(p_ticket_id uuid, p_uid uuid, p_role public.app_role, p_privileged boolean)
returns public.tickets
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_ticket public.tickets;
begin
  if not p_privileged and p_role is distinct from 'agent' and p_role is distinct from 'admin' then
    raise exception 'only agents and admins can do this' using errcode = '42501';
  end if;
  select * into v_ticket from public.tickets t where t.id = p_ticket_id;
  if v_ticket.id is null
     or (not p_privileged and p_role = 'agent'
         and not (v_ticket.queue_id is null
                  or v_ticket.assignee_id is not distinct from p_uid and p_uid is not null
                  or public.is_queue_member(v_ticket.queue_id, p_uid))) then
    raise exception 'ticket % not found', p_ticket_id using errcode = 'PT404';
  end if;
  return v_ticket;
end;
$$;
revoke execute on function public.ticket_for_staff(uuid, uuid, public.app_role, boolean) from public, anon, authenticated;

-- ---------------------------------------------------------------------------
-- release_ticket: the assignee (or an admin) puts the ticket back in its queue, unassigned.
-- ---------------------------------------------------------------------------
create function public.release_ticket(ticket_id uuid)
returns public.tickets
language plpgsql
volatile
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_uid uuid := auth.uid();
  v_privileged boolean := public.request_is_privileged();
  v_role public.app_role := public.current_app_role();
  v_ticket public.tickets;
begin
  v_ticket := public.ticket_for_staff(release_ticket.ticket_id, v_uid, v_role, v_privileged);
  if not v_privileged and v_role is distinct from 'admin' and v_ticket.assignee_id is distinct from v_uid then
    raise exception 'only the assignee or an admin can release ticket %', v_ticket.id using errcode = '42501';
  end if;
  update public.tickets t set assignee_id = null where t.id = v_ticket.id returning t.* into v_ticket;
  return v_ticket;
end;
$$;
comment on function public.release_ticket(uuid) is 'Unassigns a ticket (its assignee or an admin).';

-- ---------------------------------------------------------------------------
-- assign_ticket: assign to an agent who is a member of the ticket's queue (any staff when the
-- caller is an admin). agent_id null unassigns. A new ticket becomes open.
-- ---------------------------------------------------------------------------
create function public.assign_ticket(ticket_id uuid, agent_id uuid)
returns public.tickets
language plpgsql
volatile
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_uid uuid := auth.uid();
  v_privileged boolean := public.request_is_privileged();
  v_role public.app_role := public.current_app_role();
  v_ticket public.tickets;
  v_agent uuid := assign_ticket.agent_id;
begin
  v_ticket := public.ticket_for_staff(assign_ticket.ticket_id, v_uid, v_role, v_privileged);
  if v_agent is not null then
    if not exists (select 1 from public.profiles p where p.id = v_agent) then
      raise exception 'user % not found', v_agent using errcode = 'PT404';
    end if;
    perform public.check_assignee(v_agent, v_ticket.queue_id,
                                  case when v_privileged then 'admin'::public.app_role else v_role end);
  end if;
  update public.tickets t
     set assignee_id = v_agent,
         status = case when v_agent is not null and t.status = 'new' then 'open'::public.ticket_status else t.status end
   where t.id = v_ticket.id
  returning t.* into v_ticket;
  return v_ticket;
end;
$$;
comment on function public.assign_ticket(uuid, uuid) is
  'Assigns a ticket to a member of its queue (admins: any agent/admin); null unassigns.';

-- ---------------------------------------------------------------------------
-- transfer_ticket: move a ticket to another queue (null = unqueued); it becomes unassigned.
-- ---------------------------------------------------------------------------
create function public.transfer_ticket(ticket_id uuid, queue_id uuid)
returns public.tickets
language plpgsql
volatile
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_uid uuid := auth.uid();
  v_privileged boolean := public.request_is_privileged();
  v_role public.app_role := public.current_app_role();
  v_ticket public.tickets;
  v_queue uuid := transfer_ticket.queue_id;
begin
  v_ticket := public.ticket_for_staff(transfer_ticket.ticket_id, v_uid, v_role, v_privileged);
  if v_queue is not null and not exists (select 1 from public.queues q where q.id = v_queue) then
    raise exception 'queue % not found', v_queue using errcode = 'PT404';
  end if;
  update public.tickets t
     set queue_id = v_queue,
         assignee_id = null
   where t.id = v_ticket.id
  returning t.* into v_ticket;
  return v_ticket;
end;
$$;
comment on function public.transfer_ticket(uuid, uuid) is 'Moves a ticket to another queue and unassigns it.';

-- ---------------------------------------------------------------------------
-- queue_stats: one row per queue the caller may see (agents: their queues; admins and the
-- service role: all; customers and anon: none).
-- ---------------------------------------------------------------------------
create function public.queue_stats()
returns table (
  queue_id uuid,
  slug text,
  name text,
  new_count bigint,
  open_count bigint,
  pending_count bigint,
  on_hold_count bigint,
  solved_count bigint,
  closed_count bigint,
  unassigned_count bigint,
  oldest_unassigned_at timestamptz
)
language sql
stable
security definer
set search_path = ''
as $$
  select q.id,
         q.slug,
         q.name,
         count(t.id) filter (where t.status = 'new'),
         count(t.id) filter (where t.status = 'open'),
         count(t.id) filter (where t.status = 'pending'),
         count(t.id) filter (where t.status = 'on_hold'),
         count(t.id) filter (where t.status = 'solved'),
         count(t.id) filter (where t.status = 'closed'),
         count(t.id) filter (where t.assignee_id is null and t.status not in ('solved', 'closed')),
         min(t.created_at) filter (where t.assignee_id is null and t.status not in ('solved', 'closed'))
    from public.queues q
    left join public.tickets t on t.queue_id = q.id
   where public.request_is_privileged()
      or public.current_app_role() = 'admin'
      or (public.current_app_role() = 'agent' and public.is_queue_member(q.id, auth.uid()))
   group by q.id, q.slug, q.name
   order by q.slug;
$$;
comment on function public.queue_stats() is
  'Per-queue ticket counts by status, unassigned count (not solved/closed) and the oldest unassigned ticket''s created_at.';

-- ---------------------------------------------------------------------------
-- set_user_role: admin only. Demoting a user to customer removes their queue memberships.
-- ---------------------------------------------------------------------------
create function public.set_user_role(user_id uuid, role public.app_role)
returns public.profiles
language plpgsql
volatile
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_profile public.profiles;
begin
  if not public.request_is_privileged() and public.current_app_role() is distinct from 'admin' then
    raise exception 'only an admin can change a user''s role' using errcode = '42501';
  end if;
  if set_user_role.role is null then
    raise exception 'role must not be null' using errcode = '22004';
  end if;
  update public.profiles p set role = set_user_role.role where p.id = set_user_role.user_id
  returning p.* into v_profile;
  if v_profile.id is null then
    raise exception 'user % not found', set_user_role.user_id using errcode = 'PT404';
  end if;
  if v_profile.role = 'customer' then
    delete from public.queue_members qm where qm.agent_id = v_profile.id;
  end if;
  return v_profile;
end;
$$;
comment on function public.set_user_role(uuid, public.app_role) is 'Changes a user''s application role (admin only).';
