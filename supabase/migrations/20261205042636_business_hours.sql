-- Business hours: calendars (an IANA time zone, weekly opening intervals, holidays) and the business-time arithmetic
-- SLA clocks use: "add business minutes to a timestamp" and "business minutes between two timestamps". Wall-clock
-- times are read through PostgreSQL's own time zone database (`at time zone`), so DST changes, midnight and zones
-- behave as the database reads them everywhere else. docs/sla.md describes the semantics. Forward-only.

-- ---------------------------------------------------------------------------
-- The arithmetic (database code only; the public functions below wrap it for a saved calendar).
-- ---------------------------------------------------------------------------

-- The weekly opening intervals as minutes of the week from Monday 00:00 local time: Monday 09:00-17:00 is [540,1020).
-- Intervals are [{"day": "monday".."sunday", "start": "HH:MM", "end": "HH:MM" or "24:00"}]; the input is validated
-- by public.business_hours_before_write, so this only converts.
create function autocrm_private.business_week(p_intervals jsonb)
returns int4multirange
language sql
immutable
parallel safe
set search_path = ''
as $$
  select coalesce(range_agg(int4range(w.base + w.from_min, w.base + w.to_min)), '{}'::int4multirange)
    from (
      select (array_position(array['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'],
                             i ->> 'day') - 1) * 1440 as base,
             split_part(i ->> 'start', ':', 1)::int * 60 + split_part(i ->> 'start', ':', 2)::int as from_min,
             split_part(i ->> 'end', ':', 1)::int * 60 + split_part(i ->> 'end', ':', 2)::int as to_min
        from jsonb_array_elements(p_intervals) i
    ) w
   where w.to_min > w.from_min
$$;

-- The opening intervals of the local dates [p_first, p_first + p_days) as instants, in time order. A wall-clock time
-- becomes an instant as PostgreSQL reads it: a time the clocks skip (02:30 on a spring-forward night) with the offset
-- before the change (so it is 03:30), a time the clocks pass twice with the later occurrence. An interval whose end
-- comes no later than its start once read this way (it lies inside a skipped hour) is empty.
create function autocrm_private.business_intervals(
  p_zone text, p_week int4multirange, p_holidays date[], p_first date, p_days integer)
returns table (opens_at timestamptz, closes_at timestamptz)
language sql
stable
parallel safe
set search_path = ''
as $$
  select x.opens_at, x.closes_at
    from generate_series(0, p_days - 1) n
   cross join lateral (select p_first + n as day) g
   cross join lateral (select (extract(isodow from g.day)::int - 1) * 1440 as base) k
   cross join lateral unnest(p_week * int4multirange(int4range(k.base, k.base + 1440))) r
   cross join lateral (
     select (g.day::timestamp + make_interval(mins => lower(r) - k.base)) at time zone p_zone as opens_at,
            (g.day::timestamp + make_interval(mins => upper(r) - k.base)) at time zone p_zone as closes_at
   ) x
   where not (g.day = any (coalesce(p_holidays, '{}')))
     and x.closes_at > x.opens_at
   order by x.opens_at, x.closes_at
$$;

-- The instant at which p_minutes of business time have passed since p_from: the earliest instant with that much
-- opening time between p_from and it (so 8 hours from Monday 09:00 of a 09:00-17:00 calendar is Monday 17:00, and
-- 0 minutes is p_from itself). Overlapping intervals count once. Microsecond exact.
create function autocrm_private.business_time_add(
  p_zone text, p_week int4multirange, p_holidays date[], p_from timestamptz, p_minutes numeric)
returns timestamptz
language plpgsql
stable
parallel safe
set search_path = ''
as $$
declare
  v_remaining numeric := round(p_minutes * 60000000); -- microseconds still to pass
  v_cursor timestamptz := p_from;                     -- business time before this instant is used up
  v_first date;
  v_scanned integer := 0;
  v_from timestamptz;
  v_available numeric;
  r record;
begin
  if p_from is null or p_minutes is null then
    return null;
  end if;
  if p_minutes < 0 then
    raise exception 'business minutes must not be negative (got %)', p_minutes using errcode = '22023';
  end if;
  if v_remaining = 0 then
    return p_from;
  end if;
  if p_week is null or isempty(p_week) then
    raise exception 'the calendar has no opening hours' using errcode = '22023';
  end if;
  -- The day before: an interval of the previous local date can still be open at p_from around a DST change.
  v_first := (p_from at time zone p_zone)::date - 1;
  loop
    for r in select * from autocrm_private.business_intervals(p_zone, p_week, p_holidays, v_first, 14) loop
      v_from := greatest(r.opens_at, v_cursor);
      continue when r.closes_at <= v_from;
      v_available := (extract(epoch from r.closes_at) - extract(epoch from v_from)) * 1000000;
      if v_remaining <= v_available then
        return v_from + v_remaining::float8 * interval '1 microsecond';
      end if;
      v_remaining := v_remaining - v_available;
      v_cursor := r.closes_at;
    end loop;
    v_first := v_first + 14;
    v_scanned := v_scanned + 14;
    -- Ten years of dates without enough opening time: the holidays cover them. Refuse rather than loop on.
    if v_scanned > 3660 then
      raise exception 'the calendar has fewer than % business minutes in the ten years after %', p_minutes, p_from
        using errcode = '22023';
    end if;
  end loop;
end;
$$;

-- Business minutes between two instants (negative when p_to is before p_from), exact to the microsecond.
create function autocrm_private.business_minutes_between(
  p_zone text, p_week int4multirange, p_holidays date[], p_from timestamptz, p_to timestamptz)
returns numeric
language plpgsql
stable
parallel safe
set search_path = ''
as $$
declare
  v_from timestamptz := least(p_from, p_to);
  v_to timestamptz := greatest(p_from, p_to);
  v_cursor timestamptz := v_from;
  v_total numeric := 0;
  v_first date;
  v_days integer;
  v_open timestamptz;
  v_close timestamptz;
  r record;
begin
  if p_from is null or p_to is null then
    return null;
  end if;
  if p_week is null or isempty(p_week) or v_from = v_to then
    return 0;
  end if;
  v_first := (v_from at time zone p_zone)::date - 1;
  v_days := (v_to at time zone p_zone)::date + 1 - v_first + 1;
  for r in select * from autocrm_private.business_intervals(p_zone, p_week, p_holidays, v_first, v_days) loop
    exit when r.opens_at >= v_to;
    v_open := greatest(r.opens_at, v_cursor);
    v_close := least(r.closes_at, v_to);
    if v_close > v_open then
      v_total := v_total + (extract(epoch from v_close) - extract(epoch from v_open));
      v_cursor := v_close;
    end if;
  end loop;
  return case when p_to < p_from then -v_total else v_total end / 60;
end;
$$;

revoke execute on function autocrm_private.business_week(jsonb),
  autocrm_private.business_intervals(text, int4multirange, date[], date, integer),
  autocrm_private.business_time_add(text, int4multirange, date[], timestamptz, numeric),
  autocrm_private.business_minutes_between(text, int4multirange, date[], timestamptz, timestamptz)
  from public, anon;
-- Pure arithmetic on its arguments (no table access): the public functions below run as their caller and call it.
grant execute on function autocrm_private.business_week(jsonb),
  autocrm_private.business_intervals(text, int4multirange, date[], date, integer),
  autocrm_private.business_time_add(text, int4multirange, date[], timestamptz, numeric),
  autocrm_private.business_minutes_between(text, int4multirange, date[], timestamptz, timestamptz)
  to authenticated, service_role;

-- ---------------------------------------------------------------------------
-- business_hours: the calendars (admins write, staff read)
-- ---------------------------------------------------------------------------
create table public.business_hours (
  id uuid not null primary key default gen_random_uuid(),
  name text not null,
  time_zone text not null,
  intervals jsonb not null,
  holidays date[] not null default '{}',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint business_hours_name_length check (char_length(btrim(name)) between 1 and 100),
  constraint business_hours_holidays_count check (cardinality(holidays) <= 1000)
);
comment on table public.business_hours is
  'Business-hours calendars: an IANA time zone, weekly opening intervals (local wall-clock time) and holidays (local '
  'dates). SLA policies count their targets in a calendar''s opening time (docs/sla.md).';
comment on column public.business_hours.intervals is
  '[{"day": "monday".."sunday", "start": "HH:MM", "end": "HH:MM" or "24:00"}], several per day allowed, not overlapping.';
create unique index business_hours_name_key on public.business_hours (lower(name));

-- Raises a calendar's validation error.
create function autocrm_private.raise_business_hours_error(p_field text, p_path text, p_problem text)
returns void
language plpgsql
immutable
set search_path = ''
as $$
begin
  raise exception 'field "%": %', p_field, case when p_path = '' then p_problem else p_path || ': ' || p_problem end
    using errcode = '23514',
          detail = jsonb_build_object('field', p_field, 'rule', 'business_hours', 'path', p_path)::text;
end;
$$;
revoke execute on function autocrm_private.raise_business_hours_error(text, text, text) from public, anon, authenticated;

-- Validates and normalizes a calendar on write, in the form every refused value takes (SQLSTATE 23514,
-- 'field "<column>": <path>: <problem>', details {"field", "rule", "path"}).
create function public.business_hours_before_write()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_days constant text[] := array['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];
  v_item jsonb;
  v_index integer := 0;
  v_path text;
  v_key text;
  v_from integer;
  v_to integer;
  v_ranges int4range[] := '{}';
  v_range int4range;
  v_other integer;
begin
  new.name := btrim(new.name);
  if new.time_zone is null or not exists (select 1 from pg_catalog.pg_timezone_names z where z.name = new.time_zone) then
    perform autocrm_private.raise_business_hours_error('time_zone', '',
      format('%s is not an IANA time zone name (such as Europe/Berlin or America/New_York)',
             coalesce('"' || new.time_zone || '"', 'null')));
  end if;
  if jsonb_typeof(new.intervals) is distinct from 'array' or jsonb_array_length(new.intervals) = 0 then
    perform autocrm_private.raise_business_hours_error('intervals', '',
      'a non-empty array of {"day", "start", "end"} (a calendar needs opening hours)');
  end if;
  if jsonb_array_length(new.intervals) > 70 then
    perform autocrm_private.raise_business_hours_error('intervals', '', 'at most 70 intervals');
  end if;
  for v_item in select value from jsonb_array_elements(new.intervals) loop
    v_path := '[' || v_index || ']';
    if jsonb_typeof(v_item) is distinct from 'object' then
      perform autocrm_private.raise_business_hours_error('intervals', v_path, 'an interval is an object {"day", "start", "end"}');
    end if;
    for v_key in select jsonb_object_keys(v_item) loop
      if v_key not in ('day', 'start', 'end') then
        perform autocrm_private.raise_business_hours_error('intervals', v_path || '.' || v_key,
          'unknown key; an interval has only "day", "start" and "end"');
      end if;
    end loop;
    if jsonb_typeof(v_item -> 'day') is distinct from 'string' or not (v_item ->> 'day' = any (v_days)) then
      perform autocrm_private.raise_business_hours_error('intervals', v_path || '.day',
        'one of monday, tuesday, wednesday, thursday, friday, saturday, sunday');
    end if;
    foreach v_key in array array['start', 'end'] loop
      if jsonb_typeof(v_item -> v_key) is distinct from 'string'
         or (v_item ->> v_key) !~ '^([01][0-9]|2[0-3]):[0-5][0-9]$' and not (v_key = 'end' and v_item ->> v_key = '24:00') then
        perform autocrm_private.raise_business_hours_error('intervals', v_path || '.' || v_key,
          case when v_key = 'start' then 'a time "HH:MM" from 00:00 to 23:59' else 'a time "HH:MM" from 00:01 to 24:00' end);
      end if;
    end loop;
    v_from := split_part(v_item ->> 'start', ':', 1)::int * 60 + split_part(v_item ->> 'start', ':', 2)::int;
    v_to := split_part(v_item ->> 'end', ':', 1)::int * 60 + split_part(v_item ->> 'end', ':', 2)::int;
    if v_to <= v_from then
      perform autocrm_private.raise_business_hours_error('intervals', v_path || '.end',
        format('must be after start (%s); an interval ends on its own day, at 24:00 at the latest', v_item ->> 'start'));
    end if;
    v_range := int4range((array_position(v_days, v_item ->> 'day') - 1) * 1440 + v_from,
                         (array_position(v_days, v_item ->> 'day') - 1) * 1440 + v_to);
    v_other := array_position(array(select v_range && o from unnest(v_ranges) o), true);
    if v_other is not null then
      perform autocrm_private.raise_business_hours_error('intervals', v_path,
        format('overlaps [%s] on %s', v_other - 1, v_item ->> 'day'));
    end if;
    v_ranges := v_ranges || v_range;
    v_index := v_index + 1;
  end loop;
  new.holidays := coalesce(array(select distinct h from unnest(new.holidays) h where h is not null order by h), '{}');
  if tg_op = 'UPDATE' then
    new.id := old.id;
    new.created_at := old.created_at;
  else
    new.created_at := now();
  end if;
  new.updated_at := now();
  return new;
end;
$$;

revoke execute on function public.business_hours_before_write() from public, anon, authenticated;

create trigger business_hours_before_write
  before insert or update on public.business_hours
  for each row execute function public.business_hours_before_write();

alter table public.business_hours enable row level security;
create policy business_hours_select on public.business_hours
  for select to authenticated
  using ((select public.current_app_role()) in ('agent', 'admin'));
create policy business_hours_admin_insert on public.business_hours
  for insert to authenticated
  with check ((select public.current_app_role()) = 'admin');
create policy business_hours_admin_update on public.business_hours
  for update to authenticated
  using ((select public.current_app_role()) = 'admin')
  with check ((select public.current_app_role()) = 'admin');
create policy business_hours_admin_delete on public.business_hours
  for delete to authenticated
  using ((select public.current_app_role()) = 'admin');
revoke all on public.business_hours from anon;
revoke truncate on public.business_hours from authenticated;

-- ---------------------------------------------------------------------------
-- The public functions: a saved calendar, or none (null) for calendar time.
-- ---------------------------------------------------------------------------

-- The instant at which `minutes` of the calendar's business time have passed since from_at (calendar time without a
-- calendar). Runs as the caller: a calendar the caller cannot read is PT404.
create function public.add_business_minutes(calendar_id uuid, from_at timestamptz, minutes numeric)
returns timestamptz
language plpgsql
stable
set search_path = ''
as $$
declare
  v_calendar public.business_hours;
begin
  if calendar_id is null then
    if minutes < 0 then
      raise exception 'business minutes must not be negative (got %)', minutes using errcode = '22023';
    end if;
    return from_at + round(minutes * 60000000)::float8 * interval '1 microsecond';
  end if;
  select * into v_calendar from public.business_hours b where b.id = add_business_minutes.calendar_id;
  if not found then
    raise exception 'business hours % not found', add_business_minutes.calendar_id using errcode = 'PT404';
  end if;
  return autocrm_private.business_time_add(v_calendar.time_zone, autocrm_private.business_week(v_calendar.intervals),
                                           v_calendar.holidays, from_at, minutes);
end;
$$;
comment on function public.add_business_minutes(uuid, timestamptz, numeric) is
  'The instant at which `minutes` of the calendar''s business time have passed since from_at (null calendar: calendar time).';

-- Business minutes between two instants (negative when to_at is before from_at; calendar time without a calendar).
create function public.business_minutes_between(calendar_id uuid, from_at timestamptz, to_at timestamptz)
returns numeric
language plpgsql
stable
set search_path = ''
as $$
declare
  v_calendar public.business_hours;
begin
  if calendar_id is null then
    return (extract(epoch from to_at) - extract(epoch from from_at)) / 60;
  end if;
  select * into v_calendar from public.business_hours b where b.id = business_minutes_between.calendar_id;
  if not found then
    raise exception 'business hours % not found', business_minutes_between.calendar_id using errcode = 'PT404';
  end if;
  return autocrm_private.business_minutes_between(v_calendar.time_zone,
    autocrm_private.business_week(v_calendar.intervals), v_calendar.holidays, from_at, to_at);
end;
$$;
comment on function public.business_minutes_between(uuid, timestamptz, timestamptz) is
  'Business minutes of the calendar between two instants, exact (null calendar: calendar time).';

revoke execute on function public.add_business_minutes(uuid, timestamptz, numeric),
  public.business_minutes_between(uuid, timestamptz, timestamptz) from public, anon;
grant execute on function public.add_business_minutes(uuid, timestamptz, numeric),
  public.business_minutes_between(uuid, timestamptz, timestamptz) to authenticated, service_role;
