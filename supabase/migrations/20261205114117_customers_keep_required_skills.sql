-- A customer could clear the skills their ticket needs (PATCH required_skills = []), and the ticket could then go to an
-- agent without them: tickets_zz_route refused only a non-empty list from a customer. Now a customer may not change
-- required_skills at all (on insert they may still send the empty list, which is the default). Starts from
-- 20261205080722_routing.sql's definition (the only one); only that condition changes.

create or replace function public.tickets_zz_route()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_mode public.routing_mode;
  v_exclude uuid;
  v_agent uuid;
begin
  if tg_op = 'INSERT' or new.required_skills is distinct from old.required_skills then
    if (tg_op = 'UPDATE' or new.required_skills is distinct from '{}'::text[]) and not public.request_is_privileged()
       and coalesce(public.current_app_role()::text, '') not in ('agent', 'admin')
       and current_setting('autocrm.automation_running', true) is distinct from 'on' then
      raise exception 'field "required_skills": only agents and admins set the skills a ticket needs' using errcode = '42501';
    end if;
    new.required_skills := autocrm_private.normalize_skills(new.required_skills, 'required_skills');
  end if;

  if new.queue_id is null or new.status not in ('new', 'open') then
    return new;
  end if;
  select r.mode into v_mode from public.queue_routing r where r.queue_id = new.queue_id;
  if v_mode is null or v_mode = 'manual' then
    return new;
  end if;

  if tg_op = 'UPDATE' then
    if new.assignee_id is not null then
      -- Still assigned: re-route only when the assignee cannot hold it (new skills they lack, or moved to a queue
      -- they are not in).
      if (new.required_skills is distinct from old.required_skills
          and not exists (select 1 from public.agent_states s
                           where s.agent_id = new.assignee_id and s.skills @> new.required_skills))
         or (new.queue_id is distinct from old.queue_id
             and not exists (select 1 from public.queue_members qm
                              where qm.queue_id = new.queue_id and qm.agent_id = new.assignee_id)) then
        v_exclude := new.assignee_id;
        new.assignee_id := null;
      else
        return new;
      end if;
    elsif old.assignee_id is not null then
      v_exclude := old.assignee_id;  -- released
    end if;
    -- Otherwise it was waiting already (or became active again): any change of a waiting ticket routes it again. This
    -- is what lets sweeps skip tickets other transactions hold (fill_agent): the holder routes the ticket itself.
  elsif new.assignee_id is not null then
    return new;  -- created assigned
  end if;

  perform autocrm_private.lock_queue_agents(new.queue_id, case when tg_op = 'UPDATE' then old.assignee_id end);
  v_agent := autocrm_private.pick_agent(new.queue_id, v_mode, new.required_skills, v_exclude);
  if v_agent is not null then
    new.assignee_id := v_agent;
    if new.status = 'new' then
      new.status := 'open';
    end if;
  end if;
  return new;
end;
$$;
