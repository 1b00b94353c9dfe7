// supabase-js v2 against the DevStack: an automation rule, saved by an admin through PostgREST, fires in the database
// for a ticket a customer creates with supabase-js, and the ticket's history says which rule did what.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { serviceClient, signedInClient, demo } from './support.mjs';

const generalQueue = 'b0000000-0000-4000-8000-000000000001';
const marker = `refund-${randomUUID().slice(0, 8)}`;
const subject = `Automation ${marker}`;
const service = serviceClient();

after(async () => {
  await service.from('tickets').delete().like('subject', `${subject}%`);
  await service.from('automation_rules').delete().like('name', `%${marker}%`);
});

test('a rule fires for a ticket created through supabase-js', async () => {
  const admin = await signedInClient(demo.admin);
  const saved = await admin.from('automation_rules').insert({
    name: `Route ${marker}`, position: 1, event: 'ticket_created',
    conditions: { all: [{ field: 'subject', operator: 'contains', value: marker }] },
    actions: [{ type: 'set_priority', value: 'high' }, { type: 'add_tags', value: [marker] }],
  }).select('id, name').single();
  assert.equal(saved.error, null);

  const carol = await signedInClient(demo.carol);
  const created = await carol.from('tickets').insert({ subject: `${subject} please`, queue_id: generalQueue }).select('id').single();
  assert.equal(created.error, null);

  const reread = await carol.from('tickets').select('priority, tags').eq('id', created.data.id).single();
  assert.equal(reread.error, null);
  assert.equal(reread.data.priority, 'high');
  assert.deepEqual(reread.data.tags, [marker]);

  const history = await carol.from('ticket_events').select('kind, rule_id, rule_name, changes')
    .eq('ticket_id', created.data.id).eq('kind', 'rule_applied');
  assert.equal(history.error, null);
  assert.equal(history.data.length, 1);
  assert.equal(history.data[0].rule_id, saved.data.id);
  assert.equal(history.data[0].rule_name, `Route ${marker}`);
  assert.deepEqual(history.data[0].changes.priority, ['normal', 'high']);
});

test('a rule that could not run is refused when saved: 400, 23514, a message naming the bad part', async () => {
  const admin = await signedInClient(demo.admin);
  const { error, status } = await admin.from('automation_rules').insert({
    name: `Broken ${marker}`, event: 'ticket_created',
    conditions: { all: [{ field: 'subject', operator: 'equals', value: 'x' }] },
    actions: [{ type: 'add_tags', value: ['x'] }],
  });
  assert.equal(status, 400);
  assert.equal(error.code, '23514');
  assert.match(error.message, /^field "conditions": all\[0\]\.operator: "equals" is not an operator/);
  assert.deepEqual(JSON.parse(error.details), { field: 'conditions', rule: 'vocabulary', path: 'all[0].operator' });
});

test('customers cannot read rules', async () => {
  const carol = await signedInClient(demo.carol);
  const { data, error } = await carol.from('automation_rules').select('id');
  assert.equal(error, null);
  assert.deepEqual(data, []);
});
