-- pgTAP: webhooks. Secrets are readable by no role after creation (service_role included); endpoints, deliveries and
-- attempts are admin-only; the outbox is written in the transaction of the change (a rolled-back change leaves no
-- delivery); internal notes reach only endpoints with internal_events; the dispatcher's lease is service_role only,
-- signs with every live secret, and keeps per-ticket order; rotation overlaps; 410 disables the endpoint.
BEGIN;
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

create function pg_temp.affected(stmt text) returns bigint language plpgsql as $aff$
declare n bigint;
begin
  execute stmt;
  get diagnostics n = row_count;
  return n;
end
$aff$;

-- What really is in the outbox (bypasses row-level security).
create function pg_temp.deliveries(p_endpoint uuid) returns setof public.webhook_deliveries language sql security definer as $d$
  select * from public.webhook_deliveries where endpoint_id = p_endpoint order by seq
$d$;

-- The HMAC a receiver computes for a secret.
create function pg_temp.v1(p_t text, p_body text, p_secret text) returns text language sql as $h$
  select encode(extensions.hmac(convert_to(p_t || '.' || p_body, 'UTF8'), convert_to(p_secret, 'UTF8'), 'sha256'), 'hex')
$h$;

insert into auth.users (id, email, raw_user_meta_data) values
  ('10000000-0000-4000-8000-00000000000a', 'cust.a@test.local', '{}'),
  ('10000000-0000-4000-8000-00000000000b', 'cust.b@test.local', '{}'),
  ('10000000-0000-4000-8000-000000000001', 'agent.in@test.local', '{}'),
  ('10000000-0000-4000-8000-000000000002', 'agent.out@test.local', '{}'),
  ('10000000-0000-4000-8000-000000000003', 'admin@test.local', '{}');
update public.profiles set role = 'agent'
 where id in ('10000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000002');
update public.profiles set role = 'admin' where id = '10000000-0000-4000-8000-000000000003';
insert into public.queues (id, slug, name) values ('20000000-0000-4000-8000-000000000001', 'wh-q1', 'Webhook queue');
insert into public.queue_members (queue_id, agent_id) values
  ('20000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000001');

create temp table fx (name text primary key, id uuid, secret text) on commit drop;
grant all on fx to public;

SELECT plan(49);

-- ============================ creating endpoints ============================
select pg_temp.act_as('anon');
select throws_ok($$select public.create_webhook_endpoint('https://example.test/hook', '{ticket.created}')$$, '42501', null,
  'anon cannot create an endpoint');
select pg_temp.act_as('cust_a');
select throws_ok($$select public.create_webhook_endpoint('https://example.test/hook', '{ticket.created}')$$, '42501', null,
  'a customer cannot create an endpoint');
select pg_temp.act_as('agent_in');
select throws_ok($$select public.create_webhook_endpoint('https://example.test/hook', '{ticket.created}')$$, '42501', null,
  'an agent cannot create an endpoint');
select pg_temp.act_as('admin');
select throws_ok($$select public.create_webhook_endpoint('ftp://example.test/hook', '{ticket.created}')$$, '23514',
  'field "url": ftp://example.test/hook is not an http or https URL', 'the url must be http(s)');
select throws_ok($$select public.create_webhook_endpoint('https://example.test/hook', '{ticket.deleted}')$$, '23514', null,
  'unknown event types are refused');
select throws_ok($$select public.create_webhook_endpoint('https://example.test/hook', '{}')$$, '23514',
  'field "events": subscribe to at least one event', 'an endpoint subscribes to something');
select throws_ok($$insert into public.webhook_endpoints (url, events) values ('https://example.test/x', '{ticket.created}')$$, '42501', null,
  'endpoints are not inserted directly (the function makes the secret)');

insert into fx
select 'public', (r -> 'endpoint' ->> 'id')::uuid, r ->> 'secret'
  from (select public.create_webhook_endpoint('https://example.test/public', '{ticket.created,ticket.updated,ticket.status_changed,message.created}',
                                              'Public events') as r) x;
insert into fx
select 'internal', (r -> 'endpoint' ->> 'id')::uuid, r ->> 'secret'
  from (select public.create_webhook_endpoint('https://example.test/internal', '{message.created,ticket.assigned}', 'Staff events', true) as r) x;
select ok((select secret ~ '^whsec_[0-9a-f]{48}$' from fx where name = 'public'), 'creation returns the secret once (whsec_ + 48 hex)');
select is((select secret_hint from public.webhook_endpoints where id = (select id from fx where name = 'public')),
  (select right(secret, 4) from fx where name = 'public'), 'the endpoint keeps only a hint of its secret');

-- ============================ secrets are readable by no role ============================
select pg_temp.act_as('postgres');
select is((select count(*) from information_schema.columns where table_schema = 'public' and table_name like 'webhook%' and column_name = 'secret'),
  0::bigint, 'no public table has a secret column');
select is((select count(*) from unnest(array['anon', 'authenticated', 'service_role']) r,
                               unnest(array['select', 'insert', 'update', 'delete', 'references', 'trigger']) p
            where has_table_privilege(r, 'autocrm_private.webhook_secrets', p)), 0::bigint,
  'no API role (service_role included) has any privilege on the secrets table');
select ok(not has_table_privilege('service_role', 'autocrm_private.webhook_secrets', 'select')
          and not has_table_privilege('authenticated', 'autocrm_private.webhook_secrets', 'select')
          and not has_table_privilege('anon', 'autocrm_private.webhook_secrets', 'select'),
  'no API role may select the secrets table');
select pg_temp.act_as('service_role');
select throws_ok($$select secret from autocrm_private.webhook_secrets$$, '42501', null, 'service_role cannot read secrets');
select pg_temp.act_as('admin');
select throws_ok($$select secret from autocrm_private.webhook_secrets$$, '42501', null, 'an admin cannot read secrets');
select pg_temp.act_as('postgres');
select is((select count(*) from pg_proc p join pg_namespace n on n.oid = p.pronamespace
            where n.nspname = 'public' and p.proname like '%webhook%'
              and (has_function_privilege('anon', p.oid, 'execute'))), 0::bigint,
  'anon may execute no webhook function');
select is((select count(*) from pg_proc p join pg_namespace n on n.oid = p.pronamespace
            where n.nspname = 'autocrm_private' and p.proname like '%webhook%'
              and (has_function_privilege('service_role', p.oid, 'execute') or has_function_privilege('authenticated', p.oid, 'execute'))),
  0::bigint, 'no API role may execute the private webhook helpers');

-- ============================ endpoints are admin-only ============================
select pg_temp.act_as('anon');
select throws_ok($$select 1 from public.webhook_endpoints$$, '42501', null, 'anon has no access to endpoints');
select pg_temp.act_as('cust_a');
select is_empty($$select 1 from public.webhook_endpoints$$, 'a customer sees no endpoints');
select pg_temp.act_as('agent_in');
select is_empty($$select 1 from public.webhook_endpoints$$, 'an agent sees no endpoints');
select is(pg_temp.affected($$update public.webhook_endpoints set active = false$$), 0::bigint, 'an agent cannot disable endpoints');
select pg_temp.act_as('admin');
select is((select count(*) from public.webhook_endpoints), 2::bigint, 'an admin sees the endpoints');
select throws_ok($$update public.webhook_endpoints set secret_hint = 'abcd'$$, '42501', null, 'the secret hint is not writable');
select throws_ok($$update public.webhook_endpoints set events = '{nope.nope}' where id = (select id from fx where name = 'public')$$, '23514', null,
  'updates validate events');

-- ============================ the outbox is written with the change ============================
select pg_temp.act_as('cust_a');
insert into public.tickets (id, subject, requester_id, queue_id)
values ('30000000-0000-4000-8000-000000000001', 'Printer on fire', '10000000-0000-4000-8000-00000000000a', '20000000-0000-4000-8000-000000000001');
select pg_temp.act_as('postgres');
select results_eq($$select event_type, payload -> 'data' -> 'ticket' ->> 'subject', ticket_id from pg_temp.deliveries((select id from fx where name = 'public'))$$,
  $$values ('ticket.created', 'Printer on fire', '30000000-0000-4000-8000-000000000001'::uuid)$$,
  'a customer''s new ticket queues ticket.created with the ticket in its REST shape');
select is((select payload -> 'data' -> 'ticket' ?& array['id', 'number', 'status', 'priority', 'tags', 'metadata', 'version', 'created_at']
             from pg_temp.deliveries((select id from fx where name = 'public'))), true,
  'the payload carries every column of the ticket');
select is((select payload ->> 'id' = event_id::text and payload ->> 'type' = event_type from pg_temp.deliveries((select id from fx where name = 'public'))), true,
  'the body names the event id and type');

savepoint before_rollback;
select pg_temp.act_as('cust_a');
insert into public.tickets (subject, requester_id) values ('Never happened', '10000000-0000-4000-8000-00000000000a');
rollback to savepoint before_rollback;
select pg_temp.act_as('postgres');
select is((select count(*) from public.webhook_deliveries where payload -> 'data' -> 'ticket' ->> 'subject' = 'Never happened'), 0::bigint,
  'a rolled-back change leaves no delivery');

select pg_temp.act_as('agent_in');
update public.tickets set status = 'open', assignee_id = '10000000-0000-4000-8000-000000000001'
 where id = '30000000-0000-4000-8000-000000000001';
select pg_temp.act_as('postgres');
select results_eq($$select event_type, payload -> 'data' -> 'changes' -> 'status' from pg_temp.deliveries((select id from fx where name = 'public')) order by seq$$,
  $$values ('ticket.created', null::jsonb), ('ticket.updated', '["new", "open"]'::jsonb), ('ticket.status_changed', '["new", "open"]'::jsonb)$$,
  'an update queues ticket.updated and ticket.status_changed with {field: [old, new]}');
select results_eq($$select event_type, payload -> 'data' -> 'changes' -> 'assignee_id' ->> 1 from pg_temp.deliveries((select id from fx where name = 'internal'))$$,
  $$values ('ticket.assigned', '10000000-0000-4000-8000-000000000001')$$,
  'ticket.assigned goes to the endpoint subscribed to it');

select pg_temp.act_as('agent_in');
insert into public.ticket_messages (ticket_id, author_id, visibility, body) values
  ('30000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000001', 'internal', 'Secret note'),
  ('30000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000001', 'public', 'We are on it');
select pg_temp.act_as('postgres');
select results_eq($$select payload -> 'data' -> 'message' ->> 'body' from pg_temp.deliveries((select id from fx where name = 'public')) where event_type = 'message.created'$$,
  $$values ('We are on it')$$, 'an internal note never reaches an endpoint without internal_events');
select results_eq($$select payload -> 'data' -> 'message' ->> 'body' from pg_temp.deliveries((select id from fx where name = 'internal')) where event_type = 'message.created' order by seq$$,
  $$values ('Secret note'), ('We are on it')$$, 'an endpoint with internal_events gets internal notes too');
select results_eq($$select string_agg(k, ',' order by k) from pg_temp.deliveries((select id from fx where name = 'public')) d,
                            jsonb_object_keys(d.payload -> 'data' -> 'changes') k
                     where d.event_type = 'ticket.updated' group by d.seq order by d.seq$$,
  $$values ('assignee_id,status'), ('first_response_at')$$,
  'ticket.updated carries only real field changes (the staff reply''s first_response_at; never version or updated_at alone)');

-- ============================ deliveries are admin-only ============================
select pg_temp.act_as('anon');
select throws_ok($$select 1 from public.webhook_deliveries$$, '42501', null, 'anon has no access to deliveries');
select pg_temp.act_as('cust_a');
select is_empty($$select 1 from public.webhook_deliveries union all select 1 from public.webhook_delivery_attempts$$,
  'the requester sees no deliveries of her own ticket');
select pg_temp.act_as('agent_in');
select is_empty($$select 1 from public.webhook_deliveries union all select 1 from public.webhook_delivery_attempts$$, 'an agent sees no deliveries');
select throws_ok($$insert into public.webhook_deliveries (endpoint_id, event_id, event_type, payload) values ((select id from fx where name = 'public'), gen_random_uuid(), 'ticket.created', '{}')$$,
  '42501', null, 'nobody forges deliveries through the API');
select throws_ok($$select public.emit_webhook_event('ticket.created', '{}'::jsonb)$$, '42501', null, 'signed-in users cannot emit events');
select pg_temp.act_as('admin');
select is((select count(*) from public.webhook_deliveries), 8::bigint, 'an admin reads the delivery log');

-- ============================ the dispatcher's lease ============================
select pg_temp.act_as('admin');
select throws_ok($$select * from public.lease_webhook_deliveries(10, 60, 'x')$$, '42501', null, 'an admin cannot lease deliveries');
select pg_temp.act_as('service_role');
create temp table leased on commit drop as
select * from public.lease_webhook_deliveries(100, 60, 'pgtap', now() + interval '1 second');
select is((select count(*) from leased where endpoint_id = (select id from fx where name = 'public')), 1::bigint,
  'per-ticket order: of one ticket''s pending deliveries to an endpoint, only the oldest is leased');
select pg_temp.act_as('postgres');
select ok((select bool_and(l.signature = 't=' || floor(extract(epoch from now() + interval '1 second'))::bigint || ',v1=' || pg_temp.v1(floor(extract(epoch from now() + interval '1 second'))::bigint::text, l.body, f.secret))
             from leased l join fx f on f.id = l.endpoint_id),
  'the lease signs "<t>.<body>" with the endpoint''s secret (HMAC-SHA256, hex)');
select pg_temp.act_as('service_role');
select is((select count(*) from public.lease_webhook_deliveries(100, 60, 'other', now() + interval '2 seconds')), 0::bigint,
  'a leased delivery is not leased again while the lease lasts');
select ok(public.complete_webhook_delivery((select delivery_id from leased where endpoint_id = (select id from fx where name = 'public')),
                                           (select lease_id from leased where endpoint_id = (select id from fx where name = 'public')),
                                           'delivered', 200, null, null, 12, 'pgtap', now() + interval '3 seconds'),
  'the lease holder records a delivery');
select is((select count(*) from public.lease_webhook_deliveries(100, 60, 'other', now() + interval '4 seconds') where endpoint_id = (select id from fx where name = 'public')),
  1::bigint, 'once delivered, the ticket''s next delivery becomes leasable');
select ok(not public.complete_webhook_delivery((select delivery_id from leased where endpoint_id = (select id from fx where name = 'internal')),
                                               gen_random_uuid(), 'delivered', 200),
  'a stale lease does not change the delivery');

-- ============================ rotation and 410 ============================
select pg_temp.act_as('admin');
update fx set secret = (public.rotate_webhook_secret((select id from fx where name = 'internal'), 3600) ->> 'secret') where name = 'internal';
select pg_temp.act_as('service_role');
select ok((select signature ~ '^t=\d+,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$' from public.lease_webhook_deliveries(100, 60, 'rot', now() + interval '2 minutes')
            where endpoint_id = (select id from fx where name = 'internal')),
  'during the overlap both secrets sign (two v1 values)');
select ok(public.complete_webhook_delivery((select d.id from public.webhook_deliveries d where d.endpoint_id = (select id from fx where name = 'internal') and d.lease_id is not null order by seq limit 1),
                                           (select d.lease_id from public.webhook_deliveries d where d.endpoint_id = (select id from fx where name = 'internal') and d.lease_id is not null order by seq limit 1),
                                           'gone', 410, 'Gone', null, 5, 'rot', now() + interval '2 minutes'),
  'a 410 is recorded');
select pg_temp.act_as('admin');
select results_eq($$select active, disabled_reason is not null from public.webhook_endpoints where id = (select id from fx where name = 'internal')$$,
  $$values (false, true)$$, '410 Gone disables the endpoint and says why');
select pg_temp.act_as('service_role');
select is((select count(*) from public.lease_webhook_deliveries(100, 60, 'rot', now() + interval '3 minutes') where endpoint_id = (select id from fx where name = 'internal')),
  0::bigint, 'a disabled endpoint''s deliveries are not leased');

SELECT * FROM finish();
ROLLBACK;
