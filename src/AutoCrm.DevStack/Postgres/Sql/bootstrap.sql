-- AutoCrm.DevStack platform bootstrap.
--
-- What a Supabase Postgres image has before any user migration (docs/protocols.md#auth-tables-and-sql-helpers, docs/protocols.md#database-bootstrap):
-- API roles, schema auth (tables + helper functions), schema extensions, the CLI's
-- migration history tables, grants/default privileges, the supabase_realtime publication,
-- and Realtime's authorization objects (realtime.messages, realtime.topic()).
--
-- Idempotent: it runs on every DevStack start, before the migrations. It therefore never
-- grants on existing tables or alters the publication's table list (migrations own those).
-- Runs as the superuser supabase_admin. Migrations then run as postgres, which is NOT a
-- superuser, with the attributes, memberships, ownerships and grants Supabase gives it
-- (docs/deploy.md, "The postgres role").

set client_min_messages = warning;

-- ---------------------------------------------------------------------------
-- Roles
-- ---------------------------------------------------------------------------
do $bootstrap$
begin
  if not exists (select 1 from pg_roles where rolname = 'anon') then
    create role anon nologin noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'authenticated') then
    create role authenticated nologin noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'service_role') then
    create role service_role nologin noinherit bypassrls;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'authenticator') then
    create role authenticator login noinherit password 'postgres';
  end if;
  if not exists (select 1 from pg_roles where rolname = 'supabase_admin') then
    create role supabase_admin login superuser createrole createdb replication bypassrls password 'postgres';
  end if;
  if not exists (select 1 from pg_roles where rolname = 'supabase_auth_admin') then
    create role supabase_auth_admin login noinherit createrole password 'postgres';
  end if;
  if not exists (select 1 from pg_roles where rolname = 'supabase_realtime_admin') then
    create role supabase_realtime_admin nologin noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'postgres') then
    create role postgres login password 'postgres';
  end if;
  -- Supabase's postgres: everything a project owner needs short of superuser. Two cases keep their superuser:
  -- the bootstrap superuser (oid 10: a data directory made by an older DevStack) and the login running this
  -- script (an attached server reached as postgres); the DevStack warns that migrations are not strict there.
  if (select oid from pg_roles where rolname = 'postgres') <> 10 and session_user <> 'postgres' then
    alter role postgres nosuperuser createdb createrole login replication bypassrls;
  end if;
  -- Since 2025 postgres no longer acts as the Auth admin (it may not create or drop objects in schema auth).
  if exists (select 1 from pg_auth_members
             where roleid = 'supabase_auth_admin'::regrole and member = 'postgres'::regrole) then
    revoke supabase_auth_admin from postgres;
  end if;
end
$bootstrap$;

-- Attributes that must hold even when the role pre-existed.
alter role service_role bypassrls;
alter role authenticator login noinherit;

grant anon, authenticated, service_role to authenticator;
grant anon, authenticated, service_role to postgres;
grant pg_monitor, pg_read_all_data, pg_signal_backend to postgres;

-- Settings Supabase lets postgres change although they need a superuser in plain PostgreSQL (supautils'
-- privileged_role_allowed_configs; its pgrst.* is spelled out as PostgREST's in-database settings), e.g.
-- `alter role authenticator set pgrst.db_aggregates_enabled = 'true'` or `set session_replication_role = replica`.
grant set on parameter
  auto_explain.log_min_duration, auto_explain.log_nested_statements, log_lock_waits, log_min_messages,
  pg_net.batch_size, pg_net.ttl, pgaudit.log, pgaudit.log_catalog, pgaudit.log_client, pgaudit.log_level,
  pgaudit.log_relation, pgaudit.log_rows, pgaudit.log_statement, pgaudit.log_statement_once, pgaudit.role,
  safeupdate.enabled, session_replication_role, track_io_timing,
  pgrst.db_aggregates_enabled, pgrst.db_anon_role, pgrst.db_extra_search_path, pgrst.db_hoisted_tx_settings,
  pgrst.db_max_rows, pgrst.db_plan_enabled, pgrst.db_pre_config, pgrst.db_pre_request, pgrst.db_prepared_statements,
  pgrst.db_root_spec, pgrst.db_schemas, pgrst.db_tx_end, pgrst.jwt_aud, pgrst.jwt_cache_max_lifetime,
  pgrst.jwt_role_claim_key, pgrst.jwt_secret, pgrst.jwt_secret_is_base64, pgrst.openapi_mode,
  pgrst.openapi_security_active, pgrst.openapi_server_proxy_uri, pgrst.server_cors_allowed_origins,
  pgrst.server_timing_enabled, pgrst.server_trace_header
  to postgres;

-- Role settings (applied by PostgREST-like servers from pg_db_role_setting).
alter role anon set statement_timeout = '3s';
alter role authenticated set statement_timeout = '8s';
alter role authenticator set statement_timeout = '8s';
alter role authenticator set lock_timeout = '8s';
alter role supabase_admin set search_path = "$user", public, auth, extensions;
alter role postgres set search_path = "$user", public, extensions;
alter role supabase_auth_admin set search_path = auth;

-- ---------------------------------------------------------------------------
-- Schemas and extensions
-- ---------------------------------------------------------------------------
create schema if not exists extensions;
create schema if not exists auth authorization supabase_auth_admin;
create schema if not exists graphql_public;
create schema if not exists realtime;
create schema if not exists supabase_migrations;

alter schema auth owner to supabase_auth_admin;

-- The project database, its public schema (owned by pg_database_owner) and schema extensions belong to postgres.
do $bootstrap$
begin
  execute format('alter database %I owner to postgres', current_database());
end
$bootstrap$;
alter schema extensions owner to postgres;

create extension if not exists pgcrypto with schema extensions;
create extension if not exists "uuid-ossp" with schema extensions;

-- ---------------------------------------------------------------------------
-- Supabase CLI migration history
-- ---------------------------------------------------------------------------
create table if not exists supabase_migrations.schema_migrations (
  version text not null primary key
);
alter table supabase_migrations.schema_migrations add column if not exists statements text[];
alter table supabase_migrations.schema_migrations add column if not exists name text;

create table if not exists supabase_migrations.seed_files (
  path text not null primary key,
  hash text not null
);

-- The CLI creates its history as postgres; postgres owns it on Supabase.
alter schema supabase_migrations owner to postgres;
alter table supabase_migrations.schema_migrations owner to postgres;
alter table supabase_migrations.seed_files owner to postgres;

-- ---------------------------------------------------------------------------
-- Schema auth: tables (key columns of GoTrue's schema)
-- ---------------------------------------------------------------------------
do $bootstrap$
begin
  if not exists (select 1 from pg_type t join pg_namespace n on n.oid = t.typnamespace
                 where n.nspname = 'auth' and t.typname = 'aal_level') then
    create type auth.aal_level as enum ('aal1', 'aal2', 'aal3');
  end if;
end
$bootstrap$;

create table if not exists auth.users (
  instance_id uuid null,
  id uuid not null,
  aud varchar(255) null,
  role varchar(255) null,
  email varchar(255) null,
  encrypted_password varchar(255) null,
  email_confirmed_at timestamptz null,
  invited_at timestamptz null,
  confirmation_token varchar(255) null default '',
  confirmation_sent_at timestamptz null,
  recovery_token varchar(255) null default '',
  recovery_sent_at timestamptz null,
  email_change_token_new varchar(255) null default '',
  email_change varchar(255) null default '',
  email_change_sent_at timestamptz null,
  last_sign_in_at timestamptz null,
  raw_app_meta_data jsonb null,
  raw_user_meta_data jsonb null,
  is_super_admin bool null,
  created_at timestamptz null default now(),
  updated_at timestamptz null default now(),
  phone text null default null,
  phone_confirmed_at timestamptz null,
  phone_change text null default '',
  phone_change_token varchar(255) null default '',
  phone_change_sent_at timestamptz null,
  confirmed_at timestamptz generated always as (least(email_confirmed_at, phone_confirmed_at)) stored,
  email_change_token_current varchar(255) null default '',
  email_change_confirm_status smallint null default 0,
  banned_until timestamptz null,
  reauthentication_token varchar(255) null default '',
  reauthentication_sent_at timestamptz null,
  is_sso_user boolean not null default false,
  deleted_at timestamptz null,
  is_anonymous boolean not null default false,
  constraint users_pkey primary key (id),
  constraint users_phone_key unique (phone),
  constraint users_email_change_confirm_status_check
    check (email_change_confirm_status >= 0 and email_change_confirm_status <= 2)
);
comment on column auth.users.is_sso_user is 'Auth: Set this column to true when the account comes from SSO. These accounts can have duplicate emails.';
create unique index if not exists users_email_partial_key on auth.users (email) where (is_sso_user = false);
create index if not exists users_instance_id_email_idx on auth.users (instance_id, lower(email::text));
create index if not exists users_instance_id_idx on auth.users (instance_id);
create index if not exists users_is_anonymous_idx on auth.users (is_anonymous);
create unique index if not exists confirmation_token_idx on auth.users (confirmation_token)
  where confirmation_token::text !~ '^[0-9 ]*$';
create unique index if not exists recovery_token_idx on auth.users (recovery_token)
  where recovery_token::text !~ '^[0-9 ]*$';

create table if not exists auth.identities (
  provider_id text not null,
  user_id uuid not null,
  identity_data jsonb not null,
  provider text not null,
  last_sign_in_at timestamptz null,
  created_at timestamptz null default now(),
  updated_at timestamptz null default now(),
  email text generated always as (lower(identity_data ->> 'email')) stored,
  id uuid not null default gen_random_uuid(),
  constraint identities_pkey primary key (id),
  constraint identities_provider_id_provider_unique unique (provider_id, provider),
  constraint identities_user_id_fkey foreign key (user_id) references auth.users (id) on delete cascade
);
create index if not exists identities_user_id_idx on auth.identities (user_id);
create index if not exists identities_email_idx on auth.identities (email text_pattern_ops);

create table if not exists auth.sessions (
  id uuid not null,
  user_id uuid not null,
  created_at timestamptz null default now(),
  updated_at timestamptz null default now(),
  factor_id uuid null,
  aal auth.aal_level null,
  not_after timestamptz null,
  refreshed_at timestamp null,
  user_agent text null,
  ip inet null,
  tag text null,
  constraint sessions_pkey primary key (id),
  constraint sessions_user_id_fkey foreign key (user_id) references auth.users (id) on delete cascade
);
create index if not exists sessions_user_id_idx on auth.sessions (user_id);
create index if not exists sessions_not_after_idx on auth.sessions (not_after desc);

create table if not exists auth.refresh_tokens (
  instance_id uuid null,
  id bigserial not null,
  token varchar(255) null,
  user_id varchar(255) null,
  revoked boolean null,
  created_at timestamptz null default now(),
  updated_at timestamptz null default now(),
  parent varchar(255) null,
  session_id uuid null,
  constraint refresh_tokens_pkey primary key (id),
  constraint refresh_tokens_token_unique unique (token),
  constraint refresh_tokens_session_id_fkey foreign key (session_id) references auth.sessions (id) on delete cascade
);
create index if not exists refresh_tokens_instance_id_idx on auth.refresh_tokens (instance_id);
create index if not exists refresh_tokens_instance_id_user_id_idx on auth.refresh_tokens (instance_id, user_id);
create index if not exists refresh_tokens_parent_idx on auth.refresh_tokens (parent);
create index if not exists refresh_tokens_session_id_revoked_idx on auth.refresh_tokens (session_id, revoked);
create index if not exists refresh_tokens_updated_at_idx on auth.refresh_tokens (updated_at desc);

create table if not exists auth.mfa_amr_claims (
  session_id uuid not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  authentication_method text not null,
  id uuid not null default gen_random_uuid(),
  constraint amr_id_pk primary key (id),
  constraint mfa_amr_claims_session_id_authentication_method_pkey unique (session_id, authentication_method),
  constraint mfa_amr_claims_session_id_fkey foreign key (session_id) references auth.sessions (id) on delete cascade
);

create table if not exists auth.audit_log_entries (
  instance_id uuid null,
  id uuid not null,
  payload json null,
  created_at timestamptz null default now(),
  ip_address varchar(64) not null default '',
  constraint audit_log_entries_pkey primary key (id)
);

create table if not exists auth.schema_migrations (
  version varchar(255) not null,
  constraint schema_migrations_pkey primary key (version)
);

alter table auth.users owner to supabase_auth_admin;
alter table auth.identities owner to supabase_auth_admin;
alter table auth.sessions owner to supabase_auth_admin;
alter table auth.refresh_tokens owner to supabase_auth_admin;
alter table auth.mfa_amr_claims owner to supabase_auth_admin;
alter table auth.audit_log_entries owner to supabase_auth_admin;
alter table auth.schema_migrations owner to supabase_auth_admin;
alter type auth.aal_level owner to supabase_auth_admin;

-- ---------------------------------------------------------------------------
-- Schema auth: helper functions (docs/protocols.md#auth-tables-and-sql-helpers)
-- ---------------------------------------------------------------------------
create or replace function auth.uid() returns uuid
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.sub', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
  )::uuid
$$;

create or replace function auth.role() returns text
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.role', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
  )::text
$$;

create or replace function auth.email() returns text
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.email', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email')
  )::text
$$;

create or replace function auth.jwt() returns jsonb
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim', true), ''),
    nullif(current_setting('request.jwt.claims', true), '')
  )::jsonb
$$;

alter function auth.uid() owner to supabase_auth_admin;
alter function auth.role() owner to supabase_auth_admin;
alter function auth.email() owner to supabase_auth_admin;
alter function auth.jwt() owner to supabase_auth_admin;
grant execute on function auth.uid(), auth.role(), auth.email(), auth.jwt() to public;

-- ---------------------------------------------------------------------------
-- Grants and default privileges (docs/protocols.md#database-bootstrap)
-- ---------------------------------------------------------------------------
grant usage on schema public, extensions, auth, graphql_public, realtime to anon, authenticated, service_role;
grant all on schema auth to supabase_auth_admin;
-- postgres reads and writes Auth's tables, references them and puts triggers on them, but creates nothing in
-- schema auth and does not touch Auth's own migration history.
grant usage on schema auth, realtime, graphql_public to postgres;
grant all on all tables in schema auth to postgres;
revoke insert, update, delete, truncate on auth.schema_migrations from postgres;
grant all on all sequences in schema auth to postgres;

alter default privileges for role postgres in schema public
  grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges for role postgres in schema public
  grant all on sequences to postgres, anon, authenticated, service_role;
alter default privileges for role postgres in schema public
  grant all on functions to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema public
  grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema public
  grant all on sequences to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema public
  grant all on functions to postgres, anon, authenticated, service_role;
alter default privileges for role postgres in schema extensions
  grant all on functions to postgres, anon, authenticated, service_role;

-- ---------------------------------------------------------------------------
-- Realtime publication (tables are added by migrations)
-- ---------------------------------------------------------------------------
do $bootstrap$
begin
  if not exists (select 1 from pg_publication where pubname = 'supabase_realtime') then
    create publication supabase_realtime with (publish = 'insert, update, delete, truncate');
  end if;
end
$bootstrap$;
-- postgres owns it, so migrations add their tables with ALTER PUBLICATION as on Supabase.
alter publication supabase_realtime owner to postgres;

-- ---------------------------------------------------------------------------
-- Realtime authorization: realtime.messages and realtime.topic(), as a Supabase
-- project has them. Private channels are authorized by row-level security on
-- realtime.messages (policies come from migrations); Realtime inserts probe rows
-- and rolls them back, so the table stays empty. Supabase partitions it by day
-- for Broadcast replay, which the DevStack does not need.
-- ---------------------------------------------------------------------------
create table if not exists realtime.messages (
  topic text not null,
  extension text not null,
  payload jsonb,
  event text,
  private boolean default false,
  updated_at timestamp without time zone not null default now(),
  inserted_at timestamp without time zone not null default now(),
  id uuid not null default gen_random_uuid(),
  constraint messages_pkey primary key (id, inserted_at)
);
grant usage, create on schema realtime to supabase_realtime_admin;
alter table realtime.messages enable row level security;
alter table realtime.messages owner to supabase_realtime_admin;
grant insert, select, update on table realtime.messages to postgres, anon, authenticated, service_role;

create or replace function realtime.topic() returns text
language sql stable
as $$
  select nullif(current_setting('realtime.topic', true), '')::text;
$$;
alter function realtime.topic() owner to supabase_realtime_admin;
grant execute on function realtime.topic() to anon, authenticated, service_role;

-- ---------------------------------------------------------------------------
-- Schema cache reload notifications, as the Supabase image's pgrst_ddl_watch does
-- ---------------------------------------------------------------------------
create or replace function extensions.pgrst_ddl_watch() returns event_trigger
language plpgsql
as $$
begin
  perform pg_notify('pgrst', 'reload schema');
end
$$;

do $bootstrap$
begin
  if not exists (select 1 from pg_event_trigger where evtname = 'pgrst_ddl_watch') then
    create event trigger pgrst_ddl_watch on ddl_command_end
      execute procedure extensions.pgrst_ddl_watch();
  end if;
end
$bootstrap$;

reset client_min_messages;
