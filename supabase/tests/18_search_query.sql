-- pgTAP: search_tickets' query syntax, ranking, typo tolerance, #numbers, requester names, filters, bad input and the
-- candidate cap. Everything as admin unless said otherwise (visibility is 17_search_visibility).
BEGIN;
-- Fixture (as postgres, rolled back at the end; created in 2031, after any other data, as candidates are the newest):
-- customers Quentin Marlowe (A) and B, agent_in (Q1), admin;
-- tickets 34000000-…-00000000000N:
--   T1 A/Q1  "Printer jams on every page"          tags {hardware}, metadata {"plan": "pro", "modules": ["scan", "fax"]}
--   T2 B/Q1  "Invoice question"                    printer mentioned deep in a long conversation
--   T3 A/no queue "Password reset mail never arrives"  status open, priority urgent, assigned to agent_in
--   T4 B/Q1  "Dark mode for the dashboard"         tags {feature, billing}, metadata {"plan": "enterprise"}
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;

create function pg_temp.act_as(who text) returns void language plpgsql as $act$
declare
  v_sub text := case who
    when 'cust_a' then '10000000-0000-4000-8000-00000000000a'
    when 'agent_in' then '10000000-0000-4000-8000-000000000001'
    when 'admin' then '10000000-0000-4000-8000-000000000003'
  end;
begin
  if who = 'postgres' then
    perform set_config('role', 'none', true);
    perform set_config('request.jwt.claims', '', true);
  elsif v_sub is not null then
    perform set_config('role', 'authenticated', true);
    perform set_config('request.jwt.claims', json_build_object('sub', v_sub, 'role', 'authenticated')::text, true);
  else
    raise exception 'unknown test caller %', who;
  end if;
end
$act$;
create function pg_temp.tid(n int) returns uuid language sql immutable as $u$
  select ('34000000-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid
$u$;
-- The fixture tickets a search returns, as T<n> labels: found() in ticket order, ranked() best first.
create function pg_temp.found(p_query text, p_filters jsonb default null) returns text[] language sql as $f$
  select coalesce(array_agg('T' || right(s.id::text, 1) order by s.id), '{}')
    from public.search_tickets(p_query, p_filters) s where s.id::text like '34000000-%'
$f$;
create function pg_temp.ranked(p_query text) returns text[] language sql as $f$
  select coalesce(array_agg('T' || right(s.id::text, 1) order by s.rank desc, s.id), '{}')
    from public.search_tickets(p_query) s where s.id::text like '34000000-%'
$f$;

insert into auth.users (id, email, raw_user_meta_data) values
  ('10000000-0000-4000-8000-00000000000a', 'quentin.marlowe@test.local', '{"display_name":"Quentin Marlowe"}'),
  ('10000000-0000-4000-8000-00000000000b', 'cust.b@test.local', '{"display_name":"Bea Bystander"}'),
  ('10000000-0000-4000-8000-000000000001', 'agent.in@test.local', '{}'),
  ('10000000-0000-4000-8000-000000000003', 'admin@test.local', '{}');
update public.profiles set role = 'agent' where id = '10000000-0000-4000-8000-000000000001';
update public.profiles set role = 'admin' where id = '10000000-0000-4000-8000-000000000003';
insert into public.queues (id, slug, name) values ('20000000-0000-4000-8000-000000000001', 'test-q1', 'Test queue 1');
insert into public.queue_members (queue_id, agent_id) values
  ('20000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000001');
insert into public.tickets (id, subject, requester_id, queue_id, assignee_id, status, priority, tags, metadata, created_at) values
  (pg_temp.tid(1), 'Printer jams on every page', '10000000-0000-4000-8000-00000000000a',
   '20000000-0000-4000-8000-000000000001', null, 'new', 'normal', '{hardware}', '{"plan": "pro", "modules": ["scan", "fax"]}',
   '2031-03-01T10:00:00Z'),
  (pg_temp.tid(2), 'Invoice question', '10000000-0000-4000-8000-00000000000b',
   '20000000-0000-4000-8000-000000000001', null, 'pending', 'low', '{}', '{}', '2031-04-01T10:00:00Z'),
  (pg_temp.tid(3), 'Password reset mail never arrives', '10000000-0000-4000-8000-00000000000a',
   null, '10000000-0000-4000-8000-000000000001', 'open', 'urgent', '{}', '{"plan": "pro"}', '2031-05-01T10:00:00Z'),
  (pg_temp.tid(4), 'Dark mode for the dashboard', '10000000-0000-4000-8000-00000000000b',
   '20000000-0000-4000-8000-000000000001', null, 'new', 'high', '{feature,billing}', '{"plan": "enterprise"}',
   '2031-06-01T10:00:00Z');
insert into public.ticket_messages (ticket_id, author_id, body) values
  (pg_temp.tid(2), '10000000-0000-4000-8000-00000000000b',
   'Hello, I need a copy of the March invoice. ' || repeat('We checked the numbers again and again. ', 40)
   || 'PS: the printer in our office works fine now.');
update public.tickets set status = 'pending' where id = pg_temp.tid(2); -- (the requester's reply reopened it)

SELECT plan(56);
select pg_temp.act_as('admin');

-- ================ words, phrases, exclusion, or ================
select is(pg_temp.ranked('printer'), '{T1,T2}', 'a subject match ranks above a match deep in the conversation');
select cmp_ok((select rank from public.search_tickets('printer') where id = pg_temp.tid(1)), '>',
              (select rank from public.search_tickets('printer') where id = pg_temp.tid(2)), 'by a clear margin');
select is(pg_temp.found('printers'), '{T1,T2}', 'words are stemmed (printers finds printer)');
select is(pg_temp.found('"printer jams"'), '{T1}', 'a quoted phrase matches the words in order');
select is(pg_temp.found('"jams printer"'), '{}', 'and not in another order');
select is(pg_temp.found('printer -invoice'), '{T1}', '-word excludes');
select is(pg_temp.found('printer invoice'), '{T2}', 'words are ANDed');
select is(pg_temp.found('dashboard or password'), '{T3,T4}', 'or');
select is(pg_temp.found('hardware'), '{T1}', 'tags are searchable');
select is(pg_temp.found('enterprise'), '{T4}', 'metadata values are searchable');
select is(pg_temp.found('fax'), '{T1}', 'values inside metadata arrays are searchable');

-- ================ typos and partial words ================
select is(pg_temp.found('pritner'), '{T1,T2}', 'a typo (pritner) still finds printer tickets');
select is(pg_temp.found('pasword reset'), '{T3}', 'a typo next to a correct word');
select is(pg_temp.found('dashbo'), '{T4}', 'a partial word finds the words it starts');
select ok(exists (select 1 from public.search_tickets('pritner') where snippet like '%<mark>Printer</mark>%'),
  'the snippet highlights what the typo matched');

-- ================ #numbers and requester names ================
select is(pg_temp.found('#' || (select number from public.tickets where id = pg_temp.tid(3))), '{T3}', '#number finds that ticket');
select cmp_ok((select rank from public.search_tickets('#' || (select number from public.tickets where id = pg_temp.tid(3))
                                                      || ' printer') where id = pg_temp.tid(3)), '>=', 10::real,
  'a #number match ranks above text matches');
select is(pg_temp.found('Quentin Marlowe'), '{T1,T3}', 'staff find a customer''s tickets by her name');
select is(pg_temp.found('quentin.marlowe@test'), '{T1,T3}', '… by part of her email');
select is(pg_temp.found('Quentn Marlowe'), '{T1,T3}', '… and despite a typo');
select pg_temp.act_as('cust_a');
select is(pg_temp.found('Bea Bystander'), '{}', 'a customer does not find others'' tickets by their name');
select pg_temp.act_as('admin');

-- ================ filters ================
select is(pg_temp.found('printer or password or dashboard or invoice', '{"status": ["new", "open"]}'), '{T1,T3,T4}', 'status');
select is(pg_temp.found('printer or password or dashboard or invoice', '{"not_status": ["new"]}'), '{T2,T3}', 'not_status');
select is(pg_temp.found('printer or password or dashboard or invoice', '{"priority": ["high", "urgent"]}'), '{T3,T4}', 'priority');
select is(pg_temp.found('printer or password or dashboard or invoice', '{"not_priority": ["low"]}'), '{T1,T3,T4}', 'not_priority');
select is(pg_temp.found('printer or dashboard', '{"tag": ["feature", "billing"]}'), '{T4}', 'tag (all of)');
select is(pg_temp.found('printer or dashboard', '{"any_tag": ["hardware", "billing"]}'), '{T1,T4}', 'any_tag');
select is(pg_temp.found('printer or dashboard', '{"not_tag": ["billing"]}'), '{T1,T2}', 'not_tag');
select is(pg_temp.found('printer or password', '{"queue": ["test-q1"]}'), '{T1,T2}', 'queue by slug');
select is(pg_temp.found('printer or password', '{"queue": ["none"]}'), '{T3}', 'queue none');
select is(pg_temp.found('printer or password', '{"not_queue": ["test-q1"]}'), '{T3}', 'not_queue');
select is(pg_temp.found('printer or password', '{"queue": ["no-such-queue"]}'), '{}', 'an unknown queue matches nothing');
select is(pg_temp.found('printer or password', '{"assignee": ["agent.in@test.local"]}'), '{T3}', 'assignee by email');
select is(pg_temp.found('printer or password', '{"assignee": ["none"]}'), '{T1,T2}', 'assignee none');
select is(pg_temp.found('printer or password', '{"requester": ["quentin.marlowe@test.local"]}'), '{T1,T3}', 'requester by email');
select is(pg_temp.found('printer or password', '{"requester": ["10000000-0000-4000-8000-00000000000b"]}'), '{T2}', 'requester by id');
select pg_temp.act_as('agent_in');
select is(pg_temp.found('printer or password', '{"assignee": ["me"]}'), '{T3}', 'assignee me');
select pg_temp.act_as('admin');
select is(pg_temp.found('printer or password or dashboard', '{"created_from": "2031-04-01T10:00:00Z", "created_before": "2031-06-01T10:00:00Z"}'),
  '{T2,T3}', 'created_from (inclusive) and created_before (exclusive)');
select is(pg_temp.found('printer or password', '{"updated_from": "2000-01-01T00:00:00Z", "updated_before": "2100-01-01T00:00:00Z"}'),
  '{T1,T2,T3}', 'updated range');
select is(pg_temp.found('printer or password or dashboard', '{"fields": {"plan": ["pro"]}}'), '{T1,T3}', 'fields: a value');
select is(pg_temp.found('printer or password or dashboard', '{"fields": {"modules": ["fax"]}}'), '{T1}', 'fields: a value in an array');
select is(pg_temp.found('printer or password or dashboard', '{"not_fields": {"plan": ["pro"]}}'), '{T2,T4}', 'not_fields');
select is(pg_temp.found('printer or password or dashboard', '{"subject": "MAIL never"}'), '{T3}', 'subject contains (case-insensitive)');
select is(pg_temp.found('printer or password or dashboard', '{"subject": "%"}'), '{}', 'subject: % is a character, not a wildcard');
select is(pg_temp.found('printer or password or dashboard', '{"metadata": {"plan": "enterprise"}}'), '{T4}', 'metadata contains');

-- ================ no text: the filters alone ================
select is(pg_temp.found('', '{"status": ["open"]}'), '{T3}', 'an empty query with filters finds what the filters match');
select is(pg_temp.found('  '), '{T1,T2,T3,T4}', 'an empty query without filters finds every visible ticket');
select pg_temp.act_as('cust_a');
select is(pg_temp.found(''), '{T1,T3}', 'for a customer, her own tickets');
select pg_temp.act_as('admin');

-- ================ bad input ================
select throws_ok($$select * from public.search_tickets('printer', '{"colour": ["red"]}')$$, '22023',
  'unknown search filter "colour"', 'an unknown filter is refused by name');
select throws_ok($$select * from public.search_tickets('printer', '{"status": "open"}')$$, '22023',
  'search filter "status" must be an array of strings', 'a filter of the wrong shape is refused');
select throws_ok($$select * from public.search_tickets('printer', '{"status": ["opened"]}')$$, '22P02', null,
  'an unknown status is invalid input');
select throws_ok($$select * from public.search_tickets('printer', '[1]')$$, '22023', 'search filters must be a JSON object',
  'filters must be an object');
select throws_ok($$select * from public.search_tickets(repeat('x', 1001))$$, '22023', null,
  'a query over 1000 characters is refused');
select lives_ok($q$
  select count(*) from unnest(array[
    '', ' ', '"', '""', '"unclosed', '-', '--', '- -x', 'or', 'or or', 'and', '&', '|', '!', '!!x', '(', ')', '())(',
    ':*', 'x:*', 'x:A', '<->', 'a <-> b', '<2>', '''', '''''', '\', '\\', 'e''', '%', '_', '*', '#', '#-1', '#0',
    '#99999999999999999999', '##12', '#12#', 'ünïcödé façade', '日本語のテキスト', 'emoji 🎉🚀', E'tab\there', E'line\nbreak',
    'select * from tickets;', ''' or 1=1 --', 'printer & !jam | (x <-> y)', repeat('a ', 499), repeat('word', 250),
    '$1', '$$', 'null', 'NULL', '{}', '[]', 'quentin.marlowe@test.local', 'a"b"c"d', '-"quoted phrase"', 'x -', '"" or ""'
  ]) q, lateral (select * from public.search_tickets(q)) s$q$,
  'hostile and odd strings never raise');

-- ================ the candidate cap ================
select pg_temp.act_as('postgres');
insert into public.tickets (subject, requester_id, created_at)
select 'Frequent wombat ' || g, '10000000-0000-4000-8000-00000000000a', '2032-01-01T00:00:00Z'::timestamptz + g * interval '1 minute'
  from generate_series(1, 1100) g;
select pg_temp.act_as('admin');
select is((select count(*) from public.search_tickets('wombat')), 1000::bigint,
  'a word in 1,100 tickets yields the 1,000 candidates');
select is((select min(created_at) from public.search_tickets('wombat')), '2032-01-01T00:00:00Z'::timestamptz + 101 * interval '1 minute',
  'the newest 1,000');

SELECT * FROM finish();
ROLLBACK;
