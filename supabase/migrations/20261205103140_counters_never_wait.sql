-- Shared counters never wait, which ends the routing deadlocks (40P01) seen under concurrency.
--
-- The cause: queue_ticket_counts and autocrm_private.ticket_backlog_daily are split into shards chosen by the writing
-- backend (pid % 16, pid % 8). Two backends whose pids share a shard write the same rows, and one transaction can write
-- the counters of two queues in either order: a solve in queue A frees its agent's capacity, tickets_agent_load assigns
-- the agent a waiting ticket of queue B in a nested update (B's counters first), and only then the solve's own counter
-- row of A is written. Another backend doing the mirror image (a solve in B that assigns a ticket of A) locks the same
-- two rows in the opposite order. No lock order can be imposed on counters written from nested trigger statements.
--
-- The fix: a writer never waits for a counter row. It adds to any row of the key that no other transaction holds
-- (`for update skip locked`; a row its own transaction holds is never skipped), and when every row of the key is held,
-- it inserts a new row whose shard is its own pid (pids are unique among running backends, so no two transactions ever
-- insert the same new row; `on conflict do nothing` only meets a committed row of an earlier backend with that pid, and
-- then takes the next free number). A key has as many rows as writers ever touched it at the same moment; readers sum
-- them as before. The rebuild functions (recount_queue_tickets, rebuild_ticket_backlog_daily) are unchanged.

alter table public.queue_ticket_counts alter column shard type integer;
alter table autocrm_private.ticket_backlog_daily alter column shard type integer;
comment on table public.queue_ticket_counts is
  'Tickets per queue, status and unassigned-or-not, split over as many rows per key as writers touched it at once (a writer adds to a row nobody else holds, see 20261205103140_counters_never_wait.sql); maintained by triggers on tickets, read by queue_stats(). No foreign key: a deleted queue''s rows are harmless (its tickets move to no queue and the counts go to zero).';

-- Adds p_delta to one row of the key (queue, status, unassigned) without waiting for another transaction.
create function autocrm_private.add_queue_ticket_count(p_queue_id uuid, p_status public.ticket_status, p_unassigned boolean, p_delta bigint)
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_attempt integer := 0;
begin
  loop
    update public.queue_ticket_counts c
       set tickets = c.tickets + p_delta
     where (c.queue_id, c.status, c.unassigned, c.shard) =
           (select k.queue_id, k.status, k.unassigned, k.shard
              from public.queue_ticket_counts k
             where k.queue_id = p_queue_id and k.status = p_status and k.unassigned = p_unassigned
             limit 1
               for update skip locked);
    exit when found;
    insert into public.queue_ticket_counts (queue_id, status, unassigned, shard, tickets)
    values (p_queue_id, p_status, p_unassigned, pg_backend_pid() + v_attempt * 4194304, p_delta)
    on conflict do nothing;
    exit when found;
    v_attempt := v_attempt + 1;
  end loop;
end;
$$;

-- 20261205004332_scale_ticket_indexes_and_queue_counts.sql's definition (the only one), with the writes above.
create or replace function public.queue_ticket_counts_apply()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op in ('UPDATE', 'DELETE') and old.queue_id is not null then
    perform autocrm_private.add_queue_ticket_count(old.queue_id, old.status, old.assignee_id is null, -1);
  end if;
  if tg_op in ('UPDATE', 'INSERT') and new.queue_id is not null then
    perform autocrm_private.add_queue_ticket_count(new.queue_id, new.status, new.assignee_id is null, 1);
  end if;
  return null;
end;
$$;

-- Adds p_net to one row of the key (day, queue or none) without waiting for another transaction.
create function autocrm_private.add_ticket_backlog_net(p_day date, p_queue_id uuid, p_net bigint)
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_attempt integer := 0;
  v_shard integer;
begin
  loop
    -- Two spellings so each probe uses the (day, queue_id, shard) index: `=` never matches the null queue.
    if p_queue_id is null then
      select k.shard into v_shard from autocrm_private.ticket_backlog_daily k
       where k.day = p_day and k.queue_id is null
       limit 1
         for update skip locked;
      if found then
        update autocrm_private.ticket_backlog_daily d set net = d.net + p_net
         where d.day = p_day and d.queue_id is null and d.shard = v_shard;
        exit;
      end if;
    else
      select k.shard into v_shard from autocrm_private.ticket_backlog_daily k
       where k.day = p_day and k.queue_id = p_queue_id
       limit 1
         for update skip locked;
      if found then
        update autocrm_private.ticket_backlog_daily d set net = d.net + p_net
         where d.day = p_day and d.queue_id = p_queue_id and d.shard = v_shard;
        exit;
      end if;
    end if;
    insert into autocrm_private.ticket_backlog_daily (day, queue_id, shard, net)
    values (p_day, p_queue_id, pg_backend_pid() + v_attempt * 4194304, p_net)
    on conflict do nothing;
    exit when found;
    v_attempt := v_attempt + 1;
  end loop;
end;
$$;

-- 20261205081952_report_scale.sql's definition (the only one), with the writes above.
create or replace function autocrm_private.ticket_metric_facts_backlog()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_row record;
begin
  if tg_op = 'INSERT' then
    for v_row in
      select (f.occurred_at at time zone 'UTC')::date as day, f.queue_id, sum(case when f.kind = 'resolution' then -1 else 1 end) as net
        from inserted f
       where f.kind in ('created', 'resolution', 'reopen')
       group by 1, 2
    loop
      perform autocrm_private.add_ticket_backlog_net(v_row.day, v_row.queue_id, v_row.net);
    end loop;
  else
    for v_row in
      select (f.occurred_at at time zone 'UTC')::date as day, f.queue_id, -sum(case when f.kind = 'resolution' then -1 else 1 end) as net
        from deleted f
       where f.kind in ('created', 'resolution', 'reopen')
       group by 1, 2
    loop
      perform autocrm_private.add_ticket_backlog_net(v_row.day, v_row.queue_id, v_row.net);
    end loop;
  end if;
  return null;
end;
$$;

revoke execute on function autocrm_private.add_queue_ticket_count(uuid, public.ticket_status, boolean, bigint),
  autocrm_private.add_ticket_backlog_net(date, uuid, bigint)
  from public, anon, authenticated, service_role;
