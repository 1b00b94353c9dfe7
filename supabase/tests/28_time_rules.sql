-- pgTAP: time-based automation rules (event time_elapsed), run by run_due_automations(now) with an explicit now:
-- timers validated on save; the moments (status_changed_at, assignee_changed_at) kept by the database; a rule fires
-- once per ticket per period, not again while its conditions hold, again when its moment moved (the condition ended and
-- started anew); firings recorded like event rules' (public and internal rule_applied events); an inactive rule catches
-- up when enabled; a failing rule is recorded on its ticket without stopping the run; each moment is read through its
-- index in order.
BEGIN;
\ir _fixture.psql

select plan(49);

create function pg_temp.firings(p_ticket uuid, p_rule uuid, p_visibility text default 'public') returns bigint
language sql security definer as $f$
  select count(*) from public.ticket_events
   where ticket_id = p_ticket and rule_id = p_rule and kind = 'rule_applied' and visibility::text = p_visibility
$f$;
create function pg_temp.at(p text) returns timestamptz language sql immutable as $a$
  select '2026-03-02 09:00:00+00'::timestamptz + p::interval
$a$;

-- ============================ validation ============================
select pg_temp.act_as('admin');
select throws_ok($$insert into public.automation_rules (name, event, actions) values ('x', 'time_elapsed', '[{"type": "set_priority", "value": "high"}]')$$,
  '23514', 'field "timer": a time_elapsed rule needs a timer {"since": "status_changed", "minutes": 4320}',
  'a time rule needs a timer');
select throws_ok($$insert into public.automation_rules (name, event, timer, actions) values ('x', 'ticket_updated', '{"since": "created", "minutes": 5}', '[{"type": "set_priority", "value": "high"}]')$$,
  '23514', 'field "timer": only time_elapsed rules have a timer', 'an event rule has no timer');
select throws_ok($$insert into public.automation_rules (name, event, timer, actions) values ('x', 'time_elapsed', '{"since": "opened", "minutes": 5}', '[{"type": "set_priority", "value": "high"}]')$$,
  '23514', 'field "timer": since: "opened" is not a moment; use one of created, updated, status_changed, assignee_changed',
  'an unknown moment is refused');
select throws_ok($$insert into public.automation_rules (name, event, timer, actions) values ('x', 'time_elapsed', '{"since": "created", "minutes": 1.5}', '[{"type": "set_priority", "value": "high"}]')$$,
  '23514', 'field "timer": minutes: a whole number of minutes from 1 to 525600 (a year)', 'minutes are whole');
select throws_ok($$insert into public.automation_rules (name, event, timer, actions) values ('x', 'time_elapsed', '{"since": "created", "minutes": 0}', '[{"type": "set_priority", "value": "high"}]')$$,
  '23514', 'field "timer": minutes: a whole number of minutes from 1 to 525600 (a year)', 'minutes are at least 1');
select throws_ok($$insert into public.automation_rules (name, event, timer, actions) values ('x', 'time_elapsed', '{"since": "created", "hours": 3}', '[{"type": "set_priority", "value": "high"}]')$$,
  '23514', 'field "timer": hours: unknown key; a timer has "since" and "minutes"', 'a timer has since and minutes only');
select throws_ok($$insert into public.automation_rules (name, event, timer, conditions, actions) values ('x', 'time_elapsed', '{"since": "created", "minutes": 5}', '{"all": [{"field": "status", "operator": "changed_to", "value": "pending"}]}', '[{"type": "set_priority", "value": "high"}]')$$,
  '23514', 'field "conditions": all[0].operator: changed_to has no meaning for time_elapsed rules (nothing changes when time passes); use is or is_not',
  'change operators are refused on time rules');
select throws_ok($$insert into public.automation_rules (name, event, timer, conditions, actions) values ('x', 'time_elapsed', '{"since": "created", "minutes": 5}', '{"any": [{"field": "actor_role", "operator": "is", "value": "agent"}]}', '[{"type": "set_priority", "value": "high"}]')$$,
  '23514', 'field "conditions": any[0].field: actor_role has no meaning for time_elapsed rules (time passing has no actor)',
  'actor_role is refused on time rules');
select throws_ok($$insert into public.automation_rules (name, event, timer, conditions, actions) values ('x', 'time_elapsed', '{"since": "created", "minutes": 5}', '{"all": [{"field": "message.body", "operator": "contains", "value": "x"}]}', '[{"type": "set_priority", "value": "high"}]')$$,
  '23514', 'field "conditions": all[0].field: message.body exists only for the message_created event',
  'message fields are refused on time rules');

-- ============================ the moments ============================
select pg_temp.act_as('agent_in');
update public.tickets set status = 'open' where id = pg_temp.tid(1);
select is((pg_temp.ticket(pg_temp.tid(1))).status_changed_at, now(), 'a status change sets status_changed_at');
select is((pg_temp.ticket(pg_temp.tid(1))).assignee_changed_at, (pg_temp.ticket(pg_temp.tid(1))).created_at,
  'assignee_changed_at stays at the creation time until the assignee changes');
update public.tickets set status_changed_at = '2000-01-01', assignee_changed_at = '2000-01-01' where id = pg_temp.tid(1);
select is((pg_temp.ticket(pg_temp.tid(1))).status_changed_at, now(), 'API callers cannot set status_changed_at');
select is((pg_temp.ticket(pg_temp.tid(1))).assignee_changed_at, (pg_temp.ticket(pg_temp.tid(1))).created_at,
  'API callers cannot set assignee_changed_at');

-- ============================ rules ============================
select pg_temp.act_as('admin');
insert into public.automation_rules (id, name, position, event, timer, conditions, actions) values
  ('70000000-0000-4000-8000-000000000001', 'Solve pending after 3 days', 10, 'time_elapsed',
   '{"since": "status_changed", "minutes": 4320}',
   '{"all": [{"field": "status", "operator": "is", "value": "pending"}, {"field": "tags", "operator": "contains", "value": "tr"}]}',
   '[{"type": "set_status", "value": "solved"}, {"type": "add_internal_note", "value": "Solved after 3 days pending (#{{ticket.number}})"}]'),
  ('70000000-0000-4000-8000-000000000002', 'Escalate unassigned', 20, 'time_elapsed',
   '{"since": "assignee_changed", "minutes": 30}',
   '{"all": [{"field": "assignee_id", "operator": "is_empty"}, {"field": "tags", "operator": "contains", "value": "tr2"}]}',
   '[{"type": "set_priority", "value": "high"}]');
select is((select timer from public.automation_rules where id = '70000000-0000-4000-8000-000000000002'),
  '{"since": "assignee_changed", "minutes": 30}'::jsonb, 'a valid time rule is saved with its timer');
select throws_ok($$update public.automation_rules set event = 'ticket_updated' where id = '70000000-0000-4000-8000-000000000002'$$,
  '23514', 'field "timer": only time_elapsed rules have a timer', 'an update is validated too');

select pg_temp.act_as('postgres');
-- Trusted writers set the moments explicitly (as they may set created_at): A pending since +1h, B unassigned since 0.
insert into public.tickets (id, subject, requester_id, queue_id, tags, status, created_at, status_changed_at) values
  ('31000000-0000-4000-8000-00000000000a', 'pending one', pg_temp.uid('cust_a'), pg_temp.qid(1), '{tr}', 'pending',
   pg_temp.at('0'), pg_temp.at('1 hour')),
  ('31000000-0000-4000-8000-00000000000b', 'unassigned one', pg_temp.uid('cust_a'), pg_temp.qid(1), '{tr2}', 'open',
   pg_temp.at('0'), null);
select is((pg_temp.ticket('31000000-0000-4000-8000-00000000000a')).status_changed_at, pg_temp.at('1 hour'),
  'a trusted writer may set status_changed_at');
select is((pg_temp.ticket('31000000-0000-4000-8000-00000000000b')).assignee_changed_at, pg_temp.at('0'),
  'a new ticket''s moments default to its creation time');

select pg_temp.act_as('agent_in');
select throws_ok($$select public.run_due_automations(now())$$, '42501', null, 'agents cannot run time rules');
select pg_temp.act_as('service_role');

-- Unassigned for 30 minutes.
select is(public.run_due_automations(pg_temp.at('29 minutes')), 0, 'nothing fires before the time has come');
select is(public.run_due_automations(pg_temp.at('30 minutes')), 1, 'the unassigned rule fires when 30 minutes have passed');
select is((pg_temp.ticket('31000000-0000-4000-8000-00000000000b')).priority, 'high'::public.ticket_priority,
  'its action ran');
select is(pg_temp.firings('31000000-0000-4000-8000-00000000000b', '70000000-0000-4000-8000-000000000002'), 1::bigint,
  'the firing is recorded as a public rule_applied event with the rule');
select is((select changes from public.ticket_events where ticket_id = '31000000-0000-4000-8000-00000000000b'
            and kind = 'rule_applied'), '{"priority": ["normal", "high"]}'::jsonb, 'with what it changed');
select is(public.run_due_automations(pg_temp.at('5 hours')), 0, 'not again while the ticket stays unassigned');

-- Pending for 3 days.
select is(public.run_due_automations(pg_temp.at('1 hour') + interval '3 days' - interval '1 second'), 0,
  'the pending rule waits for its 3 days');
select is(public.run_due_automations(pg_temp.at('1 hour') + interval '3 days'), 1, 'and fires at 3 days');
select is((pg_temp.ticket('31000000-0000-4000-8000-00000000000a')).status, 'solved'::public.ticket_status, 'the ticket is solved');
select is((select body from public.ticket_messages where ticket_id = '31000000-0000-4000-8000-00000000000a'
            and visibility = 'internal'),
  format('Solved after 3 days pending (#%s)', (pg_temp.ticket('31000000-0000-4000-8000-00000000000a')).number),
  'with its internal note');
select is(pg_temp.firings('31000000-0000-4000-8000-00000000000a', '70000000-0000-4000-8000-000000000001', 'internal'), 1::bigint,
  'the note is in an internal rule_applied event');
select is(public.run_due_automations(pg_temp.at('10 days')), 0, 'nothing fires twice for one period');

-- The condition ends and starts anew: pending again, from +12 days.
select pg_temp.act_as('postgres');
update public.tickets set status = 'pending', status_changed_at = pg_temp.at('12 days') where id = '31000000-0000-4000-8000-00000000000a';
select pg_temp.act_as('service_role');
select is(public.run_due_automations(pg_temp.at('14 days')), 0, 'a new period waits for its own 3 days');
select is(public.run_due_automations(pg_temp.at('15 days')), 1, 'and fires again');
select is(pg_temp.firings('31000000-0000-4000-8000-00000000000a', '70000000-0000-4000-8000-000000000001'), 2::bigint,
  'once per period: two periods, two firings');

-- Assigned, then unassigned again: a new period of the unassigned rule.
select pg_temp.act_as('postgres');
update public.tickets set assignee_id = pg_temp.uid('agent_in'), assignee_changed_at = pg_temp.at('16 days'), priority = 'normal'
 where id = '31000000-0000-4000-8000-00000000000b';
select pg_temp.act_as('service_role');
select is(public.run_due_automations(pg_temp.at('16 days 1 hour')), 0, 'an assigned ticket does not match');
select pg_temp.act_as('postgres');
update public.tickets set assignee_id = null, assignee_changed_at = pg_temp.at('17 days') where id = '31000000-0000-4000-8000-00000000000b';
select pg_temp.act_as('service_role');
select is(public.run_due_automations(pg_temp.at('17 days 29 minutes')), 0, 'unassigned again: wait 30 minutes');
select is(public.run_due_automations(pg_temp.at('17 days 30 minutes')), 1, 'then it fires again');
select is(pg_temp.firings('31000000-0000-4000-8000-00000000000b', '70000000-0000-4000-8000-000000000002'), 2::bigint,
  'two periods unassigned, two firings');

-- Who sees the firings: the requester sees the public events, not the internal ones; other customers see none.
select pg_temp.act_as('cust_a');
select is((select count(*) from public.ticket_events where ticket_id = '31000000-0000-4000-8000-00000000000a'
            and kind = 'rule_applied'), 2::bigint, 'the requester sees the public firings only');
select pg_temp.act_as('cust_b');
select is((select count(*) from public.ticket_events where ticket_id = '31000000-0000-4000-8000-00000000000a'), 0::bigint,
  'another customer sees nothing');

-- An inactive rule does not run; enabled again, it catches up with the tickets whose time came meanwhile.
select pg_temp.act_as('admin');
update public.automation_rules set active = false where id = '70000000-0000-4000-8000-000000000002';
select pg_temp.act_as('postgres');
insert into public.tickets (id, subject, requester_id, queue_id, tags, created_at) values
  ('31000000-0000-4000-8000-00000000000d', 'unassigned later', pg_temp.uid('cust_a'), pg_temp.qid(1), '{tr2}', pg_temp.at('20 days'));
select pg_temp.act_as('service_role');
select is(public.run_due_automations(pg_temp.at('21 days')), 0, 'an inactive rule does not fire');
select pg_temp.act_as('admin');
update public.automation_rules set active = true where id = '70000000-0000-4000-8000-000000000002';
select pg_temp.act_as('service_role');
select is(public.run_due_automations(pg_temp.at('21 days')), 1, 'enabled again, it fires for the ticket whose time came');

-- A rule whose action fails on a ticket (its queue was deleted after it was saved) is recorded there; the run goes on.
select pg_temp.act_as('postgres');
insert into public.queues (id, slug, name) values ('20000000-0000-4000-8000-000000000009', 'test-q9', 'Test queue 9');
select pg_temp.act_as('admin');
insert into public.automation_rules (id, name, position, event, timer, conditions, actions) values
  ('70000000-0000-4000-8000-000000000003', 'Move old ones', 30, 'time_elapsed', '{"since": "created", "minutes": 60}',
   '{"all": [{"field": "tags", "operator": "contains", "value": "tr3"}]}',
   '[{"type": "set_queue", "value": "20000000-0000-4000-8000-000000000009"}]');
select pg_temp.act_as('postgres');
delete from public.queues where id = '20000000-0000-4000-8000-000000000009';
insert into public.tickets (id, subject, requester_id, queue_id, tags, created_at) values
  ('31000000-0000-4000-8000-00000000000e', 'old one', pg_temp.uid('cust_a'), pg_temp.qid(1), '{tr3}', pg_temp.at('30 days'));
insert into public.sla_policies (name, targets) values ('Everyone', '{"normal": {"first_reply": 10}}');
insert into public.tickets (id, subject, requester_id, queue_id, created_at) values
  ('31000000-0000-4000-8000-00000000000f', 'sla one', pg_temp.uid('cust_a'), pg_temp.qid(1), now());
select pg_temp.act_as('service_role');
select is(public.run_due_automations(greatest(pg_temp.at('30 days 2 hours'), now() + interval '1 hour')), 1,
  'the breach is still recorded when a time rule fails');
select is((select changes -> 'error' ->> 1 from public.ticket_events
            where ticket_id = '31000000-0000-4000-8000-00000000000e' and kind = 'rule_failed'
              and rule_id = '70000000-0000-4000-8000-000000000003' and visibility = 'internal'),
  'automation rule "Move old ones": set_queue: queue 20000000-0000-4000-8000-000000000009 no longer exists',
  'the failure is an internal rule_failed event naming the rule');
select is((pg_temp.ticket('31000000-0000-4000-8000-00000000000e')).queue_id, pg_temp.qid(1), 'the ticket is unchanged');
select is(public.run_due_automations(greatest(pg_temp.at('31 days'), now() + interval '1 day')), 0,
  'and it is not retried in the same period');

-- ============================ cost ============================
-- Each moment is read through its (moment, id) index in order, from the cursor, without sorting the tickets.
select pg_temp.act_as('postgres');
set local enable_seqscan = off;
set local enable_bitmapscan = off;
create function pg_temp.plan(p_since text) returns text language plpgsql as $p$
declare v text := ''; r text;
begin
  for r in execute format(
      'explain select t.id from public.tickets t
        where (%1$s, t.id) > (%2$L::timestamptz, %3$L::uuid) and %1$s <= %4$L::timestamptz
        order by %1$s, t.id limit 10000', autocrm_private.automation_timer_moment_sql(p_since),
      '2026-01-01', '00000000-0000-0000-0000-000000000000', '2026-02-01') loop
    v := v || r || E'\n';
  end loop;
  return v;
end
$p$;
select ok(pg_temp.plan('created') ~ 'Index (Only )?Scan using tickets_created_at_id_idx' and pg_temp.plan('created') !~ 'Sort',
  'created: an ordered range scan of tickets_created_at_id_idx');
select ok(pg_temp.plan('updated') ~ 'Index (Only )?Scan using tickets_updated_at_id_idx' and pg_temp.plan('updated') !~ 'Sort',
  'updated: an ordered range scan of tickets_updated_at_id_idx');
select ok(pg_temp.plan('status_changed') ~ 'Index (Only )?Scan using tickets_status_changed_id_idx'
          and pg_temp.plan('status_changed') !~ 'Sort', 'status_changed: an ordered range scan of its index');
select ok(pg_temp.plan('assignee_changed') ~ 'Index (Only )?Scan using tickets_assignee_changed_id_idx'
          and pg_temp.plan('assignee_changed') !~ 'Sort', 'assignee_changed: an ordered range scan of its index');

select * from finish();
ROLLBACK;
