-- 20 active rules per ticket event for the automation benchmark: the kind of rules a help desk keeps (text matches,
-- priority and status checks, tags, a metadata value), two conditions each. None matches the benchmark's writes, so
-- the figure is what evaluating 20 rules costs every write; rules20_firing adds one rule per event that matches
-- every write and tags the ticket (one extra ticket update per write).
delete from public.automation_rules;
insert into public.automation_rules (name, position, event, conditions, actions)
select format('Bench %s %s', e, g), g, e,
       case g % 4
         when 0 then format('{"all": [{"field": "subject", "operator": "contains", "value": "keyword%s"}, {"field": "priority", "operator": "in", "value": ["high", "urgent"]}]}', g)
         when 1 then format('{"all": [{"field": "tags", "operator": "contains", "value": "tag%s"}, {"field": "status", "operator": "is_not", "value": "closed"}]}', g)
         when 2 then format('{"all": [{"field": "metadata.plan", "operator": "is", "value": "plan%s"}], "any": [{"field": "status", "operator": "changed_to", "value": "open"}, {"field": "priority", "operator": "greater_than", "value": "high"}]}', g)
         else format('{"all": [{"field": "subject", "operator": "matches", "value": "^Order [0-9]{%s}$"}, {"field": "assignee_id", "operator": "is_empty"}]}', 20 + g)
       end::jsonb,
       format('[{"type": "add_tags", "value": ["bench%s"]}, {"type": "set_priority", "value": "high"}]', g)::jsonb
  from generate_series(1, 20) g, unnest(array['ticket_created', 'ticket_updated']) e;
