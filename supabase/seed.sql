-- =============================================================================
-- AutoCRM DEMO DATA — FOR LOCAL DEVELOPMENT AND DEMOS ONLY. NEVER RUN IN PRODUCTION.
-- Every account's password is `autocrm-demo`.
--
--   admin@autocrm.demo         admin     a0000000-0000-4000-8000-000000000001
--   agent.alice@autocrm.demo   agent     a0000000-0000-4000-8000-000000000002  (general, billing)
--   agent.bob@autocrm.demo     agent     a0000000-0000-4000-8000-000000000003  (general)
--   carol@customer.demo        customer  c0000000-0000-4000-8000-000000000001
--   dave@customer.demo         customer  c0000000-0000-4000-8000-000000000002
--   erin@customer.demo         customer  c0000000-0000-4000-8000-000000000003
--   queue general              b0000000-0000-4000-8000-000000000001
--   queue billing              b0000000-0000-4000-8000-000000000002
--   tickets                    d0000000-0000-4000-8000-0000000000NN (NN = 01..12)
--
-- Runs as postgres after the migrations (supabase db reset / DevStack first start).
-- =============================================================================

-- Users (auth.users + auth.identities). The profile is created by the on_auth_user_created trigger.
with demo_users (id, email, display_name) as (
  values
    ('a0000000-0000-4000-8000-000000000001'::uuid, 'admin@autocrm.demo', 'Ada Admin'),
    ('a0000000-0000-4000-8000-000000000002'::uuid, 'agent.alice@autocrm.demo', 'Alice Agent'),
    ('a0000000-0000-4000-8000-000000000003'::uuid, 'agent.bob@autocrm.demo', 'Bob Agent'),
    ('c0000000-0000-4000-8000-000000000001'::uuid, 'carol@customer.demo', 'Carol Customer'),
    ('c0000000-0000-4000-8000-000000000002'::uuid, 'dave@customer.demo', 'Dave Customer'),
    ('c0000000-0000-4000-8000-000000000003'::uuid, 'erin@customer.demo', 'Erin Customer')
)
insert into auth.users (
  instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
  raw_app_meta_data, raw_user_meta_data, is_super_admin, created_at, updated_at,
  confirmation_token, recovery_token, email_change_token_new, email_change
)
select '00000000-0000-0000-0000-000000000000'::uuid, u.id, 'authenticated', 'authenticated', u.email,
       extensions.crypt('autocrm-demo', extensions.gen_salt('bf', 10)),
       now() - interval '30 days',
       '{"provider":"email","providers":["email"]}'::jsonb,
       jsonb_build_object('display_name', u.display_name),
       false, now() - interval '30 days', now() - interval '30 days',
       '', '', '', ''
from demo_users u
on conflict (id) do nothing;

insert into auth.identities (provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at)
select u.id::text, u.id,
       jsonb_build_object('sub', u.id::text, 'email', u.email, 'email_verified', true, 'phone_verified', false),
       'email', now() - interval '30 days', now() - interval '30 days', now() - interval '30 days'
from auth.users u
where u.id in ('a0000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000002',
               'a0000000-0000-4000-8000-000000000003', 'c0000000-0000-4000-8000-000000000001',
               'c0000000-0000-4000-8000-000000000002', 'c0000000-0000-4000-8000-000000000003')
on conflict (provider_id, provider) do nothing;

-- Roles.
update public.profiles set role = 'admin' where id = 'a0000000-0000-4000-8000-000000000001';
update public.profiles set role = 'agent'
 where id in ('a0000000-0000-4000-8000-000000000002', 'a0000000-0000-4000-8000-000000000003');

-- Queues and members.
insert into public.queues (id, slug, name, description) values
  ('b0000000-0000-4000-8000-000000000001', 'general', 'General', 'Everything that is not billing: how-to questions, bugs, accounts.'),
  ('b0000000-0000-4000-8000-000000000002', 'billing', 'Billing', 'Invoices, payments, refunds and plan changes.')
on conflict (id) do nothing;

insert into public.queue_members (queue_id, agent_id) values
  ('b0000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000002'),
  ('b0000000-0000-4000-8000-000000000002', 'a0000000-0000-4000-8000-000000000002'),
  ('b0000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000003')
on conflict do nothing;

-- Tickets. They start as new/open; final states are set after the conversation below
-- (a customer's reply would otherwise reopen a pending or solved ticket).
insert into public.tickets (id, subject, status, priority, requester_id, assignee_id, queue_id, tags, metadata, created_at)
values
  ('d0000000-0000-4000-8000-000000000001', 'Cannot log in after password reset', 'new', 'high',
   'c0000000-0000-4000-8000-000000000001', null, 'b0000000-0000-4000-8000-000000000001',
   '{login,account}', '{"channel":"web","browser":"Firefox 133","plan":"pro"}', now() - interval '2 hours'),
  ('d0000000-0000-4000-8000-000000000002', 'Charged twice for November', 'new', 'urgent',
   'c0000000-0000-4000-8000-000000000002', null, 'b0000000-0000-4000-8000-000000000002',
   '{billing,refund}', '{"channel":"email","invoice":"INV-2026-1107","amount_cents":4900}', now() - interval '90 minutes'),
  ('d0000000-0000-4000-8000-000000000003', 'How do I export my contacts to CSV?', 'new', 'low',
   'c0000000-0000-4000-8000-000000000003', null, 'b0000000-0000-4000-8000-000000000001',
   '{how-to,export}', '{"channel":"web"}', now() - interval '1 day'),
  ('d0000000-0000-4000-8000-000000000004', 'Dashboard loads very slowly', 'open', 'normal',
   'c0000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000003', 'b0000000-0000-4000-8000-000000000001',
   '{performance}', '{"channel":"web","browser":"Chrome 131","region":"eu-west"}', now() - interval '3 days'),
  ('d0000000-0000-4000-8000-000000000005', 'Please update the VAT number on my invoices', 'open', 'normal',
   'c0000000-0000-4000-8000-000000000002', 'a0000000-0000-4000-8000-000000000002', 'b0000000-0000-4000-8000-000000000002',
   '{billing,invoice}', '{"channel":"email","vat":"DE123456789"}', now() - interval '4 days'),
  ('d0000000-0000-4000-8000-000000000006', 'API returns 429 during nightly sync', 'open', 'high',
   'c0000000-0000-4000-8000-000000000003', 'a0000000-0000-4000-8000-000000000002', 'b0000000-0000-4000-8000-000000000001',
   '{api,rate-limit}', '{"channel":"api","requests_per_minute":1200,"sdk":"dotnet"}', now() - interval '5 days'),
  ('d0000000-0000-4000-8000-000000000007', 'Upgrade to the annual plan', 'open', 'normal',
   'c0000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000002', 'b0000000-0000-4000-8000-000000000002',
   '{billing,upgrade}', '{"channel":"web","plan":"pro","target_plan":"pro-annual"}', now() - interval '6 days'),
  ('d0000000-0000-4000-8000-000000000008', 'Webhook deliveries delayed', 'open', 'high',
   'c0000000-0000-4000-8000-000000000002', 'a0000000-0000-4000-8000-000000000003', 'b0000000-0000-4000-8000-000000000001',
   '{webhooks,integration}', '{"channel":"email","vendor_ticket":"VND-4411"}', now() - interval '7 days'),
  ('d0000000-0000-4000-8000-000000000009', 'Typo in the welcome email', 'open', 'low',
   'c0000000-0000-4000-8000-000000000003', 'a0000000-0000-4000-8000-000000000003', 'b0000000-0000-4000-8000-000000000001',
   '{content}', '{"channel":"web"}', now() - interval '10 days'),
  ('d0000000-0000-4000-8000-000000000010', 'Refund for unused seats', 'open', 'normal',
   'c0000000-0000-4000-8000-000000000001', 'a0000000-0000-4000-8000-000000000002', 'b0000000-0000-4000-8000-000000000002',
   '{billing,refund}', '{"channel":"email","seats":3,"amount_cents":8700}', now() - interval '14 days'),
  ('d0000000-0000-4000-8000-000000000011', 'Feature request: dark mode', 'new', 'low',
   'c0000000-0000-4000-8000-000000000002', null, null,
   '{feature-request}', '{"channel":"web","votes":12}', now() - interval '20 days'),
  ('d0000000-0000-4000-8000-000000000012', 'Two-factor codes not arriving by SMS', 'open', 'urgent',
   'c0000000-0000-4000-8000-000000000003', 'a0000000-0000-4000-8000-000000000003', 'b0000000-0000-4000-8000-000000000001',
   '{login,2fa,sms}', '{"channel":"phone","carrier":"Vodafone","country":"DE"}', now() - interval '5 hours')
on conflict (id) do nothing;

-- Conversations (public replies and internal notes), in time order.
insert into public.ticket_messages (id, ticket_id, author_id, visibility, body, metadata, created_at)
values
  ('e0000000-0000-4000-8000-000000000001', 'd0000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000001', 'public',
   'I reset my password an hour ago and now the login page just reloads.', '{"source":"web"}', now() - interval '2 hours'),
  ('e0000000-0000-4000-8000-000000000002', 'd0000000-0000-4000-8000-000000000002', 'c0000000-0000-4000-8000-000000000002', 'public',
   'My card was charged twice for the November invoice. Please refund one charge.', '{"source":"email"}', now() - interval '90 minutes'),
  ('e0000000-0000-4000-8000-000000000003', 'd0000000-0000-4000-8000-000000000003', 'c0000000-0000-4000-8000-000000000003', 'public',
   'Is there a way to download all my contacts as a CSV file?', '{"source":"web"}', now() - interval '1 day'),
  ('e0000000-0000-4000-8000-000000000004', 'd0000000-0000-4000-8000-000000000004', 'c0000000-0000-4000-8000-000000000001', 'public',
   'The dashboard takes over 20 seconds to load since Monday.', '{"source":"web"}', now() - interval '3 days'),
  ('e0000000-0000-4000-8000-000000000005', 'd0000000-0000-4000-8000-000000000004', 'a0000000-0000-4000-8000-000000000003', 'internal',
   'Probably the EU replica lag again. Checking with ops.', '{}', now() - interval '3 days' + interval '1 hour'),
  ('e0000000-0000-4000-8000-000000000006', 'd0000000-0000-4000-8000-000000000004', 'a0000000-0000-4000-8000-000000000003', 'public',
   'Thanks for reporting this. We are looking into it and will update you shortly.', '{}', now() - interval '3 days' + interval '2 hours'),
  ('e0000000-0000-4000-8000-000000000007', 'd0000000-0000-4000-8000-000000000005', 'c0000000-0000-4000-8000-000000000002', 'public',
   'Our VAT number changed to DE123456789. Can you reissue the last two invoices?', '{"source":"email"}', now() - interval '4 days'),
  ('e0000000-0000-4000-8000-000000000008', 'd0000000-0000-4000-8000-000000000005', 'a0000000-0000-4000-8000-000000000002', 'public',
   'Done: the VAT number is updated and the invoices are reissued. Anything else?', '{}', now() - interval '3 days'),
  ('e0000000-0000-4000-8000-000000000009', 'd0000000-0000-4000-8000-000000000006', 'c0000000-0000-4000-8000-000000000003', 'public',
   'Our nightly sync gets HTTP 429 after about 1000 requests.', '{"source":"api"}', now() - interval '5 days'),
  ('e0000000-0000-4000-8000-000000000010', 'd0000000-0000-4000-8000-000000000006', 'a0000000-0000-4000-8000-000000000002', 'internal',
   'Customer is on the pro plan, limit is 1000 rpm. Suggest batching.', '{}', now() - interval '5 days' + interval '30 minutes'),
  ('e0000000-0000-4000-8000-000000000011', 'd0000000-0000-4000-8000-000000000006', 'a0000000-0000-4000-8000-000000000002', 'public',
   'Your plan allows 1000 requests per minute. The bulk endpoint can cut that by 90%.', '{}', now() - interval '5 days' + interval '1 hour'),
  ('e0000000-0000-4000-8000-000000000012', 'd0000000-0000-4000-8000-000000000007', 'c0000000-0000-4000-8000-000000000001', 'public',
   'We would like to switch to annual billing.', '{"source":"web"}', now() - interval '6 days'),
  ('e0000000-0000-4000-8000-000000000013', 'd0000000-0000-4000-8000-000000000007', 'a0000000-0000-4000-8000-000000000002', 'public',
   'Switched you to the annual plan; the prorated credit is on your next invoice.', '{}', now() - interval '5 days'),
  ('e0000000-0000-4000-8000-000000000014', 'd0000000-0000-4000-8000-000000000008', 'c0000000-0000-4000-8000-000000000002', 'public',
   'Webhooks arrive 10-15 minutes late since yesterday.', '{"source":"email"}', now() - interval '7 days'),
  ('e0000000-0000-4000-8000-000000000015', 'd0000000-0000-4000-8000-000000000008', 'a0000000-0000-4000-8000-000000000003', 'internal',
   'Waiting on the queue vendor (VND-4411).', '{}', now() - interval '6 days'),
  ('e0000000-0000-4000-8000-000000000016', 'd0000000-0000-4000-8000-000000000008', 'a0000000-0000-4000-8000-000000000003', 'public',
   'We escalated this to our infrastructure provider and will report back.', '{}', now() - interval '6 days' + interval '1 hour'),
  ('e0000000-0000-4000-8000-000000000017', 'd0000000-0000-4000-8000-000000000009', 'c0000000-0000-4000-8000-000000000003', 'public',
   'The welcome email says "recieve".', '{"source":"web"}', now() - interval '10 days'),
  ('e0000000-0000-4000-8000-000000000018', 'd0000000-0000-4000-8000-000000000009', 'a0000000-0000-4000-8000-000000000003', 'public',
   'Fixed, thank you!', '{}', now() - interval '9 days'),
  ('e0000000-0000-4000-8000-000000000019', 'd0000000-0000-4000-8000-000000000010', 'c0000000-0000-4000-8000-000000000001', 'public',
   'We removed three seats mid-cycle. Can we get a refund?', '{"source":"email"}', now() - interval '14 days'),
  ('e0000000-0000-4000-8000-000000000020', 'd0000000-0000-4000-8000-000000000010', 'a0000000-0000-4000-8000-000000000002', 'public',
   'Refunded 87.00 EUR to your card.', '{"refund_id":"re_demo_1"}', now() - interval '13 days'),
  ('e0000000-0000-4000-8000-000000000021', 'd0000000-0000-4000-8000-000000000011', 'c0000000-0000-4000-8000-000000000002', 'public',
   'A dark theme would be great for late shifts.', '{"source":"web"}', now() - interval '20 days'),
  ('e0000000-0000-4000-8000-000000000022', 'd0000000-0000-4000-8000-000000000012', 'c0000000-0000-4000-8000-000000000003', 'public',
   'I cannot sign in: the SMS code never arrives.', '{"source":"phone"}', now() - interval '5 hours'),
  ('e0000000-0000-4000-8000-000000000023', 'd0000000-0000-4000-8000-000000000012', 'a0000000-0000-4000-8000-000000000003', 'internal',
   'SMS provider status page shows degraded delivery in DE.', '{}', now() - interval '4 hours')
on conflict (id) do nothing;

-- Final states.
update public.tickets set status = 'pending'
 where id in ('d0000000-0000-4000-8000-000000000005', 'd0000000-0000-4000-8000-000000000006') and status = 'open';
update public.tickets set status = 'on_hold'
 where id = 'd0000000-0000-4000-8000-000000000008' and status = 'open';
update public.tickets set status = 'solved', solved_at = now() - interval '5 days'
 where id = 'd0000000-0000-4000-8000-000000000007' and status = 'open';
update public.tickets set status = 'closed', solved_at = now() - interval '9 days', closed_at = now() - interval '5 days'
 where id = 'd0000000-0000-4000-8000-000000000009' and status = 'open';
update public.tickets set status = 'closed', solved_at = now() - interval '13 days', closed_at = now() - interval '10 days'
 where id = 'd0000000-0000-4000-8000-000000000010' and status = 'open';
