-- pgTAP: merge_ticket_metadata (set some metadata keys, keep the others, in one statement) and the index behind
-- filtering by agent-only field values.
BEGIN;
-- Callers are simulated as Supabase does (role + request.jwt.claims, transaction-local). Fixture, rolled back at the end:
--   customer A ...0a (tickets T1, T2)   customer B ...0b   agent ...01 (member of Q1)
--   fields: plan (dropdown, customer-editable), tier (agent-only text)
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;

create function pg_temp.act_as(who text) returns void language plpgsql as $act$
declare
  v_sub text := case who
    when 'cust_a' then '10000000-0000-4000-8000-00000000000a'
    when 'cust_b' then '10000000-0000-4000-8000-00000000000b'
    when 'agent' then '10000000-0000-4000-8000-000000000001'
  end;
begin
  if who = 'postgres' then
    perform set_config('role', 'none', true);
    perform set_config('request.jwt.claims', '', true);
  elsif who = 'anon' then
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

create function pg_temp.tid(n int) returns uuid language sql immutable as $u$
  select ('30000000-0000-4000-8000-00000000000' || n)::uuid
$u$;
create function pg_temp.stored(n int) returns jsonb language sql security definer as $s$
  select metadata from public.tickets where id = pg_temp.tid(n)
$s$;
create function pg_temp.agent_stored(n int) returns jsonb language sql security definer as $s$
  select metadata from public.ticket_agent_fields where ticket_id = pg_temp.tid(n)
$s$;
create function pg_temp.merged(n int, changes text, expected int default null) returns bigint language plpgsql as $m$
declare v bigint;
begin
  select count(*) into v from public.merge_ticket_metadata(pg_temp.tid(n), changes::jsonb, expected);
  return v;
end
$m$;

insert into auth.users (id, email, raw_user_meta_data) values
  ('10000000-0000-4000-8000-00000000000a', 'merge.a@test.local', '{}'),
  ('10000000-0000-4000-8000-00000000000b', 'merge.b@test.local', '{}'),
  ('10000000-0000-4000-8000-000000000001', 'merge.agent@test.local', '{}');
update public.profiles set role = 'agent' where id = '10000000-0000-4000-8000-000000000001';
insert into public.queues (id, slug, name) values ('20000000-0000-4000-8000-000000000001', 'merge-q1', 'Merge queue');
insert into public.queue_members (queue_id, agent_id) values
  ('20000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000001');
insert into public.ticket_fields (key, label, type, options, customer_visible, customer_editable) values
  ('plan', 'Plan', 'dropdown', '["free", "pro", "enterprise"]', true, true),
  ('tier', 'Tier', 'text', '[]', false, false);
insert into public.tickets (id, subject, requester_id, queue_id, metadata) values
  (pg_temp.tid(1), 'T1', '10000000-0000-4000-8000-00000000000a', '20000000-0000-4000-8000-000000000001',
   '{"plan": "free", "channel": "email", "tier": "gold"}'),
  (pg_temp.tid(2), 'T2', '10000000-0000-4000-8000-00000000000a', '20000000-0000-4000-8000-000000000001', '{}');

SELECT plan(15);

select has_function('public', 'merge_ticket_metadata', array['uuid', 'jsonb', 'integer'], 'merge_ticket_metadata exists');
select has_index('public', 'ticket_agent_fields', 'ticket_agent_fields_metadata_idx', 'agent-only values have a containment index');

select pg_temp.act_as('agent');
select is(pg_temp.merged(1, '{"plan": "pro", "source": "web"}'), 1::bigint, 'staff merge into a ticket they can see');
select is(pg_temp.stored(1), '{"plan": "pro", "channel": "email", "source": "web"}'::jsonb,
  'the given keys are set, the others kept');
select is(pg_temp.agent_stored(1), '{"tier": "gold"}'::jsonb, 'agent-only values are kept');
select is(pg_temp.merged(1, '{"channel": null, "tier": null}'), 1::bigint, 'null removes a free-form key and clears a field');
select is(pg_temp.stored(1), '{"plan": "pro", "source": "web"}'::jsonb, 'the free-form key is gone');
select is(pg_temp.agent_stored(1), '{}'::jsonb, 'the agent-only value is cleared');
select throws_ok($$select pg_temp.merged(1, '{"plan": "platinum"}')$$, '23514',
  'field "plan": "platinum" is not one of free, pro, enterprise', 'the field rules apply to a merge');
select is(pg_temp.merged(1, '{"plan": "enterprise"}', -1), 0::bigint, 'another version: nothing returned');
select is(pg_temp.stored(1) ->> 'plan', 'pro', '... and nothing changed');
select throws_ok($$select pg_temp.merged(1, '[1]')$$, '22023', 'metadata changes must be a JSON object', 'changes must be an object');

select pg_temp.act_as('cust_a');
select throws_ok($$select pg_temp.merged(2, '{"tier": "x"}')$$, '42501', 'field "tier": customers cannot change this field',
  'a customer cannot merge an agent-only field');

select pg_temp.act_as('cust_b');
select is(pg_temp.merged(2, '{"plan": "pro"}'), 0::bigint, 'a customer cannot merge into another customer''s ticket');

select pg_temp.act_as('anon');
select throws_ok($$select pg_temp.merged(2, '{"plan": "pro"}')$$, '42501', null, 'anon cannot call it');

SELECT * FROM finish();
ROLLBACK;
