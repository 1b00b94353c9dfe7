-- pgTAP: Bad input: clear PostgreSQL errors (check violation, invalid input, ...) and no silently changed rows.
BEGIN;
-- The shared fixture (users, queues, tickets, messages; pg_temp.act_as, affected, ticket, uid/tid/mid/qid) is
-- described in _fixture.psql.
\ir _fixture.psql

SELECT plan(29);

-- Bad input gets a PostgreSQL error with a clear message; the row is never silently changed.
select pg_temp.act_as('cust_a');

-- metadata must be a JSON object
select throws_ok($$insert into public.tickets (subject, metadata) values ('x', '[1,2]')$$,
  '23514', 'new row for relation "tickets" violates check constraint "tickets_metadata_is_object"',
  'ticket metadata as a JSON array is a check violation');
select throws_ok($$insert into public.tickets (subject, metadata) values ('x', '"text"')$$,
  '23514', null, 'ticket metadata as a JSON string is a check violation');
select throws_ok($$insert into public.tickets (subject, metadata) values ('x', 'null'::jsonb)$$,
  '23514', null, 'ticket metadata as JSON null is a check violation');
select throws_ok($$insert into public.tickets (subject, metadata) values ('x', null)$$,
  '23502', null, 'SQL NULL metadata is a not-null violation');
select throws_ok($$insert into public.tickets (subject, metadata) values ('x', '{not json')$$,
  '22P02', null, 'malformed JSON is invalid input');
select throws_ok($$update public.tickets set metadata = '[]' where id = pg_temp.tid(1)$$,
  '23514', null, 'updating metadata to a non-object is a check violation');
select is((pg_temp.ticket(pg_temp.tid(1))).metadata, '{}'::jsonb, 'the rejected update left metadata unchanged');

-- subject 1..300 characters
select throws_ok($$insert into public.tickets (subject) values ('')$$,
  '23514', 'new row for relation "tickets" violates check constraint "tickets_subject_length"', 'an empty subject is a check violation');
select throws_ok($$insert into public.tickets (subject) values ('   ')$$,
  '23514', null, 'a blank subject is a check violation');
select throws_ok($$insert into public.tickets (subject) values (repeat('x', 301))$$,
  '23514', null, 'a 301-character subject is a check violation');
select lives_ok($$insert into public.tickets (subject) values (repeat('é', 300))$$, 'a 300-character subject is accepted');
select throws_ok($$insert into public.tickets (subject) values (null)$$, '23502', null, 'a missing subject is a not-null violation');
select throws_ok($$update public.tickets set subject = repeat('y', 301) where id = pg_temp.tid(1)$$,
  '23514', null, 'updating the subject to 301 characters is a check violation');
select is((pg_temp.ticket(pg_temp.tid(1))).subject, 'T1', 'the rejected update left the subject unchanged');

-- enums
select throws_ok($$update public.tickets set status = 'bogus' where id = pg_temp.tid(1)$$,
  '22P02', 'invalid input value for enum ticket_status: "bogus"', 'an unknown status is invalid input');
select throws_ok($$insert into public.tickets (subject, priority) values ('x', 'critical')$$,
  '22P02', 'invalid input value for enum ticket_priority: "critical"', 'an unknown priority is invalid input');
select throws_ok($$insert into public.ticket_messages (ticket_id, body, visibility) values (pg_temp.tid(1), 'x', 'secret')$$,
  '22P02', null, 'an unknown message visibility is invalid input');
select is((pg_temp.ticket(pg_temp.tid(1))).status, 'new'::public.ticket_status, 'the rejected status left the ticket unchanged');

-- other shapes
select throws_ok($$insert into public.tickets (subject, tags) values ('x', array['a', null])$$,
  '23514', null, 'a null tag is a check violation');
select throws_ok($$insert into public.tickets (id, subject) values ('not-a-uuid', 'x')$$,
  '22P02', null, 'a malformed id is invalid input');
select throws_ok($$insert into public.tickets (subject, queue_id) values ('x', '20000000-0000-4000-8000-0000000000ee')$$,
  '23503', null, 'an unknown queue is a foreign-key violation');
select throws_ok($$insert into public.tickets (id, subject) values (pg_temp.tid(1), 'dup')$$,
  '23505', null, 'a duplicate id without ON CONFLICT is a unique violation');

-- messages
select throws_ok($$insert into public.ticket_messages (ticket_id, body) values (pg_temp.tid(1), '')$$,
  '23514', null, 'an empty message body is a check violation');
select throws_ok($$insert into public.ticket_messages (ticket_id, body, metadata) values (pg_temp.tid(1), 'x', '[]')$$,
  '23514', null, 'message metadata must be an object');

-- profiles and queues
select throws_ok($$update public.profiles set metadata = '"x"' where id = pg_temp.uid('cust_a')$$,
  '23514', null, 'profile metadata must be an object');
select pg_temp.act_as('admin');
select throws_ok($$insert into public.queues (slug, name) values ('Not A Slug', 'x')$$,
  '23514', null, 'a queue slug must be lower-case letters, digits, - and _');
select throws_ok($$insert into public.queues (slug, name) values ('test-q1', 'again')$$,
  '23505', null, 'queue slugs are unique');
select throws_ok($$insert into public.queues (slug, name) values ('test-empty', '')$$,
  '23514', null, 'a queue needs a name');
select throws_ok($$select public.set_user_role(user_id => pg_temp.uid('cust_a'), role => 'superuser')$$,
  '22P02', null, 'an unknown role is invalid input');

SELECT * FROM finish();
ROLLBACK;
