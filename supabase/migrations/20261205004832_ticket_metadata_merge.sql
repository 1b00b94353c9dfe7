-- AutoCRM: merging into a ticket's metadata in one statement, and an index for filtering by agent-only field values.
-- Forward-only (follows 20261205004332_scale_ticket_indexes_and_queue_counts.sql).

-- ---------------------------------------------------------------------------
-- merge_ticket_metadata: sets the keys given in `changes` and keeps the others, atomically (a PATCH of metadata
-- replaces the whole object). A key set to JSON null is removed; for a defined field the null reaches the ticket
-- triggers, which clear the field wherever it is stored (an agent-only value is not in the row). Runs as the caller:
-- row-level security, the ticket column rules and the custom field rules apply as to any ticket update.
-- expected_version, when given, must equal the ticket's version (else nothing changes and nothing is returned).
-- Returns the updated ticket row; no row: no such ticket, not the caller's to change, or another version.
-- ---------------------------------------------------------------------------
create function public.merge_ticket_metadata(ticket_id uuid, changes jsonb, expected_version integer default null)
returns setof public.tickets
language plpgsql
volatile
set search_path = ''
as $$
begin
  if jsonb_typeof(changes) is distinct from 'object' then
    raise exception 'metadata changes must be a JSON object' using errcode = '22023';
  end if;
  return query
  update public.tickets t
     set metadata = (
           select coalesce(jsonb_object_agg(e.key, e.value), '{}'::jsonb)
             from jsonb_each(t.metadata || merge_ticket_metadata.changes) e
            where e.value <> 'null'::jsonb
               or exists (select 1 from public.ticket_fields f where f.key = e.key))
   where t.id = merge_ticket_metadata.ticket_id
     and (merge_ticket_metadata.expected_version is null or t.version = merge_ticket_metadata.expected_version)
  returning t.*;
end;
$$;
comment on function public.merge_ticket_metadata(uuid, jsonb, integer) is
  'Sets the given metadata keys of a ticket (null removes or clears one), keeping the others; returns the ticket.';
revoke execute on function public.merge_ticket_metadata(uuid, jsonb, integer) from public, anon;

-- Listing tickets by agent-only field values (tickets?select=*,ticket_agent_fields!inner()&ticket_agent_fields.metadata=cs.{...})
-- finds the matching rows through this index rather than by reading every ticket's agent-only values, as
-- tickets_metadata_idx does for customer-visible ones.
create index ticket_agent_fields_metadata_idx on public.ticket_agent_fields using gin (metadata jsonb_path_ops);
