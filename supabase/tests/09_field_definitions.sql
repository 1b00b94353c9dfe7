-- pgTAP: Custom field definitions: who defines and reads them, keys, definition checks, order, internals.
BEGIN;
-- The shared fixture (users, queues, tickets, messages; pg_temp.act_as, affected, ticket, uid/tid/mid/qid) is
-- described in _fixture.psql.
\ir _fixture.psql


-- Errors as clients see them: SQLSTATE, message and DETAIL.
create function pg_temp.error_of(stmt text) returns jsonb language plpgsql as $e$
declare v_detail text;
begin
  execute stmt;
  return null;
exception when others then
  get stacked diagnostics v_detail = pg_exception_detail;
  return jsonb_build_object('code', sqlstate, 'message', sqlerrm, 'detail', nullif(v_detail, ''));
end
$e$;

SELECT plan(43);

-- ============================ who may define fields ============================
select pg_temp.act_as('admin');
select lives_ok($$insert into public.ticket_fields (key, label, type, options, customer_visible, customer_editable, position)
                  values ('plan', 'Plan', 'dropdown', '["free", {"value": "pro", "label": "Pro"}, "enterprise"]', true, true, 2)$$,
  'an admin defines a customer-editable dropdown');
select lives_ok($$insert into public.ticket_fields (key, label, type, position) values ('vip', 'VIP', 'checkbox', 1)$$,
  'an admin defines a field that is agent-only by default');
select is((select options from public.ticket_fields where key = 'plan'),
  '[{"value": "free", "label": "free"}, {"value": "pro", "label": "Pro"}, {"value": "enterprise", "label": "enterprise"}]'::jsonb,
  'options are stored as {value, label} objects (a bare string is its own label)');
select is((select customer_visible or customer_editable or required_for_customers or required_for_agents or required_to_solve
             from public.ticket_fields where key = 'vip'), false,
  'a new field is agent-only, not editable by customers and not required unless said otherwise');
select lives_ok($$update public.ticket_fields set label = 'Customer plan', description = 'Billing plan' where key = 'plan'$$,
  'an admin edits a definition');
select ok((select updated_at >= created_at from public.ticket_fields where key = 'plan'), 'updated_at is maintained');

select pg_temp.act_as('agent_in');
select throws_ok($$insert into public.ticket_fields (key, label, type) values ('x', 'X', 'text')$$, '42501', null,
  'an agent cannot define fields');
select is(pg_temp.affected($$update public.ticket_fields set label = 'Hacked'$$), 0::bigint, 'an agent cannot edit definitions');
select is(pg_temp.affected($$delete from public.ticket_fields$$), 0::bigint, 'an agent cannot delete definitions');
select results_eq($$select key from public.ticket_fields order by position$$, array['vip', 'plan'],
  'an agent reads every definition, agent-only ones included');

select pg_temp.act_as('cust_a');
select throws_ok($$insert into public.ticket_fields (key, label, type) values ('x', 'X', 'text')$$, '42501', null,
  'a customer cannot define fields');
select is(pg_temp.affected($$update public.ticket_fields set label = 'Hacked'$$), 0::bigint, 'a customer cannot edit definitions');
select results_eq($$select key from public.ticket_fields$$, array['plan'],
  'a customer reads the customer-visible definitions only');

select pg_temp.act_as('anon');
select throws_ok($$select * from public.ticket_fields$$, '42501', null, 'anon cannot read definitions');

select pg_temp.act_as('admin');
select throws_ok($$truncate public.ticket_fields$$, '42501', null, 'API users cannot TRUNCATE definitions');

-- ============================ keys ============================
select is(pg_temp.error_of($$insert into public.ticket_fields (key, label, type) values ('status', 'Status', 'text')$$),
  jsonb_build_object('code', '23514',
                     'message', 'field "status": the key clashes with a ticket column or a name the API uses for tickets',
                     'detail', '{"field": "status", "rule": "definition"}'),
  'a key cannot clash with a ticket column (code 23514, message naming the field, detail {field, rule})');
select ok(bool_and(pg_temp.error_of(format($$insert into public.ticket_fields (key, label, type) values (%L, 'X', 'text')$$, a.attname))
                   ->> 'code' = '23514'),
  'no tickets column can be a key: ' || string_agg(a.attname::text, ', ' order by a.attnum))
  from pg_attribute a where a.attrelid = 'public.tickets'::regclass and a.attnum > 0 and not a.attisdropped;
select throws_ok($$insert into public.ticket_fields (key, label, type) values ('conversation_history', 'X', 'text')$$, '23514', null,
  'a key cannot take the name of the conversation embed');
select throws_ok($$insert into public.ticket_fields (key, label, type) values ('ticket_agent_fields', 'X', 'text')$$, '23514', null,
  'a key cannot take the name of the agent-only values table');
select throws_ok($$insert into public.ticket_fields (key, label, type) values ('Plan', 'X', 'text')$$, '23514', null,
  'a key is lower-case');
select throws_ok($$insert into public.ticket_fields (key, label, type) values ('my-plan', 'X', 'text')$$, '23514', null,
  'a key has no dash (it must work in PostgREST JSON paths)');
select throws_ok($$insert into public.ticket_fields (key, label, type) values ('plan', 'Again', 'text')$$, '23505', null,
  'keys are unique');
select throws_ok($$update public.ticket_fields set key = 'plan2' where key = 'plan'$$, '23514',
  'field "plan": the key of a field cannot change (create a new field and archive this one)', 'a key cannot change');
select throws_ok($$update public.ticket_fields set type = 'text', options = '[]' where key = 'plan'$$, '23514',
  'field "plan": the type of a field cannot change (create a new field and archive this one)', 'a type cannot change');

-- ============================ definition checks ============================
select throws_ok($$insert into public.ticket_fields (key, label, type) values ('tier', 'Tier', 'dropdown')$$, '23514',
  'field "tier": dropdown fields need a non-empty options array of {"value", "label"}', 'a dropdown needs options');
select throws_ok($$insert into public.ticket_fields (key, label, type, options) values ('tier', 'Tier', 'multiselect', '["a", "a"]')$$,
  '23514', 'field "tier": option "a" appears twice', 'option values are unique');
select throws_ok($$insert into public.ticket_fields (key, label, type, options) values ('tier', 'Tier', 'dropdown', '[{"label": "A"}]')$$,
  '23514', null, 'an option needs a value');
select throws_ok($$insert into public.ticket_fields (key, label, type, options) values ('tier', 'Tier', 'text', '["a"]')$$,
  '23514', 'field "tier": text fields have no options', 'only dropdown and multiselect fields have options');
select throws_ok($$insert into public.ticket_fields (key, label, type) values ('ref', 'Ref', 'regex')$$,
  '23514', 'field "ref": regex fields need a pattern of 1 to 500 characters', 'a regex field needs a pattern');
select throws_ok($$insert into public.ticket_fields (key, label, type, pattern) values ('ref', 'Ref', 'regex', 'a)|(b')$$,
  '23514', null, 'a pattern must be a valid regular expression');
select throws_ok($$insert into public.ticket_fields (key, label, type, pattern) values ('ref', 'Ref', 'text', '.*')$$,
  '23514', 'field "ref": text fields have no pattern', 'only regex fields have a pattern');
select throws_ok($$insert into public.ticket_fields (key, label, type, customer_editable) values ('ref', 'Ref', 'text', true)$$,
  '23514', 'field "ref": a customer-editable field must be customer-visible', 'customer-editable implies customer-visible');
select throws_ok($$insert into public.ticket_fields (key, label, type, customer_visible, required_for_customers)
                   values ('ref', 'Ref', 'text', true, true)$$,
  '23514', 'field "ref": a field required for customers must be customer-editable',
  'a field customers must fill in is one they can edit');
select throws_ok($$insert into public.ticket_fields (key, label, type) values ('ref', '  ', 'text')$$,
  '23514', 'field "ref": a label of 1 to 100 characters is required', 'a label is required');

-- ============================ order ============================
select results_eq($$select key from public.reorder_ticket_fields(array['plan', 'vip'])$$, array['plan', 'vip'],
  'reorder_ticket_fields puts fields in the given order and returns them');
select throws_ok($$select public.reorder_ticket_fields(array['plan', 'nope'])$$, 'PT404', 'field "nope" not found',
  'reorder_ticket_fields refuses an unknown key (HTTP 404)');
select pg_temp.act_as('agent_in');
select throws_ok($$select public.reorder_ticket_fields(array['vip', 'plan'])$$, '42501', null, 'an agent cannot reorder fields');

-- ============================ the compiled copy and the internals ============================
select pg_temp.act_as('postgres');
select is((select definitions -> 'fields' -> 'plan' from autocrm_private.ticket_field_schema),
  '{"type": "dropdown", "active": true, "options": ["free", "pro", "enterprise"], "pattern": null, "visible": true, "editable": true}'::jsonb,
  'the write path reads a compiled copy of the definitions, kept in step by a trigger');
update public.ticket_fields set active = false, required_to_solve = true where key = 'vip';
select is((select definitions -> 'required_to_solve' from autocrm_private.ticket_field_schema), '[]'::jsonb,
  'archived fields are never required');
select pg_temp.act_as('agent_in');
select throws_ok($$select * from autocrm_private.ticket_field_schema$$, '42501', null, 'API users cannot read the internals');
select throws_ok($$select public.ticket_field_value_problem('plan', '"x"')$$, '42501', null,
  'ticket_field_value_problem is for database code, not the API');
select throws_ok($$select autocrm_private.apply_ticket_fields('UPDATE', pg_temp.tid(1), '{}', '{"plan": "x"}', 'new', 'new', true)$$,
  '42501', 'apply_ticket_fields runs only inside the tickets triggers', 'the trigger worker refuses direct calls');
select pg_temp.act_as('postgres');
select is(public.ticket_field_value_problem('plan', '"platinum"'),
  '{"field": "plan", "rule": "option", "message": "field \"plan\": \"platinum\" is not one of free, pro, enterprise"}'::jsonb,
  'database code asks whether a value fits a field without raising');

SELECT * FROM finish();
ROLLBACK;
