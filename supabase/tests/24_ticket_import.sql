-- pgTAP: import_tickets: column mapping, custom field conversion, the database's rules per row, all or nothing,
-- dry runs, and who may import (anon, customers, agents in and out of queue, admin, service_role).
BEGIN;
-- The shared fixture (users, queues, tickets, messages; pg_temp.act_as, affected, ticket, uid/tid/mid/qid) is
-- described in _fixture.psql.
\ir _fixture.psql

SELECT plan(36);

-- Reads that bypass row-level security (what was really stored).
create function pg_temp.stored(p_subject text) returns jsonb language sql security definer as $s$
  select jsonb_build_object('status', t.status, 'priority', t.priority, 'queue', t.queue_id, 'requester', t.requester_id,
                            'assignee', t.assignee_id, 'tags', t.tags, 'metadata', t.metadata,
                            'agent', (select a.metadata from public.ticket_agent_fields a where a.ticket_id = t.id),
                            'messages', (select jsonb_agg(jsonb_build_array(m.author_id, m.visibility, m.body))
                                           from public.ticket_messages m where m.ticket_id = t.id))
    from public.tickets t where t.subject = p_subject
$s$;
create function pg_temp.error_of_detail(stmt text) returns text language plpgsql as $e$
declare v_detail text;
begin
  execute stmt;
  return null;
exception when others then
  get stacked diagnostics v_detail = pg_exception_detail;
  return v_detail;
end
$e$;
create function pg_temp.ticket_by_subject(p_subject text) returns public.tickets language sql security definer as $t$
  select * from public.tickets where subject = p_subject
$t$;
create function pg_temp.ticket_count() returns bigint language sql security definer as $s$
  select count(*) from public.tickets
$s$;

insert into public.ticket_fields (key, label, type, options, pattern, customer_visible, customer_editable) values
  ('plan', 'Plan', 'dropdown', '["free", "pro", "enterprise"]', null, true, true),
  ('seats', 'Seats', 'integer', '[]', null, true, true),
  ('amount', 'Amount', 'decimal', '[]', null, true, false),
  ('vip', 'VIP', 'checkbox', '[]', null, false, false),
  ('due', 'Due date', 'date', '[]', null, true, true),
  ('langs', 'Languages', 'multiselect', '["en", "fr", "de"]', null, true, true),
  ('order_ref', 'Order', 'regex', '[]', '[A-Z]{3}-[0-9]+', true, true),
  ('legacy', 'Legacy', 'text', '[]', null, true, true);
update public.ticket_fields set active = false where key = 'legacy';

-- ============================ who may import ============================
select pg_temp.act_as('anon');
select throws_ok($$select public.import_tickets('[]')$$, '42501', null, 'anon cannot call import_tickets');
select pg_temp.act_as('cust_a');
select throws_ok($$select public.import_tickets('[{"subject": "Mine"}]')$$, '42501',
  'importing tickets needs an agent or admin', 'a customer cannot import, not even her own tickets');

-- ============================ a good import ============================
select pg_temp.act_as('agent_in');
select is(public.import_tickets($$[
    {"subject": "Imported one", "queue": "test-q1", "requester": "CUST.A@test.local", "priority": "High", "status": "open",
     "tags": "billing; vip ;", "description": "It broke.\nTwice.", "plan": "pro", "seats": " 12 ", "amount": "12.50",
     "vip": "TRUE", "due": "2027-01-31", "langs": "en;fr", "order_ref": "ABC-12", "metadata": "{\"channel\": \"csv\"}"},
    {"subject": "Imported two", "queue": "", "requester": "10000000-0000-4000-8000-00000000000b", "plan": "", "seats": null,
     "tags": ["a", "b"], "metadata": {"k": 1}, "number": "17", "created_at": "2020-01-01", "updated_at": "x", "version": "3"}
  ]$$),
  '{"rows": 2, "inserted": 2, "already_present": 0, "committed": true, "problem_count": 0, "problems": []}'::jsonb,
  'an agent imports rows: every row inserted, committed, no problems');
select is(pg_temp.stored('Imported one'), jsonb_build_object(
    'status', 'open', 'priority', 'high', 'queue', pg_temp.qid(1), 'requester', pg_temp.uid('cust_a'), 'assignee', null,
    'tags', '["billing", "vip"]'::jsonb,
    'metadata', '{"channel": "csv", "plan": "pro", "seats": 12, "amount": 12.50, "due": "2027-01-31", "langs": ["en", "fr"], "order_ref": "ABC-12"}'::jsonb,
    'agent', '{"vip": true}'::jsonb,
    'messages', jsonb_build_array(jsonb_build_array(pg_temp.uid('agent_in'), 'public', E'It broke.\nTwice.'))),
  'cells map to ticket columns (queue by slug, requester by email in any case, tags split on ;), custom fields are converted by type (agent-only values stored apart), the description is the first public message');
select is(pg_temp.stored('Imported two') - 'queue' - 'status' - 'priority' - 'assignee' - 'agent' - 'messages', jsonb_build_object(
    'requester', pg_temp.uid('cust_b'), 'tags', '["a", "b"]'::jsonb, 'metadata', '{"k": 1}'::jsonb),
  'JSON cells are taken as they are; empty cells mean no value; number, created_at, updated_at and version are ignored');

-- ============================ all or nothing ============================
select is(public.import_tickets($$[
    {"subject": "Good row"},
    {"subject": "Bad plan", "plan": "platinum"},
    {"subject": "Bad seats", "seats": "12 seats"},
    {"subject": "Bad status", "status": "bogus"},
    {"subject": "Bad queue", "queue": "nowhere"},
    {"subject": "Bad requester", "requester": "nobody@test.local"},
    {"subject": "   "},
    {"plan": "pro"},
    {"subject": "Bad date", "due": "2023-02-29"},
    {"subject": "Archived", "legacy": "x"},
    {"subject": "Bad id", "id": "not-a-uuid"},
    {"subject": "Bad metadata", "metadata": "[1]"},
    {"subject": "Bad option", "langs": "en;xx"}
  ]$$) - 'problems',
  '{"rows": 13, "inserted": 0, "already_present": 0, "committed": false, "problem_count": 12}'::jsonb,
  'one bad row: nothing is imported, and every bad row is counted');
select is((select jsonb_agg(p - 'message' order by (p ->> 'row')::int) from jsonb_array_elements(public.import_tickets($$[
    {"subject": "Good row"},
    {"subject": "Bad plan", "plan": "platinum"},
    {"subject": "Bad seats", "seats": "12 seats"},
    {"subject": "Bad status", "status": "bogus"},
    {"subject": "Bad queue", "queue": "nowhere"},
    {"subject": "Bad requester", "requester": "nobody@test.local"},
    {"subject": "   "},
    {"plan": "pro"},
    {"subject": "Bad date", "due": "2023-02-29"},
    {"subject": "Archived", "legacy": "x"},
    {"subject": "Bad id", "id": "not-a-uuid"},
    {"subject": "Bad metadata", "metadata": "[1]"},
    {"subject": "Bad option", "langs": "en;xx"}
  ]$$) -> 'problems') p), $$[
    {"row": 2, "code": "23514", "field": "plan"},
    {"row": 3, "code": "23514", "field": "seats"},
    {"row": 4, "code": "23514", "field": "status"},
    {"row": 5, "code": "23503", "field": "queue"},
    {"row": 6, "code": "23503", "field": "requester"},
    {"row": 7, "code": "23514", "field": "subject"},
    {"row": 8, "code": "23502", "field": "subject"},
    {"row": 9, "code": "23514", "field": "due"},
    {"row": 10, "code": "23514", "field": "legacy"},
    {"row": 11, "code": "23514", "field": "id"},
    {"row": 12, "code": "23514", "field": "metadata"},
    {"row": 13, "code": "23514", "field": "langs"}]$$::jsonb,
  'each bad row is reported with its index, its SQLSTATE and the field it names');
select is((select jsonb_agg(p ->> 'message' order by (p ->> 'row')::int) from jsonb_array_elements(public.import_tickets($$[
    {"subject": "Bad plan", "plan": "platinum"},
    {"subject": "Bad seats", "seats": "12 seats"},
    {"subject": "Bad status", "status": "bogus"},
    {"subject": "Bad queue", "queue": "nowhere"}
  ]$$) -> 'problems') p), jsonb_build_array(
    'field "plan": "platinum" is not one of free, pro, enterprise',
    'field "seats": expected an integer, got "12 seats"',
    'field "status": "bogus" is not one of new, open, pending, on_hold, solved, closed',
    'field "queue": no queue "nowhere"'),
  'the messages are the database''s own');
select is(pg_temp.ticket_count(), 7::bigint, 'a refused import left no ticket behind');
select is((select count(*) from public.ticket_events where ticket_id not in (select id from public.tickets)), 0::bigint,
  'and no event');

-- ============================ dry runs ============================
select is(public.import_tickets('[{"subject": "Dry one", "plan": "free"}, {"subject": "Dry two"}]', dry_run => true),
  '{"rows": 2, "inserted": 2, "already_present": 0, "committed": false, "problem_count": 0, "problems": []}'::jsonb,
  'a dry run checks the rows and reports what would be inserted');
select is(pg_temp.ticket_count(), 7::bigint, 'a dry run writes nothing');
select is(public.import_tickets('[{"subject": "Dry bad", "plan": "gold"}]', dry_run => true) -> 'problems' -> 0 ->> 'field', 'plan',
  'a dry run reports bad rows the same way');

-- ============================ existing ids and duplicates ============================
select is(public.import_tickets(format('[{"id": "%s", "subject": "Replaced?"}, {"id": "%s", "subject": "New with id"}]',
                                       pg_temp.tid(1), '50000000-0000-4000-8000-000000000001')::jsonb) - 'problems',
  '{"rows": 2, "inserted": 1, "already_present": 1, "committed": true, "problem_count": 0}'::jsonb,
  'a row whose id exists already is left as it is and counted as present (re-running a file adds nothing)');
select is((pg_temp.ticket(pg_temp.tid(1))).subject, 'T1', 'the existing ticket is unchanged');
select is(public.import_tickets('[{"id": "50000000-0000-4000-8000-000000000002", "subject": "Twice"},
                                  {"id": "50000000-0000-4000-8000-000000000002", "subject": "Twice"}]') - 'problems',
  '{"rows": 2, "inserted": 1, "already_present": 1, "committed": true, "problem_count": 0}'::jsonb,
  'one id twice in a file: the first row counts, the second is already present');

-- ============================ columns ============================
select throws_ok($$select public.import_tickets('[{"subject": "x", "nope": "1"}]')$$, '22023', null,
  'a column that is neither a ticket column nor a field is refused before anything is written');
select is(pg_temp.error_of_detail($$select public.import_tickets('[{"subject": "x", "Plan": "pro"}]')$$),
  '{"field": "Plan", "rule": "undefined"}', 'the error names the column (keys are case-sensitive)');
select throws_ok($$select public.import_tickets('{"subject": "x"}')$$, '22023', 'rows must be a JSON array of objects',
  'rows must be an array');
select throws_ok($$select public.import_tickets('[1]')$$, '22023', 'rows must be a JSON array of objects', 'of objects');
select throws_ok(format('select public.import_tickets(%L)', (select jsonb_agg(jsonb_build_object('subject', 's' || g)) from generate_series(1, 1001) g)),
  '22023', 'at most 1000 rows per call, got 1001', 'at most 1000 rows per call');

-- ============================ row-level security per row ============================
select pg_temp.act_as('agent_out');
select is(public.import_tickets('[{"subject": "Out one", "queue": "test-q2", "requester": "cust.a@test.local"}, {"subject": "Out two", "queue": "test-q1", "requester": "cust.a@test.local"}]') -> 'problems',
  '[{"row": 2, "code": "42501", "field": null, "message": "new row violates row-level security policy for table \"tickets\""}]'::jsonb,
  'an agent cannot import a customer''s ticket into a queue she does not work (row-level security decides each row)');
select is(pg_temp.stored('Out one'), null, 'and her other rows are not imported either');
select is(public.import_tickets('[{"subject": "Field of the agent", "vip": "true"}]') ->> 'committed', 'true',
  'agents set agent-only fields by key');
select pg_temp.act_as('cust_b');
select throws_ok($$select public.import_tickets('[{"subject": "x", "requester": "cust.a@test.local"}]')$$, '42501', null,
  'a customer cannot import tickets for someone else');

select pg_temp.act_as('admin');
select is(public.import_tickets('[{"subject": "Admin one", "queue": "test-q2", "assignee": "agent.out@test.local", "requester": "cust.b@test.local"}]') ->> 'committed',
  'true', 'an admin imports into any queue and assigns');
select is(pg_temp.stored('Admin one') ->> 'assignee', pg_temp.uid('agent_out')::text, 'assignee by email');

select throws_ok($$insert into public.ticket_fields (key, label, type) values ('description', 'Description', 'text')$$, '23514',
  'field "description": the key clashes with a ticket column or a name the API uses for tickets',
  'a field cannot take the name of an import column');
select is(public.import_tickets('[{"subject": "Bad time", "created_at": "yesterday-ish"}]') -> 'problems' -> 0 ->> 'message',
  'field "created_at": expected a timestamp, got "yesterday-ish"', 'created_at must be a timestamp');
select is(public.import_tickets('[{"subject": "Stamped", "created_at": "2020-01-01T00:00:00Z"}]') ->> 'committed', 'true', 'an admin''s import');
select isnt((select created_at from public.tickets where subject = 'Stamped'), '2020-01-01T00:00:00Z'::timestamptz,
  'API users'' tickets are stamped by the database (created_at is kept for trusted writers only)');

select pg_temp.act_as('service_role');
select is(public.import_tickets('[{"subject": "Service one"}]') -> 'problems' -> 0 ->> 'field', 'requester_id',
  'with the service key a row needs a requester (there is no caller to default to)');
select is(public.import_tickets('[{"subject": "Service two", "requester": "cust.a@test.local", "description": "Hello"}]') ->> 'committed', 'true',
  'the service key imports for anyone');
select is(public.import_tickets('[{"subject": "Service old", "requester": "cust.a@test.local", "created_at": "2020-01-01T00:00:00Z"}]') ->> 'committed', 'true',
  'the service key keeps created_at');
select is((pg_temp.ticket_by_subject('Service old')).created_at, '2020-01-01T00:00:00Z'::timestamptz, 'kept as given');
select is(pg_temp.stored('Service two') -> 'messages', jsonb_build_array(jsonb_build_array(pg_temp.uid('cust_a'), 'public', 'Hello')),
  'with the service key the description is written by the requester');

SELECT * FROM finish();
ROLLBACK;
