-- An internal note changes nothing a customer can observe. Before, every message touched its ticket (version,
-- updated_at, and so a tickets UPDATE on realtime), which let a customer count and time internal notes on their own
-- tickets. Now only public messages touch the ticket (the customer sees those anyway); an internal note records
-- itself in ticket_staff_activity instead, which row-level security shows to staff only and which is not published
-- to realtime (staff already receive the note itself as a ticket_messages INSERT).

create table public.ticket_staff_activity (
  ticket_id uuid not null primary key references public.tickets (id) on delete cascade,
  last_internal_note_at timestamptz not null,
  last_internal_note_by uuid references public.profiles (id) on delete set null
);
comment on table public.ticket_staff_activity is
  'Staff-only activity of a ticket that customers must not observe: when the last internal note was written, and by whom.';

alter table public.ticket_staff_activity enable row level security;

-- Staff read it for the tickets they can see; nobody writes it through the API (the message trigger does).
create policy ticket_staff_activity_select on public.ticket_staff_activity
  for select to authenticated
  using (
    (select public.current_app_role()) in ('agent', 'admin')
    and exists (select 1 from public.tickets t where t.id = ticket_staff_activity.ticket_id)
  );

revoke insert, update, delete, truncate on public.ticket_staff_activity from anon, authenticated;
revoke all on public.ticket_staff_activity from anon;

-- Rebuilds the table from the messages: the backfill below, and bulk loads that ran with triggers off.
create function public.rebuild_ticket_staff_activity()
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  lock table public.ticket_staff_activity in exclusive mode;
  delete from public.ticket_staff_activity;
  insert into public.ticket_staff_activity (ticket_id, last_internal_note_at, last_internal_note_by)
  select distinct on (m.ticket_id) m.ticket_id, m.created_at, m.author_id
    from public.ticket_messages m
   where m.visibility = 'internal'
   order by m.ticket_id, m.created_at desc, m.id desc;
end;
$$;
revoke execute on function public.rebuild_ticket_staff_activity() from public, anon, authenticated;
comment on function public.rebuild_ticket_staff_activity() is
  'Rebuilds ticket_staff_activity from the internal notes (after a bulk load with triggers off). Back-office only.';

select public.rebuild_ticket_staff_activity();

-- From 20261126100100_tickets.sql (unchanged since): the same rules for public messages; an internal note only
-- moves the staff activity forward.
create or replace function public.ticket_messages_after_insert()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_requester uuid;
  v_author_role public.app_role;
begin
  if new.visibility = 'internal' then
    insert into public.ticket_staff_activity as a (ticket_id, last_internal_note_at, last_internal_note_by)
    values (new.ticket_id, new.created_at, new.author_id)
    on conflict (ticket_id) do update
      set last_internal_note_at = excluded.last_internal_note_at,
          last_internal_note_by = excluded.last_internal_note_by
      where a.last_internal_note_at <= excluded.last_internal_note_at;
    return new;
  end if;

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
