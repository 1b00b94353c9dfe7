-- Analytics, part 1: report settings (CSAT scale, reporting calendar), immutable metric facts written at event time,
-- and CSAT ratings. docs/reports.md defines every metric. Forward-only.
--
-- Trigger order. Triggers of one kind fire in name order; this file adds new triggers beside the existing ones and
-- redefines no existing function:
--   tickets AFTER:          ... tickets_fields_*, tickets_metric_facts_insert / tickets_metric_facts_status,
--                           tickets_record_events, tickets_search_document_*, tickets_sla_*, tickets_zz_automation
--   ticket_messages AFTER:  ticket_messages_after_insert (touches the ticket: a requester's reply reopens it, which
--                           writes the reopen fact first), ticket_messages_emit_webhooks, ticket_messages_metric_facts,
--                           ticket_messages_search_document_*, ticket_messages_sla, ticket_messages_zz_automation
-- The facts read nothing another AFTER trigger of the same statement writes except the ticket's SLA calendar
-- (ticket_slas, written by tickets_sla_insert after the created fact, which has no duration), so their place in the
-- order changes no value. A rule's own update of the ticket passes through them again, like any update.

-- ---------------------------------------------------------------------------
-- report_settings: one row (admins change it; every signed-in user reads it, because the rating prompt shows the scale)
-- ---------------------------------------------------------------------------
create table public.report_settings (
  id boolean not null primary key default true,
  csat_scale text not null default 'good_bad',
  business_hours_id uuid references public.business_hours (id) on delete set null,
  updated_at timestamptz not null default now(),
  constraint report_settings_id_check check (id),
  constraint report_settings_csat_scale_check check (csat_scale in ('good_bad', 'five_point'))
);
comment on table public.report_settings is
  'One row: csat_scale (good_bad or five_point) for new ratings, and the calendar business minutes are counted in for '
  'tickets whose SLA clocks have none (docs/reports.md).';
insert into public.report_settings default values;

create trigger report_settings_set_updated_at
  before update on public.report_settings
  for each row execute function public.set_updated_at();

alter table public.report_settings enable row level security;
create policy report_settings_select on public.report_settings
  for select to authenticated using (true);
create policy report_settings_admin_update on public.report_settings
  for update to authenticated
  using ((select public.current_app_role() = 'admin'))
  with check ((select public.current_app_role() = 'admin'));
revoke all on public.report_settings from anon;
revoke insert, delete, truncate on public.report_settings from authenticated;

-- ---------------------------------------------------------------------------
-- ticket_metric_facts: append-only, one row per measured event, written by the triggers below
-- ---------------------------------------------------------------------------
create table public.ticket_metric_facts (
  id bigint generated always as identity primary key,
  ticket_id uuid not null references public.tickets (id) on delete cascade,
  kind text not null,
  occurred_at timestamptz not null,
  queue_id uuid,
  agent_id uuid,
  priority public.ticket_priority not null,
  channel text,
  calendar_minutes numeric,
  business_minutes numeric,
  business_hours_id uuid,
  sequence integer,
  replies integer,
  constraint ticket_metric_facts_kind_check check (kind in ('created', 'first_reply', 'next_reply', 'resolution', 'reopen'))
);
comment on table public.ticket_metric_facts is
  'Immutable metric facts written in the transaction of the event they measure: created, first_reply, next_reply, '
  'resolution (each solve), reopen. queue_id, agent_id, priority and channel are the values at that moment; '
  'calendar_minutes and business_minutes (when a calendar applies) measure the interval (docs/reports.md).';

-- Per ticket (the triggers' own look-ups, cascade deletes); by time, by queue and by agent (the report functions, which
-- read only these covering indexes).
create index ticket_metric_facts_ticket_idx on public.ticket_metric_facts (ticket_id, kind);
create index ticket_metric_facts_time_idx on public.ticket_metric_facts (kind, occurred_at)
  include (queue_id, agent_id, calendar_minutes, business_minutes, sequence);
create index ticket_metric_facts_queue_idx on public.ticket_metric_facts (queue_id, kind, occurred_at)
  include (agent_id, calendar_minutes, business_minutes, sequence);
create index ticket_metric_facts_agent_idx on public.ticket_metric_facts (agent_id, kind, occurred_at)
  include (queue_id, calendar_minutes, business_minutes, sequence)
  where agent_id is not null;

create function public.ticket_metric_facts_immutable()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  raise exception 'metric facts are immutable' using errcode = '42501';
end;
$$;
create trigger ticket_metric_facts_immutable
  before update on public.ticket_metric_facts
  for each row execute function public.ticket_metric_facts_immutable();

alter table public.ticket_metric_facts enable row level security;
-- Admins read every fact; agents the facts of their queues (what their reports cover); customers none.
create policy ticket_metric_facts_select on public.ticket_metric_facts
  for select to authenticated
  using ((select public.current_app_role() = 'admin')
         or ((select public.current_app_role() = 'agent')
             and queue_id = any ((select public.current_queue_ids())::uuid[])));
revoke all on public.ticket_metric_facts from anon;
revoke insert, update, delete, truncate on public.ticket_metric_facts from authenticated, service_role;

-- The calendar a ticket's business minutes are counted in: its SLA clocks' calendar (resolution first), else the
-- reporting calendar of report_settings; null: no business minutes.
create function autocrm_private.metric_calendar(p_ticket_id uuid)
returns uuid
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce(
    (select s.business_hours_id from public.ticket_slas s
      where s.ticket_id = p_ticket_id and s.business_hours_id is not null
      order by s.metric desc limit 1),
    (select r.business_hours_id from public.report_settings r));
$$;

-- Writes one fact from the ticket as it is now. p_from: the start of the measured interval (null: no duration).
create function autocrm_private.write_metric_fact(
  p_ticket public.tickets, p_kind text, p_at timestamptz, p_agent uuid, p_from timestamptz, p_sequence integer,
  p_replies integer)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_calendar uuid;
begin
  if p_from is not null then
    v_calendar := autocrm_private.metric_calendar(p_ticket.id);
  end if;
  insert into public.ticket_metric_facts (ticket_id, kind, occurred_at, queue_id, agent_id, priority, channel,
                                          calendar_minutes, business_minutes, business_hours_id, sequence, replies)
  values (p_ticket.id, p_kind, p_at, p_ticket.queue_id, p_agent, p_ticket.priority,
          left(nullif(p_ticket.metadata ->> 'channel', ''), 100),
          case when p_from is not null then round((extract(epoch from p_at) - extract(epoch from p_from)) / 60, 4) end,
          case when v_calendar is not null
               then round(autocrm_private.sla_minutes_between(v_calendar, p_from, p_at), 4) end,
          v_calendar, p_sequence, p_replies);
end;
$$;

-- Public replies of staff (agents and admins other than the requester) on a ticket so far.
create function autocrm_private.metric_staff_replies(p_ticket_id uuid, p_requester uuid)
returns integer
language sql
stable
security definer
set search_path = ''
as $$
  select count(*)::integer
    from public.ticket_messages m
    join public.profiles p on p.id = m.author_id
   where m.ticket_id = p_ticket_id and m.visibility = 'public' and m.author_id is distinct from p_requester
     and p.role in ('agent', 'admin');
$$;

-- A new ticket: the created fact; a ticket created solved or closed (an import) also its resolution.
create function public.tickets_metric_facts_insert()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform autocrm_private.write_metric_fact(new, 'created', new.created_at, new.assignee_id, null, null, null);
  if new.status in ('solved', 'closed') then
    perform autocrm_private.write_metric_fact(new, 'resolution', coalesce(new.solved_at, new.created_at),
                                              new.assignee_id, new.created_at, 1, 0);
  end if;
  return null;
end;
$$;

-- A status change: solving (into solved or closed from any other status) writes a resolution fact, measured from the
-- ticket's creation; reopening (out of solved or closed) writes a reopen fact. Closing a solved ticket writes nothing.
create function public.tickets_metric_facts_status()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if new.status in ('solved', 'closed') and old.status not in ('solved', 'closed') then
    perform autocrm_private.write_metric_fact(new, 'resolution', coalesce(new.solved_at, now()), new.assignee_id,
      new.created_at,
      1 + (select count(*)::integer from public.ticket_metric_facts f where f.ticket_id = new.id and f.kind = 'resolution'),
      autocrm_private.metric_staff_replies(new.id, new.requester_id));
  elsif old.status in ('solved', 'closed') and new.status not in ('solved', 'closed') then
    perform autocrm_private.write_metric_fact(new, 'reopen', now(), new.assignee_id, null,
      1 + (select count(*)::integer from public.ticket_metric_facts f where f.ticket_id = new.id and f.kind = 'reopen'),
      null);
  end if;
  return null;
end;
$$;

-- A public staff reply: the first one is the first_reply fact (from the ticket's creation); a later one answering
-- requester messages is a next_reply fact, measured from the oldest requester message since the previous answered
-- reply. Replies of the requester, internal notes and messages without an author (automation) measure nothing.
create function public.ticket_messages_metric_facts()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_ticket public.tickets;
  v_role public.app_role;
  v_last timestamptz;
  v_count integer;
  v_since timestamptz;
begin
  if new.author_id is null then
    return null;
  end if;
  select * into v_ticket from public.tickets t where t.id = new.ticket_id;
  if new.author_id = v_ticket.requester_id then
    return null;
  end if;
  select p.role into v_role from public.profiles p where p.id = new.author_id;
  if v_role is null or v_role not in ('agent', 'admin') then
    return null;
  end if;
  select max(f.occurred_at), count(*)::integer into v_last, v_count
    from public.ticket_metric_facts f
   where f.ticket_id = new.ticket_id and f.kind in ('first_reply', 'next_reply');
  if v_count = 0 then
    perform autocrm_private.write_metric_fact(v_ticket, 'first_reply', new.created_at, new.author_id,
                                              v_ticket.created_at, null, null);
    return null;
  end if;
  select min(m.created_at) into v_since
    from public.ticket_messages m
   where m.ticket_id = new.ticket_id and m.visibility = 'public' and m.author_id = v_ticket.requester_id
     and m.created_at > v_last and m.created_at <= new.created_at and m.id <> new.id;
  if v_since is not null then
    perform autocrm_private.write_metric_fact(v_ticket, 'next_reply', new.created_at, new.author_id, v_since,
                                              v_count, null);
  end if;
  return null;
end;
$$;

revoke execute on function autocrm_private.metric_calendar(uuid),
  autocrm_private.write_metric_fact(public.tickets, text, timestamptz, uuid, timestamptz, integer, integer),
  autocrm_private.metric_staff_replies(uuid, uuid),
  public.ticket_metric_facts_immutable(), public.tickets_metric_facts_insert(), public.tickets_metric_facts_status(),
  public.ticket_messages_metric_facts()
  from public, anon, authenticated, service_role;

create trigger tickets_metric_facts_insert
  after insert on public.tickets
  for each row execute function public.tickets_metric_facts_insert();
create trigger tickets_metric_facts_status
  after update of status on public.tickets
  for each row when (old.status is distinct from new.status)
  execute function public.tickets_metric_facts_status();
create trigger ticket_messages_metric_facts
  after insert on public.ticket_messages
  for each row when (new.visibility = 'public')
  execute function public.ticket_messages_metric_facts();

-- ---------------------------------------------------------------------------
-- ticket_ratings: CSAT, one rating per solve of a ticket, given by its requester (rate_ticket only)
-- ---------------------------------------------------------------------------
create table public.ticket_ratings (
  ticket_id uuid not null references public.tickets (id) on delete cascade,
  resolution integer not null,
  requester_id uuid not null references public.profiles (id) on delete cascade,
  scale text not null,
  score smallint not null,
  satisfied boolean not null,
  comment text,
  solved_at timestamptz not null,
  queue_id uuid,
  agent_id uuid,
  priority public.ticket_priority not null,
  channel text,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  primary key (ticket_id, resolution),
  constraint ticket_ratings_scale_check check (scale in ('good_bad', 'five_point')),
  constraint ticket_ratings_score_range check ((scale = 'good_bad' and score in (0, 1))
                                               or (scale = 'five_point' and score between 1 and 5)),
  constraint ticket_ratings_comment_length check (char_length(comment) <= 2000)
);
comment on table public.ticket_ratings is
  'CSAT: the requester''s rating of one solve of a ticket (resolution = the solve''s number). good_bad: score 1 good, '
  '0 bad; five_point: 1-5, satisfied from 4. Given and changed with rate_ticket for 7 days (docs/reports.md).';

create index ticket_ratings_solved_idx on public.ticket_ratings (solved_at) include (queue_id, agent_id, satisfied);
create index ticket_ratings_queue_idx on public.ticket_ratings (queue_id, solved_at) include (agent_id, satisfied);
create index ticket_ratings_agent_idx on public.ticket_ratings (agent_id, solved_at) include (queue_id, satisfied)
  where agent_id is not null;
create index ticket_ratings_requester_idx on public.ticket_ratings (requester_id);

alter table public.ticket_ratings enable row level security;
-- The requester reads their own ratings; staff read the ratings of the tickets they see (the tickets policy decides).
create policy ticket_ratings_select on public.ticket_ratings
  for select to authenticated
  using (requester_id = (select auth.uid())
         or ((select public.current_app_role() in ('agent', 'admin'))
             and exists (select 1 from public.tickets t where t.id = ticket_ratings.ticket_id)));
revoke all on public.ticket_ratings from anon;
revoke insert, update, delete, truncate on public.ticket_ratings from authenticated;

-- Rates the ticket's latest solve as its requester at `p_now`: the first call gives the rating, later calls change it
-- (score and comment together) until 7 days after it was given. The public rate_ticket passes now(); tests pass the
-- instant they check.
create function autocrm_private.rate_ticket(p_ticket_id uuid, p_rating text, p_comment text, p_now timestamptz)
returns public.ticket_ratings
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_uid uuid := auth.uid();
  v_ticket public.tickets;
  v_scale text := (select r.csat_scale from public.report_settings r);
  v_rating text := lower(btrim(coalesce(p_rating, '')));
  v_score smallint;
  v_fact public.ticket_metric_facts;
  v_row public.ticket_ratings;
begin
  if v_uid is null then
    raise exception 'sign in to rate a ticket' using errcode = '42501';
  end if;
  select * into v_ticket from public.tickets t where t.id = p_ticket_id;
  if v_ticket.id is null or v_ticket.requester_id is distinct from v_uid then
    raise exception 'ticket % not found', p_ticket_id using errcode = 'PT404';
  end if;
  if v_ticket.status not in ('solved', 'closed') then
    raise exception 'ticket % is not solved: a ticket can be rated once it is solved', v_ticket.number
      using errcode = 'PT409';
  end if;
  v_score := case
               when v_scale = 'good_bad' and v_rating = 'good' then 1
               when v_scale = 'good_bad' and v_rating = 'bad' then 0
               when v_scale = 'five_point' and v_rating in ('1', '2', '3', '4', '5') then v_rating::smallint
             end;
  if v_score is null then
    raise exception 'field "rating": "%" is not one of %', left(coalesce(p_rating, ''), 50),
      case v_scale when 'good_bad' then 'good, bad' else '1, 2, 3, 4, 5' end
      using errcode = '23514';
  end if;
  if char_length(p_comment) > 2000 then
    raise exception 'field "comment": at most 2000 characters' using errcode = '23514';
  end if;

  select * into v_fact from public.ticket_metric_facts f
   where f.ticket_id = p_ticket_id and f.kind = 'resolution' order by f.sequence desc limit 1;
  select * into v_row from public.ticket_ratings r
   where r.ticket_id = p_ticket_id and r.resolution = coalesce(v_fact.sequence, 1) for update;
  if v_row.ticket_id is not null then
    if p_now > v_row.created_at + interval '7 days' then
      raise exception 'the rating of ticket % can no longer be changed: a rating can be changed for 7 days after it is given',
        v_ticket.number using errcode = '42501';
    end if;
    update public.ticket_ratings r
       set scale = v_scale, score = v_score, satisfied = (v_score = 1 and v_scale = 'good_bad') or v_score >= 4,
           comment = nullif(btrim(p_comment), ''), updated_at = p_now
     where r.ticket_id = v_row.ticket_id and r.resolution = v_row.resolution
    returning * into v_row;
    return v_row;
  end if;
  insert into public.ticket_ratings (ticket_id, resolution, requester_id, scale, score, satisfied, comment, solved_at,
                                     queue_id, agent_id, priority, channel, created_at, updated_at)
  values (p_ticket_id, coalesce(v_fact.sequence, 1), v_uid, v_scale, v_score,
          (v_score = 1 and v_scale = 'good_bad') or v_score >= 4, nullif(btrim(p_comment), ''),
          coalesce(v_fact.occurred_at, v_ticket.solved_at), coalesce(v_fact.queue_id, v_ticket.queue_id),
          case when v_fact.id is null then v_ticket.assignee_id else v_fact.agent_id end,
          coalesce(v_fact.priority, v_ticket.priority),
          case when v_fact.id is null then left(nullif(v_ticket.metadata ->> 'channel', ''), 100) else v_fact.channel end,
          p_now, p_now)
  returning * into v_row;
  return v_row;
end;
$$;
revoke execute on function autocrm_private.rate_ticket(uuid, text, text, timestamptz) from public, anon, authenticated, service_role;

create function public.rate_ticket(ticket_id uuid, rating text, comment text default null)
returns public.ticket_ratings
language sql
volatile
security definer
set search_path = ''
as $$
  select * from autocrm_private.rate_ticket(rate_ticket.ticket_id, rate_ticket.rating, rate_ticket.comment, now());
$$;
comment on function public.rate_ticket(uuid, text, text) is
  'The requester rates the latest solve of their solved or closed ticket (good/bad or 1-5, per report_settings), with '
  'an optional comment; calling again changes the rating for 7 days after it was first given.';
revoke execute on function public.rate_ticket(uuid, text, text) from public, anon;
grant execute on function public.rate_ticket(uuid, text, text) to authenticated;

-- ---------------------------------------------------------------------------
-- Facts for tickets that have none (written before this migration, or bulk-loaded with triggers off), derived from
-- their history as the triggers would have written them: status_changed events for solves and reopens, the
-- conversation for replies. What the history does not record is taken from the ticket as it is now: queue, priority
-- and channel, and the agent of created, resolution and reopen facts (the current assignee).
-- ---------------------------------------------------------------------------
create function autocrm_private.backfill_ticket_metric_facts()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_count bigint;
begin
  create temporary table metric_backfill_tickets on commit drop as
    select t.id, t.created_at, t.requester_id, t.assignee_id, t.queue_id, t.priority,
           left(nullif(t.metadata ->> 'channel', ''), 100) as channel, autocrm_private.metric_calendar(t.id) as calendar
      from public.tickets t
     where not exists (select 1 from public.ticket_metric_facts f where f.ticket_id = t.id);
  create index on metric_backfill_tickets (id);
  analyze metric_backfill_tickets;

  create temporary table metric_backfill_facts on commit drop as
  with staff_replies as (
    select m.ticket_id, m.id, m.author_id, m.created_at,
           lag(m.created_at) over (partition by m.ticket_id order by m.created_at, m.id) as previous_at,
           row_number() over (partition by m.ticket_id order by m.created_at, m.id) as n
      from metric_backfill_tickets t
      join public.ticket_messages m on m.ticket_id = t.id
      join public.profiles p on p.id = m.author_id
     where m.visibility = 'public' and m.author_id <> t.requester_id and p.role in ('agent', 'admin')
  ),
  status_moves as (
    select e.ticket_id, e.created_at,
           coalesce(e.changes -> 'status' ->> 0, '') in ('solved', 'closed') as was_solved,
           (e.changes -> 'status' ->> 1) in ('solved', 'closed') as is_solved
      from metric_backfill_tickets t
      join public.ticket_events e on e.ticket_id = t.id
     where e.kind in ('created', 'status_changed')
  ),
  moves as (
    select s.ticket_id, s.created_at, case when s.is_solved then 'resolution' else 'reopen' end as kind,
           row_number() over (partition by s.ticket_id, s.is_solved order by s.created_at) as sequence
      from status_moves s
     where s.is_solved <> s.was_solved
  )
  select t.id as ticket_id, 'created'::text as kind, t.created_at as occurred_at, t.assignee_id as agent_id,
         null::timestamptz as from_at, null::integer as sequence, null::integer as replies
    from metric_backfill_tickets t
  union all
  select r.ticket_id, 'first_reply', r.created_at, r.author_id, t.created_at, null, null
    from staff_replies r join metric_backfill_tickets t on t.id = r.ticket_id
   where r.n = 1
  union all
  select r.ticket_id, 'next_reply', r.created_at, r.author_id, w.since, null, null
    from staff_replies r
    cross join lateral (
      select min(m.created_at) as since
        from public.ticket_messages m join metric_backfill_tickets t on t.id = m.ticket_id
       where m.ticket_id = r.ticket_id and m.visibility = 'public' and m.author_id = t.requester_id
         and m.created_at > r.previous_at and m.created_at <= r.created_at and m.id <> r.id) w
   where r.n > 1 and w.since is not null
  union all
  select mv.ticket_id, mv.kind, mv.created_at, t.assignee_id,
         case when mv.kind = 'resolution' then t.created_at end, mv.sequence::integer,
         case when mv.kind = 'resolution'
              then (select count(*)::integer from staff_replies r where r.ticket_id = mv.ticket_id and r.created_at <= mv.created_at) end
    from moves mv join metric_backfill_tickets t on t.id = mv.ticket_id;

  -- next_reply facts are numbered by the answered replies before them, as the trigger numbers them
  insert into public.ticket_metric_facts (ticket_id, kind, occurred_at, queue_id, agent_id, priority, channel,
                                          calendar_minutes, business_minutes, business_hours_id, sequence, replies)
  select f.ticket_id, f.kind, f.occurred_at, t.queue_id, f.agent_id, t.priority, t.channel,
         case when f.from_at is not null
              then round((extract(epoch from f.occurred_at) - extract(epoch from f.from_at)) / 60, 4) end,
         case when f.from_at is not null and t.calendar is not null
              then round(autocrm_private.sla_minutes_between(t.calendar, f.from_at, f.occurred_at), 4) end,
         case when f.from_at is not null then t.calendar end,
         case when f.kind = 'next_reply'
              then (count(*) filter (where f.kind in ('first_reply', 'next_reply'))
                      over (partition by f.ticket_id order by f.occurred_at rows between unbounded preceding and 1 preceding))::integer
              else f.sequence end,
         f.replies
    from metric_backfill_facts f join metric_backfill_tickets t on t.id = f.ticket_id
   order by f.occurred_at;
  get diagnostics v_count = row_count;
  drop table metric_backfill_facts;
  drop table metric_backfill_tickets;
  return v_count;
end;
$$;
revoke execute on function autocrm_private.backfill_ticket_metric_facts() from public, anon, authenticated, service_role;

select autocrm_private.backfill_ticket_metric_facts();

-- The data generator (src/AutoCrm.DataGenerator) loads with triggers off and then calls this to rebuild whatever
-- triggers maintain. Starts from 20261205004332_scale_ticket_indexes_and_queue_counts.sql's definition (staff
-- activity, search documents, queue counters) and adds the metric facts.
create or replace function public.refresh_generated_data()
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  perform public.rebuild_ticket_staff_activity();
  perform autocrm_private.build_missing_search_documents();
  perform public.recount_queue_tickets();
  perform autocrm_private.backfill_ticket_metric_facts();
end;
$$;
comment on function public.refresh_generated_data() is
  'Rebuilds trigger-maintained data (staff activity, search documents, vocabulary, queue counters, metric facts) after a bulk load with triggers off.';
revoke execute on function public.refresh_generated_data() from public, anon, authenticated, service_role;
