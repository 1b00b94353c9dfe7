-- pgTAP: saved views (public.ticket_views): own views for everyone, shared views made by admins for staff.
BEGIN;
-- Fixture: customers A and B, agent_in, admin (ids as in 02_rls_tickets). Views 35000000-…-00000000000N.
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;

create function pg_temp.act_as(who text) returns void language plpgsql as $act$
declare
  v_sub text := case who
    when 'cust_a' then '10000000-0000-4000-8000-00000000000a'
    when 'cust_b' then '10000000-0000-4000-8000-00000000000b'
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
create function pg_temp.affected(stmt text) returns bigint language plpgsql as $aff$
declare n bigint;
begin
  execute stmt;
  get diagnostics n = row_count;
  return n;
end
$aff$;
create function pg_temp.vid(n int) returns uuid language sql immutable as $u$
  select ('35000000-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid
$u$;
create function pg_temp.names() returns text[] language sql as $n$
  select coalesce(array_agg(v.name order by v.name), '{}') from public.ticket_views v where v.id::text like '35000000-%'
$n$;

insert into auth.users (id, email) values
  ('10000000-0000-4000-8000-00000000000a', 'cust.a@test.local'),
  ('10000000-0000-4000-8000-00000000000b', 'cust.b@test.local'),
  ('10000000-0000-4000-8000-000000000001', 'agent.in@test.local'),
  ('10000000-0000-4000-8000-000000000003', 'admin@test.local');
update public.profiles set role = 'agent' where id = '10000000-0000-4000-8000-000000000001';
update public.profiles set role = 'admin' where id = '10000000-0000-4000-8000-000000000003';

SELECT plan(30);

-- ================ own views ================
select pg_temp.act_as('cust_a');
select lives_ok($$insert into public.ticket_views (id, name, query) values (pg_temp.vid(1), 'My open ones', 'status:open')$$,
  'a customer saves a view; owner defaults to her');
select is((select owner_id from public.ticket_views where id = pg_temp.vid(1)), '10000000-0000-4000-8000-00000000000a'::uuid,
  'she owns it');
select is((select sort from public.ticket_views where id = pg_temp.vid(1)), 'updated_at.desc', 'the default sort');
select throws_ok($$insert into public.ticket_views (name, shared) values ('Team', true)$$, '42501', null,
  'a customer cannot share a view');
select throws_ok($$insert into public.ticket_views (name, owner_id) values ('Theirs', '10000000-0000-4000-8000-00000000000b')$$,
  '42501', null, 'nor save one for someone else');
select throws_ok($$insert into public.ticket_views (name) values ('my open ONES')$$, '23505', null,
  'view names are unique per owner, whatever the case');
select throws_ok($$insert into public.ticket_views (name) values ('   ')$$, '23514', null, 'a view needs a name');
select throws_ok($$insert into public.ticket_views (name, sort) values ('Sorted', 'subject.asc')$$, '23514', null,
  'only known sorts');
select throws_ok($$insert into public.ticket_views (name, query) values ('Long', repeat('x', 1001))$$, '23514', null,
  'a query has at most 1000 characters');
select is(pg_temp.affected($$update public.ticket_views set name = 'Open ones', position = 2 where id = pg_temp.vid(1)$$), 1::bigint,
  'she renames and moves her view');
select throws_ok($$update public.ticket_views set owner_id = '10000000-0000-4000-8000-00000000000b' where id = pg_temp.vid(1)$$,
  '42501', null, 'she cannot give it away');
select throws_ok($$update public.ticket_views set shared = true where id = pg_temp.vid(1)$$, '42501', null,
  'she cannot share it');

select pg_temp.act_as('cust_b');
select is(pg_temp.names(), '{}', 'another customer does not see her views');
select is(pg_temp.affected($$update public.ticket_views set name = 'x' where id = pg_temp.vid(1)$$), 0::bigint,
  'nor change them');
select is(pg_temp.affected($$delete from public.ticket_views where id = pg_temp.vid(1)$$), 0::bigint, 'nor delete them');
select lives_ok($$insert into public.ticket_views (id, name) values (pg_temp.vid(2), 'Open ones')$$,
  'he may use the same name for his own view');

-- ================ shared views ================
select pg_temp.act_as('admin');
select lives_ok($$insert into public.ticket_views (id, name, query, shared, sort) values
                  (pg_temp.vid(3), 'Billing backlog', 'queue:billing status:open', true, 'created_at.asc')$$,
  'an admin saves a shared view');
select throws_ok($$insert into public.ticket_views (name, shared) values ('billing BACKLOG', true)$$, '23505', null,
  'shared view names are unique');
select pg_temp.act_as('agent_in');
select is(pg_temp.names(), '{"Billing backlog"}', 'agents see shared views');
select is(pg_temp.affected($$update public.ticket_views set name = 'Mine now' where id = pg_temp.vid(3)$$), 0::bigint,
  'an agent cannot change a shared view');
select is(pg_temp.affected($$delete from public.ticket_views where id = pg_temp.vid(3)$$), 0::bigint,
  'nor delete it');
select lives_ok($$insert into public.ticket_views (id, name) values (pg_temp.vid(4), 'Billing backlog')$$,
  'an agent''s own view may share a name with a shared one');
select is(pg_temp.names(), '{"Billing backlog","Billing backlog"}', 'he sees his own and the shared view');
select pg_temp.act_as('cust_a');
select is(pg_temp.names(), '{"Open ones"}', 'customers never see shared views');
select pg_temp.act_as('admin');
select is(pg_temp.names(), '{"Billing backlog"}', 'an admin sees shared views and her own, not others'' own');
select is(pg_temp.affected($$update public.ticket_views set query = 'queue:billing' where id = pg_temp.vid(3)$$), 1::bigint,
  'an admin changes a shared view');
select is(pg_temp.affected($$delete from public.ticket_views where id = pg_temp.vid(3)$$), 1::bigint,
  'and deletes it');

-- ================ anon, service role, deletion of the owner ================
select pg_temp.act_as('anon');
select throws_ok($$select * from public.ticket_views$$, '42501', null, 'anon cannot read views');
select pg_temp.act_as('service_role');
select is((select count(*) from public.ticket_views where id::text like '35000000-%'), 3::bigint, 'the service role sees all');
select pg_temp.act_as('postgres');
delete from auth.users where id = '10000000-0000-4000-8000-00000000000a';
select is((select count(*) from public.ticket_views where id = pg_temp.vid(1)), 0::bigint, 'a deleted user''s views go with her');

SELECT * FROM finish();
ROLLBACK;
