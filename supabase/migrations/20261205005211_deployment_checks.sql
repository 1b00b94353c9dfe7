-- AutoCRM deployment checks: what `autocrm doctor` and the SDK's schema check ask a deployment.
--
--   deployment_status()            the applied migrations, tables without row-level security, the tables in the
--                                  realtime publication, the API functions and the pg_cron jobs the schema
--                                  expects, as one jsonb document (anyone may call it: it reads catalogs only)
--   deployment_probes              one row that anyone may read and only touch_deployment_probe(token) writes;
--                                  it is in the realtime publication, so a client can watch its own change
--                                  arrive end to end (the doctor's realtime check)

-- ---------------------------------------------------------------------------
-- deployment_probes
-- ---------------------------------------------------------------------------
create table public.deployment_probes (
  id smallint not null primary key default 1,
  token uuid not null,
  touched_at timestamptz not null default now(),
  constraint deployment_probes_single_row check (id = 1)
);
comment on table public.deployment_probes is
  'One row for end-to-end realtime checks: anyone may read it; only touch_deployment_probe(token) writes it.';

alter table public.deployment_probes enable row level security;

create policy deployment_probes_select on public.deployment_probes
  for select to anon, authenticated
  using (true);
-- No insert/update/delete policies, and no write grants: the function below is the only writer.
revoke insert, update, delete, truncate on public.deployment_probes from anon, authenticated;

alter publication supabase_realtime add table public.deployment_probes;

create function public.touch_deployment_probe(token uuid)
returns void
language sql
volatile
security definer
set search_path = ''
as $$
  insert into public.deployment_probes as p (id, token, touched_at)
  values (1, touch_deployment_probe.token, now())
  on conflict (id) do update set token = excluded.token, touched_at = excluded.touched_at
$$;
comment on function public.touch_deployment_probe(uuid) is
  'Writes token into the single deployment_probes row, so that realtime subscribers of that table see the change.';

revoke execute on function public.touch_deployment_probe(uuid) from public;
grant execute on function public.touch_deployment_probe(uuid) to anon, authenticated, service_role;

-- ---------------------------------------------------------------------------
-- deployment_status()
-- ---------------------------------------------------------------------------
create function public.deployment_status()
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_migrations jsonb;
  v_cron_enabled boolean := exists (select 1 from pg_catalog.pg_extension where extname = 'pg_cron');
  v_scheduled jsonb := '[]'::jsonb;
  v_function text;
  v_present boolean;
  v_is_scheduled boolean;
begin
  -- The Supabase CLI's history; absent when the migrations were applied some other way.
  if to_regclass('supabase_migrations.schema_migrations') is not null then
    execute 'select coalesce(jsonb_agg(version order by version), ''[]''::jsonb) from supabase_migrations.schema_migrations'
      into v_migrations;
  end if;

  -- Functions the schema expects pg_cron to run once they exist. A migration that adds such a function adds its
  -- name here; the check starts applying when the function appears.
  foreach v_function in array array['run_due_automations'] loop
    v_present := exists (
      select 1 from pg_catalog.pg_proc p
      where p.pronamespace = 'public'::regnamespace and p.proname = v_function);
    v_is_scheduled := false;
    if v_present and v_cron_enabled then
      execute 'select exists (select 1 from cron.job where active and command ~ $1)'
        into v_is_scheduled
        using '\m' || v_function || '\M';
    end if;
    v_scheduled := v_scheduled || jsonb_build_object('function', v_function, 'present', v_present, 'scheduled', v_is_scheduled);
  end loop;

  return jsonb_build_object(
    'migrations', v_migrations,
    'tables', (
      select coalesce(jsonb_agg(c.relname::text order by c.relname), '[]'::jsonb)
      from pg_catalog.pg_class c
      where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p') and not c.relispartition),
    'tables_without_rls', (
      select coalesce(jsonb_agg(c.relname::text order by c.relname), '[]'::jsonb)
      from pg_catalog.pg_class c
      where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p') and not c.relispartition
        and not c.relrowsecurity),
    'realtime_tables', (
      select coalesce(jsonb_agg(t.tablename::text order by t.tablename), '[]'::jsonb)
      from pg_catalog.pg_publication_tables t
      where t.pubname = 'supabase_realtime' and t.schemaname = 'public'),
    'functions', (
      select coalesce(jsonb_agg(distinct p.proname::text), '[]'::jsonb)
      from pg_catalog.pg_proc p
      where p.pronamespace = 'public'::regnamespace and p.prokind = 'f'
        and pg_catalog.has_function_privilege('authenticated', p.oid, 'execute')),
    'pg_cron', jsonb_build_object('enabled', v_cron_enabled, 'scheduled_functions', v_scheduled)
  );
end
$$;
comment on function public.deployment_status() is
  'What a deployment has applied: migrations, row-level security, realtime tables, API functions, pg_cron jobs (for autocrm doctor and the SDK).';

revoke execute on function public.deployment_status() from public;
grant execute on function public.deployment_status() to anon, authenticated, service_role;
