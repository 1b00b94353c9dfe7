-- pgTAP: SLA policies (validation, who reads and writes them, first matching policy by position) and the clocks kept
-- in the transaction of ticket and message changes: pause and resume with the time left on pending and on_hold, first
-- reply fulfilled only by a public agent reply (not an internal note, not the customer), next reply per customer
-- message, solve fulfils resolution and reopen restarts it, a policy change applies from then on; and
-- run_due_automations: breaches recorded once, as internal sla_breached events and sla.breached webhook events, never
-- for a paused or fulfilled clock. (Ten concurrent sessions: SlaBreachConcurrencyTests.)
BEGIN;
\ir _fixture.psql

select plan(51);

create function pg_temp.clock(p_ticket uuid, p_metric text) returns public.ticket_slas language sql security definer as $c$
  select * from public.ticket_slas where ticket_id = p_ticket and metric = p_metric
$c$;
create function pg_temp.new_ticket(p_subject text, p_priority text default 'normal', p_tags text[] default '{}')
returns uuid language plpgsql security definer as $n$
declare v uuid;
begin
  insert into public.tickets (subject, requester_id, queue_id, priority, tags)
  values (p_subject, '10000000-0000-4000-8000-00000000000a', '20000000-0000-4000-8000-000000000001',
          p_priority::public.ticket_priority, p_tags)
  returning id into v;
  return v;
end
$n$;
create function pg_temp.say(p_ticket uuid, p_who text, p_visibility text default 'public') returns void language sql security definer as $s$
  insert into public.ticket_messages (ticket_id, author_id, visibility, body)
  values (p_ticket, pg_temp.uid(p_who), p_visibility::public.message_visibility, 'message from ' || p_who)
$s$;
create function pg_temp.set_status(p_ticket uuid, p_status text) returns void language sql security definer as $s$
  update public.tickets set status = p_status::public.ticket_status where id = p_ticket
$s$;

-- ============================ policies ============================
select pg_temp.act_as('admin');
insert into public.sla_policies (id, name, position, conditions, targets) values
  ('60000000-0000-4000-8000-000000000001', 'VIP', 10, '{"all": [{"field": "tags", "operator": "contains", "value": "vip"}]}',
   '{"urgent": {"first_reply": 15, "resolution": 120}, "normal": {"first_reply": 30, "next_reply": 20, "resolution": 240}}'),
  ('60000000-0000-4000-8000-000000000002', 'Everyone', 20, '{}',
   '{"normal": {"first_reply": 60, "next_reply": 45, "resolution": 480}}');

select throws_ok($$insert into public.sla_policies (name, targets) values ('x', '{"critical": {"first_reply": 5}}')$$,
  '23514', 'field "targets": critical: not a priority; use low, normal, high or urgent', 'an unknown priority is refused');
select throws_ok($$insert into public.sla_policies (name, targets) values ('x', '{"high": {"first_response": 5}}')$$,
  '23514', 'field "targets": high.first_response: not a metric; use first_reply, next_reply or resolution', 'an unknown metric is refused');
select throws_ok($$insert into public.sla_policies (name, targets) values ('x', '{"high": {"first_reply": 0.5}}')$$,
  '23514', 'field "targets": high.first_reply: a whole number of minutes from 1 to 525600 (a year)', 'targets are whole minutes');
select throws_ok($$insert into public.sla_policies (name, targets, conditions) values ('x', '{"high": {"first_reply": 5}}', '{"all": [{"field": "message.body", "operator": "contains", "value": "x"}]}')$$,
  '23514', 'field "conditions": all[0].field: message.body exists only for the message_created event',
  'conditions use the shared vocabulary, on ticket fields');
select throws_ok($$insert into public.sla_policies (name, targets, business_hours_id) values ('x', '{"high": {"first_reply": 5}}', '50000000-0000-4000-8000-00000000dead')$$,
  '23503', null, 'a policy''s calendar must exist');

select pg_temp.act_as('agent_in');
select is((select count(*) from public.sla_policies), 2::bigint, 'agents read the policies');
select is(pg_temp.affected($$update public.sla_policies set position = 1$$), 0::bigint, 'agents cannot change a policy');
select pg_temp.act_as('cust_a');
select is((select count(*) from public.sla_policies), 0::bigint, 'customers see no policy');
select pg_temp.act_as('anon');
select throws_ok($$select count(*) from public.sla_policies$$, '42501', null, 'anon has no access to policies');

-- ============================ clocks start ============================
select pg_temp.act_as('postgres');
create temp table tk (name text primary key, id uuid);
insert into tk values ('vip', pg_temp.new_ticket('vip ticket', 'normal', '{vip}')),
                      ('plain', pg_temp.new_ticket('plain ticket')),
                      ('low', pg_temp.new_ticket('low ticket', 'low'));
create function pg_temp.t(p_name text) returns uuid language sql as $t$ select id from tk where name = p_name $t$;
grant select on tk to authenticated;

select is((pg_temp.clock(pg_temp.t('vip'), 'first_reply')).policy_id, '60000000-0000-4000-8000-000000000001'::uuid,
  'the first matching policy by position applies');
select is((pg_temp.clock(pg_temp.t('vip'), 'first_reply')).due_at, now() + interval '30 minutes',
  'first_reply is due after the target for the ticket''s priority (calendar time without a calendar)');
select is((pg_temp.clock(pg_temp.t('plain'), 'resolution')).due_at, now() + interval '480 minutes',
  'a ticket the first policy does not match gets the next one');
select is((select count(*) from public.ticket_slas where ticket_id = pg_temp.t('plain')), 2::bigint,
  'a new ticket has first_reply and resolution clocks, no next_reply yet');
select is((select count(*) from public.ticket_slas where ticket_id = pg_temp.t('low')), 0::bigint,
  'no target for the priority: no clock');

-- ============================ first reply ============================
select pg_temp.say(pg_temp.t('plain'), 'agent_in', 'internal');
select is((pg_temp.clock(pg_temp.t('plain'), 'first_reply')).fulfilled_at, null, 'an internal note does not stop the first_reply clock');
select pg_temp.say(pg_temp.t('plain'), 'cust_a');
select is((pg_temp.clock(pg_temp.t('plain'), 'first_reply')).fulfilled_at, null, 'the customer''s own message does not stop it');
select is(pg_temp.clock(pg_temp.t('plain'), 'next_reply'), null, 'before any agent reply, a customer message starts no next_reply clock');
select pg_temp.say(pg_temp.t('plain'), 'agent_in');
select is((pg_temp.clock(pg_temp.t('plain'), 'first_reply')).fulfilled_at, now(), 'a public agent reply fulfils first_reply');

-- ============================ next reply ============================
select pg_temp.say(pg_temp.t('plain'), 'cust_a');
select is((pg_temp.clock(pg_temp.t('plain'), 'next_reply')).due_at, now() + interval '45 minutes',
  'a customer message after an agent reply starts a next_reply clock');
update public.ticket_slas set started_at = started_at - interval '10 minutes', due_at = due_at - interval '10 minutes'
 where ticket_id = pg_temp.t('plain') and metric = 'next_reply';
select pg_temp.say(pg_temp.t('plain'), 'cust_a');
select is((pg_temp.clock(pg_temp.t('plain'), 'next_reply')).due_at, now() + interval '35 minutes',
  'a second customer message does not restart a running next_reply clock (the oldest unanswered message counts)');
select pg_temp.say(pg_temp.t('plain'), 'admin');
select is((pg_temp.clock(pg_temp.t('plain'), 'next_reply')).fulfilled_at, now(), 'the agent''s reply fulfils next_reply');
select pg_temp.say(pg_temp.t('plain'), 'cust_a');
select ok((pg_temp.clock(pg_temp.t('plain'), 'next_reply')).fulfilled_at is null
          and (pg_temp.clock(pg_temp.t('plain'), 'next_reply')).due_at = now() + interval '45 minutes',
  'the next customer message starts a new next_reply clock');

-- ============================ pause and resume ============================
-- 100 minutes of the 480-minute resolution target have passed.
update public.ticket_slas set started_at = started_at - interval '100 minutes', due_at = due_at - interval '100 minutes'
 where ticket_id = pg_temp.t('plain') and metric = 'resolution';
select pg_temp.set_status(pg_temp.t('plain'), 'pending');
select is((pg_temp.clock(pg_temp.t('plain'), 'resolution')).remaining_minutes, 380::numeric, 'pending pauses the clock with the time left');
select is((pg_temp.clock(pg_temp.t('plain'), 'resolution')).due_at, null, 'a paused clock has no due time');
select is((pg_temp.clock(pg_temp.t('plain'), 'next_reply')).paused_at, now(), 'every running clock of the ticket pauses');
-- An hour passes while pending.
update public.ticket_slas set paused_at = paused_at - interval '1 hour' where ticket_id = pg_temp.t('plain');
select pg_temp.set_status(pg_temp.t('plain'), 'open');
select is((pg_temp.clock(pg_temp.t('plain'), 'resolution')).due_at, now() + interval '380 minutes',
  'resuming gives back the time left: the hour spent pending does not count');
select is((pg_temp.clock(pg_temp.t('plain'), 'resolution')).paused_at, null, 'a resumed clock is not paused');
select pg_temp.set_status(pg_temp.t('plain'), 'on_hold');
select is((pg_temp.clock(pg_temp.t('plain'), 'resolution')).remaining_minutes, 380::numeric, 'on_hold pauses the clock too');
select pg_temp.set_status(pg_temp.t('plain'), 'pending');
select is((pg_temp.clock(pg_temp.t('plain'), 'resolution')).remaining_minutes, 380::numeric, 'on_hold to pending keeps it paused');
-- The requester's reply reopens a pending ticket: the clocks resume, and the message is answered by next_reply.
select pg_temp.say(pg_temp.t('plain'), 'cust_a');
select is((pg_temp.clock(pg_temp.t('plain'), 'resolution')).due_at, now() + interval '380 minutes',
  'a requester''s reply that reopens a pending ticket resumes its clocks');

-- ============================ solve and reopen ============================
select pg_temp.set_status(pg_temp.t('plain'), 'solved');
select is((pg_temp.clock(pg_temp.t('plain'), 'resolution')).fulfilled_at, now(), 'solving fulfils resolution');
select pg_temp.set_status(pg_temp.t('plain'), 'closed');
select is((pg_temp.clock(pg_temp.t('plain'), 'resolution')).fulfilled_at, now(), 'closing a solved ticket changes nothing');
update public.ticket_slas set fulfilled_at = fulfilled_at - interval '1 day', started_at = started_at - interval '1 day'
 where ticket_id = pg_temp.t('plain') and metric = 'resolution';
select pg_temp.set_status(pg_temp.t('plain'), 'open');
select ok((pg_temp.clock(pg_temp.t('plain'), 'resolution')).fulfilled_at is null
          and (pg_temp.clock(pg_temp.t('plain'), 'resolution')).started_at = now()
          and (pg_temp.clock(pg_temp.t('plain'), 'resolution')).due_at = now() + interval '480 minutes',
  'reopening restarts resolution with the whole target');

-- ============================ policy changes ============================
update public.sla_policies set targets = '{"normal": {"first_reply": 5, "resolution": 10}}'
 where id = '60000000-0000-4000-8000-000000000002';
select is((pg_temp.clock(pg_temp.t('plain'), 'resolution')).target_minutes, 480, 'a policy change leaves running clocks as they are');
insert into tk values ('later', pg_temp.new_ticket('later ticket'));
select is((pg_temp.clock(pg_temp.t('later'), 'first_reply')).due_at, now() + interval '5 minutes', 'and applies to clocks started after it');

-- ============================ who reads the clocks ============================
select pg_temp.act_as('agent_in');
select is((select count(*) from public.ticket_slas where ticket_id = pg_temp.t('vip')), 2::bigint, 'an agent of the ticket''s queue reads its clocks');
select pg_temp.act_as('agent_out');
select is((select count(*) from public.ticket_slas where ticket_id = pg_temp.t('vip')), 0::bigint, 'an agent outside the queue does not');
select pg_temp.act_as('cust_a');
select is((select count(*) from public.ticket_slas), 0::bigint, 'customers read no clock, not even their own tickets''');
select pg_temp.act_as('agent_in');
select throws_ok($$update public.ticket_slas set breached_at = now()$$, '42501', null, 'nobody writes clocks through the API');
select throws_ok($$select public.run_due_automations()$$, '42501', null, 'agents cannot run the scheduler');

-- ============================ breaches ============================
-- An endpoint subscribed to sla.breached, to see the webhook events queued.
select pg_temp.act_as('admin');
select lives_ok($$select public.create_webhook_endpoint('https://hooks.example.test/sla', '{sla.breached}')$$, 'an endpoint for sla.breached');
select pg_temp.act_as('postgres');
select pg_temp.set_status(pg_temp.t('later'), 'pending');

select is(public.run_due_automations(now() + interval '29 minutes'), 0,
  'nothing is due by `now` + 29 minutes: the 5-minute first_reply of "later" is paused, the vip one is due at 30');
select is(public.run_due_automations(now() + interval '31 minutes'), 1, 'the vip first_reply is breached at 31 minutes');
select is((pg_temp.clock(pg_temp.t('vip'), 'first_reply')).breached_at, now() + interval '31 minutes', 'breached_at is the run''s now');
select is(public.run_due_automations(now() + interval '31 minutes'), 0, 'a breach is recorded once');
select results_eq(
  $$select kind, visibility::text, changes from public.ticket_events where ticket_id = pg_temp.t('vip') and kind = 'sla_breached'$$,
  $$values ('sla_breached', 'internal', jsonb_build_object('metric', 'first_reply', 'due_at', now() + interval '30 minutes'))$$,
  'one internal sla_breached event with the metric and the due time');
select is((select count(*) from public.webhook_deliveries d where d.event_type = 'sla.breached' and d.ticket_id = pg_temp.t('vip')), 1::bigint,
  'one sla.breached webhook event for the subscribed endpoint');
select is((select d.payload -> 'data' ->> 'metric' from public.webhook_deliveries d where d.event_type = 'sla.breached' and d.ticket_id = pg_temp.t('vip')),
  'first_reply', 'the webhook event names the metric');
select is((select count(*) from public.ticket_events where ticket_id = pg_temp.t('plain') and kind = 'sla_breached'
            and changes ->> 'metric' = 'first_reply'), 0::bigint, 'a fulfilled clock is never breached');
select is((select count(*) from public.ticket_events where ticket_id = pg_temp.t('later') and kind = 'sla_breached'), 0::bigint,
  'a paused clock is never breached');
select pg_temp.act_as('cust_a');
select is((select count(*) from public.ticket_events where kind = 'sla_breached'), 0::bigint, 'customers do not see breaches');

SELECT * FROM finish();
ROLLBACK;
