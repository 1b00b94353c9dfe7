-- Search: decide "frequent word" from the planner's estimate instead of a probe. Forward-only (follows
-- 20261205024622). Starts from 20261204232401's search_ticket_candidates; only the frequency decision changes.
--
-- At 10^6 tickets a frequent word ("invoice", in ~19 % of the documents) cost a customer's search 165 ms in the
-- database, about half of it in the probe that decided whether the word was frequent: "select 1 … @@ query limit
-- 5000" either reads every GIN entry of the word (hundreds of thousands) or scans documents until 5,000 match. The
-- planner already knows a frequent word's share: ANALYZE keeps the 10,000 most common words of each indexed
-- document expression (statistics target 1000), and a word it does not keep is rarer than all of those.

-- How many documents the planner expects to match the query (the customer-visible ones, plus the staff-only ones for
-- staff), from EXPLAIN of the match alone: planning reads statistics, not the documents. Null while a documents index
-- has no statistics (never analyzed: its estimate would be a default, not a count). Called by search_ticket_candidates only.
create function autocrm_private.search_match_estimate(p_query tsquery, p_staff boolean)
returns double precision
language plpgsql
volatile  -- EXPLAIN is refused in a stable function; this one reads and writes nothing
set search_path = ''
as $$
declare
  v_plan json;
  v_rows double precision;
  v_analyzed integer;
begin
  -- Statistics of the indexed expressions (what ANALYZE keeps for an expression index), not the activity counters
  -- (pg_stat_all_tables' last analyze), which a crash or a statistics reset clears while the statistics remain.
  select count(*) into v_analyzed
    from pg_catalog.pg_stats s
   where s.schemaname = 'autocrm_private'
     and (s.tablename = 'ticket_search_documents_document_idx'
          or (p_staff and s.tablename = 'ticket_staff_search_documents_document_idx'));
  if v_analyzed < 1 + p_staff::integer then
    return null;
  end if;
  execute 'explain (format json) select 1 from autocrm_private.ticket_search_documents d'
       || ' where (d.ticket_part || d.conversation) @@ $1'
     into v_plan using p_query;
  v_rows := (v_plan -> 0 -> 'Plan' ->> 'Plan Rows')::double precision;
  if p_staff then
    execute 'explain (format json) select 1 from autocrm_private.ticket_staff_search_documents s'
         || ' where (s.notes || s.agent_fields) @@ $1'
       into v_plan using p_query;
    v_rows := v_rows + (v_plan -> 0 -> 'Plan' ->> 'Plan Rows')::double precision;
  end if;
  return v_rows;
end;
$$;
comment on function autocrm_private.search_match_estimate(tsquery, boolean) is
  'The planner''s estimate of the documents matching a search query (staff-only documents included for staff); '
  'null while the documents have no statistics.';
revoke execute on function autocrm_private.search_match_estimate(tsquery, boolean)
  from public, anon, authenticated, service_role;

create or replace function autocrm_private.search_ticket_candidates(p_query text, p_filters jsonb)
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
  v_estimate double precision;
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
  -- What decides is how many documents match. The planner's estimate (from the statistics of the indexed expressions,
  -- no index or table read) settles it when it is clearly on one side: words in at least twice c_frequent
  -- documents, or in fewer than a fifth of it. In between, or with no statistics yet, a probe that stops after
  -- c_frequent matches counts them. The probe was the whole decision before, and for a frequent word it cost as much
  -- as the walk itself (it reads every document up to c_frequent matches, or all index entries of the word).
  -- Plan tests (SearchPlanTests) pin both shapes.
  if v_tsquery is not null then
    v_estimate := autocrm_private.search_match_estimate(v_tsquery, v_staff);
    if v_estimate >= 2 * c_frequent then
      v_frequent := true;
    elsif v_estimate < c_frequent / 5 then
      v_frequent := false;
    else
      select count(*)::integer into v_matches
        from (select 1 from autocrm_private.ticket_search_documents d
               where (d.ticket_part || d.conversation) @@ v_tsquery limit c_frequent) m;
      if v_staff and v_matches < c_frequent then
        select v_matches + count(*)::integer into v_matches
          from (select 1 from autocrm_private.ticket_staff_search_documents s
                 where (s.notes || s.agent_fields) @@ v_tsquery limit c_frequent - v_matches) m;
      end if;
      v_frequent := v_matches >= c_frequent;
    end if;
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
