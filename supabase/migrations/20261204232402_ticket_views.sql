-- AutoCRM saved views: a named search (query-language text, docs/search.md) with a sort and a position.
-- Forward-only (follows 20261204232401).
--
-- Everyone signed in keeps their own views. Admins also make shared (team) views, which every agent and admin sees;
-- customers never see shared views (they name queues, tags and agents). Only admins create, change or delete shared
-- views; a view's owner and creation time never change.

create table public.ticket_views (
  id uuid not null primary key default gen_random_uuid(),
  owner_id uuid not null default auth.uid() references public.profiles (id) on delete cascade,
  shared boolean not null default false,
  name text not null,
  query text not null default '',
  sort text not null default 'updated_at.desc',
  position integer not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint ticket_views_name_length check (char_length(btrim(name)) between 1 and 100 and name !~ '[[:cntrl:]]'),
  constraint ticket_views_query_length check (char_length(query) <= 1000),
  constraint ticket_views_sort check (sort in (
    'rank.desc', 'created_at.desc', 'created_at.asc', 'updated_at.desc', 'updated_at.asc',
    'priority.desc', 'priority.asc', 'number.desc', 'number.asc')),
  constraint ticket_views_position_range check (position between 0 and 100000)
);
comment on table public.ticket_views is
  'Saved views: a query in the search language (docs/search.md), a sort (PostgREST order syntax) and a position. '
  'Own views for everyone; shared (team) views made by admins, visible to agents and admins.';
comment on column public.ticket_views.sort is
  'rank.desc (relevance, for views with words) or <created_at|updated_at|priority|number>.<asc|desc>.';

create unique index ticket_views_owner_name_key on public.ticket_views (owner_id, lower(name)) where not shared;
create unique index ticket_views_shared_name_key on public.ticket_views (lower(name)) where shared;
create index ticket_views_owner_position_idx on public.ticket_views (owner_id, position, created_at);
create index ticket_views_shared_position_idx on public.ticket_views (position, created_at) where shared;

-- Column rules for API users: the owner and creation time are fixed; only admins share or unshare.
create function public.ticket_views_before_write()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if current_user in ('anon', 'authenticated') then
    if tg_op = 'INSERT' then
      new.created_at := now();
    else
      if new.id is distinct from old.id or new.owner_id is distinct from old.owner_id
         or new.created_at is distinct from old.created_at then
        raise exception 'a view''s id, owner and creation time cannot change' using errcode = '42501';
      end if;
    end if;
    if new.shared and (select public.current_app_role()) is distinct from 'admin' then
      raise exception 'only admins can share views' using errcode = '42501';
    end if;
  end if;
  new.name := btrim(new.name);
  new.updated_at := now();
  return new;
end;
$$;

create trigger ticket_views_before_write
  before insert or update on public.ticket_views
  for each row execute function public.ticket_views_before_write();

alter table public.ticket_views enable row level security;

create policy ticket_views_select on public.ticket_views
  for select to authenticated
  using (
    owner_id = (select auth.uid())
    or (shared and (select public.current_app_role()) in ('agent', 'admin'))
  );

create policy ticket_views_insert on public.ticket_views
  for insert to authenticated
  with check (
    owner_id = (select auth.uid())
    and (not shared or (select public.current_app_role()) = 'admin')
  );

create policy ticket_views_update on public.ticket_views
  for update to authenticated
  using (
    (not shared and owner_id = (select auth.uid()))
    or (shared and (select public.current_app_role()) = 'admin')
  )
  with check (
    (not shared and owner_id = (select auth.uid()))
    or (shared and (select public.current_app_role()) = 'admin')
  );

create policy ticket_views_delete on public.ticket_views
  for delete to authenticated
  using (
    (not shared and owner_id = (select auth.uid()))
    or (shared and (select public.current_app_role()) = 'admin')
  );

revoke truncate on public.ticket_views from anon, authenticated;
revoke all on public.ticket_views from anon;

-- Views change live in the agent workspace (an admin adds a shared view).
do $realtime$
begin
  if exists (select 1 from pg_publication where pubname = 'supabase_realtime')
     and not exists (select 1 from pg_publication_tables
                      where pubname = 'supabase_realtime' and schemaname = 'public' and tablename = 'ticket_views') then
    alter publication supabase_realtime add table public.ticket_views;
  end if;
end
$realtime$;
