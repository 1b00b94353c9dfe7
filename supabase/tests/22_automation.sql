-- pgTAP: automation rules (validation on write, every operator and action, order, once per change, loops and the
-- depth limit, a failing action rolling back the change, visibility of rule events, who may read rules) and macros
-- (row-level security, applied with the caller's permissions, atomically), and the dry run.
BEGIN;
-- Callers are simulated as Supabase does (role + request.jwt.claims, transaction-local). Fixture, rolled back:
--   customers A ...0a, B ...0b; agent1 ...01 (member of general), agent2 ...02 (member of billing); admin ...0f
--   queues general ...q1, billing ...q2, doomed ...q3; fields plan (dropdown, customer-editable), tier (agent-only)
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;

create function pg_temp.act_as(who text) returns void language plpgsql as $act$
declare
  v_sub text := case who
    when 'cust_a' then '10000000-0000-4000-8000-00000000000a'
    when 'cust_b' then '10000000-0000-4000-8000-00000000000b'
    when 'agent1' then '10000000-0000-4000-8000-000000000001'
    when 'agent2' then '10000000-0000-4000-8000-000000000002'
    when 'admin' then '10000000-0000-4000-8000-00000000000f'
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

create function pg_temp.q(n int) returns uuid language sql immutable as $u$
  select ('20000000-0000-4000-8000-00000000000' || n)::uuid
$u$;
create function pg_temp.u(who text) returns uuid language sql immutable as $u$
  select ('10000000-0000-4000-8000-0000000000' || who)::uuid
$u$;
-- A ticket as the database holds it (read past row-level security).
create function pg_temp.t(p_subject text) returns public.tickets language sql security definer as $s$
  select * from public.tickets where subject = p_subject
$s$;
create function pg_temp.firings(p_subject text, p_rule text) returns bigint language sql security definer as $s$
  select count(*) from public.ticket_events e join public.tickets t on t.id = e.ticket_id
   where t.subject = p_subject and e.kind = 'rule_applied' and e.rule_name = p_rule
$s$;
-- Saves a rule as the admin would (through row-level security), returns its id.
create function pg_temp.rule(p_name text, p_position int, p_event text, p_conditions text, p_actions text)
returns uuid language plpgsql as $r$
declare v uuid;
begin
  insert into public.automation_rules (name, position, event, conditions, actions)
  values (p_name, p_position, p_event, p_conditions::jsonb, p_actions::jsonb) returning id into v;
  return v;
end
$r$;
create function pg_temp.holds(p_condition text, p_context text) returns boolean language sql as $h$
  select public.condition_holds(p_condition::jsonb, p_context::jsonb)
$h$;

insert into auth.users (id, email, raw_user_meta_data) values
  ('10000000-0000-4000-8000-00000000000a', 'rules.a@test.local', '{"display_name": "Alice Requester"}'),
  ('10000000-0000-4000-8000-00000000000b', 'rules.b@test.local', '{}'),
  ('10000000-0000-4000-8000-000000000001', 'rules.agent1@test.local', '{}'),
  ('10000000-0000-4000-8000-000000000002', 'rules.agent2@test.local', '{}'),
  ('10000000-0000-4000-8000-00000000000f', 'rules.admin@test.local', '{}');
update public.profiles set display_name = 'Alice Requester' where id = pg_temp.u('0a');
update public.profiles set role = 'agent' where id in (pg_temp.u('01'), pg_temp.u('02'));
update public.profiles set role = 'admin' where id = pg_temp.u('0f');
insert into public.queues (id, slug, name) values
  (pg_temp.q(1), 'rules-general', 'General'), (pg_temp.q(2), 'rules-billing', 'Billing'), (pg_temp.q(3), 'rules-doomed', 'Doomed');
insert into public.queue_members (queue_id, agent_id) values (pg_temp.q(1), pg_temp.u('01')), (pg_temp.q(2), pg_temp.u('02'));
insert into public.ticket_fields (key, label, type, options, customer_visible, customer_editable) values
  ('plan', 'Plan', 'dropdown', '["free", "pro", "enterprise"]', true, true),
  ('tier', 'Tier', 'text', '[]', false, false);

SELECT plan(96);

-- ============================ schema ============================
select has_table('public', 'automation_rules', 'automation_rules exists');
select has_table('public', 'macros', 'macros exists');
select has_trigger('public', 'tickets', 'tickets_zz_automation', 'the rule engine runs on tickets');
select has_trigger('public', 'ticket_messages', 'ticket_messages_zz_automation', 'the rule engine runs on messages');
select is((select max(tgname::text) from pg_trigger where tgrelid = 'public.tickets'::regclass and not tgisinternal
            and tgtype & 2 = 0),
          'tickets_zz_automation', 'rules run after every other AFTER trigger of tickets (name order)');

-- ============================ the condition vocabulary ============================
select ok(pg_temp.holds('{"field": "status", "operator": "is", "value": "open"}', '{"ticket": {"status": "open"}}'), 'is');
select ok(not pg_temp.holds('{"field": "status", "operator": "is", "value": "new"}', '{"ticket": {"status": "open"}}'), 'is (no)');
select ok(pg_temp.holds('{"field": "status", "operator": "is_not", "value": "new"}', '{"ticket": {"status": "open"}}'), 'is_not');
select ok(pg_temp.holds('{"field": "priority", "operator": "in", "value": ["high", "urgent"]}', '{"ticket": {"priority": "high"}}'), 'in');
select ok(pg_temp.holds('{"field": "tags", "operator": "in", "value": ["vip", "x"]}', '{"ticket": {"tags": ["a", "vip"]}}'), 'in (any tag)');
select ok(pg_temp.holds('{"field": "priority", "operator": "not_in", "value": ["high"]}', '{"ticket": {"priority": "low"}}'), 'not_in');
select ok(pg_temp.holds('{"field": "subject", "operator": "contains", "value": "REFUND"}', '{"ticket": {"subject": "A refund please"}}'),
  'contains (text, case-insensitive)');
select ok(pg_temp.holds('{"field": "tags", "operator": "contains", "value": ["a", "b"]}', '{"ticket": {"tags": ["b", "c", "a"]}}'),
  'contains (every tag)');
select ok(pg_temp.holds('{"field": "subject", "operator": "not_contains", "value": "refund"}', '{"ticket": {"subject": "Hello"}}'), 'not_contains');
select ok(pg_temp.holds('{"field": "metadata.order", "operator": "matches", "value": "^ORD-[0-9]+$"}',
  '{"ticket": {"metadata": {"order": "ORD-123"}}}'), 'matches (a metadata key)');
select ok(not pg_temp.holds('{"field": "metadata.order", "operator": "matches", "value": "^ORD-[0-9]+$"}',
  '{"ticket": {"metadata": {"order": "x"}}}'), 'matches (no)');
select ok(pg_temp.holds('{"field": "priority", "operator": "greater_than", "value": "normal"}', '{"ticket": {"priority": "urgent"}}'),
  'greater_than (priority order, not text order)');
select ok(pg_temp.holds('{"field": "metadata.seats", "operator": "less_than", "value": 10}', '{"ticket": {"metadata": {"seats": 9}}}'),
  'less_than (numbers)');
select ok(pg_temp.holds('{"field": "assignee_id", "operator": "is_empty"}', '{"ticket": {"assignee_id": null}}'), 'is_empty');
select ok(pg_temp.holds('{"field": "tags", "operator": "is_not_empty"}', '{"ticket": {"tags": ["x"]}}'), 'is_not_empty');
select ok(not pg_temp.holds('{"field": "tags", "operator": "is_not_empty"}', '{"ticket": {"tags": []}}'), 'an empty list is empty');
select ok(pg_temp.holds('{"field": "status", "operator": "changed"}', '{"ticket": {"status": "open"}, "old": {"status": "new"}}'), 'changed');
select ok(not pg_temp.holds('{"field": "status", "operator": "changed"}', '{"ticket": {"status": "open"}, "old": {"status": "open"}}'),
  'changed (no)');
select ok(pg_temp.holds('{"field": "status", "operator": "changed_to", "value": "solved"}',
  '{"ticket": {"status": "solved"}, "old": {"status": "open"}}'), 'changed_to');
select ok(pg_temp.holds('{"field": "status", "operator": "changed_from", "value": "open"}',
  '{"ticket": {"status": "solved"}, "old": {"status": "open"}}'), 'changed_from');
select ok(pg_temp.holds('{"field": "tags", "operator": "changed_to", "value": "vip"}',
  '{"ticket": {"tags": ["a", "vip"]}, "old": {"tags": ["a"]}}'), 'changed_to on tags: the tag was added');
select ok(pg_temp.holds('{"field": "message.body", "operator": "contains", "value": "urgent"}',
  '{"ticket": {}, "message": {"body": "This is URGENT"}}'), 'message fields');
select ok(public.conditions_match('{"all": [{"field": "actor_role", "operator": "is", "value": "customer"}],
  "any": [{"field": "priority", "operator": "is", "value": "high"}, {"field": "status", "operator": "is", "value": "new"}]}',
  '{"ticket": {"priority": "low", "status": "new"}, "actor_role": "customer"}'), 'all and any');
select ok(not public.conditions_match('{"any": [{"field": "priority", "operator": "is", "value": "high"}]}',
  '{"ticket": {"priority": "low"}}'), 'any needs one');
select ok(public.conditions_match('{}', '{"ticket": {}}'), 'no conditions match everything');
-- The compiled matchers test conditions on field values looked up once (condition_holds_value); it must agree with
-- condition_holds on every operator, field kind and value, including empty, missing and list values.
create temp table holds_cases as
select c.condition, x.context
  from (select jsonb_build_object('field', f, 'operator', o) || case when v is null then '{}'::jsonb else jsonb_build_object('value', v) end condition
          from unnest(array['status', 'priority', 'tags', 'subject', 'assignee_id', 'metadata.seats', 'metadata.order',
                            'message.body', 'actor_role']) f,
               unnest(public.condition_operators()) o,
               unnest(array[null, '"open"', '"high"', '["high", "urgent"]', '"vip"', '["a", "vip"]', '10', '"^ORD-[0-9]+$"',
                            '"REFUND"', '""']::jsonb[]) v) c,
       unnest(array[
         '{"ticket": {"status": "open", "priority": "urgent", "tags": ["a", "vip"], "subject": "A refund please", "metadata": {"seats": 9, "order": "ORD-12"}}, "old": {"status": "new", "priority": "urgent", "tags": ["a"], "metadata": {"seats": 12}}, "actor_role": "customer", "message": {"body": "vip open"}}',
         '{"ticket": {"status": "solved", "priority": "low", "tags": [], "subject": "", "assignee_id": null, "metadata": {}}, "old": {"status": "solved", "tags": ["vip"], "metadata": {"order": "x"}}}',
         '{"ticket": {"status": "new", "priority": "high", "tags": ["high"], "subject": "open", "metadata": {"seats": "10", "order": ["ORD-1"]}}}',
         '{"ticket": {}}']::jsonb[]) x(context);
select ok((select count(*) from holds_cases) > 2000, 'the agreement check covers every operator on many fields and values');
select is((select count(*) from holds_cases h
            where public.condition_holds(h.condition, h.context) is distinct from public.condition_holds_value(h.condition,
                    public.condition_field_value(h.condition ->> 'field', h.context),
                    public.condition_field_value(h.condition ->> 'field', h.context, true))),
          0::bigint, 'condition_holds_value agrees with condition_holds everywhere');

-- ============================ who may read and write rules ============================
select pg_temp.act_as('admin');
select lives_ok($$select pg_temp.rule('Probe', 100, 'ticket_created', '{}', '[{"type": "add_tags", "value": ["probe"]}]')$$,
  'an admin saves a rule');
select is((select count(*) from public.automation_rules), 1::bigint, 'an admin reads rules');
select pg_temp.act_as('cust_a');
select is((select count(*) from public.automation_rules), 0::bigint, 'customers cannot read rules');
select throws_ok($$select pg_temp.rule('Mine', 1, 'ticket_created', '{}', '[{"type": "add_tags", "value": ["x"]}]')$$,
  '42501', null, 'customers cannot write rules');
select pg_temp.act_as('agent1');
select is((select count(*) from public.automation_rules), 0::bigint, 'agents cannot read rules');
select pg_temp.act_as('anon');
select throws_ok($$select count(*) from public.automation_rules$$, '42501', null, 'anon has no access');
select pg_temp.act_as('cust_a');
select is((select count(*) from public.automation_notifications), 0::bigint, 'customers cannot read notifications');

-- ============================ validate on write ============================
select pg_temp.act_as('admin');
delete from public.automation_rules;
select throws_ok($$select pg_temp.rule('Bad', 1, 'ticket_created', '{"all": [{"field": "subject", "operator": "equals", "value": "x"}]}',
  '[{"type": "add_tags", "value": ["x"]}]')$$, '23514',
  'field "conditions": all[0].operator: "equals" is not an operator; use one of is, is_not, in, not_in, contains, not_contains, matches, greater_than, less_than, is_empty, is_not_empty, changed, changed_to, changed_from',
  'an unknown operator is refused, naming the condition');
select throws_ok($$select pg_temp.rule('Bad', 1, 'ticket_created', '{"any": [{"field": "message.body", "operator": "contains", "value": "x"}]}',
  '[{"type": "add_tags", "value": ["x"]}]')$$, '23514',
  'field "conditions": any[0].field: message.body exists only for the message_created event', 'message fields need a message event');
select throws_ok($$select pg_temp.rule('Bad', 1, 'ticket_created', '{"all": [{"field": "subject", "operator": "matches", "value": "(["}]}',
  '[{"type": "add_tags", "value": ["x"]}]')$$, '23514', null, 'an invalid regular expression is refused');
select throws_ok($$select pg_temp.rule('Bad', 1, 'ticket_created', '{}', '[{"type": "add_tags", "value": ["x"]}, {"type": "explode", "value": 1}]')$$,
  '23514', 'field "actions": [1].type: "explode" is not an action; use one of set_status, set_priority, set_queue, assign, add_tags, remove_tags, set_field, add_internal_note, send_reply, notify',
  'an unknown action is refused, naming it');
select throws_ok($$select pg_temp.rule('Bad', 1, 'ticket_created', '{}', '[{"type": "set_field", "value": {"key": "plan", "value": "platinum"}}]')$$,
  '23514', 'field "actions": [0].value: field "plan": "platinum" is not one of free, pro, enterprise',
  'set_field values are checked by the field rules when the rule is saved');
select throws_ok($$select pg_temp.rule('Bad', 1, 'ticket_created', '{}', '[{"type": "send_reply", "value": "Hi {{requester.shoe_size}}"}]')$$,
  '23514', null, 'an unknown placeholder is refused');
select throws_ok($$select pg_temp.rule('Bad', 1, 'ticket_created', '{}', '[{"type": "assign", "value": "10000000-0000-4000-8000-00000000000a"}]')$$,
  '23514', null, 'assigning to a customer is refused');
select throws_ok($$select pg_temp.rule('Bad', 1, 'ticket_created', '{}', '[]')$$, '23514', 'field "actions": a rule needs at least one action',
  'a rule without actions is refused');

-- ============================ every action, on a customer's new ticket ============================
select pg_temp.rule('Route refunds', 1, 'ticket_created',
  '{"all": [{"field": "subject", "operator": "contains", "value": "refund"}, {"field": "actor_role", "operator": "is", "value": "customer"}]}',
  format('[{"type": "set_queue", "value": "%s"}, {"type": "set_priority", "value": "high"}, {"type": "add_tags", "value": ["refund", "money"]},
           {"type": "set_status", "value": "open"}, {"type": "assign", "value": "%s"}, {"type": "set_field", "value": {"key": "tier", "value": "gold"}},
           {"type": "set_field", "value": {"key": "plan", "value": "pro"}},
           {"type": "add_internal_note", "value": "Refund for #{{ticket.number}}"},
           {"type": "send_reply", "value": "Hello {{requester.name}}, we got ticket #{{ticket.number}}."},
           {"type": "notify", "value": {"channel": "billing"}}]', pg_temp.q(2), pg_temp.u('02')));
select pg_temp.rule('Untag money', 2, 'ticket_created', '{"all": [{"field": "tags", "operator": "contains", "value": "money"}]}',
  '[{"type": "remove_tags", "value": ["money"]}]');
select pg_temp.rule('Not for agents', 3, 'ticket_created', '{"all": [{"field": "actor_role", "operator": "is", "value": "agent"}]}',
  '[{"type": "add_tags", "value": ["by-agent"]}]');

select ok((select p.prosrc like '%Route refunds%' from pg_proc p where p.proname = 'automation_match_ticket_created'),
  'saving rules compiles them into the event''s matcher');
select pg_temp.act_as('cust_a');
select lives_ok($$insert into public.tickets (subject) values ('I want a refund')$$, 'a customer files a matching ticket');
select pg_temp.act_as('postgres');
select is((pg_temp.t('I want a refund')).queue_id, pg_temp.q(2), 'set_queue');
select is((pg_temp.t('I want a refund')).priority, 'high'::public.ticket_priority, 'set_priority');
select is((pg_temp.t('I want a refund')).status, 'open'::public.ticket_status, 'set_status');
select is((pg_temp.t('I want a refund')).assignee_id, pg_temp.u('02'), 'assign');
select is((pg_temp.t('I want a refund')).tags, array['refund'], 'add_tags, then a later rule''s remove_tags (it saw the tag)');
select is((pg_temp.t('I want a refund')).metadata, '{"plan": "pro"}'::jsonb, 'set_field (customer-visible)');
select is((select a.metadata from public.ticket_agent_fields a where a.ticket_id = (pg_temp.t('I want a refund')).id),
  '{"tier": "gold"}'::jsonb, 'set_field (agent-only, stored where customers cannot read it)');
select is((select body from public.ticket_messages where ticket_id = (pg_temp.t('I want a refund')).id and visibility = 'internal'),
  format('Refund for #%s', (pg_temp.t('I want a refund')).number), 'add_internal_note, with its placeholder filled');
select is((select body from public.ticket_messages where ticket_id = (pg_temp.t('I want a refund')).id and visibility = 'public'),
  format('Hello Alice Requester, we got ticket #%s.', (pg_temp.t('I want a refund')).number), 'send_reply, with its placeholders filled');
select is((select payload from public.automation_notifications where ticket_id = (pg_temp.t('I want a refund')).id),
  '{"channel": "billing"}'::jsonb, 'notify records the outbound event');
select is(pg_temp.firings('I want a refund', 'Route refunds'), 2::bigint,
  'the firing is in the history: one public and one internal rule_applied event');
select is(pg_temp.firings('I want a refund', 'Not for agents'), 0::bigint, 'a rule whose conditions fail does not fire');
select is((select changes -> 'priority' from public.ticket_events
            where ticket_id = (pg_temp.t('I want a refund')).id and rule_name = 'Route refunds' and visibility = 'public'),
  '["normal", "high"]'::jsonb, 'the event carries the changes the rule made');
select pg_temp.act_as('cust_a');
select is((select count(*) from public.ticket_events where kind = 'rule_applied' and visibility = 'internal'), 0::bigint,
  'customers do not read the internal rule event (note, notification, agent-only field)');
select is((select count(*) from public.ticket_events where kind = 'rule_applied' and rule_name = 'Route refunds'), 1::bigint,
  'customers read the public rule event');
select is((select count(*) from public.ticket_events where kind = 'rule_applied' and changes ? 'tier'), 0::bigint,
  'no event a customer reads names the agent-only field');

-- ============================ order, once per change, message rules ============================
select pg_temp.act_as('admin');
delete from public.automation_rules;
select pg_temp.rule('Second', 2, 'ticket_updated', '{"all": [{"field": "priority", "operator": "is", "value": "high"}]}',
  '[{"type": "set_priority", "value": "urgent"}]');
select pg_temp.rule('First', 1, 'ticket_updated', '{"all": [{"field": "tags", "operator": "changed_to", "value": "escalate"}]}',
  '[{"type": "set_priority", "value": "high"}]');
select pg_temp.rule('Urgent words', 1, 'message_created',
  '{"all": [{"field": "message.body", "operator": "contains", "value": "asap"}, {"field": "message.author_role", "operator": "is", "value": "customer"}]}',
  '[{"type": "add_tags", "value": ["asap"]}]');
select pg_temp.act_as('cust_a');
insert into public.tickets (subject) values ('Order test');
select pg_temp.act_as('postgres');
update public.tickets set queue_id = pg_temp.q(1) where subject = 'Order test';
select pg_temp.act_as('agent1');
select lives_ok($$update public.tickets set tags = array['escalate'] where subject = 'Order test'$$, 'an agent tags a ticket');
select pg_temp.act_as('postgres');
select is((pg_temp.t('Order test')).priority, 'urgent'::public.ticket_priority,
  'rules run in position order and a later rule sees an earlier rule''s change');
select is(pg_temp.firings('Order test', 'First') + pg_temp.firings('Order test', 'Second'), 2::bigint, 'each rule fired once');
select pg_temp.act_as('cust_a');
insert into public.ticket_messages (ticket_id, body) values ((select id from public.tickets where subject = 'Order test'), 'Please ASAP');
select pg_temp.act_as('postgres');
select ok('asap' = any ((pg_temp.t('Order test')).tags), 'a message_created rule fires on the customer''s message');

-- ============================ loops and the depth limit ============================
select pg_temp.act_as('admin');
delete from public.automation_rules;
select pg_temp.rule('Ping', 1, 'ticket_updated', '{"all": [{"field": "priority", "operator": "changed_to", "value": "high"}]}',
  '[{"type": "set_priority", "value": "low"}]');
select pg_temp.rule('Pong', 2, 'ticket_updated', '{"all": [{"field": "priority", "operator": "changed_to", "value": "low"}]}',
  '[{"type": "set_priority", "value": "high"}]');
select pg_temp.act_as('agent1');
select lives_ok($$update public.tickets set priority = 'high' where subject = 'Order test'$$,
  'a write that sets off a looping pair of rules succeeds');
select pg_temp.act_as('postgres');
select is((select count(*) from public.ticket_events e where e.ticket_id = (pg_temp.t('Order test')).id
            and e.kind = 'rule_loop_stopped' and e.rule_name = 'Ping'), 1::bigint, 'the loop is stopped and recorded');
select is(pg_temp.firings('Order test', 'Ping'), 1::bigint, 'each rule of the loop fired once');
select pg_temp.act_as('agent1');
select is((select count(*) from public.ticket_events where kind = 'rule_loop_stopped' and rule_name = 'Ping'), 1::bigint,
  'staff read the loop report');
select pg_temp.act_as('cust_a');
select is((select count(*) from public.ticket_events where kind = 'rule_loop_stopped'), 0::bigint, 'customers do not');

select pg_temp.act_as('admin');
delete from public.automation_rules;
-- A chain of 7 rules, each set off by the one before, in reverse order: one round each, past the limit of 5.
select pg_temp.rule(format('Chain %s', n), 10 - n, 'ticket_updated',
  format('{"all": [{"field": "tags", "operator": "contains", "value": "c%s"}]}', n - 1),
  format('[{"type": "add_tags", "value": ["c%s"]}]', n)) from generate_series(1, 7) n;
select pg_temp.act_as('agent1');
select lives_ok($$update public.tickets set tags = array['c0'] where subject = 'Order test'$$, 'a long chain of rules does not fail the write');
select pg_temp.act_as('postgres');
select is((select count(*) from public.ticket_events e where e.ticket_id = (pg_temp.t('Order test')).id
            and e.kind = 'rule_loop_stopped' and e.changes -> 'reason' ->> 1 like 'depth:%'), 1::bigint,
  'the depth limit stops the chain and records it');
select is((pg_temp.t('Order test')).tags, array['c0', 'c1', 'c2', 'c3', 'c4', 'c5'], 'five rounds ran');

-- ============================ a failing action rolls back the change ============================
select pg_temp.act_as('admin');
delete from public.automation_rules;
select pg_temp.rule('To doomed', 1, 'ticket_created', '{}', format('[{"type": "set_queue", "value": "%s"}]', pg_temp.q(3)));
select pg_temp.act_as('postgres');
delete from public.queues where id = pg_temp.q(3);
select pg_temp.act_as('cust_a');
select throws_ok($$insert into public.tickets (subject) values ('Rolled back')$$, '23503',
  format('automation rule "To doomed": set_queue: queue %s no longer exists', pg_temp.q(3)),
  'a failing action fails the triggering write with an error naming the rule and action');
select pg_temp.act_as('postgres');
select is((select count(*) from public.tickets where subject = 'Rolled back'), 0::bigint, 'the triggering change is rolled back');
delete from public.automation_rules;

-- ============================ dry run ============================
select pg_temp.act_as('admin');
select pg_temp.rule('Dry', 1, 'ticket_updated', '{"all": [{"field": "priority", "operator": "changed_to", "value": "urgent"}]}',
  '[{"type": "add_tags", "value": ["hot"]}]');
select is(public.test_automation_rules((pg_temp.t('Order test')).id, 'ticket_updated', '{"priority": "urgent"}') -> 'fired' -> 0 ->> 'rule_name',
  'Dry', 'the dry run says which rule would fire');
select is(public.test_automation_rules((pg_temp.t('Order test')).id, 'ticket_updated', '{"priority": "urgent"}') -> 'fired' -> 0 -> 'public' -> 'tags' -> 1,
  '["c0", "c1", "c2", "c3", "c4", "c5", "hot"]'::jsonb, '... and what it would do');
select pg_temp.act_as('postgres');
select ok(not ('hot' = any ((pg_temp.t('Order test')).tags)), 'the dry run writes nothing');
select pg_temp.act_as('agent1');
select throws_ok($$select public.test_automation_rules((select id from public.tickets where subject = 'Order test'))$$, '42501',
  'only admins can test automation rules', 'only admins dry-run');
select pg_temp.act_as('postgres');
delete from public.automation_rules;

-- ============================ macros ============================
select pg_temp.act_as('admin');
insert into public.macros (name, actions, reply, shared) values
  ('Close politely', '[{"type": "set_status", "value": "solved"}, {"type": "add_tags", "value": ["done"]}]',
   'Thanks {{requester.name}}, closing #{{ticket.number}}.', true),
  ('To billing', format('[{"type": "set_queue", "value": "%s"}]', pg_temp.q(2))::jsonb, null, true);
select throws_ok($$insert into public.macros (name, actions) values ('Bad', '[{"type": "notify", "value": "x"}]')$$, '23514',
  'field "actions": [0].type: notify is an automation rule action; macros act as the agent who applies them', 'macros are validated');
select pg_temp.act_as('agent1');
insert into public.macros (name, actions) values ('Mine', '[{"type": "add_tags", "value": ["mine"]}]');
select throws_ok($$insert into public.macros (name, actions, shared) values ('Team', '[{"type": "add_tags", "value": ["x"]}]', true)$$,
  '42501', null, 'agents cannot make shared macros');
select is((select count(*) from public.macros), 3::bigint, 'an agent reads shared macros and their own');
select pg_temp.act_as('agent2');
select is((select count(*) from public.macros), 2::bigint, '... not another agent''s personal macro');
select pg_temp.act_as('cust_a');
select is((select count(*) from public.macros), 0::bigint, 'customers read no macros');
select throws_ok($$select * from public.apply_macro((select id from public.tickets where subject = 'Order test'), (select id from public.macros limit 1))$$,
  '42501', 'only agents and admins use macros', 'customers cannot apply macros');

select pg_temp.act_as('agent1');
select is((public.preview_macro((select id from public.tickets where subject = 'Order test'),
                                (select id from public.macros where name = 'Close politely')) -> 'replies' ->> 0),
  format('Thanks Alice Requester, closing #%s.', (select number from public.tickets where subject = 'Order test')),
  'the preview fills the reply''s placeholders');
select is((select status from public.apply_macro((select id from public.tickets where subject = 'Order test'),
                                                 (select id from public.macros where name = 'Close politely'))),
  'solved'::public.ticket_status, 'an agent applies a shared macro');
select pg_temp.act_as('postgres');
select ok('done' = any ((pg_temp.t('Order test')).tags), 'its actions applied');
select is((select author_id from public.ticket_messages where ticket_id = (pg_temp.t('Order test')).id and body like 'Thanks Alice%'),
  pg_temp.u('01'), 'its reply is written by the agent who applied it');
select pg_temp.act_as('agent1');
select throws_ok($$select * from public.apply_macro((select id from public.tickets where subject = 'Order test'),
                                                    (select id from public.macros where name = 'To billing'))$$, '42501',
  'macro "To billing": set_queue: you are not a member of that queue, so this macro cannot move the ticket there',
  'a macro runs with the caller''s permissions: moving to a queue the agent cannot reach is refused');
select pg_temp.act_as('postgres');
select is((pg_temp.t('Order test')).queue_id, pg_temp.q(1), '... and nothing changed');
select pg_temp.act_as('agent2');
select throws_ok($$select * from public.apply_macro((select id from public.tickets where subject = 'Order test' union all select pg_temp.q(9) limit 1),
                                                    (select id from public.macros where name = 'Close politely'))$$, 'PT404', null,
  'a ticket the agent cannot see is not found');

SELECT * FROM finish();
ROLLBACK;
