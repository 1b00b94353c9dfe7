-- AutoCRM core schema: enums, request helpers, profiles, queues, queue members.
-- Forward-only. Platform objects (roles, schema auth, auth.uid(), the publication) come from
-- the Supabase image / the DevStack bootstrap, not from here.

-- ---------------------------------------------------------------------------
-- Enums
-- ---------------------------------------------------------------------------
create type public.ticket_status as enum ('new', 'open', 'pending', 'on_hold', 'solved', 'closed');
create type public.ticket_priority as enum ('low', 'normal', 'high', 'urgent');
create type public.app_role as enum ('customer', 'agent', 'admin');
create type public.message_visibility as enum ('public', 'internal');

-- ---------------------------------------------------------------------------
-- Request helpers
-- ---------------------------------------------------------------------------

-- True when the request is trusted back-office code: the service_role key, or a direct
-- database session (postgres, supabase_admin, ...) that is not impersonating an API user.
-- Works inside security definer functions: current_setting('role') still names the caller's role.
create function public.request_is_privileged()
returns boolean
language sql
stable
set search_path = ''
as $$
  select coalesce(auth.role(), '') = 'service_role'
      or (coalesce(auth.role(), '') not in ('anon', 'authenticated')
          and coalesce(nullif(current_setting('role', true), 'none'), session_user::text)
              not in ('anon', 'authenticated', 'authenticator'));
$$;
comment on function public.request_is_privileged() is
  'True for the service_role key and for direct trusted database sessions; false for anon and signed-in users.';

-- Generic updated_at maintenance.
create function public.set_updated_at()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.updated_at := now();
  return new;
end;
$$;

-- ---------------------------------------------------------------------------
-- profiles
-- ---------------------------------------------------------------------------
create table public.profiles (
  id uuid not null primary key references auth.users (id) on delete cascade,
  email text,
  display_name text not null default '',
  role public.app_role not null default 'customer',
  metadata jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint profiles_display_name_length check (char_length(display_name) <= 200),
  constraint profiles_metadata_is_object check (jsonb_typeof(metadata) = 'object')
);
comment on table public.profiles is 'One row per auth user: display name and application role (customer, agent, admin).';

create index profiles_role_idx on public.profiles (role);
create index profiles_email_idx on public.profiles (lower(email));

-- The role helper used by every policy, as `(select public.current_app_role())`.
create function public.current_app_role()
returns public.app_role
language sql
stable
security definer
set search_path = ''
as $$
  select p.role from public.profiles p where p.id = auth.uid();
$$;
comment on function public.current_app_role() is
  'The application role of the signed-in user (profiles.role), or null for anon/service callers.';

-- Create the profile when Auth creates a user.
create function public.handle_new_user()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into public.profiles (id, email, display_name, role)
  values (
    new.id,
    new.email,
    left(coalesce(nullif(btrim(new.raw_user_meta_data ->> 'display_name'), ''),
                  nullif(split_part(coalesce(new.email, ''), '@', 1), ''),
                  ''), 200),
    'customer'
  )
  on conflict (id) do nothing;
  return new;
end;
$$;

create trigger on_auth_user_created
  after insert on auth.users
  for each row execute function public.handle_new_user();

-- Keep profiles.email in step with auth.users.email.
create function public.handle_user_email_change()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  update public.profiles set email = new.email where id = new.id and email is distinct from new.email;
  return new;
end;
$$;

create trigger on_auth_user_email_changed
  after update of email on auth.users
  for each row execute function public.handle_user_email_change();

-- Column rules for profiles: only admins (or trusted back-office code) change role;
-- nobody changes id/email/created_at through the API.
create function public.profiles_before_update()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if current_user in ('anon', 'authenticated') then
    if new.id is distinct from old.id then
      raise exception 'profiles.id cannot be changed' using errcode = '42501';
    end if;
    if new.email is distinct from old.email then
      raise exception 'profiles.email follows the auth user and cannot be changed here' using errcode = '42501';
    end if;
    if new.created_at is distinct from old.created_at then
      raise exception 'profiles.created_at cannot be changed' using errcode = '42501';
    end if;
    if new.role is distinct from old.role
       and (select public.current_app_role()) is distinct from 'admin' then
      raise exception 'only an admin can change a user''s role' using errcode = '42501';
    end if;
  end if;
  new.updated_at := now();
  return new;
end;
$$;

create trigger profiles_before_update
  before update on public.profiles
  for each row execute function public.profiles_before_update();

alter table public.profiles enable row level security;

-- Everyone signed in reads their own profile and the staff (agents/admins); staff read all.
create policy profiles_select on public.profiles
  for select to authenticated
  using (
    id = (select auth.uid())
    or role in ('agent', 'admin')
    or (select public.current_app_role()) in ('agent', 'admin')
  );

create policy profiles_update on public.profiles
  for update to authenticated
  using (id = (select auth.uid()) or (select public.current_app_role()) = 'admin')
  with check (id = (select auth.uid()) or (select public.current_app_role()) = 'admin');
-- No insert/delete policies: profiles follow auth.users (trigger / cascade).

-- ---------------------------------------------------------------------------
-- queues
-- ---------------------------------------------------------------------------
create table public.queues (
  id uuid not null primary key default gen_random_uuid(),
  slug text not null,
  name text not null,
  description text not null default '',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint queues_slug_key unique (slug),
  constraint queues_slug_format check (slug ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
  constraint queues_name_length check (char_length(btrim(name)) between 1 and 100)
);
comment on table public.queues is 'Work queues (e.g. general, billing); agents are members of queues.';

create trigger queues_set_updated_at
  before update on public.queues
  for each row execute function public.set_updated_at();

alter table public.queues enable row level security;

create policy queues_select on public.queues
  for select to authenticated
  using (true);
create policy queues_insert on public.queues
  for insert to authenticated
  with check ((select public.current_app_role()) = 'admin');
create policy queues_update on public.queues
  for update to authenticated
  using ((select public.current_app_role()) = 'admin')
  with check ((select public.current_app_role()) = 'admin');
create policy queues_delete on public.queues
  for delete to authenticated
  using ((select public.current_app_role()) = 'admin');

-- ---------------------------------------------------------------------------
-- queue_members
-- ---------------------------------------------------------------------------
create table public.queue_members (
  queue_id uuid not null references public.queues (id) on delete cascade,
  agent_id uuid not null references public.profiles (id) on delete cascade,
  created_at timestamptz not null default now(),
  constraint queue_members_pkey primary key (queue_id, agent_id)
);
comment on table public.queue_members is 'Which agents work which queues.';

create index queue_members_agent_id_idx on public.queue_members (agent_id);

-- Only staff can be queue members.
create function public.queue_members_check_agent()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if not exists (select 1 from public.profiles p where p.id = new.agent_id and p.role in ('agent', 'admin')) then
    raise exception 'user % is not an agent or admin and cannot be a queue member', new.agent_id
      using errcode = '23514';
  end if;
  return new;
end;
$$;

create trigger queue_members_check_agent
  before insert or update on public.queue_members
  for each row execute function public.queue_members_check_agent();

-- Queues the signed-in user is a member of (used by policies as an init plan).
create function public.current_queue_ids()
returns uuid[]
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce(array_agg(qm.queue_id), '{}'::uuid[])
  from public.queue_members qm
  where qm.agent_id = auth.uid();
$$;
comment on function public.current_queue_ids() is 'Queue ids the signed-in user is a member of.';

create function public.is_queue_member(queue_id uuid, agent_id uuid)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select exists (
    select 1 from public.queue_members qm
    where qm.queue_id = is_queue_member.queue_id and qm.agent_id = is_queue_member.agent_id
  );
$$;

alter table public.queue_members enable row level security;

create policy queue_members_select on public.queue_members
  for select to authenticated
  using ((select public.current_app_role()) in ('agent', 'admin'));
create policy queue_members_insert on public.queue_members
  for insert to authenticated
  with check ((select public.current_app_role()) = 'admin');
create policy queue_members_update on public.queue_members
  for update to authenticated
  using ((select public.current_app_role()) = 'admin')
  with check ((select public.current_app_role()) = 'admin');
create policy queue_members_delete on public.queue_members
  for delete to authenticated
  using ((select public.current_app_role()) = 'admin');

-- TRUNCATE bypasses row-level security: API roles never get it.
revoke truncate on public.profiles, public.queues, public.queue_members from anon, authenticated;
