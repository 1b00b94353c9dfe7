-- pgTAP: business-hours calendars (admins write, staff read, customers and anon see nothing; validation on write) and
-- the business-time functions on known cases: several intervals a day, holidays, midnight, a spring-forward and a
-- fall-back day, zones, calendar time without a calendar. (Thousands of random cases are compared with a NodaTime
-- reference by BusinessTimePropertyTests.)
BEGIN;
\ir _fixture.psql

select plan(34);

-- A New York calendar: Monday 09:00-17:00, Tuesday 09:00-12:00 and 13:00-17:00, Sunday all day, Christmas off.
select pg_temp.act_as('admin');
insert into public.business_hours (id, name, time_zone, intervals, holidays) values
  ('50000000-0000-4000-8000-000000000001', '  New York  ', 'America/New_York',
   '[{"day": "monday", "start": "09:00", "end": "17:00"},
     {"day": "tuesday", "start": "13:00", "end": "17:00"}, {"day": "tuesday", "start": "09:00", "end": "12:00"},
     {"day": "sunday", "start": "00:00", "end": "24:00"}]',
   '{2026-12-29,2026-12-25,2026-12-25}');
-- Berlin, evenings that run past midnight: Friday 22:00-24:00 and Saturday 00:00-02:00.
insert into public.business_hours (id, name, time_zone, intervals) values
  ('50000000-0000-4000-8000-000000000002', 'Berlin nights', 'Europe/Berlin',
   '[{"day": "friday", "start": "22:00", "end": "24:00"}, {"day": "saturday", "start": "00:00", "end": "02:00"}]');

create temp table cal as select '50000000-0000-4000-8000-000000000001'::uuid as ny, '50000000-0000-4000-8000-000000000002'::uuid as berlin;
grant select on cal to authenticated, anon;

select is((select name from public.business_hours where id = (select ny from cal)), 'New York', 'the name is trimmed');
select is((select holidays from public.business_hours where id = (select ny from cal)), '{2026-12-25,2026-12-29}'::date[],
  'holidays are sorted and deduplicated');

-- Who reads and writes calendars.
select pg_temp.act_as('agent_in');
select is((select count(*) from public.business_hours), 2::bigint, 'agents read the calendars');
select is(pg_temp.affected($$update public.business_hours set name = 'x'$$), 0::bigint, 'agents cannot change a calendar');
select throws_ok($$insert into public.business_hours (name, time_zone, intervals) values ('a', 'UTC', '[{"day": "monday", "start": "09:00", "end": "17:00"}]')$$,
  '42501', null, 'agents cannot create a calendar');
select pg_temp.act_as('cust_a');
select is((select count(*) from public.business_hours), 0::bigint, 'customers see no calendar');
select throws_ok($$select public.add_business_minutes((select ny from cal), now(), 60)$$, 'PT404', null,
  'a calendar the caller cannot read is not found');
select throws_ok($$insert into public.business_hours (name, time_zone, intervals) values ('a', 'UTC', '[{"day": "monday", "start": "09:00", "end": "17:00"}]')$$,
  '42501', null, 'customers cannot create a calendar');
select pg_temp.act_as('anon');
select throws_ok($$select count(*) from public.business_hours$$, '42501', null, 'anon has no access to calendars');
select throws_ok($$select public.add_business_minutes(null, now(), 60)$$, '42501', null, 'anon cannot call the business-time functions');
select pg_temp.act_as('service_role');
select is((select count(*) from public.business_hours), 2::bigint, 'the service role reads the calendars');

-- Validation, in the form every refused value takes.
select pg_temp.act_as('admin');
select throws_ok($$insert into public.business_hours (name, time_zone, intervals) values ('a', 'Mars/Olympus', '[{"day": "monday", "start": "09:00", "end": "17:00"}]')$$,
  '23514', 'field "time_zone": "Mars/Olympus" is not an IANA time zone name (such as Europe/Berlin or America/New_York)', 'an unknown zone is refused');
select throws_ok($$insert into public.business_hours (name, time_zone, intervals) values ('a', 'UTC', '[]')$$,
  '23514', 'field "intervals": a non-empty array of {"day", "start", "end"} (a calendar needs opening hours)', 'a calendar needs opening hours');
select throws_ok($$insert into public.business_hours (name, time_zone, intervals) values ('a', 'UTC', '[{"day": "mon", "start": "09:00", "end": "17:00"}]')$$,
  '23514', 'field "intervals": [0].day: one of monday, tuesday, wednesday, thursday, friday, saturday, sunday', 'an unknown day is refused');
select throws_ok($$insert into public.business_hours (name, time_zone, intervals) values ('a', 'UTC', '[{"day": "monday", "start": "9:00", "end": "17:00"}]')$$,
  '23514', 'field "intervals": [0].start: a time "HH:MM" from 00:00 to 23:59', 'a malformed time is refused');
select throws_ok($$insert into public.business_hours (name, time_zone, intervals) values ('a', 'UTC', '[{"day": "monday", "start": "22:00", "end": "02:00"}]')$$,
  '23514', 'field "intervals": [0].end: must be after start (22:00); an interval ends on its own day, at 24:00 at the latest',
  'an interval cannot run past midnight (two intervals do)');
select throws_ok($$insert into public.business_hours (name, time_zone, intervals) values ('a', 'UTC', '[{"day": "monday", "start": "09:00", "end": "12:00"}, {"day": "monday", "start": "11:00", "end": "17:00"}]')$$,
  '23514', 'field "intervals": [1]: overlaps [0] on monday', 'overlapping intervals are refused');
select throws_ok($$insert into public.business_hours (name, time_zone, intervals) values ('a', 'UTC', '[{"day": "monday", "start": "09:00", "end": "17:00", "tz": "x"}]')$$,
  '23514', 'field "intervals": [0].tz: unknown key; an interval has only "day", "start" and "end"', 'unknown keys are refused');
select is((select count(*) from public.business_hours), 2::bigint, 'nothing of a refused calendar is kept');

-- The arithmetic. Monday 2026-12-07 09:00 New York is 14:00Z.
select is(public.add_business_minutes((select ny from cal), '2026-12-07 14:00Z', 60), '2026-12-07 15:00Z'::timestamptz,
  '60 minutes from an opening');
select is(public.add_business_minutes((select ny from cal), '2026-12-07 21:00Z', 60), '2026-12-07 22:00Z'::timestamptz,
  'a target that ends at closing time is due at closing time, not at the next opening');
select is(public.add_business_minutes((select ny from cal), '2026-12-07 21:30Z', 60), '2026-12-08 14:30Z'::timestamptz,
  'the rest carries over to the next opening');
select is(public.add_business_minutes((select ny from cal), '2026-12-08 16:30Z', 60), '2026-12-08 18:30Z'::timestamptz,
  'the lunch break between two intervals of a day does not count');
select is(public.add_business_minutes((select ny from cal), '2026-12-12 12:00Z', 0), '2026-12-12 12:00Z'::timestamptz,
  'zero minutes is the start itself, even outside business hours');
select is(public.add_business_minutes((select ny from cal), '2026-12-28 21:30Z', 60), '2027-01-03 05:30Z'::timestamptz,
  'a holiday (Tuesday 29th) and closed days are skipped: 30 minutes on Monday, the rest on Sunday from midnight');
select is(public.business_minutes_between((select ny from cal), '2026-12-07 14:00Z', '2026-12-08 22:00Z'), 900::numeric,
  'business minutes between two instants: 8 + 7 hours');
select is(public.business_minutes_between((select ny from cal), '2026-12-08 22:00Z', '2026-12-07 14:00Z'), -900::numeric,
  'negative when the end is earlier');
-- Sunday 2026-03-08 (spring forward: 23 hours) and Sunday 2026-11-01 (fall back: 25 hours) in New York.
select is(public.business_minutes_between((select ny from cal), '2026-03-08 05:00Z', '2026-03-09 05:00Z'), 1380::numeric,
  'the spring-forward Sunday has 23 business hours');
select is(public.business_minutes_between((select ny from cal), '2026-11-01 04:00Z', '2026-11-02 05:00Z'), 1500::numeric,
  'the fall-back Sunday has 25 business hours');
select is(public.add_business_minutes((select ny from cal), '2026-03-08 05:00Z', 24 * 60), '2026-03-09 14:00Z'::timestamptz,
  '24 business hours from the start of the spring-forward Sunday (23 hours) end on Monday 10:00 EDT');
-- Berlin: Friday 22:00 to Saturday 02:00 is one stretch of four hours across midnight (2026-12-11 22:00 = 21:00Z).
select is(public.add_business_minutes((select berlin from cal), '2026-12-11 21:00Z', 150), '2026-12-11 23:30Z'::timestamptz,
  'intervals that meet at midnight form one stretch');
select is(public.business_minutes_between((select berlin from cal), '2026-12-11 21:00Z', '2026-12-19 01:00Z'), 480::numeric,
  'a week has eight business hours, counted across midnight');
-- Without a calendar: calendar time, exact to the microsecond.
select is(public.add_business_minutes(null, '2026-03-08 05:00Z', 90.5), '2026-03-08 06:30:30Z'::timestamptz,
  'without a calendar, minutes are calendar time');
select is(public.business_minutes_between(null, '2026-03-08 05:00Z', '2026-03-08 06:30:30Z'), 90.5::numeric,
  'without a calendar, the minutes between are calendar time');

SELECT * FROM finish();
ROLLBACK;
