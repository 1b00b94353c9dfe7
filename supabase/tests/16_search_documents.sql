-- pgTAP: search documents are kept current by triggers, in the transaction of every write; nothing else can read them.
BEGIN;
-- Runs on a database with the platform bootstrap + migrations only. Callers are simulated as Supabase does.
--   customer A 10000000-…-00000000000a, agent_in (Q1) …-000000000001, admin …-000000000003
--   queue Q1 20000000-…-000000000001; tickets 32000000-…-00000000000N
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

-- The documents, read as their owner (no API role can read them).
create function pg_temp.doc(p_ticket uuid) returns tsvector language sql security definer as $d$
  select d.ticket_part || d.conversation from autocrm_private.ticket_search_documents d where d.ticket_id = p_ticket
$d$;
create function pg_temp.staff_doc(p_ticket uuid) returns tsvector language sql security definer as $d$
  select s.notes || s.agent_fields from autocrm_private.ticket_staff_search_documents s where s.ticket_id = p_ticket
$d$;
create function pg_temp.has(p_doc tsvector, p_words text) returns boolean language sql immutable as $h$
  select coalesce(p_doc @@ plainto_tsquery('english', p_words), false)
$h$;
create function pg_temp.tid(n int) returns uuid language sql immutable as $u$
  select ('32000000-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid
$u$;

insert into auth.users (id, email, raw_user_meta_data) values
  ('10000000-0000-4000-8000-00000000000a', 'cust.a@test.local', '{"display_name":"Customer A"}'),
  ('10000000-0000-4000-8000-000000000001', 'agent.in@test.local', '{}'),
  ('10000000-0000-4000-8000-000000000003', 'admin@test.local', '{}');
update public.profiles set role = 'agent' where id = '10000000-0000-4000-8000-000000000001';
update public.profiles set role = 'admin' where id = '10000000-0000-4000-8000-000000000003';
insert into public.queues (id, slug, name) values ('20000000-0000-4000-8000-000000000001', 'test-q1', 'Test queue 1');
insert into public.queue_members (queue_id, agent_id) values
  ('20000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000001');

SELECT plan(34);

-- ============================ tickets ============================
select pg_temp.act_as('cust_a');
insert into public.tickets (id, subject, queue_id, tags, metadata) values
  (pg_temp.tid(1), 'Scanner refuses duplex jobs', '20000000-0000-4000-8000-000000000001', '{hardware}',
   '{"plan": "enterprise", "device": {"model": "Octavian 9"}, "seats": 12}');
select pg_temp.act_as('postgres');
select ok(pg_temp.has(pg_temp.doc(pg_temp.tid(1)), 'scanner duplex'), 'a new ticket''s subject is searchable at once');
select ok(pg_temp.has(pg_temp.doc(pg_temp.tid(1)), 'hardware'), 'its tags are searchable');
select ok(pg_temp.has(pg_temp.doc(pg_temp.tid(1)), 'enterprise octavian 12'), 'its metadata values (nested, numbers) are searchable');
select ok(not pg_temp.has(pg_temp.doc(pg_temp.tid(1)), 'device'), 'metadata keys are not indexed');
select is((select setweight(to_tsvector('english', 'scanner'), 'A') @@ to_tsquery('english', 'scanner:A')), true, 'sanity: weight queries work');
select ok(pg_temp.doc(pg_temp.tid(1)) @@ to_tsquery('english', 'scanner:A & hardware:C & enterprise:C'),
  'subject words weigh A, tags and metadata C');

select pg_temp.act_as('agent_in');
update public.tickets set subject = 'Copier refuses duplex jobs', tags = '{hardware,urgent-fix}',
                          metadata = '{"plan": "business"}' where id = pg_temp.tid(1);
select pg_temp.act_as('postgres');
select ok(pg_temp.has(pg_temp.doc(pg_temp.tid(1)), 'copier') and not pg_temp.has(pg_temp.doc(pg_temp.tid(1)), 'scanner'),
  'a changed subject replaces the old words');
select ok(pg_temp.has(pg_temp.doc(pg_temp.tid(1)), 'business') and not pg_temp.has(pg_temp.doc(pg_temp.tid(1)), 'enterprise'),
  'changed metadata replaces the old values');
select ok(pg_temp.has(pg_temp.doc(pg_temp.tid(1)), 'urgent-fix'), 'added tags are searchable');

create temporary table doc_version as
  select xmin::text::bigint as x from autocrm_private.ticket_search_documents where ticket_id = pg_temp.tid(1);
select pg_temp.act_as('agent_in');
update public.tickets set status = 'pending', priority = 'high', assignee_id = '10000000-0000-4000-8000-000000000001'
 where id = pg_temp.tid(1);
select pg_temp.act_as('postgres');
select is((select xmin::text::bigint from autocrm_private.ticket_search_documents where ticket_id = pg_temp.tid(1)),
  (select x from doc_version), 'status, priority and assignment changes do not rewrite the document');

-- ============================ messages ============================
select pg_temp.act_as('cust_a');
insert into public.ticket_messages (id, ticket_id, body) values
  ('42000000-0000-4000-8000-000000000001', pg_temp.tid(1), 'Since Monday the feeder swallows every second sheet.');
select pg_temp.act_as('agent_in');
insert into public.ticket_messages (id, ticket_id, visibility, body) values
  ('42000000-0000-4000-8000-000000000002', pg_temp.tid(1), 'internal', 'Known firmware regression quasarfix, see the vendor portal.');
select pg_temp.act_as('postgres');
select ok(pg_temp.has(pg_temp.doc(pg_temp.tid(1)), 'feeder swallows'), 'a public message joins the customer-visible document');
select ok(pg_temp.doc(pg_temp.tid(1)) @@ to_tsquery('english', 'feeder:B'), 'message words weigh B');
select ok(not pg_temp.has(pg_temp.doc(pg_temp.tid(1)), 'regression'), 'an internal note never enters the customer-visible document');
select ok(pg_temp.has(pg_temp.staff_doc(pg_temp.tid(1)), 'firmware regression vendor'), 'an internal note joins the staff document');
select ok(pg_temp.has(pg_temp.doc(pg_temp.tid(1)), 'copier'), 'the subject stays after messages are added');

select pg_temp.act_as('admin');
update public.ticket_messages set visibility = 'internal' where id = '42000000-0000-4000-8000-000000000001';
select pg_temp.act_as('postgres');
select ok(not pg_temp.has(pg_temp.doc(pg_temp.tid(1)), 'feeder') and pg_temp.has(pg_temp.staff_doc(pg_temp.tid(1)), 'feeder'),
  'a message made internal moves from the customer-visible document to the staff document');
select pg_temp.act_as('admin');
update public.ticket_messages set body = 'The tray jams.', visibility = 'public' where id = '42000000-0000-4000-8000-000000000001';
select pg_temp.act_as('postgres');
select ok(pg_temp.has(pg_temp.doc(pg_temp.tid(1)), 'tray') and not pg_temp.has(pg_temp.doc(pg_temp.tid(1)), 'feeder')
          and not pg_temp.has(pg_temp.staff_doc(pg_temp.tid(1)), 'feeder'),
  'an edited message replaces its words');
select pg_temp.act_as('admin');
delete from public.ticket_messages where id = '42000000-0000-4000-8000-000000000002';
select pg_temp.act_as('postgres');
select ok(not pg_temp.has(pg_temp.staff_doc(pg_temp.tid(1)), 'regression'), 'a deleted note leaves the staff document');

-- ============================ limits ============================
select pg_temp.act_as('cust_a');
insert into public.tickets (id, subject, metadata) values
  (pg_temp.tid(2), 'Large metadata', jsonb_build_object('blob', repeat('abcdefghij ', 6000), 'marker', 'heliotrope'));
select pg_temp.act_as('postgres');
select ok(pg_temp.has(pg_temp.doc(pg_temp.tid(2)), 'large') and not pg_temp.has(pg_temp.doc(pg_temp.tid(2)), 'heliotrope'),
  'metadata over 50,000 bytes is stored but not indexed');
-- (Written as postgres with explicit, increasing times: in one transaction now() is the same for every message.)
select lives_ok($$insert into public.ticket_messages (ticket_id, author_id, body, created_at)
                  select pg_temp.tid(2), '10000000-0000-4000-8000-00000000000a',
                         'part' || g || ' ' || (select string_agg(md5(g::text || i::text), ' ') from generate_series(1, 2900) i),
                         now() + g * interval '1 second'
                    from generate_series(1, 2) g$$,
  'two messages of ~95,000 characters of distinct words are accepted');
select lives_ok($$insert into public.ticket_messages (ticket_id, author_id, body, created_at)
                  values (pg_temp.tid(2), '10000000-0000-4000-8000-00000000000a', 'Afterwards: marigold', now() + interval '3 seconds')$$,
  'a short message after them is accepted');
select pg_temp.act_as('postgres');
select ok(pg_temp.has(pg_temp.doc(pg_temp.tid(2)), 'part1 marigold') and not pg_temp.has(pg_temp.doc(pg_temp.tid(2)), 'part2'),
  'a message that does not fit the budget is not indexed (nothing failed); later short ones still are');
select cmp_ok((select conversation_chars from autocrm_private.ticket_search_documents where ticket_id = pg_temp.tid(2)),
  '<=', 150000, 'the indexed conversation stays within the budget');

-- ============================ vocabulary ============================
select ok(exists (select 1 from autocrm_private.search_terms where term = 'copier'), 'subject words join the vocabulary');
select ok(exists (select 1 from autocrm_private.search_terms where term = 'tray'), 'public message words join the vocabulary');
select ok(not exists (select 1 from autocrm_private.search_terms where term = 'quasarfix'),
  'words only ever in internal notes do not join the vocabulary');

-- ============================ deletion ============================
select pg_temp.act_as('admin');
delete from public.tickets where id = pg_temp.tid(1);
select pg_temp.act_as('postgres');
select ok(not exists (select 1 from autocrm_private.ticket_search_documents where ticket_id = pg_temp.tid(1))
          and not exists (select 1 from autocrm_private.ticket_staff_search_documents where ticket_id = pg_temp.tid(1)),
  'deleting a ticket deletes its documents');

-- ============================ bulk loads ============================
delete from autocrm_private.ticket_search_documents where ticket_id = pg_temp.tid(2);
select lives_ok($$select public.refresh_generated_data()$$, 'refresh_generated_data rebuilds missing documents');
select ok(pg_temp.has(pg_temp.doc(pg_temp.tid(2)), 'large part1 marigold') and not pg_temp.has(pg_temp.doc(pg_temp.tid(2)), 'part2'),
  'the rebuilt document has the subject and the conversation, within the same budget');

-- ============================ privileges ============================
select pg_temp.act_as('cust_a');
select throws_ok($$select * from autocrm_private.ticket_search_documents$$, '42501', null,
  'a customer cannot read the search documents');
select pg_temp.act_as('agent_in');
select throws_ok($$select * from autocrm_private.ticket_staff_search_documents$$, '42501', null,
  'an agent cannot read the staff documents directly');
select throws_ok($$select * from autocrm_private.search_terms$$, '42501', null, 'nobody reads the vocabulary');
select pg_temp.act_as('service_role');
select throws_ok($$select public.refresh_generated_data()$$, '42501', null, 'the API cannot call refresh_generated_data');
select pg_temp.act_as('anon');
select throws_ok($$update autocrm_private.ticket_search_documents set ticket_part = ''$$, '42501', null,
  'anon cannot write the documents');

SELECT * FROM finish();
ROLLBACK;
