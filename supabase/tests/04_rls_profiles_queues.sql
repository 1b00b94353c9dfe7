-- pgTAP: Row-level security on profiles, queues and queue_members: the six callers x select/insert/update/delete.
BEGIN;
-- The shared fixture (users, queues, tickets, messages; pg_temp.act_as, affected, ticket, uid/tid/mid/qid) is
-- described in _fixture.psql.
\ir _fixture.psql

SELECT plan(83);

-- ============================ profiles ============================
select pg_temp.act_as('postgres');
select is((select display_name from public.profiles where id = pg_temp.uid('cust_a')), 'Customer A',
  'the auth.users trigger created the profile with display_name from user metadata');
select is((select display_name from public.profiles where id = pg_temp.uid('cust_b')), 'cust.b',
  'without display_name metadata the email''s local part is used');
select is((select role from public.profiles where id = pg_temp.uid('cust_b')), 'customer'::public.app_role,
  'new users are customers');

-- SELECT
select pg_temp.act_as('anon');
select is_empty($$select 1 from public.profiles$$, 'anon sees no profiles');
select pg_temp.act_as('cust_a');
select results_eq($$select email from public.profiles where email like '%@test.local' order by 1$$,
  array['admin@test.local', 'agent.in@test.local', 'agent.out@test.local', 'cust.a@test.local'],
  'customer A sees her own profile and the staff, not customer B');
select pg_temp.act_as('cust_b');
select results_eq($$select email from public.profiles where email like '%@test.local' order by 1$$,
  array['admin@test.local', 'agent.in@test.local', 'agent.out@test.local', 'cust.b@test.local'],
  'customer B sees his own profile and the staff, not customer A');
select pg_temp.act_as('agent_in');
select results_eq($$select count(*) from public.profiles where email like '%@test.local'$$, array[5::bigint],
  'agent in Q1 sees every profile');
select pg_temp.act_as('agent_out');
select results_eq($$select count(*) from public.profiles where email like '%@test.local'$$, array[5::bigint],
  'agent in Q2 sees every profile');
select pg_temp.act_as('admin');
select results_eq($$select count(*) from public.profiles where email like '%@test.local'$$, array[5::bigint],
  'admin sees every profile');

-- INSERT (profiles are created by the auth trigger only)
select pg_temp.act_as('postgres');
insert into auth.users (id, email) values ('10000000-0000-4000-8000-0000000000ff', 'noprofile@test.local');
delete from public.profiles where id = '10000000-0000-4000-8000-0000000000ff';
select pg_temp.act_as('anon');
select throws_ok($$insert into public.profiles (id, email) values ('10000000-0000-4000-8000-0000000000ff', 'x@test.local')$$,
  '42501', null, 'anon cannot insert profiles');
select pg_temp.act_as('cust_a');
select throws_ok($$insert into public.profiles (id, email) values ('10000000-0000-4000-8000-0000000000ff', 'x@test.local')$$,
  '42501', null, 'customer A cannot insert profiles');
select pg_temp.act_as('cust_b');
select throws_ok($$insert into public.profiles (id, email) values ('10000000-0000-4000-8000-0000000000ff', 'x@test.local')$$,
  '42501', null, 'customer B cannot insert profiles');
select pg_temp.act_as('agent_in');
select throws_ok($$insert into public.profiles (id, email) values ('10000000-0000-4000-8000-0000000000ff', 'x@test.local')$$,
  '42501', null, 'agent in Q1 cannot insert profiles');
select pg_temp.act_as('agent_out');
select throws_ok($$insert into public.profiles (id, email) values ('10000000-0000-4000-8000-0000000000ff', 'x@test.local')$$,
  '42501', null, 'agent in Q2 cannot insert profiles');
select pg_temp.act_as('admin');
select throws_ok($$insert into public.profiles (id, email) values ('10000000-0000-4000-8000-0000000000ff', 'x@test.local')$$,
  '42501', null, 'admin cannot insert profiles (they follow auth.users)');

-- UPDATE
select pg_temp.act_as('anon');
select is(pg_temp.affected($$update public.profiles set display_name = 'x'$$), 0::bigint, 'anon updates no profile');
select pg_temp.act_as('cust_a');
select is(pg_temp.affected($$update public.profiles set display_name = 'Alice A.' where id = pg_temp.uid('cust_a')$$), 1::bigint,
  'customer A updates her display name');
select is(pg_temp.affected($$update public.profiles set display_name = 'x' where id = pg_temp.uid('cust_b')$$), 0::bigint,
  'customer A cannot update customer B''s profile');
select is(pg_temp.affected($$update public.profiles set display_name = 'x' where id = pg_temp.uid('agent_in')$$), 0::bigint,
  'customer A cannot update a staff profile she can read');
select throws_ok($$update public.profiles set role = 'admin' where id = pg_temp.uid('cust_a')$$,
  '42501', 'only an admin can change a user''s role', 'customer A cannot make herself admin');
select throws_ok($$update public.profiles set email = 'evil@test.local' where id = pg_temp.uid('cust_a')$$,
  '42501', null, 'customer A cannot change her profile email');
select pg_temp.act_as('cust_b');
select is(pg_temp.affected($$update public.profiles set display_name = 'Bobby' where id = pg_temp.uid('cust_b')$$), 1::bigint,
  'customer B updates his own profile');
select pg_temp.act_as('agent_in');
select is(pg_temp.affected($$update public.profiles set display_name = 'x' where id = pg_temp.uid('cust_a')$$), 0::bigint,
  'agent in Q1 cannot update a customer''s profile');
select throws_ok($$update public.profiles set role = 'admin' where id = pg_temp.uid('agent_in')$$,
  '42501', null, 'an agent cannot promote himself');
select pg_temp.act_as('agent_out');
select is(pg_temp.affected($$update public.profiles set metadata = '{"tz":"UTC"}' where id = pg_temp.uid('agent_out')$$), 1::bigint,
  'agent in Q2 updates his own profile metadata');
select pg_temp.act_as('admin');
select is(pg_temp.affected($$update public.profiles set display_name = 'Renamed by admin' where id = pg_temp.uid('cust_b')$$), 1::bigint,
  'admin updates any profile');

-- DELETE (nobody; profiles follow auth.users)
select pg_temp.act_as('anon');
select is(pg_temp.affected($$delete from public.profiles$$), 0::bigint, 'anon deletes no profile');
select pg_temp.act_as('cust_a');
select is(pg_temp.affected($$delete from public.profiles where id = pg_temp.uid('cust_a')$$), 0::bigint, 'customer A cannot delete her profile');
select pg_temp.act_as('cust_b');
select is(pg_temp.affected($$delete from public.profiles where id = pg_temp.uid('cust_a')$$), 0::bigint, 'customer B cannot delete A''s profile');
select pg_temp.act_as('agent_in');
select is(pg_temp.affected($$delete from public.profiles where id = pg_temp.uid('cust_a')$$), 0::bigint, 'agent in Q1 cannot delete profiles');
select pg_temp.act_as('agent_out');
select is(pg_temp.affected($$delete from public.profiles where id = pg_temp.uid('cust_a')$$), 0::bigint, 'agent in Q2 cannot delete profiles');
select pg_temp.act_as('admin');
select is(pg_temp.affected($$delete from public.profiles where id = pg_temp.uid('cust_a')$$), 0::bigint, 'admin cannot delete profiles either');

-- ============================ queues ============================
select pg_temp.act_as('anon');
select is_empty($$select 1 from public.queues$$, 'anon sees no queues');
select pg_temp.act_as('cust_a');
select results_eq($$select slug from public.queues where slug like 'test-%' order by 1$$, array['test-q1', 'test-q2'], 'customer A sees the queues (to pick one)');
select pg_temp.act_as('cust_b');
select results_eq($$select slug from public.queues where slug like 'test-%' order by 1$$, array['test-q1', 'test-q2'], 'customer B sees the queues');
select pg_temp.act_as('agent_in');
select results_eq($$select slug from public.queues where slug like 'test-%' order by 1$$, array['test-q1', 'test-q2'], 'agent in Q1 sees the queues');
select pg_temp.act_as('agent_out');
select results_eq($$select slug from public.queues where slug like 'test-%' order by 1$$, array['test-q1', 'test-q2'], 'agent in Q2 sees the queues');
select pg_temp.act_as('admin');
select results_eq($$select slug from public.queues where slug like 'test-%' order by 1$$, array['test-q1', 'test-q2'], 'admin sees the queues');

select pg_temp.act_as('anon');
select throws_ok($$insert into public.queues (slug, name) values ('test-x', 'X')$$, '42501', null, 'anon cannot create queues');
select pg_temp.act_as('cust_a');
select throws_ok($$insert into public.queues (slug, name) values ('test-x', 'X')$$, '42501', null, 'customer A cannot create queues');
select pg_temp.act_as('cust_b');
select throws_ok($$insert into public.queues (slug, name) values ('test-x', 'X')$$, '42501', null, 'customer B cannot create queues');
select pg_temp.act_as('agent_in');
select throws_ok($$insert into public.queues (slug, name) values ('test-x', 'X')$$, '42501', null, 'agent in Q1 cannot create queues');
select pg_temp.act_as('agent_out');
select throws_ok($$insert into public.queues (slug, name) values ('test-x', 'X')$$, '42501', null, 'agent in Q2 cannot create queues');
select pg_temp.act_as('admin');
select lives_ok($$insert into public.queues (id, slug, name) values ('20000000-0000-4000-8000-000000000003', 'test-q3', 'Test queue 3')$$, 'admin creates a queue');

select pg_temp.act_as('anon');
select is(pg_temp.affected($$update public.queues set name = 'x' where id = pg_temp.qid(1)$$), 0::bigint, 'anon cannot rename queues');
select pg_temp.act_as('cust_a');
select is(pg_temp.affected($$update public.queues set name = 'x' where id = pg_temp.qid(1)$$), 0::bigint, 'customer A cannot rename queues');
select pg_temp.act_as('cust_b');
select is(pg_temp.affected($$update public.queues set name = 'x' where id = pg_temp.qid(1)$$), 0::bigint, 'customer B cannot rename queues');
select pg_temp.act_as('agent_in');
select is(pg_temp.affected($$update public.queues set name = 'x' where id = pg_temp.qid(1)$$), 0::bigint, 'agent in Q1 cannot rename his queue');
select pg_temp.act_as('agent_out');
select is(pg_temp.affected($$update public.queues set name = 'x' where id = pg_temp.qid(1)$$), 0::bigint, 'agent in Q2 cannot rename queues');
select pg_temp.act_as('admin');
select is(pg_temp.affected($$update public.queues set description = 'Edited' where id = pg_temp.qid(1)$$), 1::bigint, 'admin edits a queue');

select pg_temp.act_as('anon');
select is(pg_temp.affected($$delete from public.queues where id = pg_temp.qid(3)$$), 0::bigint, 'anon cannot delete queues');
select pg_temp.act_as('cust_a');
select is(pg_temp.affected($$delete from public.queues where id = pg_temp.qid(3)$$), 0::bigint, 'customer A cannot delete queues');
select pg_temp.act_as('cust_b');
select is(pg_temp.affected($$delete from public.queues where id = pg_temp.qid(3)$$), 0::bigint, 'customer B cannot delete queues');
select pg_temp.act_as('agent_in');
select is(pg_temp.affected($$delete from public.queues where id = pg_temp.qid(3)$$), 0::bigint, 'agent in Q1 cannot delete queues');
select pg_temp.act_as('agent_out');
select is(pg_temp.affected($$delete from public.queues where id = pg_temp.qid(3)$$), 0::bigint, 'agent in Q2 cannot delete queues');
select pg_temp.act_as('admin');
select is(pg_temp.affected($$delete from public.queues where id = pg_temp.qid(3)$$), 1::bigint, 'admin deletes a queue');

-- ============================ queue_members ============================
select pg_temp.act_as('anon');
select is_empty($$select 1 from public.queue_members$$, 'anon sees no memberships');
select pg_temp.act_as('cust_a');
select is_empty($$select 1 from public.queue_members$$, 'customer A sees no memberships');
select pg_temp.act_as('cust_b');
select is_empty($$select 1 from public.queue_members$$, 'customer B sees no memberships');
select pg_temp.act_as('agent_in');
select results_eq($$select count(*) from public.queue_members where queue_id in (pg_temp.qid(1), pg_temp.qid(2))$$, array[2::bigint],
  'agent in Q1 sees all memberships (to pick assignees)');
select pg_temp.act_as('agent_out');
select results_eq($$select count(*) from public.queue_members where queue_id in (pg_temp.qid(1), pg_temp.qid(2))$$, array[2::bigint],
  'agent in Q2 sees all memberships');
select pg_temp.act_as('admin');
select results_eq($$select count(*) from public.queue_members where queue_id in (pg_temp.qid(1), pg_temp.qid(2))$$, array[2::bigint],
  'admin sees all memberships');

select pg_temp.act_as('anon');
select throws_ok($$insert into public.queue_members (queue_id, agent_id) values (pg_temp.qid(1), pg_temp.uid('agent_out'))$$, '42501', null, 'anon cannot add members');
select pg_temp.act_as('cust_a');
select throws_ok($$insert into public.queue_members (queue_id, agent_id) values (pg_temp.qid(1), pg_temp.uid('agent_out'))$$, '42501', null, 'customer A cannot add members');
select pg_temp.act_as('cust_b');
select throws_ok($$insert into public.queue_members (queue_id, agent_id) values (pg_temp.qid(1), pg_temp.uid('agent_out'))$$, '42501', null, 'customer B cannot add members');
select pg_temp.act_as('agent_in');
select throws_ok($$insert into public.queue_members (queue_id, agent_id) values (pg_temp.qid(1), pg_temp.uid('agent_out'))$$, '42501', null, 'agent in Q1 cannot add members to his queue');
select pg_temp.act_as('agent_out');
select throws_ok($$insert into public.queue_members (queue_id, agent_id) values (pg_temp.qid(1), pg_temp.uid('agent_out'))$$, '42501', null, 'agent in Q2 cannot add himself to Q1');
select pg_temp.act_as('admin');
select lives_ok($$insert into public.queue_members (queue_id, agent_id) values (pg_temp.qid(1), pg_temp.uid('agent_out'))$$, 'admin adds an agent to a queue');
select throws_ok($$insert into public.queue_members (queue_id, agent_id) values (pg_temp.qid(1), pg_temp.uid('cust_a'))$$, '23514', null,
  'a customer cannot be a queue member');

select pg_temp.act_as('anon');
select is(pg_temp.affected($$update public.queue_members set created_at = now() where queue_id = pg_temp.qid(1)$$), 0::bigint, 'anon cannot update memberships');
select pg_temp.act_as('cust_a');
select is(pg_temp.affected($$update public.queue_members set created_at = now() where queue_id = pg_temp.qid(1)$$), 0::bigint, 'customer A cannot update memberships');
select pg_temp.act_as('cust_b');
select is(pg_temp.affected($$update public.queue_members set created_at = now() where queue_id = pg_temp.qid(1)$$), 0::bigint, 'customer B cannot update memberships');
select pg_temp.act_as('agent_in');
select is(pg_temp.affected($$update public.queue_members set created_at = now() where queue_id = pg_temp.qid(1)$$), 0::bigint, 'agent in Q1 cannot update memberships');
select pg_temp.act_as('agent_out');
select is(pg_temp.affected($$update public.queue_members set created_at = now() where queue_id = pg_temp.qid(2)$$), 0::bigint, 'agent in Q2 cannot update memberships');
select pg_temp.act_as('admin');
select is(pg_temp.affected($$update public.queue_members set created_at = now() where queue_id = pg_temp.qid(2)$$), 1::bigint, 'admin updates a membership');

select pg_temp.act_as('anon');
select is(pg_temp.affected($$delete from public.queue_members where queue_id = pg_temp.qid(1)$$), 0::bigint, 'anon cannot remove members');
select pg_temp.act_as('cust_a');
select is(pg_temp.affected($$delete from public.queue_members where queue_id = pg_temp.qid(1)$$), 0::bigint, 'customer A cannot remove members');
select pg_temp.act_as('cust_b');
select is(pg_temp.affected($$delete from public.queue_members where queue_id = pg_temp.qid(1)$$), 0::bigint, 'customer B cannot remove members');
select pg_temp.act_as('agent_in');
select is(pg_temp.affected($$delete from public.queue_members where agent_id = pg_temp.uid('agent_in')$$), 0::bigint, 'agent in Q1 cannot leave a queue himself');
select pg_temp.act_as('agent_out');
select is(pg_temp.affected($$delete from public.queue_members where queue_id = pg_temp.qid(1)$$), 0::bigint, 'agent in Q2 cannot remove members');
select pg_temp.act_as('admin');
select is(pg_temp.affected($$delete from public.queue_members where queue_id = pg_temp.qid(1) and agent_id = pg_temp.uid('agent_out')$$), 1::bigint, 'admin removes a member');

-- ============================ profile follows auth.users ============================
select pg_temp.act_as('postgres');
update auth.users set email = 'cust.a2@test.local', raw_user_meta_data = '{"display_name":"A. Customer"}'
 where id = pg_temp.uid('cust_a');
select results_eq($$select email, display_name from public.profiles where id = pg_temp.uid('cust_a')$$,
  $$values ('cust.a2@test.local', 'A. Customer')$$, 'email and a new display_name in user metadata flow into the profile');
update auth.users set last_sign_in_at = now(), raw_user_meta_data = '{"display_name":"A. Customer","theme":"dark"}'
 where id = pg_temp.uid('cust_a');
update public.profiles set display_name = 'Picked in the app' where id = pg_temp.uid('cust_a');
update auth.users set raw_user_meta_data = '{"display_name":"A. Customer","theme":"light"}' where id = pg_temp.uid('cust_a');
select is((select display_name from public.profiles where id = pg_temp.uid('cust_a')), 'Picked in the app',
  'other metadata changes keep the profile''s display_name');

SELECT * FROM finish();
ROLLBACK;
