-- The ticket write path, cheaper for every client: SQL-language helpers that cannot be inlined (a SET clause, or
-- security definer) are run by PostgreSQL's SQL-function executor, which parses and plans their body again on every
-- query that calls them: 50–200 µs per call, paid on every ticket write by the triggers that call them. PL/pgSQL
-- keeps each statement's plan for the session, so the same bodies in PL/pgSQL cost a few microseconds after the
-- first call. (20261126120000_rls_helpers_plpgsql.sql did the same for the row-level-security helpers.)
-- Measured with valgrind (instructions per ticket update as a signed-in agent, 20 automation rules, steady state):
-- the rule engine's actor lookup alone cost 0.33 M of 4.15 M. Same names, arguments, results, volatility, owners, grants and
-- comments (CREATE OR REPLACE keeps them); forward-only.

-- Every ticket and message write with rules (20261205014501_automation_rules.sql).
create or replace function autocrm_private.automation_actor_role()
returns text
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return coalesce((select p.role::text from public.profiles p where p.id = auth.uid()), 'system');
end;
$$;

-- Every message write with message rules.
create or replace function autocrm_private.automation_ticket(p_ticket_id uuid)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return (select jsonb_set(to_jsonb(t), '{metadata}', t.metadata || coalesce(a.metadata, '{}'::jsonb))
            from public.tickets t
            left join public.ticket_agent_fields a on a.ticket_id = t.id
           where t.id = p_ticket_id);
end;
$$;

-- Every ticket and message write (20261205013211_webhooks.sql).
create or replace function autocrm_private.webhooks_wanted(p_types text[])
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  return exists (select 1 from public.webhook_endpoints e where e.active and e.events && p_types);
end;
$$;

-- Every ticket write that changes the searchable text (20261205043437_search_frequency_estimate.sql).
create or replace function autocrm_private.remember_search_terms(p_part tsvector)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into autocrm_private.search_terms (term)
  select w.lexeme
    from unnest(p_part) w
   where char_length(w.lexeme) between 3 and 32
     and w.lexeme !~ '[0-9]'
   order by w.lexeme
  on conflict (term) do nothing;
end;
$$;

-- Every status change (20261205052002_sla_policies.sql).
create or replace function autocrm_private.sla_status_runs(p_status public.ticket_status)
returns boolean
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
begin
  return p_status in ('new', 'open');
end;
$$;

-- Queue functions and several triggers (20261126100000_core_schema.sql).
create or replace function public.request_is_privileged()
returns boolean
language plpgsql
stable
set search_path = ''
as $$
begin
  return coalesce(auth.role(), '') = 'service_role'
      or (coalesce(auth.role(), '') not in ('anon', 'authenticated')
          and coalesce(nullif(current_setting('role', true), 'none'), session_user::text)
              not in ('anon', 'authenticated', 'authenticator'));
end;
$$;
