-- One more rule per event that matches every benchmark write (see rules.sql).
insert into public.automation_rules (name, position, event, conditions, actions)
select 'Bench firing ' || e, 100, e, '{"all": [{"field": "actor_role", "operator": "is", "value": "agent"}]}'::jsonb,
       '[{"type": "add_tags", "value": ["seen"]}]'::jsonb
  from unnest(array['ticket_created', 'ticket_updated']) e;
