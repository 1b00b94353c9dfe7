-- pgTAP: public.ticket_sla_states, a ticket's SLA state derived from its clocks in the same transaction: the running
-- clock due first, replaced when it is met, gone while the ticket is paused and back on resume; a breach shows until
-- the missed target is met; a ticket without clocks has no state; who may read states (staff who see the ticket),
-- and that nobody writes them through the API.
BEGIN;
\ir _fixture.psql

select plan(19);

create function pg_temp.state(p_ticket uuid) returns public.ticket_sla_states language sql security definer as $c$
  select * from public.ticket_sla_states where ticket_id = p_ticket
$c$;
create function pg_temp.new_ticket(p_subject text, p_queue int, p_tags text[] default '{}')
returns uuid language plpgsql security definer as $n$
declare v uuid;
begin
  insert into public.tickets (subject, requester_id, queue_id, tags)
  values (p_subject, '10000000-0000-4000-8000-00000000000a', pg_temp.qid(p_queue), p_tags)
  returning id into v;
  return v;
end
$n$;

select pg_temp.act_as('postgres');
insert into public.sla_policies (name, position, conditions, targets) values
  ('State test', -100, '{"all": [{"field": "tags", "operator": "contains", "value": "sla-state"}]}',
   '{"normal": {"first_reply": 30, "next_reply": 20, "resolution": 240}}');
create temp table tk (name text primary key, id uuid);
insert into tk values ('a', pg_temp.new_ticket('state ticket', 1, '{sla-state}')),
                      ('other_queue', pg_temp.new_ticket('state ticket in Q2', 2, '{sla-state}')),
                      ('none', pg_temp.new_ticket('no policy', 1));
create function pg_temp.t(p_name text) returns uuid language sql as $t$ select id from tk where name = p_name $t$;
grant select on tk to authenticated;

select is(row((pg_temp.state(pg_temp.t('a'))).metric, (pg_temp.state(pg_temp.t('a'))).due_at,
              (pg_temp.state(pg_temp.t('a'))).target_minutes),
          row('first_reply'::text, now() + interval '30 minutes', 30),
          'a new ticket''s state is its first_reply clock, the one due first');
select ok((pg_temp.state(pg_temp.t('a'))).breached_at is null, 'nothing is breached yet');
select is((select count(*) from public.ticket_sla_states where ticket_id = pg_temp.t('none')), 0::bigint,
  'a ticket without clocks has no state');

-- An agent's public reply meets first_reply: the state moves on to resolution.
insert into public.ticket_messages (ticket_id, author_id, visibility, body)
values (pg_temp.t('a'), pg_temp.uid('agent_in'), 'public', 'on it');
select is(row((pg_temp.state(pg_temp.t('a'))).metric, (pg_temp.state(pg_temp.t('a'))).due_at),
          row('resolution'::text, now() + interval '240 minutes'), 'a met clock gives way to the next one due');

-- Paused: no running clock, no state; resumed: back with the time it had left.
update public.tickets set status = 'pending' where id = pg_temp.t('a');
select is((select count(*) from public.ticket_sla_states where ticket_id = pg_temp.t('a')), 0::bigint,
  'a paused ticket (pending) has no running target');
update public.tickets set status = 'open' where id = pg_temp.t('a');
select is((pg_temp.state(pg_temp.t('a'))).due_at, now() + interval '240 minutes',
  'on resume the state is back, due when the resumed clock is');

-- A breach shows until the missed target is met.
select is(public.run_due_automations(now() + interval '5 hours') >= 1, true, 'run_due_automations records the breach');
select is(row((pg_temp.state(pg_temp.t('a'))).breached_metric, (pg_temp.state(pg_temp.t('a'))).breached_at,
              (pg_temp.state(pg_temp.t('a'))).metric),
          row('resolution'::text, now() + interval '5 hours', null::text),
          'a breached clock shows as breached (metric, when) and no longer as due');
insert into public.ticket_messages (ticket_id, author_id, visibility, body)
values (pg_temp.t('a'), '10000000-0000-4000-8000-00000000000a', 'public', 'still broken');
select is(row((pg_temp.state(pg_temp.t('a'))).metric, (pg_temp.state(pg_temp.t('a'))).breached_metric),
          row('next_reply'::text, 'resolution'::text), 'a new clock is due while the breach still shows');
update public.tickets set status = 'solved' where id = pg_temp.t('a');
select is((select count(*) from public.ticket_sla_states where ticket_id = pg_temp.t('a')), 0::bigint,
  'solving meets resolution and pauses next_reply: no running or breached target, no state');

-- Who reads states: staff who see the ticket; customers none; nobody writes.
select pg_temp.act_as('agent_in');
select is((select count(*) from public.ticket_sla_states where ticket_id in (pg_temp.t('other_queue'))), 0::bigint,
  'an agent outside the ticket''s queue does not see its state');
select pg_temp.act_as('postgres');
update public.tickets set queue_id = pg_temp.qid(1) where id = pg_temp.t('other_queue');
select pg_temp.act_as('agent_in');
select is((select count(*) from public.ticket_sla_states where ticket_id in (pg_temp.t('other_queue'))), 1::bigint,
  'moved into the agent''s queue, the ticket''s state follows it');
select pg_temp.act_as('postgres');
update public.tickets set queue_id = pg_temp.qid(2) where id = pg_temp.t('other_queue');
select is((select queue_id from public.ticket_sla_states where ticket_id = pg_temp.t('other_queue')), pg_temp.qid(2),
  'and back');
select pg_temp.act_as('agent_out');
select is((select count(*) from public.ticket_sla_states where ticket_id = pg_temp.t('other_queue')), 1::bigint,
  'an agent of the ticket''s queue sees its state');
select throws_ok($$update public.ticket_sla_states set due_at = null$$, '42501', null, 'agents cannot write states');
select pg_temp.act_as('admin');
select is((select count(*) from public.ticket_sla_states where ticket_id = pg_temp.t('other_queue')), 1::bigint,
  'admins see every state');
select pg_temp.act_as('cust_a');
select is((select count(*) from public.ticket_sla_states), 0::bigint, 'customers see no state, not even their own tickets''');
select pg_temp.act_as('anon');
select throws_ok($$select count(*) from public.ticket_sla_states$$, '42501', null, 'anon has no access to states');

-- The refresh runs on every clock change: it keeps its generic plan instead of planning its statements on every call
-- (a `create or replace` of the function without the setting would drop it).
select ok((select 'plan_cache_mode=force_generic_plan' = any (p.proconfig) from pg_proc p
            where p.oid = 'autocrm_private.ticket_sla_states_refresh(uuid[])'::regprocedure),
  'ticket_sla_states_refresh keeps its generic plan (plan_cache_mode = force_generic_plan)');

select * from finish();
ROLLBACK;
