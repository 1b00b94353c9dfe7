-- pgTAP: Schema, platform bootstrap, functions, realtime publication and indexes.
BEGIN;
-- The shared fixture (users, queues, tickets, messages; pg_temp.act_as, affected, ticket, uid/tid/mid/qid) is
-- described in _fixture.psql.
\ir _fixture.psql

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
                                  'webhook_event_types', 'webhook_endpoints', 'webhook_deliveries', 'webhook_delivery_attempts',
                                  'automation_rules', 'automation_notifications', 'macros', 'business_hours',
                                  'sla_policies', 'ticket_slas', 'ticket_sla_states', 'report_settings', 'ticket_metric_facts', 'ticket_ratings',
                                  'routing_settings', 'queue_routing', 'agent_states'],
  'public has exactly the AutoCRM tables');
select enum_has_labels('public', 'ticket_status', array['new', 'open', 'pending', 'on_hold', 'solved', 'closed'], 'ticket_status labels');
select enum_has_labels('public', 'ticket_priority', array['low', 'normal', 'high', 'urgent'], 'ticket_priority labels');
select enum_has_labels('public', 'app_role', array['customer', 'agent', 'admin'], 'app_role labels');
select enum_has_labels('public', 'message_visibility', array['public', 'internal'], 'message_visibility labels');

select columns_are('public', 'tickets', array['id', 'number', 'subject', 'status', 'priority', 'requester_id', 'assignee_id',
  'queue_id', 'tags', 'metadata', 'version', 'created_at', 'updated_at', 'first_response_at', 'solved_at', 'closed_at',
  'required_skills', 'status_changed_at', 'assignee_changed_at'],
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
select columns_are('public', 'ticket_events', array['id', 'ticket_id', 'actor_id', 'kind', 'changes', 'created_at', 'visibility',
                                             'rule_id', 'rule_name', 'model'],
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
