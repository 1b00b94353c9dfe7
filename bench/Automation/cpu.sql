-- CPU time per ticket write inside one backend (user + system time of the backend process, read from /proc/self/stat,
-- so it needs a superuser session on Linux), which a busy machine distorts far less than throughput. Each figure is
-- one batch of writes as the signed-in agent, rolled back afterwards; scenarios alternate their order per round.
-- Expects the bench database of run.sh and psql variables :rounds and :batch (set as bench.rounds, bench.batch).
create function pg_temp.cpu_ms() returns numeric language sql as $$
  select (split_part(s, ' ', 12)::numeric + split_part(s, ' ', 13)::numeric) * 1000 / 100
    from (select split_part(pg_read_file('/proc/self/stat', 0, 1000), ') ', 2) s) x
$$;

create function pg_temp.writes(op text, n int) returns void language plpgsql as $$
declare i int;
begin
  perform set_config('role', 'authenticated', true),
          set_config('request.jwt.claims', '{"sub": "b0000000-0000-4000-8000-000000000001", "role": "authenticated"}', true);
  for i in 1..n loop
    if op = 'create' then
      insert into public.tickets (subject, requester_id, metadata)
      values ('Created ' || i, 'b0000000-0000-4000-8000-00000000000c', jsonb_build_object('channel', 'web', 'n', i));
    else
      update public.tickets set priority = (array['low', 'normal', 'high'])[1 + i % 3]::public.ticket_priority,
                                metadata = metadata || jsonb_build_object('n', i)
       where number = i;
    end if;
  end loop;
  perform set_config('role', 'none', true);
end $$;

create function pg_temp.configure(scenario text) returns void language plpgsql as $$
begin
  delete from public.automation_rules;
  if scenario = 'off' then
    alter table public.tickets disable trigger tickets_zz_automation;
  else
    alter table public.tickets enable trigger tickets_zz_automation;
  end if;
  if scenario in ('rules20', 'rules20_firing') then
    execute pg_read_file(current_setting('bench.dir') || '/rules.sql');
  end if;
  if scenario = 'rules20_firing' then
    execute pg_read_file(current_setting('bench.dir') || '/firing.sql');
  end if;
end $$;

create function pg_temp.measure(scenario text, op text, n int) returns numeric language plpgsql as $$
declare
  c0 numeric;
  v_us numeric;
begin
  begin
    perform pg_temp.configure(scenario);
    c0 := pg_temp.cpu_ms();
    perform pg_temp.writes(op, n);
    v_us := round((pg_temp.cpu_ms() - c0) * 1000 / n, 1);
    raise exception 'roll back';
  exception when raise_exception then
    null;
  end;
  return v_us;
end $$;

create temp table cpu_figures (scenario text, op text, us numeric);
do $$
declare
  v_round int;
  v_scenario text;
  v_op text;
  v_order text[] := array['off', 'none', 'rules20', 'rules20_firing'];
begin
  perform pg_temp.measure('rules20', 'create', 200);  -- warm-up (plans are made once per session)
  for v_round in 1 .. current_setting('bench.rounds')::int loop
    foreach v_op in array array['create', 'update'] loop
      foreach v_scenario in array case when v_round % 2 = 1 then v_order
                                       else array['rules20_firing', 'rules20', 'none', 'off'] end loop
        insert into cpu_figures values (v_scenario, v_op, pg_temp.measure(v_scenario, v_op, current_setting('bench.batch')::int));
      end loop;
    end loop;
  end loop;
end $$;

select '| ' || f.scenario || ' | ' || f.op || ' | ' || percentile_cont(0.5) within group (order by f.us)
       || ' | ' || round((percentile_cont(0.5) within group (order by f.us) / (
            select percentile_cont(0.5) within group (order by b.us) from cpu_figures b
             where b.op = f.op and b.scenario = 'none'))::numeric, 2)
       || ' |'
  from cpu_figures f group by f.scenario, f.op order by f.op, array_position(array['off', 'none', 'rules20', 'rules20_firing'], f.scenario);
