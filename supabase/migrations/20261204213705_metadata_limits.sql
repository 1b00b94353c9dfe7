-- Caps on the metadata of tickets, messages and profiles, held in the database so that every client (the SDK,
-- supabase-js, PostgREST, RPC, plain SQL) meets the same limits. They are far above what a helpdesk stores there
-- (custom fields included: at most 256 of them, each value bounded), and low enough that one write cannot park
-- megabytes in a row that every list, realtime change and export then carries.
--
--   serialized size  at most 262,144 bytes (256 KiB, as jsonb's text form)
--   top-level fields at most 512
--
-- A write over a limit fails with SQLSTATE 23514 (HTTP 400 through PostgREST) and a message that names the field the
-- SDK's way (`field "metadata": ...`), the size or count and the limit; the table is in the detail. Only writes of
-- metadata are checked, so a row stored before this migration keeps working until its metadata is written again.

create function public.check_metadata_limits()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  v_bytes bigint;
  v_fields bigint;
begin
  if jsonb_typeof(new.metadata) is distinct from 'object' then
    return new; -- the table's own check constraint refuses it with its message
  end if;
  v_bytes := octet_length(new.metadata::text);
  if v_bytes > 262144 then
    raise exception 'field "metadata": metadata is too large: % bytes, at most 262144', v_bytes
      using errcode = '23514', detail = tg_table_name || '.metadata', hint = 'Keep long text in messages; metadata holds small fields.';
  end if;
  select count(*) into v_fields from jsonb_object_keys(new.metadata);
  if v_fields > 512 then
    raise exception 'field "metadata": metadata has too many fields: %, at most 512', v_fields
      using errcode = '23514', detail = tg_table_name || '.metadata', hint = 'Group related values under one key.';
  end if;
  return new;
end;
$$;

comment on function public.check_metadata_limits() is
  'Trigger: refuses metadata over 262144 bytes (jsonb text) or 512 top-level fields with SQLSTATE 23514.';

create trigger tickets_metadata_limits
  before insert or update of metadata on public.tickets
  for each row execute function public.check_metadata_limits();

create trigger ticket_messages_metadata_limits
  before insert or update of metadata on public.ticket_messages
  for each row execute function public.check_metadata_limits();

create trigger profiles_metadata_limits
  before insert or update of metadata on public.profiles
  for each row execute function public.check_metadata_limits();
