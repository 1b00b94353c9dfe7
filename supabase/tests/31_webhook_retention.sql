-- pgTAP: webhook delivery retention. prune_webhook_deliveries deletes delivered deliveries of events older than `keep`
-- (with their attempts), oldest first and at most max_rows a call; pending and failed deliveries and newer ones stay;
-- only the service role may call it; bad arguments are refused with the field named. The log's filter indexes exist.
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
  elsif who = 'admin' then
    perform set_config('role', 'authenticated', true);
    perform set_config('request.jwt.claims', json_build_object('sub', '10000000-0000-4000-8000-000000000003', 'role', 'authenticated')::text, true);
  else
    raise exception 'unknown test caller %', who;
  end if;
end
$act$;

-- What really is in the outbox (bypasses row-level security).
create function pg_temp.left_over() returns text[] language sql security definer as $d$
  select coalesce(array_agg(event_type order by seq), '{}') from public.webhook_deliveries
   where endpoint_id = '40000000-0000-4000-8000-000000000001'
$d$;
create function pg_temp.attempts() returns bigint language sql security definer as $d$
  select count(*) from public.webhook_delivery_attempts a join public.webhook_deliveries d on d.id = a.delivery_id
$d$;

insert into auth.users (id, email, raw_user_meta_data) values ('10000000-0000-4000-8000-000000000003', 'admin@test.local', '{}');
update public.profiles set role = 'admin' where id = '10000000-0000-4000-8000-000000000003';
insert into public.webhook_endpoints (id, url, events) values
  ('40000000-0000-4000-8000-000000000001', 'https://retention.example/hook', '{ticket.created}');
-- Named by what should happen to them at now = 2030-03-01 with keep = 30 days (cutoff 2030-01-30).
insert into public.webhook_deliveries (endpoint_id, event_id, event_type, payload, state, delivered_at, created_at)
select '40000000-0000-4000-8000-000000000001', gen_random_uuid(), name, '{}', state, case when state = 'delivered' then at end, at
  from (values ('old.delivered.1', 'delivered', timestamptz '2030-01-01'),
               ('old.failed', 'failed', timestamptz '2030-01-02'),
               ('old.pending', 'pending', timestamptz '2030-01-03'),
               ('old.delivered.2', 'delivered', timestamptz '2030-01-04'),
               ('old.delivered.3', 'delivered', timestamptz '2030-01-05'),
               ('new.delivered', 'delivered', timestamptz '2030-02-15')) v(name, state, at)
 order by at;
insert into public.webhook_delivery_attempts (delivery_id, attempt, status_code)
select id, 1, 200 from public.webhook_deliveries where endpoint_id = '40000000-0000-4000-8000-000000000001';

SELECT plan(12);

select has_index('public', 'webhook_deliveries', 'webhook_deliveries_state_seq_idx', 'the log filters by state through (state, seq)');
select has_index('public', 'webhook_deliveries', 'webhook_deliveries_ticket_seq_idx', 'the log filters by ticket through (ticket_id, seq)');
select has_index('public', 'webhook_deliveries', 'webhook_deliveries_event_type_seq_idx', 'the log filters by event type through (event_type, seq)');

select pg_temp.act_as('anon');
select throws_ok($$select public.prune_webhook_deliveries()$$, '42501', null, 'anon cannot prune');
select pg_temp.act_as('admin');
select throws_ok($$select public.prune_webhook_deliveries()$$, '42501', null, 'an admin cannot prune through the API (the service role or pg_cron does)');

select pg_temp.act_as('service_role');
select throws_ok($$select public.prune_webhook_deliveries(interval '5 minutes')$$, '22023',
  'field "keep": deliveries are kept at least an hour', 'keeping less than an hour is refused');
select throws_ok($$select public.prune_webhook_deliveries(interval '30 days', 0)$$, '22023',
  'field "max_rows": must be between 1 and 100000', 'a batch of 0 rows is refused');

select is(public.prune_webhook_deliveries(interval '30 days', 2, '2030-03-01'), 2, 'a batch deletes at most max_rows, the oldest first');
select is(pg_temp.left_over(), array['old.failed', 'old.pending', 'old.delivered.3', 'new.delivered'],
  'the two oldest delivered are gone; failed and pending stay');
select is(public.prune_webhook_deliveries(interval '30 days', 1000, '2030-03-01'), 1, 'the next batch deletes the rest that is old enough');
select is(pg_temp.left_over(), array['old.failed', 'old.pending', 'new.delivered'], 'deliveries newer than keep stay');
select is(pg_temp.attempts(), 3::bigint, 'the attempts of deleted deliveries go with them');

SELECT * FROM finish();
ROLLBACK;
