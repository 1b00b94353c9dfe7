-- pgTAP: Internal notes change nothing a customer can observe (staff activity instead), and metadata limits on every writer.
BEGIN;
-- The shared fixture (users, queues, tickets, messages; pg_temp.act_as, affected, ticket, uid/tid/mid/qid) is
-- described in _fixture.psql.
\ir _fixture.psql

create function pg_temp.activity(p_ticket uuid) returns public.ticket_staff_activity language sql security definer as $a$
  select * from public.ticket_staff_activity where ticket_id = p_ticket
$a$;

SELECT plan(27);

-- ============================ internal notes ============================
select pg_temp.act_as('postgres');
select is((pg_temp.activity(pg_temp.tid(1))).last_internal_note_by, pg_temp.uid('agent_in'),
  'a fixture internal note is recorded as staff activity');
create temp table before_note as select * from public.tickets where id = pg_temp.tid(1);
grant select on before_note to authenticated;
select pg_temp.act_as('agent_in');
select lives_ok($$insert into public.ticket_messages (ticket_id, body, visibility) values (pg_temp.tid(1), 'customer seems confused', 'internal')$$,
  'an agent writes an internal note');
select pg_temp.act_as('postgres');
select is((pg_temp.ticket(pg_temp.tid(1))).version, (select version from before_note), 'an internal note leaves the ticket version alone');
select is((pg_temp.ticket(pg_temp.tid(1))).updated_at, (select updated_at from before_note), 'an internal note leaves updated_at alone');
select is((pg_temp.ticket(pg_temp.tid(1))).first_response_at, null, 'an internal note is not a first response');
select is((select count(*) from public.ticket_events where ticket_id = pg_temp.tid(1)), 1::bigint, 'an internal note writes no ticket event');
select is((select count(*) from public.ticket_staff_activity where ticket_id = pg_temp.tid(1)), 1::bigint, 'one staff activity row per ticket');

select pg_temp.act_as('agent_in');
select is((select count(*) from public.ticket_staff_activity where ticket_id = pg_temp.tid(1)), 1::bigint,
  'an agent of the ticket''s queue reads its staff activity');
select pg_temp.act_as('agent_out');
select is((select count(*) from public.ticket_staff_activity where ticket_id = pg_temp.tid(1)), 0::bigint,
  'an agent who cannot see the ticket cannot read its staff activity');
select is((select count(*) from public.ticket_staff_activity where ticket_id = pg_temp.tid(3)), 1::bigint,
  'an agent reads the staff activity of a ticket of their queue');
select pg_temp.act_as('admin');
select is((select count(*) from public.ticket_staff_activity), 2::bigint, 'an admin reads all staff activity');
select pg_temp.act_as('cust_a');
select is((select count(*) from public.ticket_staff_activity), 0::bigint, 'a customer reads no staff activity, not even of their own tickets');
select throws_ok($$insert into public.ticket_staff_activity values (pg_temp.tid(4), now(), null)$$, '42501', null,
  'a customer cannot write staff activity');
select pg_temp.act_as('agent_in');
select throws_ok($$update public.ticket_staff_activity set last_internal_note_at = now()$$, '42501', null,
  'an agent cannot write staff activity directly');
select pg_temp.act_as('anon');
select throws_ok($$select * from public.ticket_staff_activity$$, '42501', null, 'anon cannot read staff activity');

select pg_temp.act_as('agent_in');
insert into public.ticket_messages (ticket_id, body) values (pg_temp.tid(1), 'a public reply');
select pg_temp.act_as('postgres');
select is((pg_temp.ticket(pg_temp.tid(1))).version, (select version + 1 from before_note), 'a public reply still touches the ticket');
select isnt((pg_temp.ticket(pg_temp.tid(1))).first_response_at, null, 'a public staff reply is the first response');

-- ============================ metadata limits ============================
select pg_temp.act_as('cust_a');
select lives_ok($$update public.tickets set metadata = (select jsonb_object_agg('k' || g, repeat('x', 400)) from generate_series(1, 512) g) where id = pg_temp.tid(1)$$,
  'a customer may store 512 fields of 400 characters (about 210 KB)');
select throws_ok($$update public.tickets set metadata = jsonb_build_object('blob', repeat('x', 262144)) where id = pg_temp.tid(1)$$,
  '23514', 'field "metadata": metadata is too large: 262156 bytes, at most 262144', 'tickets.metadata over 256 KiB is refused with its size');
select throws_ok($$update public.tickets set metadata = (select jsonb_object_agg('k' || g, g) from generate_series(1, 513) g) where id = pg_temp.tid(1)$$,
  '23514', 'field "metadata": metadata has too many fields: 513, at most 512', 'tickets.metadata with 513 fields is refused');
select throws_ok($$insert into public.tickets (subject, metadata) values ('big', jsonb_build_object('blob', repeat('x', 300000)))$$,
  '23514', null, 'a new ticket with oversized metadata is refused');
select throws_ok($$insert into public.ticket_messages (ticket_id, body, metadata) values (pg_temp.tid(1), 'hi', jsonb_build_object('blob', repeat('x', 300000)))$$,
  '23514', null, 'a message with oversized metadata is refused');
select throws_ok($$update public.profiles set metadata = jsonb_build_object('blob', repeat('x', 300000)) where id = pg_temp.uid('cust_a')$$,
  '23514', null, 'a profile with oversized metadata is refused');
select lives_ok($$update public.tickets set status = 'closed' where id = pg_temp.tid(3)$$, 'writes that leave metadata alone are not checked');
select pg_temp.act_as('service_role');
select throws_ok($$update public.tickets set metadata = jsonb_build_object('blob', repeat('x', 300000)) where id = pg_temp.tid(2)$$,
  '23514', null, 'the service_role key is held to the same limit');
select pg_temp.act_as('postgres');
select throws_ok($$update public.tickets set metadata = (select jsonb_object_agg('k' || g, g) from generate_series(1, 600) g) where id = pg_temp.tid(2)$$,
  '23514', null, 'so is a direct database session');
select is((select count(*) from public.tickets where octet_length(metadata::text) > 262144), 0::bigint, 'no oversized metadata was stored');

SELECT * FROM finish();
ROLLBACK;
