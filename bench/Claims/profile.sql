-- Where a claim's time goes: the backend's CPU time per claim (user + system time of this backend, from /proc/self/stat;
-- a busy machine distorts it far less than a rate), for claim_next_ticket() with each part switched off in turn.
-- Each claim is its own transaction, as through PostgREST (the role and the JWT claims set per transaction, then the
-- claim), rolled back. Scenarios run in a different order each round; medians. Needs a superuser session (pg_read_file) on a
-- database with a claim backlog (the scale bench's claims copy); psql variables rounds and batch (-v rounds=3 -v batch=1000).
\set ON_ERROR_STOP 1
set track_functions = 'none';
set stats_fetch_consistency = 'none';
select set_config('bench.rounds', :'rounds', false), set_config('bench.batch', :'batch', false) \g /dev/null

create function pg_temp.cpu_ms() returns numeric language sql as $$
  select (split_part(s, ' ', 12)::numeric + split_part(s, ' ', 13)::numeric) * 1000 / 100
    from (select split_part(pg_read_file('/proc/self/stat', 0, 1000), ') ', 2) s) x
$$;

-- The agents that claim, in turn: the first 50 agents with queues, and their queues.
create temp table bench_agents as
  select row_number() over (order by a.agent_id) as n, a.agent_id,
         array(select qm.queue_id from public.queue_members qm where qm.agent_id = a.agent_id order by 1) as queues
    from (select distinct qm.agent_id from public.queue_members qm join public.profiles p on p.id = qm.agent_id
           where p.role = 'agent' order by 1 limit 50) a;

create procedure pg_temp.loop(p_kind text, p_n int) language plpgsql as $$
declare
  i int;
  v_agent uuid;
  v_queues uuid[];
  v_id uuid;
  v_agents uuid[] := array(select agent_id from pg_temp.bench_agents order by n);
  v_queue_lists jsonb := (select jsonb_agg(to_jsonb(queues) order by n) from pg_temp.bench_agents);
begin
  for i in 1..p_n loop
    v_agent := v_agents[1 + i % cardinality(v_agents)];
    v_queues := array(select jsonb_array_elements_text(v_queue_lists -> (i % cardinality(v_agents)))::uuid);
    if p_kind in ('claim', 'config') then
      perform set_config('role', 'authenticated', true),
              set_config('request.jwt.claims', json_build_object('sub', v_agent, 'role', 'authenticated')::text, true);
      if p_kind = 'claim' then
        select c.id into v_id from public.claim_next_ticket() c;
      end if;
    elsif p_kind = 'statement' then
      -- claim_next_ticket's statement on its own (superuser, the table's triggers off): no function, role check,
      -- agent state or capacity.
      update public.tickets u
         set assignee_id = v_agent, status = case when u.status = 'new' then 'open'::public.ticket_status else u.status end
       where u.id = (select c.id
                       from unnest(v_queues) as q (queue_id)
                       cross join lateral (
                         select t.id, t.priority, t.created_at from public.tickets t
                          where t.queue_id = q.queue_id and t.assignee_id is null and t.status in ('new', 'open')
                            and t.required_skills <@ '{}'::text[]
                          order by t.priority desc, t.created_at, t.id limit 1
                          for update of t skip locked) as c
                      order by c.priority desc, c.created_at, c.id limit 1);
    elsif p_kind = 'probe' then
      -- The index probes alone: each queue's first candidate, locked, the best chosen; nothing updated.
      select c.id into v_id
        from unnest(v_queues) as q (queue_id)
        cross join lateral (
          select t.id, t.priority, t.created_at from public.tickets t
           where t.queue_id = q.queue_id and t.assignee_id is null and t.status in ('new', 'open')
             and t.required_skills <@ '{}'::text[]
           order by t.priority desc, t.created_at, t.id limit 1
           for update of t skip locked) as c
       order by c.priority desc, c.created_at, c.id limit 1;
    elsif p_kind = 'plain' then
      -- The floor: the same SKIP LOCKED update on a plain table with one index that fits the order.
      update bench_plain_claims t set assignee_id = v_agent, status = 'open'
       where t.id = (select c.id from bench_plain_claims c
                      where c.assignee_id is null and c.status in ('new', 'open') and c.queue_id = any (v_queues)
                      order by c.priority desc, c.created_at, c.id limit 1
                      for update skip locked);
    end if;
    -- Rolled back: every claim of an agent finds the same first candidates, so the claim index never fills with the
    -- entries of claimed tickets and the figures do not drift as the batches go on (history rows, counter and state
    -- rows are written and undone like any other).
    rollback;
  end loop;
end $$;

-- The scenarios: everything on; without each update trigger of tickets (and of the tables a claim writes), in turn;
-- without every trigger of tickets; the claim's statement alone; the index probes alone; per-transaction set-up alone;
-- the plain-table floor.
create temp table bench_scenarios (name text primary key, kind text, setup text, teardown text);
insert into bench_scenarios values
  ('claim_next_ticket(), everything on', 'claim', null, null),
  ('claim_next_ticket(), no trigger of tickets', 'claim', 'alter table public.tickets disable trigger user', 'alter table public.tickets enable trigger user'),
  ('the claim''s statement alone (superuser, no trigger of tickets)', 'statement', 'alter table public.tickets disable trigger user', 'alter table public.tickets enable trigger user'),
  ('the index probes alone (each queue''s first candidate, locked)', 'probe', null, null),
  ('role + JWT claims set per transaction, nothing else', 'config', null, null),
  ('bare SKIP LOCKED update on a plain table', 'plain', null, null);
insert into bench_scenarios
  select format('claim_next_ticket() without %s on %s', t.tgname, c.relname), 'claim',
         format('alter table %s disable trigger %I', c.oid::regclass, t.tgname),
         format('alter table %s enable trigger %I', c.oid::regclass, t.tgname)
    from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
   where not t.tgisinternal and t.tgenabled <> 'D' and n.nspname in ('public', 'autocrm_private')
     and c.relname = 'tickets' and t.tgtype & 16 <> 0;  -- update triggers of tickets (the other tables a claim writes
                                                        -- fire nothing for it: see the calls per claim below)

create temp table bench_results (round int, name text, us numeric);

do $$
declare
  r int;
  s record;
  c0 numeric;
  v_rounds int := current_setting('bench.rounds')::int;
  v_batch int := current_setting('bench.batch')::int;
  v_count int := (select count(*) from pg_temp.bench_scenarios);
begin
  for r in 1..v_rounds loop
    for s in select * from pg_temp.bench_scenarios
              order by (row_number() over (order by name) + r * 7) % v_count loop
      if s.setup is not null then execute s.setup; end if;
      commit;
      c0 := pg_temp.cpu_ms();
      call pg_temp.loop(s.kind, v_batch);
      insert into pg_temp.bench_results values (r, s.name, round((pg_temp.cpu_ms() - c0) * 1000 / v_batch, 1));
      if s.teardown is not null then execute s.teardown; end if;
      commit;
    end loop;
    raise notice 'round % of % done (load average %)', r, v_rounds, split_part(pg_read_file('/proc/loadavg'), ' ', 1);
  end loop;
end $$;

\echo
\echo CPU time per claim in the backend (µs; median of the rounds; "saves" = everything on minus the scenario)
\echo
select format('| %s | %s | %s | %s |', name, med, case when kind = 'claim' then (full_us - med)::text else '' end, rounds)
  from (select b.name, s.kind,
               percentile_cont(0.5) within group (order by b.us)::numeric(10, 1) as med,
               string_agg(b.us::text, ' / ' order by b.round) as rounds
          from pg_temp.bench_results b join pg_temp.bench_scenarios s using (name) group by b.name, s.kind) x,
       lateral (select percentile_cont(0.5) within group (order by us)::numeric(10, 1) as full_us
                  from pg_temp.bench_results where name = 'claim_next_ticket(), everything on') f
 order by kind <> 'claim', med desc;

-- Function calls per claim (track_functions = all, one more batch of claims): what runs, how often, its own time.
-- (The statistics of this database are reset first: it is the bench's throwaway copy.)
select pg_stat_reset() \g /dev/null
set track_functions = 'all';
call pg_temp.loop('claim', :batch);
select pg_stat_force_next_flush() \g /dev/null
select pg_sleep(0.2) \g /dev/null
\echo
\echo Function calls per claim, with their own and their total time (µs per claim, wall clock in this backend)
\echo
select format('| %s | %s | %s | %s |', f.schemaname || '.' || f.funcname, round(f.calls::numeric / :batch, 2),
              round((f.self_time * 1000 / :batch)::numeric, 1), round((f.total_time * 1000 / :batch)::numeric, 1))
  from pg_stat_user_functions f
 where f.schemaname not like 'pg_temp%'
 order by f.total_time desc;
