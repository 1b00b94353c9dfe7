-- AutoCRM search, part 2: public.search_tickets(query, filters). Forward-only (follows 20261204232400).
--
-- How a search runs (docs/search.md has the user's view):
--   1. autocrm_private.search_tsquery parses the words with websearch_to_tsquery ("exact phrase", -exclude, or) and
--      widens every word that is not in the vocabulary to its nearest words (pg_trgm) and to the words it starts,
--      so a typo or a partial word still finds something. #123 is a ticket number.
--   2. autocrm_private.search_ticket_candidates finds the matching tickets the caller may read that pass the
--      filters: text in the customer-visible document (and, for staff, in the staff-only one), a #number, or, for
--      staff, a requester whose name or email is like the text. At most 1,000 candidates are kept, the newest first,
--      so a very frequent word costs a bounded amount of work. It ranks them by ts_rank over the documents the caller
--      may read (subject A > conversation B > tags and metadata C).
--   3. public.search_tickets, running as the caller, joins the ticket rows under row-level security (the tickets
--      policy decides every row returned) and adds the snippet, from messages read under row-level security too.
--      It is inlined into the caller's statement, so PostgreSQL computes snippets only for the rows returned when
--      the caller orders and limits.

-- Requester name and email: typo-tolerant, partial matching for staff searches.
create index profiles_display_name_trgm_idx on public.profiles using gin (display_name extensions.gin_trgm_ops);
create index profiles_email_trgm_idx on public.profiles using gin (email extensions.gin_trgm_ops);

-- ---------------------------------------------------------------------------
-- Query text → tsquery. Security definer because it reads the vocabulary, which holds words of every ticket; it
-- returns only a query, which search_ticket_candidates matches against documents the caller may read. Not exposed
-- through the API (autocrm_private is not an exposed schema).
-- ---------------------------------------------------------------------------
-- A lexeme as a one-word tsquery, quoted as tsquery input requires (doubled quotes, escaped backslashes).
create function autocrm_private.search_lexeme_query(p_lexeme text, p_prefix boolean default false)
returns tsquery
language sql
immutable
parallel safe
return (''''
        || replace(replace(p_lexeme, '\', '\\'), '''', '''''')
        || ''''
        || case when p_prefix then ':*' else '' end)::tsquery;

create function autocrm_private.search_tsquery(p_text text)
returns tsquery
language plpgsql
stable
security definer
set search_path = ''
set client_min_messages = warning  -- text of stop words only is no match, not a notice for the client
as $$
declare
  v_query tsquery := websearch_to_tsquery('pg_catalog.english', coalesce(p_text, ''));
  v_lexeme text;
  v_term text;
  v_wider tsquery;
  v_widened integer := 0;
begin
  if numnode(v_query) = 0 then
    return null;
  end if;
  -- The query's words are the document words of its text (same parser and dictionaries as websearch_to_tsquery).
  for v_lexeme in
    select w.lexeme from unnest(to_tsvector('pg_catalog.english', p_text)) w order by w.positions[1]
  loop
    exit when v_widened >= 8;
    continue when char_length(v_lexeme) not between 3 and 32 or v_lexeme ~ '[0-9]';
    continue when exists (select 1 from autocrm_private.search_terms t where t.term = v_lexeme);
    v_widened := v_widened + 1;
    v_wider := autocrm_private.search_lexeme_query(v_lexeme) || autocrm_private.search_lexeme_query(v_lexeme, true);
    for v_term in
      select t.term
        from autocrm_private.search_terms t
       where t.term operator(extensions.%) v_lexeme
       order by extensions.similarity(t.term, v_lexeme) desc, t.term
       limit 3
    loop
      v_wider := v_wider || autocrm_private.search_lexeme_query(v_term);
    end loop;
    v_query := ts_rewrite(v_query, autocrm_private.search_lexeme_query(v_lexeme), v_wider);
  end loop;
  return v_query;
end;
$$;
comment on function autocrm_private.search_tsquery(text) is
  'websearch_to_tsquery(english) of the text, each word unknown to the vocabulary widened to word:* and its three '
  'nearest known words (trigram similarity); null when the text has no searchable word.';

-- ---------------------------------------------------------------------------
-- Filters: a JSON object of criteria, ANDed (docs/search.md#filters). Values are arrays of strings unless noted.
--   status, not_status, priority, not_priority      enum values (any of / none of)
--   tag (all of), any_tag (any of), not_tag (none of)
--   queue, not_queue                                 slug, queue id or "none"
--   assignee, not_assignee                           "me", "none", user id or email
--   requester, not_requester                         "me", user id or email
--   created_from, updated_from (>=), created_before, updated_before (<)     one timestamp (string)
--   fields, not_fields                               {"<key>": ["value", ...]}: metadata / custom field values
--   subject                                          one string: the subject contains it (case-insensitive)
--   metadata                                         an object the metadata contains (jsonb @>)
-- Names that resolve to nothing (an unknown slug or email, or one the caller may not see) match nothing.
-- ---------------------------------------------------------------------------
create function autocrm_private.search_filter_strings(p_filters jsonb, p_key text)
returns text[]
language plpgsql
immutable
set search_path = ''
as $$
declare
  v_value jsonb := p_filters -> p_key;
begin
  if v_value is null or jsonb_typeof(v_value) = 'null' then
    return null;
  end if;
  if jsonb_typeof(v_value) <> 'array'
     or exists (select 1 from jsonb_array_elements(v_value) e where jsonb_typeof(e) <> 'string') then
    raise exception 'search filter "%" must be an array of strings', p_key
      using errcode = '22023', hint = 'For example {"' || p_key || '": ["a", "b"]}.';
  end if;
  return array(select jsonb_array_elements_text(v_value));
end;
$$;

create function autocrm_private.search_filter_string(p_filters jsonb, p_key text)
returns text
language plpgsql
immutable
set search_path = ''
as $$
declare
  v_value jsonb := p_filters -> p_key;
begin
  if v_value is null or jsonb_typeof(v_value) = 'null' then
    return null;
  end if;
  if jsonb_typeof(v_value) <> 'string' then
    raise exception 'search filter "%" must be a string', p_key using errcode = '22023';
  end if;
  return v_value #>> '{}';
end;
$$;

create function autocrm_private.search_filter_object(p_filters jsonb, p_key text, p_of_string_arrays boolean)
returns jsonb
language plpgsql
immutable
set search_path = ''
as $$
declare
  v_value jsonb := p_filters -> p_key;
begin
  if v_value is null or jsonb_typeof(v_value) = 'null' then
    return null;
  end if;
  if jsonb_typeof(v_value) <> 'object'
     or (p_of_string_arrays and exists (
           select 1 from jsonb_each(v_value) f
            where jsonb_typeof(f.value) <> 'array'
               or exists (select 1 from jsonb_array_elements(f.value) e where jsonb_typeof(e) <> 'string'))) then
    raise exception 'search filter "%" must be an object%', p_key,
      case when p_of_string_arrays then ' of arrays of strings' else '' end
      using errcode = '22023';
  end if;
  return v_value;
end;
$$;

-- Users named by "me", an id or an email, as the caller may see them (profiles are under row-level security).
create function autocrm_private.search_filter_users(p_names text[])
returns uuid[]
language sql
stable
set search_path = ''
as $$
  select coalesce(array_agg(distinct u.id), '{}'::uuid[])
    from (
      select auth.uid() as id from unnest(p_names) n where lower(n) = 'me'
      union all
      select p.id
        from public.profiles p
       where p.id::text = any (select lower(n) from unnest(p_names) n
                                where n ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$')
          or lower(p.email) = any (select lower(n) from unnest(p_names) n where position('@' in n) > 0)
    ) u
   where u.id is not null;
$$;

create function autocrm_private.search_filter_queues(p_names text[])
returns uuid[]
language sql
stable
set search_path = ''
as $$
  select coalesce(array_agg(q.id), '{}'::uuid[])
    from public.queues q
   where q.slug = any (p_names) or q.id::text = any (select lower(n) from unnest(p_names) n);
$$;

-- ---------------------------------------------------------------------------
-- Candidates, ranked: the tickets the caller may read that match, at most 1,000, the newest first.
--
-- Security definer, because the documents are read without row-level security (so that their GIN indexes can be
-- used, see the previous migration). Which tickets the caller may read is therefore stated here as the tickets
-- policy states it, for the caller's role: customers (and users without a profile) their own tickets; agents their
-- own, unqueued ones, those assigned to them and those of their queues; admins, the service role and trusted sessions
-- all. The staff document is read only for staff. The rows come back to public.search_tickets, which runs as the
-- caller and joins public.tickets under row-level security: the policy still decides every row returned (a ticket
-- this rule admitted and the policy does not is dropped there). pgTAP 17_search_visibility pins the two together.
--
-- The statement is assembled from fixed fragments (only the criteria that are present, so that each query shape is
-- planned for itself); every value is a parameter.
-- ---------------------------------------------------------------------------
create function autocrm_private.search_ticket_candidates(p_query text, p_filters jsonb)
returns table (ticket_id uuid, rank real, query tsquery)
language plpgsql
stable
security definer
set search_path = ''
rows 100
as $$
declare
  c_max_candidates constant integer := 1000;
  -- From this many matching documents on, the newest visible tickets are walked instead (see below).
  c_frequent constant integer := 5000;
  v_frequent boolean := false;
  v_matches integer;
  v_walk text;
  c_known_filters constant text[] := array[
    'status', 'not_status', 'priority', 'not_priority', 'tag', 'any_tag', 'not_tag', 'queue', 'not_queue',
    'assignee', 'not_assignee', 'requester', 'not_requester', 'created_from', 'created_before', 'updated_from',
    'updated_before', 'fields', 'not_fields', 'subject', 'metadata'];
  v_text text := coalesce(p_query, '');
  v_filters jsonb := coalesce(p_filters, '{}'::jsonb);
  v_uid uuid := auth.uid();
  v_role public.app_role;
  v_privileged boolean;
  v_staff boolean;
  v_unknown text;
  v_tsquery tsquery;
  v_numbers bigint[];
  v_requesters uuid[] := '{}';
  v_names text[];
  v_sources text[] := '{}';
  v_where text := '';
  v_sql text;
  -- filter values, in parameter order $6..$30
  f_status public.ticket_status[];
  f_not_status public.ticket_status[];
  f_priority public.ticket_priority[];
  f_not_priority public.ticket_priority[];
  f_tag text[];
  f_any_tag text[];
  f_not_tag text[];
  f_queue uuid[];
  f_not_queue uuid[];
  f_assignee uuid[];
  f_not_assignee uuid[];
  f_requester uuid[];
  f_not_requester uuid[];
  f_created_from timestamptz;
  f_created_before timestamptz;
  f_updated_from timestamptz;
  f_updated_before timestamptz;
  f_fields jsonb;
  f_not_fields jsonb;
  f_subject text;
  f_metadata jsonb;
begin
  if char_length(v_text) > 1000 then
    raise exception 'a search query has at most 1000 characters (this one has %)', char_length(v_text)
      using errcode = '22023';
  end if;
  -- A GET request's arguments arrive as strings (PostgREST passes query parameters as JSON strings).
  if jsonb_typeof(v_filters) = 'string' then
    v_filters := (v_filters #>> '{}')::jsonb;
  end if;
  if jsonb_typeof(v_filters) <> 'object' then
    raise exception 'search filters must be a JSON object' using errcode = '22023';
  end if;
  select k into v_unknown from jsonb_object_keys(v_filters) k where k <> all (c_known_filters) order by k limit 1;
  if v_unknown is not null then
    raise exception 'unknown search filter "%"', v_unknown
      using errcode = '22023', hint = 'Known filters: ' || array_to_string(c_known_filters, ', ') || '.';
  end if;

  -- Anonymous callers may read no ticket. (In a security definer function current_user is the owner; the setting
  -- 'role' still names the caller's role.)
  if coalesce(nullif(current_setting('role', true), 'none'), session_user::text) = 'anon' then
    return;
  end if;
  v_privileged := public.request_is_privileged();
  v_role := public.current_app_role();
  v_staff := v_privileged or v_role in ('agent', 'admin');
  if not v_staff and v_uid is null then
    return;
  end if;

  -- #123: ticket numbers. The rest is text.
  v_numbers := array(select m[1]::bigint
                       from regexp_matches(v_text, '(?:^|\s)#([0-9]{1,18})(?=\s|$)', 'g') m);
  v_text := regexp_replace(v_text, '(?:^|\s)#[0-9]{1,18}(?=\s|$)', ' ', 'g');
  if v_text ~ '[[:alnum:]]' then
    v_tsquery := autocrm_private.search_tsquery(v_text);
  end if;
  if v_staff and char_length(btrim(v_text)) between 3 and 100 then
    v_requesters := array(
      select p.id
        from public.profiles p
       where p.display_name operator(extensions.%>) btrim(v_text)
          or p.email operator(extensions.%>) btrim(v_text)
       order by greatest(extensions.word_similarity(btrim(v_text), p.display_name),
                         extensions.word_similarity(btrim(v_text), coalesce(p.email, ''))) desc, p.id
       limit 50);
  end if;

  -- Two ways to find the newest matching tickets, each bounded whatever the words:
  --   rare words (fewer than c_frequent matching documents): collect the matches through the GIN indexes, read their
  --     tickets by key, keep the newest c_max_candidates;
  --   frequent words: walk the visible tickets newest first (by the index the filters make best) and test each one's
  --     documents by key, stopping at c_max_candidates; with many matches few tickets are read before the limit.
  -- A probe that reads at most c_frequent index entries decides. Plan tests (SearchPlanTests) pin both shapes.
  if v_tsquery is not null then
    select count(*)::integer into v_matches
      from (select 1 from autocrm_private.ticket_search_documents d
             where (d.ticket_part || d.conversation) @@ v_tsquery limit c_frequent) m;
    if v_staff and v_matches < c_frequent then
      select v_matches + count(*)::integer into v_matches
        from (select 1 from autocrm_private.ticket_staff_search_documents s
               where (s.notes || s.agent_fields) @@ v_tsquery limit c_frequent - v_matches) m;
    end if;
    v_frequent := v_matches >= c_frequent;
    if v_frequent then
      -- Scalar subqueries (not EXISTS): PostgreSQL runs them per ticket and cannot turn them into a join that
      -- collects every match.
      v_walk := 'coalesce((select (d.ticket_part || d.conversation) @@ $1 from autocrm_private.ticket_search_documents d'
        || ' where d.ticket_id = c.id), false)'
        || case when v_staff
                then ' or coalesce((select (s.notes || s.agent_fields) @@ $1 from autocrm_private.ticket_staff_search_documents s'
                     || ' where s.ticket_id = c.id), false)'
                else '' end;
    else
      v_sources := array_append(v_sources, 'select d.ticket_id from autocrm_private.ticket_search_documents d where (d.ticket_part || d.conversation) @@ $1');
      if v_staff then
        v_sources := array_append(v_sources, 'select s.ticket_id from autocrm_private.ticket_staff_search_documents s where (s.notes || s.agent_fields) @@ $1');
      end if;
    end if;
  end if;
  if cardinality(v_numbers) > 0 then
    v_sources := array_append(v_sources, 'select n.id from public.tickets n where n.number = any ($2)');
  end if;
  if cardinality(v_requesters) > 0 then
    v_sources := array_append(v_sources, 'select r.id from public.tickets r where r.requester_id = any ($3)');
  end if;
  -- No text at all: the filters alone decide (a saved view such as "status:open assignee:me"), newest first.
  if btrim(coalesce(p_query, '')) = '' then
    v_walk := 'true';
  end if;
  if cardinality(v_sources) = 0 and v_walk is null then
    return;
  end if;

  -- The tickets policy for the caller's role (see above).
  if not v_staff then
    v_where := v_where || ' and c.requester_id = $4';
  elsif v_role = 'agent' and not v_privileged then
    v_where := v_where || ' and (c.requester_id = $4 or c.queue_id is null or c.assignee_id = $4 or c.queue_id = any ($5))';
  end if;

  f_status := autocrm_private.search_filter_strings(v_filters, 'status')::public.ticket_status[];
  f_not_status := autocrm_private.search_filter_strings(v_filters, 'not_status')::public.ticket_status[];
  f_priority := autocrm_private.search_filter_strings(v_filters, 'priority')::public.ticket_priority[];
  f_not_priority := autocrm_private.search_filter_strings(v_filters, 'not_priority')::public.ticket_priority[];
  f_tag := autocrm_private.search_filter_strings(v_filters, 'tag');
  f_any_tag := autocrm_private.search_filter_strings(v_filters, 'any_tag');
  f_not_tag := autocrm_private.search_filter_strings(v_filters, 'not_tag');
  f_created_from := autocrm_private.search_filter_string(v_filters, 'created_from')::timestamptz;
  f_created_before := autocrm_private.search_filter_string(v_filters, 'created_before')::timestamptz;
  f_updated_from := autocrm_private.search_filter_string(v_filters, 'updated_from')::timestamptz;
  f_updated_before := autocrm_private.search_filter_string(v_filters, 'updated_before')::timestamptz;
  f_fields := autocrm_private.search_filter_object(v_filters, 'fields', true);
  f_not_fields := autocrm_private.search_filter_object(v_filters, 'not_fields', true);
  f_subject := autocrm_private.search_filter_string(v_filters, 'subject');
  f_metadata := autocrm_private.search_filter_object(v_filters, 'metadata', false);

  if f_status is not null then v_where := v_where || ' and c.status = any ($6)'; end if;
  if f_not_status is not null then v_where := v_where || ' and c.status <> all ($7)'; end if;
  if f_priority is not null then v_where := v_where || ' and c.priority = any ($8)'; end if;
  if f_not_priority is not null then v_where := v_where || ' and c.priority <> all ($9)'; end if;
  if f_tag is not null then v_where := v_where || ' and c.tags @> $10'; end if;
  if f_any_tag is not null then v_where := v_where || ' and c.tags && $11'; end if;
  if f_not_tag is not null then v_where := v_where || ' and not (c.tags && $12)'; end if;

  v_names := autocrm_private.search_filter_strings(v_filters, 'queue');
  if v_names is not null then
    f_queue := autocrm_private.search_filter_queues(v_names);
    v_where := v_where || case when 'none' = any (v_names)
                               then ' and (c.queue_id = any ($13) or c.queue_id is null)'
                               else ' and c.queue_id = any ($13)' end;
  end if;
  v_names := autocrm_private.search_filter_strings(v_filters, 'not_queue');
  if v_names is not null then
    f_not_queue := autocrm_private.search_filter_queues(v_names);
    v_where := v_where || case when 'none' = any (v_names)
                               then ' and c.queue_id <> all ($14)'
                               else ' and (c.queue_id is null or c.queue_id <> all ($14))' end;
  end if;
  v_names := autocrm_private.search_filter_strings(v_filters, 'assignee');
  if v_names is not null then
    f_assignee := autocrm_private.search_filter_users(v_names);
    v_where := v_where || case when 'none' = any (v_names)
                               then ' and (c.assignee_id = any ($15) or c.assignee_id is null)'
                               else ' and c.assignee_id = any ($15)' end;
  end if;
  v_names := autocrm_private.search_filter_strings(v_filters, 'not_assignee');
  if v_names is not null then
    f_not_assignee := autocrm_private.search_filter_users(v_names);
    v_where := v_where || case when 'none' = any (v_names)
                               then ' and c.assignee_id <> all ($16)'
                               else ' and (c.assignee_id is null or c.assignee_id <> all ($16))' end;
  end if;
  v_names := autocrm_private.search_filter_strings(v_filters, 'requester');
  if v_names is not null then
    f_requester := autocrm_private.search_filter_users(v_names);
    v_where := v_where || ' and c.requester_id = any ($17)';
  end if;
  v_names := autocrm_private.search_filter_strings(v_filters, 'not_requester');
  if v_names is not null then
    f_not_requester := autocrm_private.search_filter_users(v_names);
    v_where := v_where || ' and c.requester_id <> all ($18)';
  end if;

  if f_created_from is not null then v_where := v_where || ' and c.created_at >= $19'; end if;
  if f_created_before is not null then v_where := v_where || ' and c.created_at < $20'; end if;
  if f_updated_from is not null then v_where := v_where || ' and c.updated_at >= $21'; end if;
  if f_updated_before is not null then v_where := v_where || ' and c.updated_at < $22'; end if;
  -- A field criterion matches a value equal to one given, or an array (multiselect) holding it.
  if f_fields is not null then
    v_where := v_where || ' and not exists (select 1 from jsonb_each($23) f where not exists ('
      || 'select 1 from jsonb_array_elements_text(f.value) v'
      || ' where c.metadata ->> f.key = v or coalesce(c.metadata -> f.key @> to_jsonb(v), false)))';
  end if;
  if f_not_fields is not null then
    v_where := v_where || ' and not exists (select 1 from jsonb_each($24) f cross join jsonb_array_elements_text(f.value) v'
      || ' where c.metadata ->> f.key = v or coalesce(c.metadata -> f.key @> to_jsonb(v), false))';
  end if;
  if f_subject is not null then
    v_where := v_where || ' and c.subject ilike $25';
    f_subject := '%' || replace(replace(replace(f_subject, '\', '\\'), '%', '\%'), '_', '\_') || '%';
  end if;
  if f_metadata is not null then v_where := v_where || ' and c.metadata @> $26'; end if;

  -- Candidates: the newest c_max_candidates of the branches (each already limited), then their rank. The documents
  -- are read by key for the candidates only (scalar subqueries: never a scan of a documents table).
  v_sql := 'with candidates as materialized (select b.id, b.number, b.requester_id from ('
    || case when v_walk is not null
            then '(select c.id, c.number, c.requester_id, c.created_at from public.tickets c where (' || v_walk || ')'
                 || v_where || ' order by c.created_at desc, c.id desc limit ' || c_max_candidates || ')'
            else '' end
    || case when v_walk is not null and cardinality(v_sources) > 0 then ' union ' else '' end
    || case when cardinality(v_sources) > 0
            then '(select c.id, c.number, c.requester_id, c.created_at from public.tickets c'
                 || ' where c.id in (' || array_to_string(v_sources, ' union all ') || ')'
                 || v_where || ' order by c.created_at desc, c.id desc limit ' || c_max_candidates || ')'
            else '' end
    || ') b order by b.created_at desc, b.id desc limit ' || c_max_candidates
    || ') select c.id, (coalesce(pg_catalog.ts_rank('
    || '(select d.ticket_part || d.conversation from autocrm_private.ticket_search_documents d where d.ticket_id = c.id)'
    || case when v_staff
            then ' || coalesce((select s.notes || s.agent_fields from autocrm_private.ticket_staff_search_documents s'
                 || ' where s.ticket_id = c.id), ''''::tsvector)'
            else '' end
    || ', $1), 0) + case when c.number = any ($2) then 10 else 0 end'
    || ' + case when c.requester_id = any ($3) then 0.1 else 0 end)::real, $1'
    || ' from candidates c';

  return query execute v_sql
    using v_tsquery, v_numbers, v_requesters, v_uid, public.current_queue_ids(),
          f_status, f_not_status, f_priority, f_not_priority, f_tag, f_any_tag, f_not_tag,
          f_queue, f_not_queue, f_assignee, f_not_assignee, f_requester, f_not_requester,
          f_created_from, f_created_before, f_updated_from, f_updated_before,
          f_fields, f_not_fields, f_subject, f_metadata;
end;
$$;
comment on function autocrm_private.search_ticket_candidates(text, jsonb) is
  'The visible tickets matching a search (at most 1,000, the newest first), with their rank and the tsquery used.';

-- ---------------------------------------------------------------------------
-- Snippet: the best matching text the caller may read (messages under row-level security: a customer never gets an
-- internal note), HTML-escaped, with <mark>…</mark> around the matched words. The subject when no message matches;
-- null when nothing matches (a #number or requester match). Runs as the caller.
-- ---------------------------------------------------------------------------
create function autocrm_private.search_snippet(p_ticket_id uuid, p_subject text, p_query tsquery)
returns text
language plpgsql
stable
set search_path = ''
cost 5000
as $$
declare
  v_text text;
begin
  if p_query is null then
    return null;
  end if;
  select m.body into v_text
    from (
      select x.body, x.created_at, x.id, to_tsvector('pg_catalog.english', left(x.body, 20000)) as words
        from (select y.body, y.created_at, y.id
                from public.ticket_messages y
               where y.ticket_id = p_ticket_id
               order by y.created_at desc, y.id desc
               limit 50) x
    ) m
   where m.words @@ p_query
   order by ts_rank(m.words, p_query) desc, m.created_at, m.id
   limit 1;
  if v_text is null then
    if to_tsvector('pg_catalog.english', coalesce(p_subject, '')) @@ p_query then
      v_text := p_subject;
    else
      return null;
    end if;
  end if;
  v_text := replace(replace(replace(left(v_text, 20000), '&', '&amp;'), '<', '&lt;'), '>', '&gt;');
  return ts_headline('pg_catalog.english', v_text, p_query,
    'StartSel=<mark>, StopSel=</mark>, MaxWords=30, MinWords=12, ShortWord=2, MaxFragments=2, FragmentDelimiter=" … "');
end;
$$;
comment on function autocrm_private.search_snippet(uuid, text, tsquery) is
  'The best matching text of a ticket that the caller may read, HTML-escaped, matches in <mark>…</mark>.';

-- ---------------------------------------------------------------------------
-- The API. A SQL function without SET options, security invoker and stable, so PostgreSQL inlines it into the
-- caller's statement: PostgREST's filters, order and limit apply to its rows, and the costly snippet is evaluated
-- after the sort and limit (for the rows returned only).
-- ---------------------------------------------------------------------------
create function public.search_tickets(query text, filters jsonb default null)
returns table (
  id uuid,
  number bigint,
  subject text,
  status public.ticket_status,
  priority public.ticket_priority,
  requester_id uuid,
  assignee_id uuid,
  queue_id uuid,
  tags text[],
  metadata jsonb,
  version integer,
  created_at timestamptz,
  updated_at timestamptz,
  first_response_at timestamptz,
  solved_at timestamptz,
  closed_at timestamptz,
  rank real,
  snippet text
)
language sql
stable
as $$
  select t.id, t.number, t.subject, t.status, t.priority, t.requester_id, t.assignee_id, t.queue_id, t.tags,
         t.metadata, t.version, t.created_at, t.updated_at, t.first_response_at, t.solved_at, t.closed_at,
         c.rank,
         autocrm_private.search_snippet(t.id, t.subject, c.query)
    from autocrm_private.search_ticket_candidates(search_tickets.query, search_tickets.filters) c
    join public.tickets t on t.id = c.ticket_id
$$;
comment on function public.search_tickets(text, jsonb) is
  'Full-text search over the tickets the caller may read: websearch syntax ("phrase", -word, or), typo-tolerant, '
  '#number; filters (JSON, see docs/search.md). At most 1,000 matches (the newest), each with rank and snippet. '
  'Order by rank desc for relevance.';

revoke execute on function autocrm_private.search_lexeme_query(text, boolean),
  autocrm_private.search_tsquery(text),
  autocrm_private.search_filter_strings(jsonb, text),
  autocrm_private.search_filter_string(jsonb, text),
  autocrm_private.search_filter_object(jsonb, text, boolean),
  autocrm_private.search_filter_users(text[]),
  autocrm_private.search_filter_queues(text[]),
  autocrm_private.search_ticket_candidates(text, jsonb),
  autocrm_private.search_snippet(uuid, text, tsquery)
  from public, anon, authenticated, service_role;
-- What public.search_tickets (running as the caller) calls.
grant execute on function autocrm_private.search_ticket_candidates(text, jsonb),
  autocrm_private.search_snippet(uuid, text, tsquery)
  to anon, authenticated, service_role;
