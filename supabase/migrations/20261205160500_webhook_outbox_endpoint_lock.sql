-- A ticket write raced an endpoint's deletion: the outbox read the endpoint from its snapshot, the delete committed,
-- and the delivery's foreign key check failed the user's write (23503, seen in CI as a conflict on ticket create).
-- The outbox now locks the endpoints it writes for (FOR KEY SHARE, which ordinary updates do not block): an endpoint
-- deleted meanwhile is re-checked under READ COMMITTED and skipped, and one not yet deleted cannot go until the
-- write commits. A secret rotation (FOR UPDATE) makes writes wait for it, which takes microseconds.

create or replace function public.emit_webhook_event(
  event_type text,
  data jsonb,
  ticket_id uuid default null,
  internal boolean default false)
returns integer
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_event_id uuid := gen_random_uuid();
  v_created timestamptz := now();
  v_count integer;
begin
  if not exists (select 1 from public.webhook_event_types t where t.name = emit_webhook_event.event_type) then
    raise exception 'field "event_type": % is not a webhook event', emit_webhook_event.event_type using errcode = '23514';
  end if;
  if jsonb_typeof(emit_webhook_event.data) is distinct from 'object' then
    raise exception 'field "data": webhook event data is a JSON object' using errcode = '23514';
  end if;
  insert into public.webhook_deliveries (endpoint_id, event_id, event_type, ticket_id, payload, created_at, next_attempt_at)
  select e.id, v_event_id, emit_webhook_event.event_type, emit_webhook_event.ticket_id,
         jsonb_build_object('id', v_event_id, 'type', emit_webhook_event.event_type, 'created_at', v_created,
                            'data', emit_webhook_event.data),
         v_created, v_created
    from public.webhook_endpoints e
   where e.active
     and emit_webhook_event.event_type = any (e.events)
     and (not coalesce(emit_webhook_event.internal, false) or e.internal_events)
     for key share of e;
  get diagnostics v_count = row_count;
  return v_count;
end;
$$;

create or replace function public.send_test_webhook(endpoint_id uuid)
returns public.webhook_deliveries
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_endpoint public.webhook_endpoints;
  v_event_id uuid := gen_random_uuid();
  v_delivery public.webhook_deliveries;
begin
  perform autocrm_private.require_webhook_admin();
  select * into v_endpoint from public.webhook_endpoints e where e.id = send_test_webhook.endpoint_id for key share;
  if not found then
    raise exception 'webhook endpoint % not found', send_test_webhook.endpoint_id using errcode = 'PT404';
  end if;
  insert into public.webhook_deliveries (endpoint_id, event_id, event_type, payload)
  values (v_endpoint.id, v_event_id, 'webhook.test',
          jsonb_build_object('id', v_event_id, 'type', 'webhook.test', 'created_at', now(),
                             'data', jsonb_build_object('endpoint_id', v_endpoint.id, 'message', 'A test event from AutoCRM.')))
  returning * into v_delivery;
  return v_delivery;
end;
$$;
