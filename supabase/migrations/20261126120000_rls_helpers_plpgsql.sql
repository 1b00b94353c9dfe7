-- AutoCRM: the helpers that row-level security policies call are PL/pgSQL, not SQL.
-- Forward-only (follows 20261126110000).
--
-- Why: a `security definer` function with a `set search_path` clause is never inlined, and PostgreSQL 15 parses and
-- plans the body of a non-inlined SQL function again on every call. PL/pgSQL keeps the plan of each statement for
-- the life of the session. The policies already wrap these calls in `(select ...)`, so each runs once per statement,
-- but Realtime checks every change once per subscriber (claim set), where the re-planning was most of the cost:
-- measured on the DevStack cluster, one RLS-checked read of the tickets table as an agent or customer fell from
-- 0.16-0.28 ms to 0.08 ms. Behaviour, volatility, security definer, the empty search_path, owners, grants and
-- comments are unchanged (CREATE OR REPLACE keeps the last three).

create or replace function public.current_app_role()
returns public.app_role
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return (select p.role from public.profiles p where p.id = auth.uid());
end;
$$;

create or replace function public.current_queue_ids()
returns uuid[]
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return (
    select coalesce(array_agg(qm.queue_id), '{}'::uuid[])
    from public.queue_members qm
    where qm.agent_id = auth.uid()
  );
end;
$$;

create or replace function public.is_queue_member(queue_id uuid, agent_id uuid)
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return (is_queue_member.agent_id = auth.uid()
          or public.request_is_privileged()
          or public.current_app_role() in ('agent', 'admin'))
     and exists (
           select 1 from public.queue_members qm
           where qm.queue_id = is_queue_member.queue_id and qm.agent_id = is_queue_member.agent_id
         );
end;
$$;
