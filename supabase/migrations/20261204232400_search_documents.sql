-- AutoCRM search, part 1: the search documents, kept current in the transaction of every write.
-- Forward-only (follows 20261204230101).
--
-- Two documents per ticket, so that visibility is structural:
--   autocrm_private.ticket_search_documents        what everyone who may read the ticket may read:
--       subject (weight A), public messages (B), tags and metadata values (C) — tickets.metadata holds free-form keys
--       and customer-visible custom field values only;
--   autocrm_private.ticket_staff_search_documents  what only staff may read: internal notes (B) and agent-only custom
--       field values (C, from public.ticket_agent_fields). A row exists only for tickets that have such text.
-- API roles cannot read either table (row-level security on, no policy, no grant). public.search_tickets (next
-- migration) reads them through one security definer step that uses the staff document only for staff and keeps only
-- tickets the caller may read, and then returns ticket rows under the caller's row-level security; so a customer's
-- search can never match, rank on or quote an internal note.
--
-- Write-path cost: a new ticket inserts one document row; a message appends its words to one document (an UPDATE of
-- one row and its GIN entry). Subject/tags/metadata changes rebuild the ticket part only; status, assignment and the
-- other columns do not touch the documents. Editing or deleting a message (admins, trusted code) rebuilds that
-- ticket's documents from its messages.
--
-- Size: a tsvector holds at most 1 MB of distinct words. Each document indexes at most 150,000 characters of
-- conversation (or of notes); the rest of a very long conversation is not searchable. Metadata larger than 50,000
-- bytes of JSON and tags beyond 10,000 characters are not indexed either. So no write can fail on the limit.

create extension if not exists pg_trgm with schema extensions;

create schema if not exists autocrm_private;
revoke all on schema autocrm_private from public;
grant usage on schema autocrm_private to anon, authenticated, service_role;
comment on schema autocrm_private is
  'AutoCRM internals: tables and helpers that the API does not expose (not in PostgREST''s exposed schemas).';

-- ---------------------------------------------------------------------------
-- Documents
-- ---------------------------------------------------------------------------
create table autocrm_private.ticket_search_documents (
  ticket_id uuid not null primary key references public.tickets (id) on delete cascade,
  ticket_part tsvector not null,
  conversation tsvector not null default ''::tsvector,
  conversation_chars integer not null default 0
);
comment on table autocrm_private.ticket_search_documents is
  'Customer-visible search text of a ticket: subject (A), public messages (B), tags and metadata values (C). '
  'Search matches ticket_part || conversation (indexed by ticket_search_documents_document_idx).';
comment on column autocrm_private.ticket_search_documents.conversation_chars is
  'Characters of public messages indexed so far (at most 150,000).';

create index ticket_search_documents_document_idx
  on autocrm_private.ticket_search_documents using gin ((ticket_part || conversation));
-- Frequent words decide the plan (walk newest tickets first vs. collect every match): keep many of them in the
-- statistics of the indexed expression.
alter index autocrm_private.ticket_search_documents_document_idx alter column 1 set statistics 1000;

create table autocrm_private.ticket_staff_search_documents (
  ticket_id uuid not null primary key references public.tickets (id) on delete cascade,
  notes tsvector not null default ''::tsvector,
  notes_chars integer not null default 0,
  agent_fields tsvector not null default ''::tsvector
);
comment on table autocrm_private.ticket_staff_search_documents is
  'Staff-only search text of a ticket: internal notes (B) and agent-only field values (C). Only staff searches read '
  'it. Search matches notes || agent_fields.';

create index ticket_staff_search_documents_document_idx
  on autocrm_private.ticket_staff_search_documents using gin ((notes || agent_fields));
alter index autocrm_private.ticket_staff_search_documents_document_idx alter column 1 set statistics 1000;

-- Why not a policy per table and a search as the caller: PostgreSQL never uses an index for a condition on a table
-- under row-level security unless the condition's operator is leakproof, and @@ is not (nor can a migration on
-- Supabase mark it so). A policy here would turn every search into a scan of all documents.
alter table autocrm_private.ticket_search_documents enable row level security;
alter table autocrm_private.ticket_staff_search_documents enable row level security;
revoke all on autocrm_private.ticket_search_documents, autocrm_private.ticket_staff_search_documents
  from public, anon, authenticated, service_role;

-- ---------------------------------------------------------------------------
-- Vocabulary for typo tolerance and partial words: the distinct words of the customer-visible text (stemmed, three
-- to 32 letters, no digits). A query word that is not in it is widened to the nearest words by trigram similarity
-- and to the words it starts. Not readable through the API: only autocrm_private.search_tsquery reads it.
-- ---------------------------------------------------------------------------
create table autocrm_private.search_terms (
  term text not null primary key
);
comment on table autocrm_private.search_terms is
  'Distinct words (lexemes) of customer-visible ticket text, for typo tolerance (trigram similarity) and prefixes.';
create index search_terms_trigram_idx on autocrm_private.search_terms using gin (term extensions.gin_trgm_ops);
revoke all on autocrm_private.search_terms from public, anon, authenticated, service_role;

-- ---------------------------------------------------------------------------
-- Builders
-- ---------------------------------------------------------------------------

-- The ticket part of the customer-visible document. Metadata values (strings and numbers, at any depth) are
-- indexed; keys are not. The builders have SQL-standard bodies: parsed once, when created (so they need no
-- search_path), and inlined into the statements and triggers that call them, which run them for every written row.
create function autocrm_private.ticket_search_part(p_subject text, p_tags text[], p_metadata jsonb)
returns tsvector
language sql
immutable
parallel safe
return setweight(to_tsvector('pg_catalog.english', coalesce(p_subject, '')), 'A')
    || setweight(to_tsvector('pg_catalog.english', left(coalesce(array_to_string(p_tags, ' '), ''), 10000)), 'C')
    || setweight(case when p_metadata is not null and octet_length(p_metadata::text) <= 50000
                      then jsonb_to_tsvector('pg_catalog.english', p_metadata, '["string", "numeric"]')
                      else ''::tsvector
                 end, 'C');

-- Agent-only custom field values (public.ticket_agent_fields.metadata) as staff-only document text of weight C.
create function autocrm_private.agent_fields_search_part(p_metadata jsonb)
returns tsvector
language sql
immutable
parallel safe
return setweight(case when p_metadata is not null and octet_length(p_metadata::text) <= 50000
                      then jsonb_to_tsvector('pg_catalog.english', p_metadata, '["string", "numeric"]')
                      else ''::tsvector
                 end, 'C');

-- The words of a message body as document text of weight B.
create function autocrm_private.message_search_part(p_body text)
returns tsvector
language sql
immutable
parallel safe
return setweight(to_tsvector('pg_catalog.english', coalesce(p_body, '')), 'B');

-- Adds the words of a customer-visible document part to the vocabulary. Sorted, so that two transactions adding
-- the same new words wait for each other in the same order instead of deadlocking.
create function autocrm_private.remember_search_terms(p_part tsvector)
returns void
language sql
volatile
security definer
set search_path = ''
as $$
  insert into autocrm_private.search_terms (term)
  select w.lexeme
    from unnest(p_part) w
   where char_length(w.lexeme) between 3 and 32
     and w.lexeme !~ '[0-9]'
   order by w.lexeme
  on conflict (term) do nothing;
$$;

-- Rebuilds both documents of one ticket from its row and its messages (used when a message is edited or deleted).
create function autocrm_private.rebuild_ticket_search(p_ticket_id uuid)
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_ticket public.tickets;
  v_message record;
  v_conversation tsvector := ''::tsvector;
  v_conversation_chars integer := 0;
  v_notes tsvector := ''::tsvector;
  v_notes_chars integer := 0;
  v_agent_fields tsvector;
  v_chars integer;
begin
  select * into v_ticket from public.tickets t where t.id = p_ticket_id;
  if v_ticket.id is null then
    return;
  end if;

  for v_message in
    select m.visibility, m.body
      from public.ticket_messages m
     where m.ticket_id = p_ticket_id
     order by m.created_at, m.id
  loop
    v_chars := char_length(v_message.body);
    if v_message.visibility = 'public' then
      if v_conversation_chars + v_chars <= 150000 then
        v_conversation := v_conversation || autocrm_private.message_search_part(v_message.body);
        v_conversation_chars := v_conversation_chars + v_chars;
      end if;
    elsif v_notes_chars + v_chars <= 150000 then
      v_notes := v_notes || autocrm_private.message_search_part(v_message.body);
      v_notes_chars := v_notes_chars + v_chars;
    end if;
  end loop;

  insert into autocrm_private.ticket_search_documents as d (ticket_id, ticket_part, conversation, conversation_chars)
  values (p_ticket_id, autocrm_private.ticket_search_part(v_ticket.subject, v_ticket.tags, v_ticket.metadata),
          v_conversation, v_conversation_chars)
  on conflict (ticket_id) do update
    set ticket_part = excluded.ticket_part,
        conversation = excluded.conversation,
        conversation_chars = excluded.conversation_chars;

  perform autocrm_private.remember_search_terms(
    autocrm_private.ticket_search_part(v_ticket.subject, v_ticket.tags, v_ticket.metadata) || v_conversation);

  v_agent_fields := autocrm_private.agent_fields_search_part(
    (select a.metadata from public.ticket_agent_fields a where a.ticket_id = p_ticket_id));
  if v_notes_chars > 0 or v_agent_fields <> ''::tsvector then
    insert into autocrm_private.ticket_staff_search_documents as s (ticket_id, notes, notes_chars, agent_fields)
    values (p_ticket_id, v_notes, v_notes_chars, v_agent_fields)
    on conflict (ticket_id) do update
      set notes = excluded.notes, notes_chars = excluded.notes_chars, agent_fields = excluded.agent_fields;
  else
    update autocrm_private.ticket_staff_search_documents s
       set notes = ''::tsvector, notes_chars = 0, agent_fields = ''::tsvector
     where s.ticket_id = p_ticket_id;
  end if;
end;
$$;

-- ---------------------------------------------------------------------------
-- Triggers. They fire after the row is written (after the BEFORE triggers that may change subject, tags or
-- metadata, such as custom-field validation that moves agent-only values out of metadata), read only NEW/OLD and
-- touch only the search tables, so their order among other AFTER triggers does not matter.
-- ---------------------------------------------------------------------------
create function public.tickets_search_document()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_part tsvector := autocrm_private.ticket_search_part(new.subject, new.tags, new.metadata);
begin
  if tg_op = 'INSERT' then
    insert into autocrm_private.ticket_search_documents as d (ticket_id, ticket_part)
    values (new.id, v_part)
    on conflict (ticket_id) do update set ticket_part = excluded.ticket_part;
  else
    update autocrm_private.ticket_search_documents d set ticket_part = v_part where d.ticket_id = new.id;
    if not found and exists (select 1 from public.tickets t where t.id = new.id) then
      perform autocrm_private.rebuild_ticket_search(new.id);
    end if;
  end if;
  perform autocrm_private.remember_search_terms(v_part);
  return null;
end;
$$;
comment on function public.tickets_search_document() is
  'Keeps the ticket part (subject, tags, metadata) of the customer-visible search document current.';

create trigger tickets_search_document_insert
  after insert on public.tickets
  for each row execute function public.tickets_search_document();

create trigger tickets_search_document_update
  after update of subject, tags, metadata on public.tickets
  for each row
  when (old.subject is distinct from new.subject
        or old.tags is distinct from new.tags
        or old.metadata is distinct from new.metadata)
  execute function public.tickets_search_document();

create function public.ticket_messages_search_document()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_chars integer;
  v_part tsvector;
begin
  if tg_op = 'INSERT' then
    v_chars := char_length(new.body);
    if new.visibility = 'public' then
      v_part := autocrm_private.message_search_part(new.body);
      update autocrm_private.ticket_search_documents d
         set conversation = d.conversation || v_part,
             conversation_chars = d.conversation_chars + v_chars
       where d.ticket_id = new.ticket_id
         and d.conversation_chars + v_chars <= 150000;
      if found then
        perform autocrm_private.remember_search_terms(v_part);
      end if;
    else
      insert into autocrm_private.ticket_staff_search_documents as s (ticket_id, notes, notes_chars)
      values (new.ticket_id, autocrm_private.message_search_part(new.body), v_chars)
      on conflict (ticket_id) do update
        set notes = s.notes || excluded.notes,
            notes_chars = s.notes_chars + excluded.notes_chars
        where s.notes_chars + excluded.notes_chars <= 150000;
    end if;
    return null;
  end if;

  -- An edit or a deletion: rebuild from the messages that remain (skipping tickets deleted by the same cascade).
  if tg_op = 'DELETE' or old.ticket_id is distinct from new.ticket_id then
    perform autocrm_private.rebuild_ticket_search(old.ticket_id);
  end if;
  if tg_op = 'UPDATE' then
    perform autocrm_private.rebuild_ticket_search(new.ticket_id);
  end if;
  return null;
end;
$$;
comment on function public.ticket_messages_search_document() is
  'Appends a new message''s words to the ticket''s customer-visible (public) or staff-only (internal) search document; '
  'rebuilds them when a message is edited or deleted.';

create trigger ticket_messages_search_document_insert
  after insert on public.ticket_messages
  for each row execute function public.ticket_messages_search_document();

create trigger ticket_messages_search_document_change
  after update of body, visibility, ticket_id or delete on public.ticket_messages
  for each row execute function public.ticket_messages_search_document();

-- Agent-only field values: the custom-field triggers write public.ticket_agent_fields (on a new ticket in its
-- AFTER INSERT trigger, on updates before the AFTER triggers run, and when a definition change moves values); the
-- staff document follows every change of that row.
create function public.ticket_agent_fields_search_document()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_part tsvector := case when tg_op = 'DELETE' then ''::tsvector
                          else autocrm_private.agent_fields_search_part(new.metadata) end;
begin
  if tg_op = 'DELETE' or v_part = ''::tsvector then
    update autocrm_private.ticket_staff_search_documents s
       set agent_fields = ''::tsvector
     where s.ticket_id = coalesce(new.ticket_id, old.ticket_id) and s.agent_fields <> ''::tsvector;
  else
    insert into autocrm_private.ticket_staff_search_documents as s (ticket_id, agent_fields)
    values (new.ticket_id, v_part)
    on conflict (ticket_id) do update set agent_fields = excluded.agent_fields;
  end if;
  return null;
end;
$$;
comment on function public.ticket_agent_fields_search_document() is
  'Keeps the agent-only field values in the staff-only search document current.';

create trigger ticket_agent_fields_search_document
  after insert or update of metadata or delete on public.ticket_agent_fields
  for each row execute function public.ticket_agent_fields_search_document();

revoke execute on function public.tickets_search_document(), public.ticket_messages_search_document(),
  public.ticket_agent_fields_search_document()
  from public, anon, authenticated;
revoke execute on function autocrm_private.ticket_search_part(text, text[], jsonb),
  autocrm_private.agent_fields_search_part(jsonb), autocrm_private.message_search_part(text), autocrm_private.remember_search_terms(tsvector),
  autocrm_private.rebuild_ticket_search(uuid)
  from public, anon, authenticated, service_role;

-- ---------------------------------------------------------------------------
-- Bulk loads. The data generator (src/AutoCrm.DataGenerator) writes tickets and messages with triggers off and then
-- calls public.refresh_generated_data(): build the documents of every ticket that has none, and the vocabulary.
-- With many documents missing, the documents are computed by one CREATE TABLE AS (which PostgreSQL may spread over
-- parallel workers; an INSERT … SELECT never is) into an unlogged scratch table, copied in, and the GIN indexes are
-- built afterwards (much faster than one insert at a time).
-- ---------------------------------------------------------------------------
create function autocrm_private.build_missing_search_documents()
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_missing bigint;
  v_total bigint;
  v_ticket_id uuid;
begin
  select count(*) into v_total from public.tickets;
  select count(*) into v_missing
    from public.tickets t
   where not exists (select 1 from autocrm_private.ticket_search_documents d where d.ticket_id = t.id);
  if v_missing = 0 then
    return;
  end if;

  if v_missing <= 10000 or v_missing * 5 <= v_total then
    -- A few: one at a time, through the same code as the triggers.
    for v_ticket_id in
      select t.id
        from public.tickets t
       where not exists (select 1 from autocrm_private.ticket_search_documents d where d.ticket_id = t.id)
    loop
      perform autocrm_private.rebuild_ticket_search(v_ticket_id);
    end loop;
    return;
  end if;

  perform set_config('maintenance_work_mem', '512MB', true);
  -- Messages are read in conversation order and cut at the budget the triggers apply (150,000 characters; here the
  -- cut may fall inside a message).
  create unlogged table autocrm_private.search_documents_load as
  select t.id as ticket_id,
         autocrm_private.ticket_search_part(t.subject, t.tags, t.metadata) as ticket_part,
         coalesce(autocrm_private.message_search_part(p.body), ''::tsvector) as conversation,
         coalesce(char_length(p.body), 0) as conversation_chars,
         coalesce(autocrm_private.message_search_part(n.body), ''::tsvector) as notes,
         coalesce(char_length(n.body), 0) as notes_chars,
         autocrm_private.agent_fields_search_part(a.metadata) as agent_fields
    from public.tickets t
    left join public.ticket_agent_fields a on a.ticket_id = t.id
    left join (
      select x.ticket_id, left(string_agg(x.body, E'\n' order by x.created_at, x.id), 150000) as body
        from public.ticket_messages x
       where x.visibility = 'public'
       group by x.ticket_id
    ) p on p.ticket_id = t.id
    left join (
      select x.ticket_id, left(string_agg(x.body, E'\n' order by x.created_at, x.id), 150000) as body
        from public.ticket_messages x
       where x.visibility = 'internal'
       group by x.ticket_id
    ) n on n.ticket_id = t.id
   where not exists (select 1 from autocrm_private.ticket_search_documents d where d.ticket_id = t.id);

  drop index autocrm_private.ticket_search_documents_document_idx;
  drop index autocrm_private.ticket_staff_search_documents_document_idx;
  insert into autocrm_private.ticket_search_documents (ticket_id, ticket_part, conversation, conversation_chars)
  select l.ticket_id, l.ticket_part, l.conversation, l.conversation_chars from autocrm_private.search_documents_load l;
  insert into autocrm_private.ticket_staff_search_documents as s (ticket_id, notes, notes_chars, agent_fields)
  select l.ticket_id, l.notes, l.notes_chars, l.agent_fields
    from autocrm_private.search_documents_load l
   where l.notes_chars > 0 or l.agent_fields <> ''::tsvector
  on conflict (ticket_id) do update
    set notes = excluded.notes, notes_chars = excluded.notes_chars, agent_fields = excluded.agent_fields;
  drop table autocrm_private.search_documents_load;

  create index ticket_search_documents_document_idx
    on autocrm_private.ticket_search_documents using gin ((ticket_part || conversation));
  alter index autocrm_private.ticket_search_documents_document_idx alter column 1 set statistics 1000;
  create index ticket_staff_search_documents_document_idx
    on autocrm_private.ticket_staff_search_documents using gin ((notes || agent_fields));
  alter index autocrm_private.ticket_staff_search_documents_document_idx alter column 1 set statistics 1000;

  insert into autocrm_private.search_terms (term)
  select s.word
    from pg_catalog.ts_stat('select ticket_part || conversation from autocrm_private.ticket_search_documents') s
   where char_length(s.word) between 3 and 32
     and s.word !~ '[0-9]'
  on conflict (term) do nothing;
end;
$$;
revoke execute on function autocrm_private.build_missing_search_documents() from public, anon, authenticated, service_role;

-- The data generator's hook (see docs/data-generator.md): rebuild what triggers maintain after a load with triggers
-- off. A feature that adds trigger-maintained data adds its step here (create or replace, starting from this body).
create function public.refresh_generated_data()
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  perform public.rebuild_ticket_staff_activity();
  perform autocrm_private.build_missing_search_documents();
end;
$$;
comment on function public.refresh_generated_data() is
  'Rebuilds trigger-maintained data (staff activity, search documents, vocabulary) after a bulk load with triggers off.';
revoke execute on function public.refresh_generated_data() from public, anon, authenticated, service_role;

-- Tickets that exist before this migration (an upgraded database).
select autocrm_private.build_missing_search_documents();
