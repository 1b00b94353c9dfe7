-- Webhook delivery log at scale: indexes for the log's filters, and a retention for delivered rows. Forward-only.
--
-- The log (crm.Webhooks.ListDeliveriesAsync, the web host's /admin/webhooks, autocrm webhooks deliveries) reads
-- newest first by seq, with optional filters. 20261205013211_webhooks.sql indexes the endpoint filter only; with a
-- filter on state, ticket or event type and 10^6 deliveries, the newest-first walk of seq reads every row that does
-- not match before it finds a page (a rare state such as failed, one ticket's deliveries, a rare event type). Each
-- filter gets its (column, seq) index; the planner combines a filter pair from one of them (docs/webhooks.md).
create index webhook_deliveries_state_seq_idx on public.webhook_deliveries (state, seq desc);
create index webhook_deliveries_ticket_seq_idx on public.webhook_deliveries (ticket_id, seq desc) where ticket_id is not null;
create index webhook_deliveries_event_type_seq_idx on public.webhook_deliveries (event_type, seq desc);

-- ---------------------------------------------------------------------------
-- Retention: delivered rows (and their attempts) of events older than keep are deleted, oldest first, max_rows at a
-- time; pending and failed rows are kept (failed ones are what redeliver is for). Scheduled every 5 minutes where
-- pg_cron is enabled (up to 10,000 rows a run, about 2.9 million a day); service role only. Returns how many deliveries were deleted: call it again while it returns max_rows.
-- ---------------------------------------------------------------------------
create function public.prune_webhook_deliveries(
  keep interval default interval '30 days', max_rows integer default 10000, now timestamptz default now())
returns integer
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_cutoff timestamptz;
  v_rows tid[];
  v_count integer;
begin
  if keep is null or keep < interval '1 hour' then
    raise exception 'field "keep": deliveries are kept at least an hour' using errcode = '22023';
  end if;
  if max_rows is null or max_rows not between 1 and 100000 then
    raise exception 'field "max_rows": must be between 1 and 100000' using errcode = '22023';
  end if;
  v_cutoff := prune_webhook_deliveries.now - keep;
  -- The oldest delivered rows by seq, through (state, seq) or the seq key: the batch reads max_rows index entries and
  -- stops, however many rows are newer (seq follows created_at, so once a row of the batch is too new, the rest are
  -- too). Collected first, then deleted by their row addresses (a TID scan): a join or an id list lets the planner
  -- choose a scan of the whole table. A row changed in between (redelivered) is checked again and kept.
  select coalesce(array_agg(b.ctid), '{}')
    into v_rows
    from (select x.ctid, x.created_at
            from public.webhook_deliveries x
           where x.state = 'delivered'
           order by x.seq
           limit max_rows) b
   where b.created_at < v_cutoff;
  delete from public.webhook_deliveries d
   where d.ctid = any (v_rows) and d.state = 'delivered' and d.created_at < v_cutoff;
  get diagnostics v_count = row_count;
  return v_count;
end;
$$;
comment on function public.prune_webhook_deliveries(interval, integer, timestamptz) is
  'Deletes up to max_rows delivered webhook deliveries (with their attempts) of events older than keep, oldest first; returns how many. Service role; run every 5 minutes by pg_cron.';
revoke all on function public.prune_webhook_deliveries(interval, integer, timestamptz) from public, anon, authenticated;
grant execute on function public.prune_webhook_deliveries(interval, integer, timestamptz) to service_role;

do $$
begin
  if exists (select 1 from pg_extension where extname = 'pg_cron') then
    perform cron.schedule('autocrm-prune-webhook-deliveries', '*/5 * * * *', 'select public.prune_webhook_deliveries()');
  end if;
end
$$;

-- deployment_status() (autocrm doctor) expects the retention to be scheduled: 20261205080722_routing.sql's definition
-- (the newest) with prune_webhook_deliveries added to the scheduled functions.
create or replace function public.deployment_status()
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
  foreach v_function in array array['run_due_automations', 'route_waiting_tickets', 'prune_webhook_deliveries'] loop
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
