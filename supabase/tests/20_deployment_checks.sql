-- pgTAP: deployment_status() and the deployment probe (what `autocrm doctor` and the SDK's schema check read).
BEGIN;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;

create function pg_temp.act_as(who text) returns void language plpgsql as $act$
begin
  if who = 'postgres' then
    perform set_config('role', 'none', true);
    perform set_config('request.jwt.claims', '', true);
  elsif who in ('anon', 'service_role') then
    perform set_config('role', who, true);
    perform set_config('request.jwt.claims', json_build_object('role', who)::text, true);
  elsif who = 'customer' then
    perform set_config('role', 'authenticated', true);
    perform set_config('request.jwt.claims', json_build_object('sub', '10000000-0000-4000-8000-0000000000c1', 'role', 'authenticated')::text, true);
  else
    raise exception 'unknown test caller %', who;
  end if;
end
$act$;

create function pg_temp.status() returns jsonb language sql as $s$ select public.deployment_status() $s$;

insert into auth.users (id, email) values ('10000000-0000-4000-8000-0000000000c1', 'probe.customer@test.local');

SELECT plan(22);

-- ============================ deployment_status() ============================
select is(
  (select count(*) from jsonb_array_elements_text(pg_temp.status() -> 'migrations')),
  (select count(*) from supabase_migrations.schema_migrations),
  'every recorded migration is listed');

select set_config('test.newest_migration', (select max(version) from supabase_migrations.schema_migrations), true);
select pg_temp.act_as('anon');
select ok(pg_temp.status() -> 'migrations' ? current_setting('test.newest_migration'), 'anon sees the applied migrations, the newest included');
select is(pg_temp.status() -> 'tables_without_rls', '[]'::jsonb, 'every table of the schema has row-level security');
select ok(pg_temp.status() -> 'tables' @> '["tickets", "ticket_messages", "ticket_events", "profiles", "queues", "queue_members", "deployment_probes"]',
  'the tables are listed');
select ok(pg_temp.status() -> 'realtime_tables' @> '["tickets", "ticket_messages", "ticket_events", "deployment_probes"]',
  'the realtime tables are listed');
select ok(pg_temp.status() -> 'functions' @> '["claim_next_ticket", "release_ticket", "assign_ticket", "transfer_ticket", "queue_stats", "set_user_role", "deployment_status", "touch_deployment_probe"]',
  'the API functions are listed');
select ok(not (pg_temp.status() -> 'functions' ? 'ticket_for_staff'), 'functions API roles may not call are not listed');
select is(
  pg_temp.status() #> '{pg_cron,scheduled_functions}' -> 0,
  jsonb_build_object('function', 'run_due_automations',
                     'present', exists (select 1 from pg_proc where pronamespace = 'public'::regnamespace and proname = 'run_due_automations'),
                     'scheduled', false),
  'run_due_automations is expected to be scheduled once it exists; not scheduled where pg_cron is not enabled');
select is((pg_temp.status() #>> '{pg_cron,enabled}')::boolean,
  exists (select 1 from pg_extension where extname = 'pg_cron'), 'pg_cron.enabled says whether the extension is there');

select pg_temp.act_as('customer');
select ok(pg_temp.status() ? 'migrations', 'a signed-in user may call deployment_status()');

select pg_temp.act_as('postgres');
alter table public.queues disable row level security;
select pg_temp.act_as('anon');
select is(pg_temp.status() -> 'tables_without_rls', '["queues"]'::jsonb, 'a table without row-level security is named');
select pg_temp.act_as('postgres');
alter table public.queues enable row level security;

alter table supabase_migrations.schema_migrations rename to schema_migrations_hidden;
select pg_temp.act_as('anon');
select is(pg_temp.status() -> 'migrations', 'null'::jsonb, 'without the CLI''s history the migrations are null (unknown)');
select pg_temp.act_as('postgres');
alter table supabase_migrations.schema_migrations_hidden rename to schema_migrations;

-- ============================ deployment_probes ============================
select pg_temp.act_as('anon');
select lives_ok($$select public.touch_deployment_probe('50000000-0000-4000-8000-000000000001')$$, 'anon touches the probe');
select results_eq($$select id, token from public.deployment_probes$$,
  $$values (1::smallint, '50000000-0000-4000-8000-000000000001'::uuid)$$, 'anon reads the probe row it wrote');
select lives_ok($$select public.touch_deployment_probe('50000000-0000-4000-8000-000000000002')$$, 'touching again');
select results_eq($$select count(*), min(token::text) from public.deployment_probes$$,
  $$values (1::bigint, '50000000-0000-4000-8000-000000000002')$$, 'replaces the token in the one row');
select throws_ok($$insert into public.deployment_probes (id, token) values (1, gen_random_uuid())$$, '42501', null, 'anon cannot insert directly');
select throws_ok($$update public.deployment_probes set token = gen_random_uuid()$$, '42501', null, 'anon cannot update directly');
select throws_ok($$delete from public.deployment_probes$$, '42501', null, 'anon cannot delete');

select pg_temp.act_as('customer');
select throws_ok($$update public.deployment_probes set token = gen_random_uuid()$$, '42501', null, 'a signed-in user cannot update directly');
select results_eq($$select token from public.deployment_probes$$,
  $$values ('50000000-0000-4000-8000-000000000002'::uuid)$$, 'a signed-in user reads the probe');

select pg_temp.act_as('postgres');
select throws_ok($$insert into public.deployment_probes (id, token) values (2, gen_random_uuid())$$, '23514', null,
  'the table holds one row only');

SELECT * FROM finish();
ROLLBACK;
