-- CPU time per ticket write inside one backend (user + system time of the backend process, read from /proc/self/stat,
-- so it needs a superuser session on Linux), which a busy machine distorts far less than throughput. Each figure
-- is one batch of writes as the signed-in agent, rolled back afterwards; scenarios alternate their order per round.
-- Expects the bench database of run.sh (the agent, the customer, :tickets tickets) and psql variables
-- :rounds and :batch.
create function pg_temp.cpu_ms() returns numeric language sql as $$
  select (split_part(s, ' ', 12)::numeric + split_part(s, ' ', 13)::numeric) * 1000 / 100
    from (select split_part(pg_read_file('/proc/self/stat', 0, 1000), ') ', 2) s) x
$$;

create function pg_temp.writes(op text, n int, meta jsonb) returns void language plpgsql as $$
declare i int;
begin
  perform set_config('role', 'authenticated', true),
          set_config('request.jwt.claims', '{"sub": "b0000000-0000-4000-8000-000000000001", "role": "authenticated"}', true);
  for i in 1..n loop
    if op = 'create' then
      insert into public.tickets (subject, requester_id, metadata)
      values ('Created', 'b0000000-0000-4000-8000-00000000000c', meta || jsonb_build_object('n', i));
    else
      update public.tickets set metadata = metadata || meta || jsonb_build_object('n', i) where number = i;
    end if;
  end loop;
  perform set_config('role', 'none', true);
end $$;

create function pg_temp.measure(scenario text, op text, n int) returns numeric language plpgsql as $$
declare
  c0 numeric;
  v_us numeric;
  v_meta jsonb := case when scenario in ('values5', 'off_values') then
    '{"channel": "web", "plan": "free", "seats": 3, "renewal": "2027-01-15", "vip": true, "tier": "gold"}'::jsonb
    else '{"channel": "web", "source": "bench"}'::jsonb end;
begin
  begin
    if scenario in ('off', 'off_values') then
      alter table public.tickets disable trigger tickets_fields_before_write, disable trigger tickets_fields_after_insert;
    end if;
    if scenario = 'none' then
      delete from public.ticket_fields;
    end if;
    c0 := pg_temp.cpu_ms();
    perform pg_temp.writes(op, n, v_meta);
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
  v_order text[] := array['off', 'none', 'defs20', 'off_values', 'values5'];
begin
  perform pg_temp.measure('defs20', 'create', 200);  -- warm-up
  for v_round in 1 .. current_setting('bench.rounds')::int loop
    foreach v_op in array array['create', 'update'] loop
      foreach v_scenario in array case when v_round % 2 = 1 then v_order
                                       else array['values5', 'off_values', 'defs20', 'none', 'off'] end loop
        insert into cpu_figures values (v_scenario, v_op, pg_temp.measure(v_scenario, v_op, current_setting('bench.batch')::int));
      end loop;
    end loop;
  end loop;
end $$;

select '| ' || f.scenario || ' | ' || f.op || ' | ' || percentile_cont(0.5) within group (order by f.us)
       || ' | ' || round((percentile_cont(0.5) within group (order by f.us) - (
            select percentile_cont(0.5) within group (order by b.us) from cpu_figures b
             where b.op = f.op and b.scenario = case when f.scenario in ('values5', 'off_values') then 'off_values' else 'off' end))::numeric, 1)
       || ' |'
  from cpu_figures f group by f.scenario, f.op order by f.op, array_position(array['off', 'none', 'defs20', 'off_values', 'values5'], f.scenario);
