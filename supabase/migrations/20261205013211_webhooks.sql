-- AutoCRM webhooks: endpoints (admin only), their signing secrets (readable by no role), the outbox
-- (webhook_deliveries, written in the transaction of the change, with its attempt log), the event interface other
-- features emit through (emit_webhook_event), and the functions the .NET dispatcher calls with the service_role key.
-- Forward-only. docs/webhooks.md describes the whole design.
--
-- Secrets: generated here (pgcrypto), stored in autocrm_private.webhook_secrets (no API role has any privilege on
-- that table, service_role included) and never returned after create/rotate. The database signs each attempt itself
-- (lease_webhook_deliveries returns the finished AutoCrm-Signature header), so the signing material never leaves it.
-- The schema autocrm_private exists already (custom fields, search); API roles may use the schema, but each object in
-- it grants nothing unless its migration says so.

-- ---------------------------------------------------------------------------
-- Event types an endpoint can subscribe to. A feature that emits a new type registers it here (insert a row).
-- ---------------------------------------------------------------------------
create table public.webhook_event_types (
  name text not null primary key,
  description text not null default '',
  constraint webhook_event_types_name_format check (name ~ '^[a-z][a-z_]*\.[a-z][a-z_]*$')
);
comment on table public.webhook_event_types is
  'The webhook event types endpoints may subscribe to; emit_webhook_event refuses any other.';

insert into public.webhook_event_types (name, description) values
  ('ticket.created', 'A ticket was created.'),
  ('ticket.updated', 'Fields of a ticket changed (changes = {field: [old, new]}).'),
  ('ticket.status_changed', 'The status of a ticket changed.'),
  ('ticket.assigned', 'The assignee of a ticket changed (claimed, assigned, released).'),
  ('message.created', 'A message was added to a ticket''s conversation (internal notes only to endpoints with internal_events).'),
  ('sla.breached', 'An SLA target of a ticket was missed (emitted by SLA policies).'),
  ('rule.notify', 'An automation rule''s notify action ran (emitted by automation rules).');

alter table public.webhook_event_types enable row level security;
create policy webhook_event_types_select on public.webhook_event_types
  for select to authenticated
  using (true);
revoke insert, update, delete, truncate on public.webhook_event_types from anon, authenticated;

-- ---------------------------------------------------------------------------
-- webhook_endpoints (admins only; created through create_webhook_endpoint, which returns the secret once)
-- ---------------------------------------------------------------------------
create table public.webhook_endpoints (
  id uuid not null primary key default gen_random_uuid(),
  url text not null,
  description text not null default '',
  events text[] not null,
  internal_events boolean not null default false,
  active boolean not null default true,
  disabled_reason text,
  secret_hint text not null default '',
  secret_rotated_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint webhook_endpoints_description_length check (char_length(description) <= 500)
);
comment on table public.webhook_endpoints is
  'Where webhooks go: url, subscribed events, internal_events (internal notes too), active. Admins only; the secret is not here.';
comment on column public.webhook_endpoints.secret_hint is 'The last four characters of the current secret, to tell secrets apart.';
comment on column public.webhook_endpoints.disabled_reason is 'Why the dispatcher disabled the endpoint (a 410 Gone answer), if it did.';

-- Validates url and events with messages in the SDK's field convention (field "name": ...).
create function public.webhook_endpoints_before_write()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_unknown text;
begin
  new.url := btrim(new.url);
  if new.url !~ '^https?://[^\s/?#@]+(/[^\s]*)?$' or char_length(new.url) > 2000 then
    raise exception 'field "url": % is not an http or https URL', new.url using errcode = '23514';
  end if;
  new.events := (select coalesce(array_agg(distinct e order by e), '{}') from unnest(new.events) e);
  if cardinality(new.events) = 0 then
    raise exception 'field "events": subscribe to at least one event' using errcode = '23514';
  end if;
  select e into v_unknown from unnest(new.events) e
   where not exists (select 1 from public.webhook_event_types t where t.name = e) limit 1;
  if found then
    raise exception 'field "events": % is not a webhook event (%)', coalesce(v_unknown, 'null'),
      (select string_agg(t.name, ', ' order by t.name) from public.webhook_event_types t) using errcode = '23514';
  end if;
  if tg_op = 'UPDATE' then
    if new.active and not old.active then
      new.disabled_reason := null;
    end if;
    new.updated_at := now();
  end if;
  return new;
end;
$$;

create trigger webhook_endpoints_before_write
  before insert or update on public.webhook_endpoints
  for each row execute function public.webhook_endpoints_before_write();
revoke execute on function public.webhook_endpoints_before_write() from public, anon, authenticated;

alter table public.webhook_endpoints enable row level security;

create policy webhook_endpoints_select on public.webhook_endpoints
  for select to authenticated
  using ((select public.current_app_role()) = 'admin');
create policy webhook_endpoints_update on public.webhook_endpoints
  for update to authenticated
  using ((select public.current_app_role()) = 'admin')
  with check ((select public.current_app_role()) = 'admin');
create policy webhook_endpoints_delete on public.webhook_endpoints
  for delete to authenticated
  using ((select public.current_app_role()) = 'admin');

-- Inserts go through create_webhook_endpoint (it makes the secret); only these columns change through the API.
revoke insert, update, truncate on public.webhook_endpoints from anon, authenticated;
revoke all on public.webhook_endpoints from anon;
grant update (url, description, events, internal_events, active) on public.webhook_endpoints to authenticated;

-- ---------------------------------------------------------------------------
-- Signing secrets: the current one (expires_at null) and, after a rotation, the previous one until expires_at.
-- ---------------------------------------------------------------------------
create table autocrm_private.webhook_secrets (
  id bigint generated always as identity primary key,
  endpoint_id uuid not null references public.webhook_endpoints (id) on delete cascade,
  secret text not null,
  created_at timestamptz not null default now(),
  expires_at timestamptz
);
create index webhook_secrets_endpoint_idx on autocrm_private.webhook_secrets (endpoint_id, id desc);
revoke all on autocrm_private.webhook_secrets from public, anon, authenticated, service_role;

create function autocrm_private.new_webhook_secret()
returns text
language sql
volatile
set search_path = ''
as $$
  select 'whsec_' || encode(extensions.gen_random_bytes(24), 'hex');
$$;
revoke execute on function autocrm_private.new_webhook_secret() from public, anon, authenticated, service_role;

-- Admins (and back-office code) only; the error is the same one PostgREST gives a forbidden write.
create function autocrm_private.require_webhook_admin()
returns void
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if not public.request_is_privileged() and public.current_app_role() is distinct from 'admin' then
    raise exception 'only admins manage webhooks' using errcode = '42501';
  end if;
end;
$$;
revoke execute on function autocrm_private.require_webhook_admin() from public, anon, authenticated, service_role;

create function public.create_webhook_endpoint(
  url text,
  events text[],
  description text default '',
  internal_events boolean default false)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_endpoint public.webhook_endpoints;
  v_secret text := autocrm_private.new_webhook_secret();
begin
  perform autocrm_private.require_webhook_admin();
  insert into public.webhook_endpoints (url, events, description, internal_events, secret_hint)
  values (create_webhook_endpoint.url, coalesce(create_webhook_endpoint.events, '{}'),
          coalesce(create_webhook_endpoint.description, ''), coalesce(create_webhook_endpoint.internal_events, false),
          right(v_secret, 4))
  returning * into v_endpoint;
  insert into autocrm_private.webhook_secrets (endpoint_id, secret) values (v_endpoint.id, v_secret);
  return jsonb_build_object('endpoint', to_jsonb(v_endpoint), 'secret', v_secret);
end;
$$;
comment on function public.create_webhook_endpoint(text, text[], text, boolean) is
  'Creates a webhook endpoint (admins) and returns {endpoint, secret}: the only time the secret is ever shown.';
revoke execute on function public.create_webhook_endpoint(text, text[], text, boolean) from public, anon;

-- A new secret signs from now on; the previous one keeps signing for overlap_seconds (both v1 signatures are sent),
-- so receivers can switch without losing a delivery. Older secrets stop at once.
create function public.rotate_webhook_secret(endpoint_id uuid, overlap_seconds integer default 86400)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_secret text := autocrm_private.new_webhook_secret();
  v_expires timestamptz := now() + make_interval(secs => coalesce(rotate_webhook_secret.overlap_seconds, 86400));
begin
  perform autocrm_private.require_webhook_admin();
  if coalesce(rotate_webhook_secret.overlap_seconds, 0) not between 0 and 604800 then
    raise exception 'field "overlap_seconds": the overlap is between 0 and 604800 seconds (7 days)' using errcode = '23514';
  end if;
  perform 1 from public.webhook_endpoints e where e.id = rotate_webhook_secret.endpoint_id for update;
  if not found then
    raise exception 'webhook endpoint % not found', rotate_webhook_secret.endpoint_id using errcode = 'PT404';
  end if;
  update autocrm_private.webhook_secrets s
     set expires_at = least(coalesce(s.expires_at, v_expires), v_expires)
   where s.endpoint_id = rotate_webhook_secret.endpoint_id
     and s.id = (select max(c.id) from autocrm_private.webhook_secrets c
                  where c.endpoint_id = rotate_webhook_secret.endpoint_id and c.expires_at is null);
  update autocrm_private.webhook_secrets s
     set expires_at = now()
   where s.endpoint_id = rotate_webhook_secret.endpoint_id and s.expires_at > v_expires;
  delete from autocrm_private.webhook_secrets s
   where s.endpoint_id = rotate_webhook_secret.endpoint_id and s.expires_at <= now();
  insert into autocrm_private.webhook_secrets (endpoint_id, secret) values (rotate_webhook_secret.endpoint_id, v_secret);
  update public.webhook_endpoints e
     set secret_hint = right(v_secret, 4), secret_rotated_at = now()
   where e.id = rotate_webhook_secret.endpoint_id;
  return jsonb_build_object(
    'endpoint_id', rotate_webhook_secret.endpoint_id,
    'secret', v_secret,
    'previous_expires_at', case when rotate_webhook_secret.overlap_seconds > 0 then v_expires end);
end;
$$;
comment on function public.rotate_webhook_secret(uuid, integer) is
  'Replaces an endpoint''s secret (admins) and returns the new one once; the previous one signs too until the overlap ends.';
revoke execute on function public.rotate_webhook_secret(uuid, integer) from public, anon;

-- ---------------------------------------------------------------------------
-- The outbox: one delivery per (event, subscribed endpoint), written in the transaction of the change.
-- payload is the exact JSON body the receiver gets: {"id", "type", "created_at", "data"}.
-- ---------------------------------------------------------------------------
create table public.webhook_deliveries (
  id uuid not null primary key default gen_random_uuid(),
  seq bigint generated always as identity,
  endpoint_id uuid not null references public.webhook_endpoints (id) on delete cascade,
  event_id uuid not null,
  event_type text not null,
  ticket_id uuid,
  payload jsonb not null,
  state text not null default 'pending',
  attempt_count integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  leased_until timestamptz,
  lease_id uuid,
  last_status_code integer,
  last_error text,
  delivered_at timestamptz,
  created_at timestamptz not null default now(),
  constraint webhook_deliveries_seq_key unique (seq),
  constraint webhook_deliveries_state_check check (state in ('pending', 'delivered', 'failed'))
);
comment on table public.webhook_deliveries is
  'The webhook outbox: one row per event and subscribed endpoint, written with the change; the dispatcher leases and sends them. Admins read it.';
comment on column public.webhook_deliveries.id is 'The delivery id, sent as AutoCrm-Delivery; the same on every retry.';
comment on column public.webhook_deliveries.ticket_id is 'The ticket the event is about: deliveries of one ticket to one endpoint go out in order.';

-- The dispatcher's scan: due pending deliveries in order.
create index webhook_deliveries_due_idx on public.webhook_deliveries (next_attempt_at, seq) where state = 'pending';
-- Per-ticket ordering: is an earlier delivery of this ticket to this endpoint still pending?
create index webhook_deliveries_ticket_order_idx on public.webhook_deliveries (endpoint_id, ticket_id, seq)
  where state = 'pending' and ticket_id is not null;
-- The delivery log, newest first, per endpoint.
create index webhook_deliveries_endpoint_seq_idx on public.webhook_deliveries (endpoint_id, seq desc);

create table public.webhook_delivery_attempts (
  id bigint generated always as identity primary key,
  delivery_id uuid not null references public.webhook_deliveries (id) on delete cascade,
  attempt integer not null,
  status_code integer,
  error text,
  duration_ms integer,
  dispatcher text not null default '',
  created_at timestamptz not null default now()
);
comment on table public.webhook_delivery_attempts is 'One row per HTTP attempt of a webhook delivery (admins read it).';
create index webhook_delivery_attempts_delivery_idx on public.webhook_delivery_attempts (delivery_id, id);

alter table public.webhook_deliveries enable row level security;
alter table public.webhook_delivery_attempts enable row level security;
create policy webhook_deliveries_select on public.webhook_deliveries
  for select to authenticated
  using ((select public.current_app_role()) = 'admin');
create policy webhook_delivery_attempts_select on public.webhook_delivery_attempts
  for select to authenticated
  using ((select public.current_app_role()) = 'admin');
revoke insert, update, delete, truncate on public.webhook_deliveries, public.webhook_delivery_attempts from anon, authenticated;
revoke all on public.webhook_deliveries, public.webhook_delivery_attempts from anon;

-- ---------------------------------------------------------------------------
-- The event interface: every webhook event enters the outbox here, in the caller's transaction.
-- ---------------------------------------------------------------------------
create function public.emit_webhook_event(
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
     and (not coalesce(emit_webhook_event.internal, false) or e.internal_events);
  get diagnostics v_count = row_count;
  return v_count;
end;
$$;
comment on function public.emit_webhook_event(text, jsonb, uuid, boolean) is
  'Queues a webhook event for every active endpoint subscribed to event_type (internal: only endpoints with internal_events), in the caller''s transaction. Returns the number of deliveries. For back-office code and other security definer functions.';
revoke execute on function public.emit_webhook_event(text, jsonb, uuid, boolean) from public, anon, authenticated;

-- Whether any active endpoint listens to one of these types (lets the triggers skip building payloads).
create function autocrm_private.webhooks_wanted(p_types text[])
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select exists (select 1 from public.webhook_endpoints e where e.active and e.events && p_types);
$$;
revoke execute on function autocrm_private.webhooks_wanted(text[]) from public, anon, authenticated, service_role;

-- ticket.created / ticket.updated / ticket.status_changed / ticket.assigned, with the ticket as the REST API returns it.
create function public.tickets_emit_webhooks()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_new jsonb;
  v_old jsonb;
  v_changes jsonb;
begin
  if tg_op = 'INSERT' then
    if autocrm_private.webhooks_wanted('{ticket.created}') then
      perform public.emit_webhook_event('ticket.created', jsonb_build_object('ticket', to_jsonb(new)), new.id);
    end if;
    return null;
  end if;

  if not autocrm_private.webhooks_wanted('{ticket.updated,ticket.status_changed,ticket.assigned}') then
    return null;
  end if;
  v_new := to_jsonb(new);
  v_old := to_jsonb(old);
  select jsonb_object_agg(n.key, jsonb_build_array(v_old -> n.key, n.value))
    into v_changes
    from jsonb_each(v_new) n
   where n.key not in ('version', 'updated_at')
     and (v_old -> n.key) is distinct from n.value;
  if v_changes is null then
    return null;
  end if;
  perform public.emit_webhook_event('ticket.updated', jsonb_build_object('ticket', v_new, 'changes', v_changes), new.id);
  if v_changes ? 'status' then
    perform public.emit_webhook_event('ticket.status_changed',
      jsonb_build_object('ticket', v_new, 'changes', jsonb_build_object('status', v_changes -> 'status')), new.id);
  end if;
  if v_changes ? 'assignee_id' then
    perform public.emit_webhook_event('ticket.assigned',
      jsonb_build_object('ticket', v_new, 'changes', jsonb_build_object('assignee_id', v_changes -> 'assignee_id')), new.id);
  end if;
  return null;
end;
$$;

create trigger tickets_emit_webhooks
  after insert or update on public.tickets
  for each row execute function public.tickets_emit_webhooks();

-- message.created, with the message as the REST API returns it; internal notes only to endpoints with internal_events.
create function public.ticket_messages_emit_webhooks()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if autocrm_private.webhooks_wanted('{message.created}') then
    perform public.emit_webhook_event('message.created', jsonb_build_object('message', to_jsonb(new)), new.ticket_id,
                                      new.visibility = 'internal');
  end if;
  return null;
end;
$$;

create trigger ticket_messages_emit_webhooks
  after insert on public.ticket_messages
  for each row execute function public.ticket_messages_emit_webhooks();

revoke execute on function public.tickets_emit_webhooks() from public, anon, authenticated;
revoke execute on function public.ticket_messages_emit_webhooks() from public, anon, authenticated;

-- ---------------------------------------------------------------------------
-- Management: a test event, redelivery (admins).
-- ---------------------------------------------------------------------------
insert into public.webhook_event_types (name, description) values
  ('webhook.test', 'A test event sent on request (send_test_webhook); delivered whatever the endpoint subscribes to.');

create function public.send_test_webhook(endpoint_id uuid)
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
  select * into v_endpoint from public.webhook_endpoints e where e.id = send_test_webhook.endpoint_id;
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
comment on function public.send_test_webhook(uuid) is 'Queues a webhook.test event for one endpoint (admins); returns the delivery.';
revoke execute on function public.send_test_webhook(uuid) from public, anon;

-- Sends a delivery again (its id stays the same, so an idempotent receiver sees a duplicate, not a new event).
create function public.redeliver_webhook(delivery_id uuid)
returns public.webhook_deliveries
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_delivery public.webhook_deliveries;
begin
  perform autocrm_private.require_webhook_admin();
  update public.webhook_deliveries d
     set state = 'pending', next_attempt_at = now(), delivered_at = null, leased_until = null, lease_id = null
   where d.id = redeliver_webhook.delivery_id
  returning * into v_delivery;
  if not found then
    raise exception 'webhook delivery % not found', redeliver_webhook.delivery_id using errcode = 'PT404';
  end if;
  return v_delivery;
end;
$$;
comment on function public.redeliver_webhook(uuid) is 'Queues a delivery again, with the same delivery id (admins).';
revoke execute on function public.redeliver_webhook(uuid) from public, anon;

-- ---------------------------------------------------------------------------
-- The dispatcher (service_role only): lease due deliveries, record each attempt's outcome.
-- ---------------------------------------------------------------------------

-- Leases up to max_count due deliveries for lease_seconds and returns each with its body and signature header.
-- FOR UPDATE SKIP LOCKED plus the lease make every attempt go to exactly one dispatcher; a delivery waits while an
-- earlier delivery of the same ticket to the same endpoint is still pending (per-ticket order).
create function public.lease_webhook_deliveries(
  max_count integer,
  lease_seconds integer,
  dispatcher text,
  now timestamptz default now(),
  exclude_endpoints uuid[] default '{}')
returns table (
  delivery_id uuid,
  lease_id uuid,
  endpoint_id uuid,
  url text,
  event_type text,
  attempt integer,
  created_at timestamptz,
  body text,
  signature text)
language plpgsql
volatile
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_now timestamptz := coalesce(lease_webhook_deliveries.now, pg_catalog.now());
  v_t text := floor(extract(epoch from v_now))::bigint::text;
begin
  if not public.request_is_privileged() then
    raise exception 'only the webhook dispatcher (service_role) leases deliveries' using errcode = '42501';
  end if;
  if lease_webhook_deliveries.max_count not between 1 and 1000 or lease_webhook_deliveries.lease_seconds not between 1 and 3600 then
    raise exception 'max_count is 1..1000 and lease_seconds 1..3600' using errcode = '22023';
  end if;

  return query
  with candidates as (
    select d.id
      from public.webhook_deliveries d
      join public.webhook_endpoints e on e.id = d.endpoint_id
     where d.state = 'pending'
       and d.next_attempt_at <= v_now
       and (d.leased_until is null or d.leased_until <= v_now)
       and e.active
       and not (d.endpoint_id = any (coalesce(lease_webhook_deliveries.exclude_endpoints, '{}')))
       and (d.ticket_id is null or not exists (
             select 1 from public.webhook_deliveries p
              where p.endpoint_id = d.endpoint_id and p.ticket_id = d.ticket_id
                and p.state = 'pending' and p.seq < d.seq))
     order by d.next_attempt_at, d.seq
     limit lease_webhook_deliveries.max_count
       for update of d skip locked
  ),
  leased as (
    update public.webhook_deliveries d
       set leased_until = v_now + make_interval(secs => lease_webhook_deliveries.lease_seconds),
           lease_id = gen_random_uuid()
      from candidates c
     where d.id = c.id
    returning d.id, d.lease_id, d.endpoint_id, d.event_type, d.attempt_count, d.created_at, d.seq, d.payload::text as body
  )
  select l.id, l.lease_id, l.endpoint_id, e.url, l.event_type, l.attempt_count + 1, l.created_at, l.body,
         't=' || v_t || (
           select string_agg(',v1=' || encode(extensions.hmac(convert_to(v_t || '.' || l.body, 'UTF8'),
                                                              convert_to(s.secret, 'UTF8'), 'sha256'), 'hex'),
                             '' order by s.id desc)
             from autocrm_private.webhook_secrets s
            where s.endpoint_id = l.endpoint_id and (s.expires_at is null or s.expires_at > v_now))
    from leased l
    join public.webhook_endpoints e on e.id = l.endpoint_id
   order by l.seq;
end;
$$;
comment on function public.lease_webhook_deliveries(integer, integer, text, timestamptz, uuid[]) is
  'The dispatcher''s lease (service_role): due deliveries with body and AutoCrm-Signature header, each leased to one caller.';
revoke execute on function public.lease_webhook_deliveries(integer, integer, text, timestamptz, uuid[]) from public, anon, authenticated;

-- Records the outcome of an attempt: delivered, retry (at retry_at), failed (given up), gone (410: the endpoint is
-- disabled), or deferred (not sent, e.g. the endpoint's circuit is open; no attempt is counted). The attempt is logged
-- in any case; the delivery changes only while the caller still holds the lease.
create function public.complete_webhook_delivery(
  delivery_id uuid,
  lease_id uuid,
  outcome text,
  status_code integer default null,
  error text default null,
  retry_at timestamptz default null,
  duration_ms integer default null,
  dispatcher text default '',
  now timestamptz default now())
returns boolean
language plpgsql
volatile
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_now timestamptz := coalesce(complete_webhook_delivery.now, pg_catalog.now());
  v_delivery public.webhook_deliveries;
  v_error text := left(complete_webhook_delivery.error, 1000);
begin
  if not public.request_is_privileged() then
    raise exception 'only the webhook dispatcher (service_role) records deliveries' using errcode = '42501';
  end if;
  if complete_webhook_delivery.outcome not in ('delivered', 'retry', 'failed', 'gone', 'deferred') then
    raise exception 'outcome is delivered, retry, failed, gone or deferred' using errcode = '22023';
  end if;

  select * into v_delivery from public.webhook_deliveries d where d.id = complete_webhook_delivery.delivery_id for update;
  if not found then
    return false;
  end if;
  if complete_webhook_delivery.outcome <> 'deferred' then
    insert into public.webhook_delivery_attempts (delivery_id, attempt, status_code, error, duration_ms, dispatcher, created_at)
    values (v_delivery.id, v_delivery.attempt_count + 1, complete_webhook_delivery.status_code, v_error,
            complete_webhook_delivery.duration_ms, coalesce(complete_webhook_delivery.dispatcher, ''), v_now);
  end if;
  if v_delivery.lease_id is distinct from complete_webhook_delivery.lease_id or v_delivery.state <> 'pending' then
    return false;
  end if;

  update public.webhook_deliveries d
     set state = case complete_webhook_delivery.outcome
                   when 'delivered' then 'delivered'
                   when 'failed' then 'failed'
                   when 'gone' then 'failed'
                   else 'pending' end,
         attempt_count = d.attempt_count + case when complete_webhook_delivery.outcome = 'deferred' then 0 else 1 end,
         next_attempt_at = case when complete_webhook_delivery.outcome in ('retry', 'deferred')
                                then coalesce(complete_webhook_delivery.retry_at, v_now) else d.next_attempt_at end,
         delivered_at = case when complete_webhook_delivery.outcome = 'delivered' then v_now else d.delivered_at end,
         last_status_code = case when complete_webhook_delivery.outcome = 'deferred' then d.last_status_code
                                 else complete_webhook_delivery.status_code end,
         last_error = case when complete_webhook_delivery.outcome = 'deferred' then d.last_error
                           when complete_webhook_delivery.outcome = 'delivered' then null else v_error end,
         leased_until = null,
         lease_id = null
   where d.id = v_delivery.id;

  if complete_webhook_delivery.outcome = 'gone' then
    update public.webhook_endpoints e
       set active = false, disabled_reason = 'The receiver answered 410 Gone at ' || v_now::text || '.'
     where e.id = v_delivery.endpoint_id;
  end if;
  return true;
end;
$$;
comment on function public.complete_webhook_delivery(uuid, uuid, text, integer, text, timestamptz, integer, text, timestamptz) is
  'The dispatcher''s record of one attempt (service_role). Returns false when the lease was lost (the outcome is only logged).';
revoke execute on function public.complete_webhook_delivery(uuid, uuid, text, integer, text, timestamptz, integer, text, timestamptz)
  from public, anon, authenticated;
