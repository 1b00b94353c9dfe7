-- AI triage: new tickets wait in a queue for the triage worker (AutoCrm.Sdk.AI, a hosted service with the service-role
-- key), which asks a chat model for a priority, tags, language and sentiment and records what it applied. Forward-only.
--
-- Exactly once per ticket, restart-safe:
--   * a ticket joins autocrm_private.ai_triage_jobs in its own insert's transaction, while triage is switched on
--     (set_ai_triage(true), which the worker calls when it starts); nothing is queued while it is off;
--   * lease_ai_triage_jobs hands due jobs to one worker (FOR UPDATE SKIP LOCKED plus a lease id and end time);
--   * complete_ai_triage_job applies the suggestion, writes one ai_triaged event (with the model's name) and removes the
--     job in one transaction, and only for the holder of a live lease: a worker that died after asking the model leaves
--     its job leased until the lease ends, then another worker asks again and applies once;
--   * release_ai_triage_job puts a failed job back with a retry time (or gives it up: next_attempt_at = infinity, kept
--     with its last error for operators).
-- Only the service role may call these functions; the queue lives in autocrm_private, which no API role can read.

-- ---------------------------------------------------------------------------
-- ticket_events: ai_triaged (internal: staff only), changes = {field: [old, new]} for what was applied plus
-- language and sentiment as [null, value]; model = the chat model's name.
-- ---------------------------------------------------------------------------
alter table public.ticket_events add column model text;
comment on column public.ticket_events.model is 'ai_triaged: the chat model whose suggestion was applied.';

-- From 20261205083924_time_based_automation.sql (the newest definition), plus ai_triaged.
alter table public.ticket_events drop constraint ticket_events_kind_check;
alter table public.ticket_events add constraint ticket_events_kind_check check (kind in (
  'created', 'status_changed', 'priority_changed', 'assignee_changed', 'queue_changed', 'tags_changed',
  'fields_changed', 'rule_applied', 'rule_loop_stopped', 'sla_breached', 'agent_load_changed', 'rule_failed',
  'ai_triaged')) not valid;
alter table public.ticket_events validate constraint ticket_events_kind_check;

-- ---------------------------------------------------------------------------
-- The switch and the queue
-- ---------------------------------------------------------------------------
create table autocrm_private.ai_triage_settings (
  id boolean primary key default true constraint ai_triage_settings_single_row check (id),
  enabled boolean not null default false,
  updated_at timestamptz not null default now()
);
insert into autocrm_private.ai_triage_settings default values;

create table autocrm_private.ai_triage_jobs (
  ticket_id uuid primary key references public.tickets (id) on delete cascade,
  created_at timestamptz not null default now(),
  next_attempt_at timestamptz not null default now(),
  attempts integer not null default 0,
  lease_id uuid,
  leased_until timestamptz,
  last_error text
);
comment on table autocrm_private.ai_triage_jobs is
  'New tickets waiting for the AI triage worker; a row is removed when its suggestion is applied.';
-- The lease scans due jobs in order; given-up jobs (infinity) stay out of its way.
create index ai_triage_jobs_due on autocrm_private.ai_triage_jobs (next_attempt_at);

create function autocrm_private.tickets_queue_ai_triage()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  -- One primary-key read of a one-row table on every insert while triage is off.
  if (select s.enabled from autocrm_private.ai_triage_settings s where s.id) then
    insert into autocrm_private.ai_triage_jobs (ticket_id) values (new.id) on conflict do nothing;
  end if;
  return null;
end;
$$;

create trigger tickets_queue_ai_triage
  after insert on public.tickets
  for each row execute function autocrm_private.tickets_queue_ai_triage();

-- ---------------------------------------------------------------------------
-- The worker's interface (service role only)
-- ---------------------------------------------------------------------------

-- Switches queueing on or off; returns the new setting. Jobs already queued stay queued.
create function public.set_ai_triage(enabled boolean)
returns boolean
language sql
security definer
set search_path = ''
as $$
  update autocrm_private.ai_triage_settings s
     set enabled = coalesce(set_ai_triage.enabled, false), updated_at = now()
   where s.id
  returning s.enabled;
$$;

-- Leases up to max_count due jobs, oldest first, to one caller for lease_seconds.
create function public.lease_ai_triage_jobs(max_count integer, lease_seconds integer, now timestamptz default now())
returns table (ticket_id uuid, lease_id uuid, attempts integer)
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_lease uuid := gen_random_uuid();
  v_now timestamptz := lease_ai_triage_jobs.now;
begin
  if max_count is null or max_count not between 1 and 1000 then
    raise exception 'field "max_count": must be between 1 and 1000' using errcode = '22023';
  end if;
  if lease_seconds is null or lease_seconds not between 1 and 3600 then
    raise exception 'field "lease_seconds": must be between 1 and 3600' using errcode = '22023';
  end if;
  return query
    with due as (
      select j.ticket_id
        from autocrm_private.ai_triage_jobs j
       where j.next_attempt_at <= v_now
         and (j.leased_until is null or j.leased_until <= v_now)
       order by j.next_attempt_at
       limit max_count
         for update skip locked
    )
    update autocrm_private.ai_triage_jobs j
       set lease_id = v_lease,
           leased_until = v_now + make_interval(secs => lease_seconds),
           attempts = j.attempts + 1
      from due
     where j.ticket_id = due.ticket_id
    returning j.ticket_id, j.lease_id, j.attempts;
end;
$$;

-- Applies a triage suggestion to the ticket, records one ai_triaged event and removes the job, if p_lease_id still
-- holds the job's lease at `now`. Returns what changed ({field: [old, new]}, with language and sentiment), or null when
-- the lease is gone (nothing is written: another worker owns the job now, or it is done).
-- The priority is set only while the ticket still has the default priority and nobody has changed it (a customer's or
-- an agent's choice, or a rule's, wins); tags are only added, never removed.
create function public.complete_ai_triage_job(
  ticket_id uuid, lease_id uuid, model text, priority public.ticket_priority default null, tags text[] default null,
  language text default null, sentiment text default null, now timestamptz default now())
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_ticket_id uuid := complete_ai_triage_job.ticket_id;
  v_job autocrm_private.ai_triage_jobs;
  v_ticket public.tickets;
  v_priority public.ticket_priority;
  v_tags text[];
  v_changes jsonb := '{}'::jsonb;
begin
  if model is null or btrim(model) = '' or char_length(model) > 200 then
    raise exception 'field "model": the model''s name is required (at most 200 characters)' using errcode = '22023';
  end if;
  if language is not null and language !~ '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$' then
    raise exception 'field "language": % is not a language tag such as en or pt-BR', language using errcode = '22023';
  end if;
  if sentiment is not null and sentiment not in ('negative', 'neutral', 'positive') then
    raise exception 'field "sentiment": % is not one of negative, neutral, positive', sentiment using errcode = '22023';
  end if;
  if tags is not null and (array_position(tags, null) is not null
      or exists (select 1 from unnest(tags) t where btrim(t) = '' or char_length(t) > 50)) then
    raise exception 'field "tags": tags must be 1 to 50 characters' using errcode = '22023';
  end if;

  select * into v_job from autocrm_private.ai_triage_jobs j where j.ticket_id = v_ticket_id for update;
  if not found or v_job.lease_id is distinct from complete_ai_triage_job.lease_id
     or v_job.leased_until is null or v_job.leased_until < complete_ai_triage_job.now then
    return null;
  end if;

  select * into v_ticket from public.tickets t where t.id = v_ticket_id for update;
  v_priority := v_ticket.priority;
  if complete_ai_triage_job.priority is not null and complete_ai_triage_job.priority <> v_ticket.priority
     and v_ticket.priority = 'normal'
     and not exists (select 1 from public.ticket_events e where e.ticket_id = v_ticket_id and e.kind = 'priority_changed') then
    v_priority := complete_ai_triage_job.priority;
    v_changes := v_changes || jsonb_build_object('priority', jsonb_build_array(v_ticket.priority, v_priority));
  end if;

  v_tags := v_ticket.tags || array(
    select x.tag
      from (select lower(btrim(t)) as tag, min(i) as first
              from unnest(coalesce(complete_ai_triage_job.tags, '{}'::text[])) with ordinality u(t, i)
             group by 1) x
     where not (x.tag = any (v_ticket.tags))
     order by x.first);
  if v_tags is distinct from v_ticket.tags then
    v_changes := v_changes || jsonb_build_object('tags', jsonb_build_array(to_jsonb(v_ticket.tags), to_jsonb(v_tags)));
  end if;

  if v_changes <> '{}'::jsonb then
    update public.tickets t set priority = v_priority, tags = v_tags where t.id = v_ticket_id;
  end if;
  if language is not null then
    v_changes := v_changes || jsonb_build_object('language', jsonb_build_array(null, language));
  end if;
  if sentiment is not null then
    v_changes := v_changes || jsonb_build_object('sentiment', jsonb_build_array(null, sentiment));
  end if;

  insert into public.ticket_events (ticket_id, actor_id, kind, changes, visibility, model)
  values (v_ticket_id, null, 'ai_triaged', v_changes, 'internal', btrim(model));
  delete from autocrm_private.ai_triage_jobs j where j.ticket_id = v_ticket_id;
  return v_changes;
end;
$$;

-- Puts a job whose triage failed back in the queue at retry_at (null: give it up, kept with its error), if p_lease_id
-- still holds its lease. Returns whether it did.
create function public.release_ai_triage_job(ticket_id uuid, lease_id uuid, error text, retry_at timestamptz)
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
begin
  update autocrm_private.ai_triage_jobs j
     set lease_id = null, leased_until = null, next_attempt_at = coalesce(retry_at, 'infinity'),
         last_error = left(error, 1000)
   where j.ticket_id = release_ai_triage_job.ticket_id and j.lease_id = release_ai_triage_job.lease_id;
  return found;
end;
$$;

revoke all on function public.set_ai_triage(boolean) from public, anon, authenticated;
revoke all on function public.lease_ai_triage_jobs(integer, integer, timestamptz) from public, anon, authenticated;
revoke all on function public.complete_ai_triage_job(uuid, uuid, text, public.ticket_priority, text[], text, text, timestamptz)
  from public, anon, authenticated;
revoke all on function public.release_ai_triage_job(uuid, uuid, text, timestamptz) from public, anon, authenticated;
grant execute on function public.set_ai_triage(boolean) to service_role;
grant execute on function public.lease_ai_triage_jobs(integer, integer, timestamptz) to service_role;
grant execute on function public.complete_ai_triage_job(uuid, uuid, text, public.ticket_priority, text[], text, text, timestamptz)
  to service_role;
grant execute on function public.release_ai_triage_job(uuid, uuid, text, timestamptz) to service_role;
revoke all on function autocrm_private.tickets_queue_ai_triage() from public, anon, authenticated;
