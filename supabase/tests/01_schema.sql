-- pgTAP: Schema, platform bootstrap, functions, realtime publication and indexes.
BEGIN;
-- Runs on a database with the platform bootstrap + migrations only (no seed needed; seed data is ignored).
-- Callers are simulated as Supabase does: role + request.jwt.claims, transaction-local
-- (pg_temp.act_as does `set local role …; set local request.jwt.claims to …`).
--
-- Fixture (created below as postgres, rolled back at the end):
--   customers  A 10000000-0000-4000-8000-00000000000a   B 10000000-0000-4000-8000-00000000000b
--   agent_in   10000000-0000-4000-8000-000000000001 (member of Q1)
--   agent_out  10000000-0000-4000-8000-000000000002 (member of Q2)
--   admin      10000000-0000-4000-8000-000000000003
--   queues     Q1 20000000-0000-4000-8000-000000000001   Q2 20000000-0000-4000-8000-000000000002
--   tickets    T1 A/Q1  T2 B/Q1  T3 A/Q2  T4 B/no queue  T5 A/Q2 assigned to agent_in
--              (30000000-0000-4000-8000-00000000000N)
--   messages   M1 T1 public (A)  M2 T1 internal (agent_in)  M3 T2 public (B)
--              M4 T3 public (A)  M5 T3 internal (agent_out)  (40000000-0000-4000-8000-00000000000N)
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;

create function pg_temp.act_as(who text) returns void language plpgsql as $act$
declare
  v_sub text := case who
    when 'cust_a' then '10000000-0000-4000-8000-00000000000a'
    when 'cust_b' then '10000000-0000-4000-8000-00000000000b'
    when 'agent_in' then '10000000-0000-4000-8000-000000000001'
    when 'agent_out' then '10000000-0000-4000-8000-000000000002'
    when 'admin' then '10000000-0000-4000-8000-000000000003'
  end;
begin
  if who = 'postgres' then
    perform set_config('role', 'none', true);
    perform set_config('request.jwt.claims', '', true);
  elsif who in ('anon', 'service_role') then
    perform set_config('role', who, true);
    perform set_config('request.jwt.claims', json_build_object('role', who)::text, true);
  elsif v_sub is not null then
    perform set_config('role', 'authenticated', true);
    perform set_config('request.jwt.claims', json_build_object('sub', v_sub, 'role', 'authenticated')::text, true);
  else
    raise exception 'unknown test caller %', who;
  end if;
end
$act$;

-- Rows changed by a statement, as the current caller.
create function pg_temp.affected(stmt text) returns bigint language plpgsql as $aff$
declare n bigint;
begin
  execute stmt;
  get diagnostics n = row_count;
  return n;
end
$aff$;

-- Reads that bypass row-level security (to check what a caller's statement really did).
create function pg_temp.ticket(p_id uuid) returns public.tickets language sql security definer as $t$
  select * from public.tickets where id = p_id
$t$;

insert into auth.users (id, email, raw_user_meta_data) values
  ('10000000-0000-4000-8000-00000000000a', 'cust.a@test.local', '{"display_name":"Customer A"}'),
  ('10000000-0000-4000-8000-00000000000b', 'cust.b@test.local', '{}'),
  ('10000000-0000-4000-8000-000000000001', 'agent.in@test.local', '{}'),
  ('10000000-0000-4000-8000-000000000002', 'agent.out@test.local', '{}'),
  ('10000000-0000-4000-8000-000000000003', 'admin@test.local', '{}');
update public.profiles set role = 'agent'
 where id in ('10000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000002');
update public.profiles set role = 'admin' where id = '10000000-0000-4000-8000-000000000003';
insert into public.queues (id, slug, name) values
  ('20000000-0000-4000-8000-000000000001', 'test-q1', 'Test queue 1'),
  ('20000000-0000-4000-8000-000000000002', 'test-q2', 'Test queue 2');
insert into public.queue_members (queue_id, agent_id) values
  ('20000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000001'),
  ('20000000-0000-4000-8000-000000000002', '10000000-0000-4000-8000-000000000002');
insert into public.tickets (id, subject, requester_id, queue_id, assignee_id, created_at) values
  ('30000000-0000-4000-8000-000000000001', 'T1', '10000000-0000-4000-8000-00000000000a', '20000000-0000-4000-8000-000000000001', null, now() - interval '5 hours'),
  ('30000000-0000-4000-8000-000000000002', 'T2', '10000000-0000-4000-8000-00000000000b', '20000000-0000-4000-8000-000000000001', null, now() - interval '4 hours'),
  ('30000000-0000-4000-8000-000000000003', 'T3', '10000000-0000-4000-8000-00000000000a', '20000000-0000-4000-8000-000000000002', null, now() - interval '3 hours'),
  ('30000000-0000-4000-8000-000000000004', 'T4', '10000000-0000-4000-8000-00000000000b', null, null, now() - interval '2 hours'),
  ('30000000-0000-4000-8000-000000000005', 'T5', '10000000-0000-4000-8000-00000000000a', '20000000-0000-4000-8000-000000000002', '10000000-0000-4000-8000-000000000001', now() - interval '1 hour');
insert into public.ticket_messages (id, ticket_id, author_id, visibility, body) values
  ('40000000-0000-4000-8000-000000000001', '30000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-00000000000a', 'public', 'M1'),
  ('40000000-0000-4000-8000-000000000002', '30000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000001', 'internal', 'M2'),
  ('40000000-0000-4000-8000-000000000003', '30000000-0000-4000-8000-000000000002', '10000000-0000-4000-8000-00000000000b', 'public', 'M3'),
  ('40000000-0000-4000-8000-000000000004', '30000000-0000-4000-8000-000000000003', '10000000-0000-4000-8000-00000000000a', 'public', 'M4'),
  ('40000000-0000-4000-8000-000000000005', '30000000-0000-4000-8000-000000000003', '10000000-0000-4000-8000-000000000002', 'internal', 'M5');

create function pg_temp.uid(who text) returns uuid language sql immutable as $u$
  select (case who
    when 'cust_a' then '10000000-0000-4000-8000-00000000000a'
    when 'cust_b' then '10000000-0000-4000-8000-00000000000b'
    when 'agent_in' then '10000000-0000-4000-8000-000000000001'
    when 'agent_out' then '10000000-0000-4000-8000-000000000002'
    when 'admin' then '10000000-0000-4000-8000-000000000003'
  end)::uuid
$u$;
create function pg_temp.tid(n int) returns uuid language sql immutable as $u$
  select ('30000000-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid
$u$;
create function pg_temp.mid(n int) returns uuid language sql immutable as $u$
  select ('40000000-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid
$u$;
create function pg_temp.qid(n int) returns uuid language sql immutable as $u$
  select ('20000000-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid
$u$;

SELECT plan(70);

-- ============================ platform bootstrap ============================
select has_role('anon', 'role anon exists');
select has_role('authenticated', 'role authenticated exists');
select has_role('service_role', 'role service_role exists');
select ok((select rolbypassrls from pg_roles where rolname = 'service_role'), 'service_role bypasses RLS');
select ok((select rolcanlogin and not rolinherit from pg_roles where rolname = 'authenticator'), 'authenticator is LOGIN NOINHERIT');
select ok(pg_has_role('authenticator', 'anon', 'member') and pg_has_role('authenticator', 'authenticated', 'member')
          and pg_has_role('authenticator', 'service_role', 'member'), 'authenticator can switch to the three API roles');
select has_schema('auth', 'schema auth exists');
select has_schema('extensions', 'schema extensions exists');
select has_extension('extensions', 'pgcrypto', 'pgcrypto lives in schema extensions');
select has_table('auth', 'users', 'auth.users exists');
select has_table('auth', 'identities', 'auth.identities exists');
select has_table('auth', 'sessions', 'auth.sessions exists');
select has_table('auth', 'refresh_tokens', 'auth.refresh_tokens exists');
select has_table('supabase_migrations', 'schema_migrations', 'supabase_migrations.schema_migrations exists');
select pg_temp.act_as('cust_a');
select is(auth.uid(), pg_temp.uid('cust_a'), 'auth.uid() reads request.jwt.claims');
select is(auth.role(), 'authenticated', 'auth.role() reads request.jwt.claims');
select is(auth.jwt() ->> 'sub', pg_temp.uid('cust_a')::text, 'auth.jwt() returns the claims');
select pg_temp.act_as('postgres');
select is(auth.uid(), null, 'auth.uid() is null without claims');

-- ============================ tables ============================
select tables_are('public', array['profiles', 'queues', 'queue_members', 'tickets', 'ticket_messages', 'ticket_events',
                                  'ticket_fields', 'ticket_agent_fields', 'ticket_staff_activity', 'ticket_views',
                                  'queue_ticket_counts', 'deployment_probes',
                                  'webhook_event_types', 'webhook_endpoints', 'webhook_deliveries', 'webhook_delivery_attempts'],
  'public has exactly the AutoCRM tables');
select enum_has_labels('public', 'ticket_status', array['new', 'open', 'pending', 'on_hold', 'solved', 'closed'], 'ticket_status labels');
select enum_has_labels('public', 'ticket_priority', array['low', 'normal', 'high', 'urgent'], 'ticket_priority labels');
select enum_has_labels('public', 'app_role', array['customer', 'agent', 'admin'], 'app_role labels');
select enum_has_labels('public', 'message_visibility', array['public', 'internal'], 'message_visibility labels');

select columns_are('public', 'tickets', array['id', 'number', 'subject', 'status', 'priority', 'requester_id', 'assignee_id',
  'queue_id', 'tags', 'metadata', 'version', 'created_at', 'updated_at', 'first_response_at', 'solved_at', 'closed_at'],
  'tickets columns');
select col_type_is('public', 'tickets', 'id', 'uuid', 'tickets.id is uuid');
select col_type_is('public', 'tickets', 'number', 'bigint', 'tickets.number is bigint');
select is((select attidentity::text from pg_attribute where attrelid = 'public.tickets'::regclass and attname = 'number'), 'a',
  'tickets.number is an identity column');
select col_default_is('public', 'tickets', 'requester_id', 'auth.uid()', 'tickets.requester_id defaults to auth.uid()');
select col_default_is('public', 'tickets', 'id', 'gen_random_uuid()', 'tickets.id defaults to gen_random_uuid()');
select col_type_is('public', 'tickets', 'tags', 'text[]', 'tickets.tags is text[]');
select col_type_is('public', 'tickets', 'metadata', 'jsonb', 'tickets.metadata is jsonb');
select col_type_is('public', 'tickets', 'version', 'integer', 'tickets.version is integer');
select columns_are('public', 'ticket_messages', array['id', 'ticket_id', 'author_id', 'visibility', 'body', 'metadata', 'created_at'],
  'ticket_messages columns');
select fk_ok('public', 'ticket_messages', 'ticket_id', 'public', 'tickets', 'id',
  'ticket_messages.ticket_id references tickets (embedding as conversation_history)');
select columns_are('public', 'ticket_events', array['id', 'ticket_id', 'actor_id', 'kind', 'changes', 'created_at', 'visibility'],
  'ticket_events columns');
select columns_are('public', 'profiles', array['id', 'email', 'display_name', 'role', 'metadata', 'created_at', 'updated_at'], 'profiles columns');
select columns_are('public', 'queues', array['id', 'slug', 'name', 'description', 'created_at', 'updated_at'], 'queues columns');
select columns_are('public', 'queue_members', array['queue_id', 'agent_id', 'created_at'], 'queue_members columns');
select fk_ok('public', 'tickets', 'requester_id', 'public', 'profiles', 'id', 'tickets.requester_id references profiles');
select fk_ok('public', 'tickets', 'assignee_id', 'public', 'profiles', 'id', 'tickets.assignee_id references profiles');
select fk_ok('public', 'tickets', 'queue_id', 'public', 'queues', 'id', 'tickets.queue_id references queues');

-- ============================ row-level security ============================
select is_empty($$select c.relname from pg_class c where c.relnamespace = 'public'::regnamespace and c.relkind = 'r'
                   and not c.relrowsecurity$$, 'row-level security is enabled on every public table');
select is_empty($$select grantee, privilege_type from information_schema.role_table_grants
                   where table_schema = 'public' and table_name = 'ticket_events'
                     and grantee in ('anon', 'authenticated') and privilege_type in ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE')$$,
  'API users have no write privilege on ticket_events');
select is_empty($$select table_name from information_schema.role_table_grants
                   where table_schema = 'public' and grantee in ('anon', 'authenticated') and privilege_type = 'TRUNCATE'$$,
  'API users cannot TRUNCATE (which bypasses RLS)');

-- ============================ functions ============================
select function_returns('public', 'current_app_role', array[]::text[], 'app_role', 'current_app_role() returns app_role');
select is_definer('public', 'current_app_role', array[]::text[], 'current_app_role() is security definer');
select volatility_is('public', 'current_app_role', array[]::text[], 'stable', 'current_app_role() is stable');
select ok((select proconfig from pg_proc where oid = 'public.current_app_role()'::regprocedure) @> array['search_path=""'],
  'current_app_role() pins an empty search_path');
select ok(exists (select 1 from pg_policies where schemaname = 'public' and tablename = 'tickets'
                  and qual like '%( SELECT current_app_role() AS current_app_role)%'),
  'policies call the role helper as (select ...) so it runs once per statement');
-- PL/pgSQL keeps statement plans per session; a non-inlinable SQL function is re-planned on every call (see 20261126120000).
select function_lang_is('public', 'current_app_role', array[]::text[], 'plpgsql', 'current_app_role() is PL/pgSQL (plans cached)');
select function_lang_is('public', 'current_queue_ids', array[]::text[], 'plpgsql', 'current_queue_ids() is PL/pgSQL (plans cached)');
select function_lang_is('public', 'is_queue_member', array['uuid', 'uuid'], 'plpgsql', 'is_queue_member() is PL/pgSQL (plans cached)');
select is((select proargnames::text from pg_proc where oid = 'public.claim_next_ticket(uuid)'::regprocedure), '{queue_id}',
  'claim_next_ticket(queue_id uuid)');
select is((select pronargdefaults from pg_proc where oid = 'public.claim_next_ticket(uuid)'::regprocedure), 1::int2,
  'claim_next_ticket''s queue_id defaults to null');
select is((select prorettype::regtype::text || case when proretset then ' set' else '' end from pg_proc
           where oid = 'public.claim_next_ticket(uuid)'::regprocedure), 'tickets set', 'claim_next_ticket returns setof tickets');
select is((select proargnames::text from pg_proc where oid = 'public.release_ticket(uuid)'::regprocedure), '{ticket_id}', 'release_ticket(ticket_id uuid)');
select is((select proargnames::text from pg_proc where oid = 'public.assign_ticket(uuid, uuid)'::regprocedure), '{ticket_id,agent_id}',
  'assign_ticket(ticket_id uuid, agent_id uuid)');
select is((select proargnames::text from pg_proc where oid = 'public.transfer_ticket(uuid, uuid)'::regprocedure), '{ticket_id,queue_id}',
  'transfer_ticket(ticket_id uuid, queue_id uuid)');
select is((select proargnames::text from pg_proc where oid = 'public.set_user_role(uuid, public.app_role)'::regprocedure), '{user_id,role}',
  'set_user_role(user_id uuid, role app_role)');
select has_function('public', 'queue_stats', array[]::text[], 'queue_stats() exists');
select is_empty($$select p.proname from pg_proc p where p.pronamespace = 'public'::regnamespace and p.prosecdef
                   and not coalesce(p.proconfig @> array['search_path=""'], false)$$,
  'every security definer function pins search_path');

-- ============================ realtime ============================
select is((select array_agg(tablename::text order by tablename::text) from pg_publication_tables
            where pubname = 'supabase_realtime' and schemaname = 'public'),
  array['deployment_probes', 'ticket_events', 'ticket_messages', 'ticket_views', 'tickets'],
  'tickets, ticket_messages, ticket_events, ticket_views and the deployment probe are in supabase_realtime');
select is((select relreplident::text from pg_class where oid = 'public.tickets'::regclass), 'f', 'tickets has replica identity full');

-- ============================ indexes ============================
select has_index('public', 'tickets', 'tickets_active_queue_created_id_idx', array['queue_id', 'created_at', 'id'], 'keyset index on active tickets by queue');
select has_index('public', 'tickets', 'tickets_assignee_updated_id_idx', array['assignee_id', 'updated_at', 'id'], 'keyset index by assignee');
select has_index('public', 'tickets', 'tickets_requester_created_id_idx', array['requester_id', 'created_at', 'id'], 'keyset index by requester');
select has_index('public', 'tickets', 'tickets_created_at_id_idx', array['created_at', 'id'], 'keyset index on (created_at, id)');
select index_is_type('public', 'tickets', 'tickets_tags_idx', 'gin', 'GIN index on tags');
select index_is_type('public', 'tickets', 'tickets_metadata_idx', 'gin', 'GIN index on metadata');
select ok(pg_get_indexdef('public.tickets_metadata_idx'::regclass) like '%jsonb_path_ops%', 'the metadata index uses jsonb_path_ops');

SELECT * FROM finish();
ROLLBACK;
