-- AutoCRM realtime: staff-only private channels, authorized the way Supabase Realtime authorizes private channels
-- (config.private = true): with the member's role, claims and realtime.topic() set, Realtime checks whether a
-- policy of realtime.messages lets the member select (read: receive) or insert (write: send, announce) a row of the
-- channel's topic for the extension (broadcast or presence). Without a policy that grants it, a private channel is
-- refused ("Unauthorized: You do not have permissions to read from this Channel topic: ...").
--
-- Topics:
--   ticket-viewers:<ticket id>  presence of the people looking at a ticket (the SDK's collision detection):
--                               agents and admins who may see that ticket read and announce; nobody broadcasts.
--   agents, agents:<anything>   staff chatter: agents and admins read and write broadcast and presence.
-- service_role bypasses row-level security, so back-office code may use any topic. realtime.messages and
-- realtime.topic() are platform objects (a Supabase project has them; the DevStack's bootstrap creates them).

-- The ticket of a "ticket-viewers:<uuid>" topic; null for any other topic, never an error (a policy that raised
-- would refuse every private channel of the project, not just this one).
create or replace function public.realtime_viewers_ticket_id(topic text)
returns uuid
language sql
immutable
set search_path = ''
as $$
  select case
    when topic ~ '^ticket-viewers:[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$'
    then substr(topic, 16)::uuid
  end
$$;

comment on function public.realtime_viewers_ticket_id(text) is
  'The ticket id of a realtime topic ticket-viewers:<uuid>, or null; used by the policies of realtime.messages.';

revoke all on function public.realtime_viewers_ticket_id(text) from public;
grant execute on function public.realtime_viewers_ticket_id(text) to authenticated, service_role;

-- Whether the current user may see who looks at the ticket of a viewers topic: staff who can see the ticket (the
-- tickets policies decide: agents see their queues' tickets, unqueued ones and those assigned to them; admins all).
create or replace function public.can_watch_ticket_viewers(topic text)
returns boolean
language plpgsql
stable
set search_path = ''
as $$
begin
  return (select public.current_app_role()) in ('agent', 'admin')
     and exists (select 1 from public.tickets t where t.id = public.realtime_viewers_ticket_id(topic));
end;
$$;

comment on function public.can_watch_ticket_viewers(text) is
  'True when the current user is staff and may select the ticket of a ticket-viewers:<uuid> realtime topic (invoker rights: tickets RLS applies).';

revoke all on function public.can_watch_ticket_viewers(text) from public;
grant execute on function public.can_watch_ticket_viewers(text) to authenticated, service_role;

-- Whether a topic is one of the staff broadcast channels.
create or replace function public.is_agent_topic(topic text)
returns boolean
language sql
immutable
set search_path = ''
as $$
  select topic = 'agents' or topic like 'agents:%'
$$;

revoke all on function public.is_agent_topic(text) from public;
grant execute on function public.is_agent_topic(text) to authenticated, service_role;

create policy ticket_viewers_presence_read on realtime.messages
  for select to authenticated
  using (
    realtime.messages.extension = 'presence'
    and public.can_watch_ticket_viewers((select realtime.topic()))
  );

create policy ticket_viewers_presence_write on realtime.messages
  for insert to authenticated
  with check (
    realtime.messages.extension = 'presence'
    and public.can_watch_ticket_viewers((select realtime.topic()))
  );

create policy agent_channels_read on realtime.messages
  for select to authenticated
  using (
    realtime.messages.extension in ('broadcast', 'presence')
    and public.is_agent_topic((select realtime.topic()))
    and (select public.current_app_role()) in ('agent', 'admin')
  );

create policy agent_channels_write on realtime.messages
  for insert to authenticated
  with check (
    realtime.messages.extension in ('broadcast', 'presence')
    and public.is_agent_topic((select realtime.topic()))
    and (select public.current_app_role()) in ('agent', 'admin')
  );
